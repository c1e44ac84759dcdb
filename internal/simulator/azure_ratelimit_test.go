package simulator

import (
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// TestARMReadBucketRefills: the bucket holds Size reads, refills at
// RefillPerSecond up to Size, and tells how long until the next read when
// it is empty; subscriptions and clients have buckets of their own.
func TestARMReadBucketRefills(t *testing.T) {
	st := &azureState{sc: &AzureScenario{ReadBucket: &AzureReadBucket{Size: 3, RefillPerSecond: 2}}, buckets: map[string]*readBucket{}}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for want := 2; want >= 0; want-- {
		left, _, ok := st.takeRead("SUB-A", "client", t0)
		if !ok || left != want {
			t.Fatalf("read: left %d ok %v, want %d", left, ok, want)
		}
	}
	if _, wait, ok := st.takeRead("sub-a", "CLIENT", t0); ok || wait != 500*time.Millisecond {
		t.Fatalf("empty bucket: ok %v wait %v, want a refusal for 500ms (one read at 2/s)", ok, wait)
	}
	if _, wait, ok := st.takeRead("sub-a", "client", t0.Add(300*time.Millisecond)); ok || wait != 200*time.Millisecond {
		t.Fatalf("0.6 reads back: ok %v wait %v, want 200ms more", ok, wait)
	}
	if left, _, ok := st.takeRead("sub-a", "client", t0.Add(500*time.Millisecond)); !ok || left != 0 {
		t.Fatalf("a read back after 500ms: left %d ok %v", left, ok)
	}
	// An hour later the bucket is full again, not fuller.
	if left, _, ok := st.takeRead("sub-a", "client", t0.Add(time.Hour)); !ok || left != 2 {
		t.Fatalf("after an hour: left %d ok %v, want 2 (size 3, one taken)", left, ok)
	}
	// Another subscription, or another client of the same one, has its
	// own full bucket.
	if left, _, ok := st.takeRead("sub-b", "client", t0); !ok || left != 2 {
		t.Fatalf("other subscription: left %d ok %v", left, ok)
	}
	if left, _, ok := st.takeRead("sub-a", "other-client", t0); !ok || left != 2 {
		t.Fatalf("other client: left %d ok %v", left, ok)
	}
	// The published numbers when the scenario gives none.
	st = &azureState{sc: &AzureScenario{ReadBucket: &AzureReadBucket{}}, buckets: map[string]*readBucket{}}
	if left, _, _ := st.takeRead("s", "c", t0); left != AzureReadBucketSize-1 {
		t.Fatalf("default size: left %d", left)
	}
	for range AzureReadBucketSize - 1 {
		st.takeRead("s", "c", t0)
	}
	if _, wait, ok := st.takeRead("s", "c", t0); ok || wait != time.Second/AzureReadBucketRefill {
		t.Fatalf("default refill: ok %v wait %v", ok, wait)
	}
}

// TestARMReadBucketOverHTTP: every ARM answer carries the tokens left; an
// empty bucket answers 429 SubscriptionRequestsThrottled with a
// Retry-After of whole seconds, and the read is served once it refilled.
func TestARMReadBucketOverHTTP(t *testing.T) {
	demo, err := LoadScenario(filepath.Join("..", "..", "examples", "simulator", "demo.yml"))
	if err != nil {
		t.Fatal(err)
	}
	demo.Azure.ReadBucket = &AzureReadBucket{Size: 2, RefillPerSecond: 4}
	s, c := azStart(t, demo.Azure)
	tok := azToken(t, c, s)
	path := azANFBase + "/backupVaults" + azANFVer
	for want := 1; want >= 0; want-- {
		resp, m := azGet(t, c, s, path, tok)
		if resp.StatusCode != 200 || resp.Header.Get("x-ms-ratelimit-remaining-subscription-reads") != strconv.Itoa(want) {
			t.Fatalf("read: %d remaining %q, want 200 and %d: %v", resp.StatusCode, resp.Header.Get("x-ms-ratelimit-remaining-subscription-reads"), want, m)
		}
	}
	resp, m := azGet(t, c, s, path, tok)
	azErrCode(t, resp, m, 429, "SubscriptionRequestsThrottled")
	if resp.Header.Get("Retry-After") != "1" || resp.Header.Get("x-ms-ratelimit-remaining-subscription-reads") != "0" {
		t.Errorf("throttled: Retry-After %q remaining %q, want 1 and 0", resp.Header.Get("Retry-After"), resp.Header.Get("x-ms-ratelimit-remaining-subscription-reads"))
	}
	time.Sleep(300 * time.Millisecond) // a read back at 4/s
	if resp, m := azGet(t, c, s, path, tok); resp.StatusCode != 200 {
		t.Fatalf("after the refill: %d %v", resp.StatusCode, m)
	}
	// A request without a valid token is refused as before and takes no
	// read: the bucket is the principal's.
	if resp, _ := azGet(t, c, s, path, "not-a-token"); resp.StatusCode != 401 {
		t.Fatalf("bad token: %d", resp.StatusCode)
	}
	if st := s.Stats(); st.Codes["azure 429"] != 1 || st.Codes["azure 200"] != 3 || st.Codes["azure 401"] != 1 {
		t.Errorf("answer codes %v, want 3 × 200, 1 × 429, 1 × 401", st.Codes)
	}
}
