package azure

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	json "github.com/segmentio/encoding/json"

	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/config"
	"github.com/backup-exporter/backup_exporter/internal/upstream"
)

// Azure Resource Graph: one paged KQL query over many subscriptions (or
// management groups), POSTed to the resource manager endpoint of the
// credential. Written from the REST specification (Microsoft.ResourceGraph
// stable 2024-04-01, resourcegraph.json: QueryRequest, QueryRequestOptions,
// QueryResponse with resultTruncated a string "true"/"false") and the
// Learn pages "Guidance for throttled requests" (x-ms-user-quota-remaining,
// x-ms-user-quota-resets-after hh:mm:ss, one quota unit per page, groups
// of 100 resource IDs) and "Paging results" ($skipToken, at most 1000
// rows a page, the id column needed to page).

// ResourceGraphAPIVersion is the api-version of the Resource Graph queries.
const ResourceGraphAPIVersion = "2024-04-01"

// resourceGraphProvider labels Resource Graph's request metrics: its
// queries serve every Azure provider of a credential.
const resourceGraphProvider = "azure_resourcegraph"

// resourceGraphPageSize is $top: the most rows a page may hold.
const resourceGraphPageSize = 1000

// ResourceGraph queries Azure Resource Graph with one credential. The
// query quota is the user's (the credential's), so the targets of a
// credential share one ResourceGraph, and a query waits while the quota is
// spent.
type ResourceGraph struct {
	c          *Client
	credential string
	metrics    *upstream.Metrics
	now        func() time.Time

	mu sync.Mutex
	// notBefore is when the quota is full again after an answer said it
	// was spent (zero: not spent).
	notBefore time.Time
}

var sharedGraph = toolkit.NewSharedKey[*ResourceGraph]("azure-resourcegraph")

// NewResourceGraph returns the Resource Graph client of env's credential,
// shared by its targets.
func NewResourceGraph(env *toolkit.Env) (*ResourceGraph, error) {
	// Built outside SharedValue, which holds the credential's shared
	// values while it builds (and NewClient shares the token).
	c, err := NewClient(env, resourceGraphProvider)
	if err != nil {
		return nil, err
	}
	c.errorMessage = graphErrorMessage
	return toolkit.SharedValue(env, sharedGraph, "", func() (*ResourceGraph, error) {
		return &ResourceGraph{c: c, credential: env.Credential.Name, metrics: env.Pool.Metrics(), now: time.Now}, nil
	})
}

// Scope is where a query looks: subscription IDs, or management group
// names; neither means every subscription the credential may read.
type Scope struct {
	Subscriptions    []string
	ManagementGroups []string
	// APIVersion is the api-version of the query; empty:
	// ResourceGraphAPIVersion.
	APIVersion string
}

// queryRequest is the body of a query (QueryRequest).
type queryRequest struct {
	Subscriptions    []string     `json:"subscriptions,omitempty"`
	ManagementGroups []string     `json:"managementGroups,omitempty"`
	Query            string       `json:"query"`
	Options          queryOptions `json:"options"`
}

type queryOptions struct {
	SkipToken    string `json:"$skipToken,omitempty"`
	Top          int    `json:"$top"`
	ResultFormat string `json:"resultFormat"`
}

// queryPage is one page of an answer (QueryResponse), its rows as Ts.
type queryPage[T any] struct {
	TotalRecords    int64      `json:"totalRecords"`
	Count           int64      `json:"count"`
	ResultTruncated stringBool `json:"resultTruncated"`
	SkipToken       string     `json:"$skipToken"`
	Data            []T        `json:"data"`
}

// stringBool is resultTruncated: the document makes it a string enum
// ("true", "false"); a JSON boolean is read too.
type stringBool bool

// UnmarshalJSON implements json.Unmarshaler.
func (b *stringBool) UnmarshalJSON(data []byte) error {
	switch strings.ToLower(strings.Trim(string(data), `"`)) {
	case "true":
		*b = true
	case "false", "null", "":
		*b = false
	default:
		return fmt.Errorf("resultTruncated %s is neither true nor false", upstream.Excerpt(data))
	}
	return nil
}

// Query runs query over scope and calls fn with each row (the query must
// project the id column, so that Resource Graph can page it), decoded as
// a T straight from the page and checked, page by page: $skipToken is sent
// back in the body of the same request, to the same origin, until an
// answer has none, within the poll's page bounds.
func Query[T any, PT interface {
	*T
	toolkit.Checked
}](ctx context.Context, g *ResourceGraph, scope Scope, query string, fn func(T) error) error {
	version := scope.APIVersion
	if version == "" {
		version = ResourceGraphAPIVersion
	}
	u := g.c.endpoint + "/providers/Microsoft.ResourceGraph/resources?api-version=" + url.QueryEscape(version)
	req := queryRequest{Subscriptions: scope.Subscriptions, ManagementGroups: scope.ManagementGroups, Query: query,
		Options: queryOptions{Top: resourceGraphPageSize, ResultFormat: "objectArray"}}
	pages := toolkit.NewPager(ctx, "Resource Graph query")
	for {
		payload, err := json.Marshal(req)
		if err != nil {
			return fmt.Errorf("query Resource Graph: %w", err)
		}
		if err := g.wait(ctx); err != nil {
			return err
		}
		var p queryPage[T]
		err = g.c.send(ctx, http.MethodPost, u, payload, g.quota, func(body []byte) error {
			if err := json.Unmarshal(body, &p); err != nil {
				return fmt.Errorf("query Resource Graph: decode response: %w", err)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if p.ResultTruncated && p.SkipToken == "" {
			return errors.New("query Resource Graph: the answer is truncated and cannot be paged")
		}
		if err := pages.Page(len(p.Data), p.SkipToken); err != nil {
			return err
		}
		for i := range p.Data {
			if err := PT(&p.Data[i]).Check(); err != nil {
				return fmt.Errorf("query Resource Graph: %w", err)
			}
			if err := fn(p.Data[i]); err != nil {
				return err
			}
		}
		if p.SkipToken == "" {
			return nil
		}
		req.Options.SkipToken = p.SkipToken
	}
}

// quota reads an answer's quota headers: the remaining queries go to the
// gauge, and a spent quota makes the next query wait until it resets.
func (g *ResourceGraph) quota(h http.Header) {
	v := strings.TrimSpace(h.Get("x-ms-user-quota-remaining"))
	if v == "" {
		return
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return
	}
	g.metrics.ResourceGraphQuotaRemaining(g.credential, float64(n))
	if n > 0 {
		return
	}
	if d, ok := upstream.QuotaResetsAfter(h); ok && d > 0 {
		g.mu.Lock()
		if t := g.now().Add(d); t.After(g.notBefore) {
			g.notBefore = t
		}
		g.mu.Unlock()
	}
}

// wait waits, when the last answer said the quota was spent, until it
// resets, counted as a throttled retry; it fails at once when that would
// not fit ctx's deadline.
func (g *ResourceGraph) wait(ctx context.Context) error {
	g.mu.Lock()
	d := g.notBefore.Sub(g.now())
	g.mu.Unlock()
	if d <= 0 {
		return nil
	}
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < d {
		return fmt.Errorf("query Resource Graph: the query quota is spent, and its reset in %s would not fit the deadline", d.Round(time.Millisecond))
	}
	g.metrics.Waited(resourceGraphProvider, upstream.ReasonThrottled)
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return fmt.Errorf("query Resource Graph: waiting for the query quota: %w", ctx.Err())
	case <-timer.C:
		return nil
	}
}

// graphErrorMessage reads Resource Graph's error body, whose message only
// asks to quote a correlation ID: {"error":{"code","message","details":
// [{"code":"InvalidQuery",...},{"code":"ParserFailure",...}]}} reads
// "BadRequest: InvalidQuery: Query is invalid. ...; ParserFailure".
func graphErrorMessage(body []byte) string {
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
			Details []struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"details"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil || e.Error.Code == "" {
		return armErrorMessage(body)
	}
	if len(e.Error.Details) == 0 {
		return e.Error.Code + ": " + e.Error.Message
	}
	var parts []string
	for _, d := range e.Error.Details[:min(len(e.Error.Details), 3)] {
		switch {
		case d.Message == "" || d.Message == d.Code:
			parts = append(parts, d.Code)
		default:
			parts = append(parts, d.Code+": "+d.Message)
		}
	}
	return upstream.Excerpt([]byte(e.Error.Code + ": " + strings.Join(parts, "; ")))
}

// ResourceGraphTags is the tag look-up of the Azure providers whose
// listings carry no tags of the resources they protect (azure_backup's
// sourceResourceId, azure_dataprotection's dataSourceInfo.resourceID): one
// Resource Graph query per batch of IDs, `Resources | where id in~ (...)
// | project id, tags`, scoped to the subscriptions of those IDs. IDs
// compare without case, as ARM compares them.
func ResourceGraphTags(_ *config.Target, env *toolkit.Env) (*toolkit.TagLookup, error) {
	g, err := NewResourceGraph(env)
	if err != nil {
		return nil, err
	}
	return &toolkit.TagLookup{API: "Azure Resource Graph", Fold: strings.ToLower, Lookup: g.Tags}, nil
}

// tagRow is a row of the tag query.
type tagRow struct {
	ID   string                     `json:"id"`
	Tags map[string]json.RawMessage `json:"tags"`
}

// Check implements toolkit.Checked.
func (r *tagRow) Check() error { return toolkit.Require("id", r.ID) }

// values are the row's tags whose values are strings (ARM tags are;
// anything else is left out).
func (r *tagRow) values() map[string]string {
	out := make(map[string]string, len(r.Tags))
	for k, raw := range r.Tags {
		var v string
		if json.Unmarshal(raw, &v) == nil {
			out[k] = v
		}
	}
	return out
}

// reSubscriptionID is the subscription segment of an ARM ID.
var reSubscriptionID = regexp.MustCompile(`^(?i)/subscriptions/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/`)

// maxLookupID bounds an ID put in a query.
const maxLookupID = 4096

// Tags returns the tags of the resources ids (ARM IDs, at most
// toolkit.TagBatch), by ID as given: one query. An ID that is not an ARM
// ID of a subscription is not looked up; one that Resource Graph does not
// return (gone, or not readable by the credential) has no tags.
func (g *ResourceGraph) Tags(ctx context.Context, ids []string) (map[string]map[string]string, error) {
	asked := make(map[string]string, len(ids))
	var literals, subs []string
	for _, id := range ids {
		m := reSubscriptionID.FindStringSubmatch(id)
		lit, ok := kqlString(id)
		if m == nil || !ok || len(id) > maxLookupID {
			continue
		}
		k := strings.ToLower(id)
		if _, dup := asked[k]; dup {
			continue
		}
		asked[k] = id
		literals = append(literals, lit)
		if sub := strings.ToLower(m[1]); !slices.Contains(subs, sub) {
			subs = append(subs, sub)
		}
	}
	out := make(map[string]map[string]string, len(asked))
	if len(literals) == 0 {
		return out, nil
	}
	slices.Sort(subs)
	query := "Resources | where id in~ (" + strings.Join(literals, ", ") + ") | project id, tags"
	err := Query[tagRow](ctx, g, Scope{Subscriptions: subs}, query, func(row tagRow) error {
		id, ok := asked[strings.ToLower(row.ID)]
		if !ok {
			// Not asked for: an upstream's mistake, not a tag of ours.
			return nil
		}
		if _, seen := out[id]; !seen {
			out[id] = row.values()
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// kqlString is s as a KQL string literal: single-quoted, with the
// backslash and the quote escaped (\\, \'), so that no ID can end the
// literal and change the query. A string with control characters or
// invalid UTF-8 is refused.
func kqlString(s string) (string, bool) {
	if !utf8.ValidString(s) {
		return "", false
	}
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('\'')
	for _, r := range s {
		switch {
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u2028' || r == '\u2029':
			return "", false
		case r == '\\' || r == '\'':
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	b.WriteByte('\'')
	return b.String(), true
}
