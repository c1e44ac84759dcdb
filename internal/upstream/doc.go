// Package upstream is the one HTTP client stack of every provider: a chain
// of http.RoundTripper layers, each with one job, shared by the plain
// providers (through Client) and handed to azcore as its transport.
//
// From the outside in, one request goes through:
//
//	retry      one retry engine: network errors, 408, 429, 500, 502, 503,
//	           504; Retry-After honoured while it fits the deadline;
//	           full-jitter backoff; backup_exporter_api_retries_total
//	pacer      (optional) each attempt held back while the upstream's
//	           quota is low, the quota learnt from the answers (Azure:
//	           ARM's read bucket per subscription)
//	authorize  per attempt, so signatures carry a fresh date and token
//	           files are re-read (Bearer, AK/SK)
//	userAgent  backup_exporter/<version>
//	slots      the credential's max_concurrency requests in flight, held
//	           until the response body is closed
//	bodyLimit  global.body_size_limit, on Content-Length and while reading
//	metrics    backup_exporter_api_requests_total and its latency histogram
//	transport  the credential's *http.Transport: TLS, proxy, connections
//
// A Pool is built per credential (connections and request slots are the
// credential's); a Client is built per provider from its Pool, so the
// provider label is a field of the layers, not a context value.
package upstream
