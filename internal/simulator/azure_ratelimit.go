package simulator

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ARM's read limits. Since 2024 Azure Resource Manager throttles with a
// token bucket per region, applied per subscription, per service principal
// and per operation type: 250 reads, refilled at 25 a second (Microsoft
// Learn, "Understand how Azure Resource Manager throttles requests",
// azure-resource-manager/management/request-limits-and-throttling). Each
// answer carries the tokens left in x-ms-ratelimit-remaining-subscription-
// reads; a read that finds the bucket empty is answered 429 with
// Retry-After, the seconds until a token is back.

// Published numbers of ARM's subscription read bucket.
const (
	AzureReadBucketSize   = 250
	AzureReadBucketRefill = 25
)

// AzureReadBucket is the `azure.read_bucket` of a scenario: ARM's read
// limit per subscription and client.
type AzureReadBucket struct {
	// Size is the bucket's capacity (and its content at start); default
	// AzureReadBucketSize.
	Size int `yaml:"size" json:"size,omitempty"`
	// RefillPerSecond is how many reads come back every second; default
	// AzureReadBucketRefill.
	RefillPerSecond float64 `yaml:"refill_per_second" json:"refill_per_second,omitempty"`
}

func (b *AzureReadBucket) validate() error {
	if b == nil {
		return nil
	}
	if b.Size < 0 || b.RefillPerSecond < 0 || math.IsNaN(b.RefillPerSecond) || math.IsInf(b.RefillPerSecond, 0) {
		return fmt.Errorf("azure: read_bucket: size %d and refill_per_second %v must not be negative", b.Size, b.RefillPerSecond)
	}
	return nil
}

func (b *AzureReadBucket) size() float64 {
	return float64(orDefault(b.Size, AzureReadBucketSize))
}

func (b *AzureReadBucket) refill() float64 {
	if b.RefillPerSecond == 0 {
		return AzureReadBucketRefill
	}
	return b.RefillPerSecond
}

// readBucket is the state of one subscription and client's bucket.
type readBucket struct {
	tokens float64
	at     time.Time
}

// takeRead takes a read token of sub for client from the scenario's
// bucket, at now. It returns the tokens left, or, when the bucket is
// empty, ok false and how long until a token is back. The caller holds
// s.mu.
func (st *azureState) takeRead(sub, client string, now time.Time) (left int, wait time.Duration, ok bool) {
	cfg := st.sc.ReadBucket
	k := strings.ToLower(sub) + "/" + strings.ToLower(client)
	b := st.buckets[k]
	if b == nil {
		b = &readBucket{tokens: cfg.size(), at: now}
		st.buckets[k] = b
	}
	if dt := now.Sub(b.at).Seconds(); dt > 0 {
		b.tokens = min(cfg.size(), b.tokens+dt*cfg.refill())
		b.at = now
	}
	if b.tokens < 1 {
		secs := (1 - b.tokens) / cfg.refill()
		return 0, time.Duration(secs * float64(time.Second)), false
	}
	b.tokens--
	return int(b.tokens), 0, true
}

// armThrottle answers a read that found its bucket empty, as ARM does:
// 429, Retry-After in whole seconds (at least 1), no tokens left.
func armThrottle(w http.ResponseWriter, sub string, wait time.Duration) {
	secs := max(1, int(math.Ceil(wait.Seconds())))
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	w.Header().Set("x-ms-ratelimit-remaining-subscription-reads", "0")
	armError(w, http.StatusTooManyRequests, "SubscriptionRequestsThrottled",
		fmt.Sprintf("Number of 'read' requests for subscription '%s' exceeded the limit. Please try again after '%d' seconds.", sub, secs))
}
