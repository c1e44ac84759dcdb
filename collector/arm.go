package collector

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	armruntime "github.com/Azure/azure-sdk-for-go/sdk/azcore/arm/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/prometheus/common/version"

	"github.com/backup-exporter/backup_exporter/config"
)

// armClient reads Azure Resource Manager for every target of one Azure
// credential, on azcore's pipeline: the credential's bearer token policy
// (tokens cached and refreshed by azidentity), azcore's retry policy
// (Retry-After honoured while it fits the scrape deadline) and a transport
// that shares the credential's TLS settings, bound on requests in flight,
// body limit and request metrics with the other providers.
type armClient struct {
	pipeline runtime.Pipeline
	endpoint string // resource manager endpoint, without trailing slash
	// describe names the credential in errors: tenant and client ID.
	describe string
	// secrets are removed from any error text, whatever its source.
	secrets []string
}

// armProviderKey carries the provider label of a request to the transport.
type armProviderKey struct{}

func newARMClient(cred *config.Credential, hc *HTTPClient) (*armClient, error) {
	a := cred.Azure
	cloudCfg, endpoint := azureCloud(a)
	transport := &armTransport{hc: hc}
	// Entra calls share the transport: TLS, request slots, body limit and
	// request metrics apply to token requests too.
	retry := policy.RetryOptions{
		MaxRetries:    int32(hc.maxAttempts - 1),
		RetryDelay:    hc.baseBackoff,
		MaxRetryDelay: time.Minute,
		ShouldRetry:   shouldRetryARM,
	}
	azCred, secrets, err := newAzureCredential(a, azcore.ClientOptions{Cloud: cloudCfg, Transport: transport, Retry: retry})
	if err != nil {
		return nil, err
	}
	pipeline, err := armruntime.NewPipeline("backup_exporter", version.Version, azCred, runtime.PipelineOptions{
		PerRetry: []policy.Policy{retryCounter{hc.metrics}},
	}, &arm.ClientOptions{
		ClientOptions: policy.ClientOptions{
			Cloud:     cloudCfg,
			Transport: transport,
			Retry:     retry,
			Telemetry: policy.TelemetryOptions{ApplicationID: "backup_exporter/" + version.Version},
			Logging:   policy.LogOptions{IncludeBody: false},
		},
		DisableRPRegistration: true,
	})
	if err != nil {
		return nil, fmt.Errorf("build ARM pipeline: %w", err)
	}
	return &armClient{
		pipeline: pipeline,
		endpoint: strings.TrimRight(endpoint, "/"),
		describe: describeAzure(a),
		secrets:  secrets,
	}, nil
}

func describeAzure(a *config.Azure) string {
	parts := []string{"auth " + a.Auth}
	if a.TenantID != "" {
		parts = append(parts, "tenant "+a.TenantID)
	}
	if a.ClientID != "" {
		parts = append(parts, "client ID "+a.ClientID)
	}
	return strings.Join(parts, ", ")
}

// get reads one ARM resource at path (which starts with /subscriptions/)
// into out.
func (c *armClient) get(ctx context.Context, provider, path, apiVersion string, out any) error {
	u := c.endpoint + path + "?api-version=" + url.QueryEscape(apiVersion)
	body, err := c.do(ctx, provider, u)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("GET %s: decode response: %w", path, err)
	}
	return nil
}

// armPage is an ARM list response.
type armPage struct {
	Value    []json.RawMessage `json:"value"`
	NextLink string            `json:"nextLink"`
}

// list reads every page of the ARM collection at path, following nextLink,
// and calls item for each element.
func (c *armClient) list(ctx context.Context, provider, path, apiVersion string, item func(json.RawMessage) error) error {
	first := c.endpoint + path + "?api-version=" + url.QueryEscape(apiVersion)
	seen := map[string]bool{}
	pager := runtime.NewPager(runtime.PagingHandler[armPage]{
		More: func(p armPage) bool { return p.NextLink != "" },
		Fetcher: func(ctx context.Context, prev *armPage) (armPage, error) {
			u := first
			if prev != nil {
				u = prev.NextLink
				if seen[u] {
					return armPage{}, fmt.Errorf("GET %s: nextLink repeats; stopping to avoid a loop", path)
				}
				seen[u] = true
				if err := c.sameHost(u); err != nil {
					return armPage{}, err
				}
			}
			body, err := c.do(ctx, provider, u)
			if err != nil {
				return armPage{}, err
			}
			var p armPage
			if err := json.Unmarshal(body, &p); err != nil {
				return armPage{}, fmt.Errorf("GET %s: decode response: %w", path, err)
			}
			return p, nil
		},
	})
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, raw := range page.Value {
			if err := item(raw); err != nil {
				return fmt.Errorf("GET %s: %w", path, err)
			}
		}
	}
	return nil
}

// sameHost refuses a nextLink that would send the bearer token elsewhere.
func (c *armClient) sameHost(link string) error {
	u, err := url.Parse(link)
	base, _ := url.Parse(c.endpoint)
	if err != nil || u.Host != base.Host || u.Scheme != base.Scheme {
		return fmt.Errorf("nextLink %q points away from %s", redactURL(link), c.endpoint)
	}
	return nil
}

// do sends one GET through the pipeline and returns the body of a 2xx
// answer, or an error naming the ARM error code and message.
func (c *armClient) do(ctx context.Context, provider, u string) ([]byte, error) {
	ctx = context.WithValue(ctx, armProviderKey{}, provider)
	req, err := runtime.NewRequest(ctx, http.MethodGet, u)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	req.Raw().Header.Set("Accept", "application/json")
	where := "GET " + redactURL(u)
	if path, ok := strings.CutPrefix(redactURL(u), c.endpoint); ok {
		where = "GET " + path
	}
	resp, err := c.pipeline.Do(req)
	if err != nil {
		return nil, c.wrap(where, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, c.wrap(where, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, c.wrap(where, &HTTPError{Method: http.MethodGet, URL: redactURL(u), StatusCode: resp.StatusCode, Message: armErrorMessage(body)})
	}
	return body, nil
}

// wrap turns pipeline errors into one-line errors: Entra failures name
// the tenant and client, and no secret survives.
func (c *armClient) wrap(where string, err error) error {
	var afe *azidentity.AuthenticationFailedError
	var unavailable interface{ NonRetriable() }
	msg := ""
	switch {
	case errors.As(err, &afe):
		msg = fmt.Sprintf("Microsoft Entra refused a token (%s): %s", c.describe, entraReason(afe.Error()))
	case errors.As(err, &unavailable) && strings.Contains(err.Error(), "Credential"):
		msg = fmt.Sprintf("no Microsoft Entra token (%s): %s", c.describe, firstLine(err.Error()))
	default:
		var httpErr *HTTPError
		if errors.As(err, &httpErr) {
			return redactError(err, c.secrets)
		}
		return redactError(fmt.Errorf("%s: %w", where, err), c.secrets)
	}
	return redactError(errors.New(where+": "+msg), c.secrets)
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
	msg := err.Error()
	changed := false
	for _, s := range secrets {
		if s != "" && strings.Contains(msg, s) {
			msg = strings.ReplaceAll(msg, s, "<secret>")
			changed = true
		}
	}
	if !changed {
		return err
	}
	return errors.New(msg)
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
		return excerpt(body)
	}
	return e.Error.Code + ": " + e.Error.Message
}

// shouldRetryARM retries what HTTPClient retries: 429, 502, 503, 504 and
// network errors; but not a Retry-After that would outlast the scrape, so
// that the target fails fast with the throttling error rather than with a
// bare deadline.
func shouldRetryARM(resp *http.Response, err error) bool {
	if err != nil {
		return retryReason(0, err) != ""
	}
	if retryReason(resp.StatusCode, nil) == "" {
		return false
	}
	if wait := retryAfter(resp.Header, 0); wait > 0 && resp.Request != nil {
		return fitsDeadline(resp.Request.Context(), wait)
	}
	return true
}

// retryCounter is a per-try policy that counts every try after the first
// in backup_exporter_api_retries_total, with the reason of the try before.
type retryCounter struct{ metrics *APIMetrics }

type tryState struct {
	n      int
	reason string
}

// Do implements policy.Policy.
func (p retryCounter) Do(req *policy.Request) (*http.Response, error) {
	var st *tryState
	if !req.OperationValue(&st) || st == nil {
		st = &tryState{}
		req.SetOperationValue(st)
	}
	if st.n > 0 {
		p.metrics.retry(providerOf(req.Raw().Context()), st.reason)
	}
	st.n++
	resp, err := req.Next()
	if err != nil {
		st.reason = retryReason(0, err)
	} else {
		st.reason = retryReason(resp.StatusCode, nil)
	}
	return resp, err
}

// armTransport is the pipeline's transport: the credential's HTTP
// transport, its bound on requests in flight, the body limit and the
// request metrics.
type armTransport struct{ hc *HTTPClient }

// Do implements policy.Transporter.
func (t *armTransport) Do(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	provider := providerOf(ctx)
	select {
	case t.hc.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	release := sync.OnceFunc(func() { <-t.hc.sem })
	start := time.Now()
	resp, err := t.hc.client.Transport.RoundTrip(req)
	if err != nil {
		release()
		t.hc.metrics.observe(provider, "error", time.Since(start))
		return nil, err
	}
	t.hc.metrics.observe(provider, strconv.Itoa(resp.StatusCode), time.Since(start))
	if v := resp.Header.Get("x-ms-ratelimit-remaining-subscription-reads"); v != "" {
		if n, err := strconv.ParseFloat(v, 64); err == nil {
			t.hc.metrics.armReadsRemaining(subscriptionOf(req.URL.Path), n)
		}
	}
	if err := t.hc.limitBody(resp, redactURL(req.URL.String()), release); err != nil {
		return nil, err
	}
	return resp, nil
}

// providerOf is the provider label of an ARM request: the provider whose
// call it serves, or "azure" for a token request made outside one.
func providerOf(ctx context.Context) string {
	if p, ok := ctx.Value(armProviderKey{}).(string); ok {
		return p
	}
	return "azure"
}

func subscriptionOf(path string) string {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	if len(parts) >= 2 && strings.EqualFold(parts[0], "subscriptions") {
		return parts[1]
	}
	return ""
}
