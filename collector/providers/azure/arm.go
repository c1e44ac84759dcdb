package azure

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	json "github.com/segmentio/encoding/json"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	armruntime "github.com/Azure/azure-sdk-for-go/sdk/azcore/arm/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/streaming"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/prometheus/common/version"

	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/internal/upstream"
)

// Client reads Azure Resource Manager for one provider on azcore's
// pipeline: the credential's bearer token policy (tokens cached and
// refreshed by azidentity, one token credential per configured
// credential), and as transport the credential's upstream stack, whose
// retry layer is the only retry engine (azcore's retry policy is off).
type Client struct {
	pipeline runtime.Pipeline
	metrics  *upstream.Metrics
	endpoint string // resource manager endpoint, without trailing slash
	// describe names the credential in errors: tenant and client ID.
	describe string
	// secrets are removed from any error text, whatever its source.
	secrets []string
	// subscriptions are the configured subscription IDs, by lower-cased
	// ID: the only label values of the ARM read-quota gauge (an answer's
	// path is upstream data and never a label).
	subscriptions map[string]string
	// errorMessage reads an error answer's body (default armErrorMessage).
	errorMessage func(body []byte) string
}

// noRetries turns azcore's retry policy off: the upstream stack retries.
var noRetries = policy.RetryOptions{MaxRetries: -1}

// token is the token credential of one configured credential, shared by
// its targets.
type token struct {
	cred     azcore.TokenCredential
	secrets  []string
	cloud    cloud.Configuration
	endpoint string
}

// sharedToken is the token credential of an Azure credential, shared by
// its targets.
var sharedToken = toolkit.NewSharedKey[*token]("azure-token")

// NewClient returns the ARM client of provider for the target's Azure
// credential; subscriptions are the target's configured subscription
// IDs, whose remaining read quota it records. Its reads are paced by the
// credential's pacer (pacer.go), so that a poll slows down before ARM
// throttles it.
func NewClient(env *toolkit.Env, provider string, subscriptions ...string) (*Client, error) {
	a := env.Credential.Spec.(*Credential)
	tok, err := toolkit.SharedValue(env, sharedToken, "", func() (*token, error) {
		cloudCfg, endpoint := azureCloud(a)
		// Entra calls go through the same stack: TLS, request slots, body
		// limit, retries and request metrics apply to token requests too.
		opts := azcore.ClientOptions{Cloud: cloudCfg, Transport: env.Pool.HTTPClient(entraProvider, nil), Retry: noRetries}
		cred, secrets, err := newAzureCredential(a, opts)
		if err != nil {
			return nil, err
		}
		return &token{cred: cred, secrets: secrets, cloud: cloudCfg, endpoint: endpoint}, nil
	})
	if err != nil {
		return nil, err
	}
	subs := make(map[string]string, len(subscriptions))
	for _, id := range subscriptions {
		subs[strings.ToLower(id)] = id
	}
	pace, _ := toolkit.SharedValue(env, sharedPacer, "", func() (*pacer, error) { return newPacer(), nil })
	paced := &clientPacer{p: pace, metrics: env.Pool.Metrics(), subscriptions: subs}
	pipeline, err := armruntime.NewPipeline("backup_exporter", version.Version, tok.cred, runtime.PipelineOptions{}, &arm.ClientOptions{
		ClientOptions: policy.ClientOptions{
			Cloud:     tok.cloud,
			Transport: env.Pool.PacedHTTPClient(provider, nil, paced),
			Retry:     noRetries,
			Telemetry: policy.TelemetryOptions{ApplicationID: "backup_exporter/" + version.Version},
			Logging:   policy.LogOptions{IncludeBody: false},
		},
		DisableRPRegistration: true,
	})
	if err != nil {
		return nil, fmt.Errorf("build ARM pipeline: %w", err)
	}
	return &Client{
		pipeline:      pipeline,
		metrics:       env.Pool.Metrics(),
		endpoint:      strings.TrimRight(tok.endpoint, "/"),
		describe:      describeAzure(a),
		secrets:       tok.secrets,
		subscriptions: subs,
	}, nil
}

// entraProvider labels the request metrics of Microsoft Entra token
// calls, which serve every Azure provider of a credential.
const entraProvider = "azure"

func describeAzure(a *Credential) string {
	parts := []string{"auth " + a.Auth}
	if a.TenantID != "" {
		parts = append(parts, "tenant "+a.TenantID)
	}
	if a.ClientID != "" {
		parts = append(parts, "client ID "+a.ClientID)
	}
	return strings.Join(parts, ", ")
}

// Get reads one ARM resource at path (which starts with /subscriptions/)
// into out.
func (c *Client) Get(ctx context.Context, path, apiVersion string, out any) error {
	u := c.endpoint + path + "?api-version=" + url.QueryEscape(apiVersion)
	return c.do(ctx, u, func(body []byte) error {
		if err := json.Unmarshal(body, out); err != nil {
			return fmt.Errorf("GET %s: decode response: %w", path, err)
		}
		return nil
	})
}

// page is an ARM list response whose items are Ts.
type page[T any] struct {
	Value    []T    `json:"value"`
	NextLink string `json:"nextLink"`
}

// List reads every page of the ARM collection at path, following nextLink,
// and calls item for each element.
func (c *Client) List(ctx context.Context, path, apiVersion string, item func(json.RawMessage) error) error {
	return c.ListQuery(ctx, path, apiVersion, nil, item)
}

// ListQuery is List with more query parameters on the first page (an
// OData $filter, say); the next pages' links carry their own.
func (c *Client) ListQuery(ctx context.Context, path, apiVersion string, query url.Values, item func(json.RawMessage) error) error {
	return eachPage(ctx, c, path, apiVersion, query, func(items []json.RawMessage) error {
		for _, raw := range items {
			if err := item(raw); err != nil {
				return fmt.Errorf("GET %s: %w", path, err)
			}
		}
		return nil
	})
}

// List reads every page of the ARM collection at path (with query on the
// first page, e.g. an OData $filter; nil for none) and returns its items,
// each decoded as a T (straight from the page, without an intermediate
// copy) and checked.
func List[T any, PT interface {
	*T
	toolkit.Checked
}](ctx context.Context, c *Client, path, apiVersion string, query url.Values) ([]T, error) {
	var out []T
	err := Each[T, PT](ctx, c, path, apiVersion, query, func(v T) error {
		out = append(out, v)
		return nil
	})
	return out, err
}

// Each is List for a caller that starts work on the first items while
// later pages are still read (a cold poll's per-resource reads): it calls
// fn with each item, decoded as a T and checked, as soon as its page has
// arrived. An error of fn stops the walk and is returned as the list's.
func Each[T any, PT interface {
	*T
	toolkit.Checked
}](ctx context.Context, c *Client, path, apiVersion string, query url.Values, fn func(T) error) error {
	return eachPage(ctx, c, path, apiVersion, query, func(items []T) error {
		for i := range items {
			if err := PT(&items[i]).Check(); err != nil {
				return fmt.Errorf("GET %s: %w", path, err)
			}
			if err := fn(items[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

// eachPage reads every page of the collection at path, following nextLink
// within the resource manager's origin, each page's items decoded as Ts.
func eachPage[T any](ctx context.Context, c *Client, path, apiVersion string, query url.Values, fn func([]T) error) error {
	u := c.endpoint + path + "?api-version=" + url.QueryEscape(apiVersion)
	if len(query) > 0 {
		// %20, not +, for spaces: OData filters are read by servers that
		// take + literally.
		u += "&" + strings.ReplaceAll(query.Encode(), "+", "%20")
	}
	pages := toolkit.NewPager(ctx, "GET "+path)
	for {
		var p page[T]
		err := c.do(ctx, u, func(body []byte) error {
			if err := json.Unmarshal(body, &p); err != nil {
				return fmt.Errorf("GET %s: decode response: %w", path, err)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if err := pages.Page(len(p.Value), p.NextLink); err != nil {
			return err
		}
		if err := fn(p.Value); err != nil {
			return err
		}
		if p.NextLink == "" {
			return nil
		}
		if err := c.sameOrigin(p.NextLink); err != nil {
			return fmt.Errorf("GET %s: page %d: %w", path, pages.Pages()+1, err)
		}
		u = p.NextLink
	}
}

// sameOrigin refuses a nextLink that would send the bearer token to
// another origin (scheme, host or port) than the resource manager's.
func (c *Client) sameOrigin(link string) error {
	if upstream.SameOrigin(c.endpoint, link) {
		return nil
	}
	to := "a link that is not an absolute URL"
	if u, err := url.Parse(link); err == nil && u.IsAbs() {
		to = upstream.Origin(u)
	}
	from, _ := url.Parse(c.endpoint)
	return &upstream.OriginError{What: "nextLink", From: upstream.Origin(from), To: to}
}

// do sends one GET through the pipeline and returns the body of a 2xx
// answer, or an error naming the ARM error code and message.
func (c *Client) do(ctx context.Context, u string, consume func(body []byte) error) error {
	return c.send(ctx, http.MethodGet, u, nil, nil, consume)
}

// send sends one request (with payload as its JSON body, when not nil)
// through the pipeline, shows the answer's headers to header (when not
// nil) whatever its status, and returns the body of a 2xx answer, or an
// error naming the ARM error code and message.
func (c *Client) send(ctx context.Context, method, u string, payload []byte, header func(http.Header), consume func(body []byte) error) error {
	req, err := runtime.NewRequest(ctx, method, u)
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	req.Raw().Header.Set("Accept", "application/json")
	if payload != nil {
		// A seekable body: the retry layer rewinds it for every attempt.
		if err := req.SetBody(streaming.NopCloser(bytes.NewReader(payload)), "application/json"); err != nil {
			return fmt.Errorf("build request: %w", err)
		}
	}
	where := method + " " + upstream.RedactURL(u)
	if path, ok := strings.CutPrefix(upstream.RedactURL(u), c.endpoint); ok {
		where = method + " " + path
	}
	resp, err := c.pipeline.Do(req)
	if err != nil {
		return c.wrap(where, err)
	}
	defer resp.Body.Close()
	if header != nil {
		header(resp.Header)
	}
	if v := resp.Header.Get("x-ms-ratelimit-remaining-subscription-reads"); v != "" {
		sub, known := c.subscriptions[strings.ToLower(subscriptionOf(resp.Request.URL.Path))]
		if n, err := strconv.ParseFloat(v, 64); err == nil && known && n >= 0 && !math.IsInf(n, 0) {
			c.metrics.ARMReadsRemaining(sub, n)
		}
	}
	body, release, err := upstream.ReadBody(resp.Body, resp.ContentLength)
	defer release()
	if err != nil {
		return c.wrap(where, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		var err error = &upstream.HTTPError{Method: method, URL: upstream.RedactURL(u), StatusCode: resp.StatusCode, Message: c.readError(body)}
		if why := upstream.GaveUp(resp); why != "" {
			err = fmt.Errorf("%w (%s)", err, why)
		}
		return c.wrap(where, err)
	}
	return consume(body)
}

// wrap turns pipeline errors into one-line errors: Entra failures name
// the tenant and client, and no secret survives.
func (c *Client) wrap(where string, err error) error {
	var afe *azidentity.AuthenticationFailedError
	var unavailable interface{ NonRetriable() }
	msg := ""
	switch {
	case errors.As(err, &afe):
		if where, cause, ok := entraUnreachable(afe); ok {
			msg = fmt.Sprintf("cannot reach Microsoft Entra (%s): %s: %s", c.describe, where, cause)
			break
		}
		msg = fmt.Sprintf("Microsoft Entra refused a token (%s): %s", c.describe, entraReason(afe.Error()))
	case errors.As(err, &unavailable) && strings.Contains(err.Error(), "Credential"):
		msg = fmt.Sprintf("no Microsoft Entra token (%s): %s", c.describe, firstLine(err.Error()))
	default:
		var httpErr *upstream.HTTPError
		if errors.As(err, &httpErr) {
			return redactError(err, c.secrets)
		}
		var urlErr *url.Error
		if errors.As(err, &urlErr) {
			// where already names the request; url.Error would repeat
			// it with its query.
			err = urlErr.Err
		}
		return redactError(fmt.Errorf("%s: %w", where, err), c.secrets)
	}
	return redactError(errors.New(where+": "+msg), c.secrets)
}

// entraTransportError finds the failed request in an azidentity error
// whose cause is the connection, not Entra's answer (TLS, DNS, refused, a
// redirect refused): `... unable to resolve an endpoint: ...\n Get "URL":
// cause. To troubleshoot, ...`, or `server response error:\n Post "URL":
// cause. To troubleshoot, ...`.
var entraTransportError = regexp.MustCompile(`(?s)(Get|Post) "([^"]+)": (.*?)(?:\. To troubleshoot|$)`)

// entraUnreachable returns the request ("POST URL", without the query)
// and the cause of a token request that never got an answer from Entra.
func entraUnreachable(afe *azidentity.AuthenticationFailedError) (where, cause string, ok bool) {
	if afe.RawResponse != nil {
		return "", "", false
	}
	m := entraTransportError.FindStringSubmatch(afe.Error())
	if m == nil {
		return "", "", false
	}
	return strings.ToUpper(m[1]) + " " + upstream.RedactURL(m[2]), firstLine(m[3]), true
}

// entraReason keeps the AADSTS line of an azidentity error, which says
// what Entra objected to (unknown tenant, wrong secret, expired cert).
func entraReason(s string) string {
	if i := strings.Index(s, "AADSTS"); i >= 0 {
		s = s[i:]
		if j := strings.IndexAny(s, "\r\n"); j >= 0 {
			s = s[:j]
		}
		if j := strings.Index(s, ". Trace ID"); j >= 0 {
			s = s[:j]
		}
		return strings.TrimSpace(s)
	}
	return firstLine(s)
}

func firstLine(s string) string {
	for _, line := range strings.Split(s, "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "---") {
			return line
		}
	}
	return s
}

// redactError replaces every secret in err's text.
func redactError(err error, secrets []string) error {
	if msg := upstream.RedactSecrets(err.Error(), secrets); msg != err.Error() {
		return errors.New(msg)
	}
	return err
}

// readError reads an error answer's body.
func (c *Client) readError(body []byte) string {
	if c.errorMessage != nil {
		return c.errorMessage(body)
	}
	return armErrorMessage(body)
}

// armErrorMessage reads ARM's {"error":{"code","message"}} body.
func armErrorMessage(body []byte) string {
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil || (e.Error.Code == "" && e.Error.Message == "") {
		return upstream.Excerpt(body)
	}
	return e.Error.Code + ": " + e.Error.Message
}

func subscriptionOf(path string) string {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	if len(parts) >= 2 && strings.EqualFold(parts[0], "subscriptions") {
		return parts[1]
	}
	return ""
}

// LastSegment returns the short name of a nested ARM resource name
// ("account/pool/volume" → "volume").
func LastSegment(name string) string {
	return name[strings.LastIndexByte(name, '/')+1:]
}
