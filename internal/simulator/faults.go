package simulator

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Duration is a time.Duration written in YAML and JSON as a string such
// as "2s" or "150ms" (JSON also accepts a number of nanoseconds).
type Duration time.Duration

// UnmarshalYAML implements yaml.Unmarshaler.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return err
	}
	return d.parse(s)
}

// UnmarshalJSON implements json.Unmarshaler.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var n int64
		if err2 := json.Unmarshal(b, &n); err2 != nil {
			return fmt.Errorf("duration: want a string such as \"2s\": %w", err)
		}
		*d = Duration(n)
		return nil
	}
	return d.parse(s)
}

// MarshalJSON implements json.Marshaler.
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

func (d *Duration) parse(s string) error {
	if s == "" {
		*d = 0
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// Body values of a Fault.
const (
	// BodyMalformed answers truncated, invalid JSON.
	BodyMalformed = "malformed"
	// BodyHuge streams a valid-looking JSON body of HugeBodySize bytes.
	BodyHuge = "huge"
	// BodyHTML answers an HTML error page, as a proxy or gateway does.
	BodyHTML = "html"
	// BodyEmpty answers an empty body.
	BodyEmpty = "empty"
	// BodyDrip writes a JSON body one byte every 100 ms.
	BodyDrip = "drip"
	// BodyReset closes the connection without an answer.
	BodyReset = "reset"
	// BodyRaw answers the fault's Raw text as JSON, e.g. a well-formed
	// list whose items lack the fields the API document requires.
	BodyRaw = "raw"
	// BodyTemplate answers Raw with "{{n}}" replaced by how many times
	// the fault has answered (1, 2, ...), "{{url}}" by the simulator's
	// base URL, "{{other}}" by its other origin's and "{{path}}" by the
	// request's path: a list whose pages never end, or whose next link
	// points elsewhere.
	BodyTemplate = "template"
)

// Redirect values of a Fault.
const (
	// RedirectHTTP redirects to the same host and port over plain HTTP.
	RedirectHTTP = "http"
	// RedirectOtherOrigin redirects to the simulator's other origin
	// (HTTPS, another port).
	RedirectOtherOrigin = "other-origin"
)

// HugeBodySize is the least number of bytes a "huge" fault body has.
const HugeBodySize = 50 << 20

// Fault is an injected misbehaviour. Faults are checked in order before
// the API's handler; every matching fault uses up one of its Times. A
// fault's Latency is waited; if it also sets Status, Body or Hang, it
// answers the request, else the next faults and then the handler run.
type Fault struct {
	// API is the API name ("astra"), or "" for any.
	API string `yaml:"api" json:"api,omitempty"`
	// Path is a Go regexp matched against the URL path; "" matches any.
	Path string `yaml:"path" json:"path,omitempty"`
	// Method such as "GET"; "" matches any.
	Method string `yaml:"method" json:"method,omitempty"`
	// Latency to add before answering, e.g. "2s".
	Latency Duration `yaml:"latency" json:"latency,omitempty"`
	// Status to answer with, with the API's error body unless Body is set.
	Status int `yaml:"status" json:"status,omitempty"`
	// RetryAfter is the value of a Retry-After header to send.
	RetryAfter string `yaml:"retry_after" json:"retry_after,omitempty"`
	// Body is one of the Body* kinds (malformed, huge, html, empty, drip,
	// reset, raw); its status is Status, or 200 (502 for html).
	Body string `yaml:"body" json:"body,omitempty"`
	// Raw is the body of a "raw" or "template" fault.
	Raw string `yaml:"raw" json:"raw,omitempty"`
	// Redirect answers with a redirect (Status, default 307) to the same
	// path and query at another origin: "http" or "other-origin".
	Redirect string `yaml:"redirect" json:"redirect,omitempty"`
	// Hang blocks until the client goes away or the server closes.
	Hang bool `yaml:"hang" json:"hang,omitempty"`
	// Times is how many matching requests the fault applies to; 0 means
	// forever.
	Times int `yaml:"times" json:"times,omitempty"`
}

func (f Fault) terminal() bool { return f.Status != 0 || f.Body != "" || f.Hang || f.Redirect != "" }

type activeFault struct {
	Fault
	re   *regexp.Regexp
	left int // remaining uses when Times > 0
	used int // how many requests it matched
}

// firedFault is a fault that applies to one request, and the how-manieth
// request it is for that fault (a template's {{n}}).
type firedFault struct {
	Fault
	n int
}

func compileFault(f Fault) (*activeFault, error) {
	af := &activeFault{Fault: f, left: f.Times}
	if f.Path != "" {
		re, err := regexp.Compile(f.Path)
		if err != nil {
			return nil, fmt.Errorf("path: %w", err)
		}
		af.re = re
	}
	switch f.Body {
	case "", BodyMalformed, BodyHuge, BodyHTML, BodyEmpty, BodyDrip, BodyReset, BodyRaw, BodyTemplate:
	default:
		return nil, fmt.Errorf("body %q: want one of %q, %q, %q, %q, %q, %q, %q, %q", f.Body, BodyMalformed, BodyHuge, BodyHTML, BodyEmpty, BodyDrip, BodyReset, BodyRaw, BodyTemplate)
	}
	if (f.Raw != "") != (f.Body == BodyRaw || f.Body == BodyTemplate) {
		return nil, fmt.Errorf("raw is set with, and only with, body %q or %q", BodyRaw, BodyTemplate)
	}
	switch f.Redirect {
	case "", RedirectHTTP, RedirectOtherOrigin:
	default:
		return nil, fmt.Errorf("redirect %q: want %q or %q", f.Redirect, RedirectHTTP, RedirectOtherOrigin)
	}
	if f.Redirect != "" && (f.Body != "" || f.Hang) {
		return nil, fmt.Errorf("redirect does not go with body or hang")
	}
	if f.Status != 0 && (f.Status < 100 || f.Status > 599) {
		return nil, fmt.Errorf("status %d out of range", f.Status)
	}
	if f.Times < 0 {
		return nil, fmt.Errorf("times %d is negative", f.Times)
	}
	return af, nil
}

func (af *activeFault) matches(api string, r *http.Request) bool {
	if af.API != "" && af.API != api {
		return false
	}
	if af.Method != "" && !strings.EqualFold(af.Method, r.Method) {
		return false
	}
	if af.re != nil && !af.re.MatchString(r.URL.Path) {
		return false
	}
	return true
}

// AddFault appends a fault.
func (s *Server) AddFault(f Fault) error {
	af, err := compileFault(f)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, af)
	return nil
}

// ClearFaults removes all faults.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// nextFaults returns the faults that apply to this request, up to and
// including the first terminal one, using up their Times.
func (s *Server) nextFaults(api string, r *http.Request) ([]firedFault, ErrorWriter) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []firedFault
	kept := s.faults[:0:0]
	stop := false
	for _, af := range s.faults {
		if !stop && af.matches(api, r) {
			af.used++
			out = append(out, firedFault{Fault: af.Fault, n: af.used})
			stop = af.terminal()
			if af.Times > 0 {
				af.left--
				if af.left <= 0 {
					continue // expired
				}
			}
		}
		kept = append(kept, af)
	}
	s.faults = kept
	ew := s.errWriter[api]
	if ew == nil {
		ew = genericError
	}
	return out, ew
}

// applyFaults runs the matching faults; it reports whether the request
// was answered.
func (s *Server) applyFaults(api string, w http.ResponseWriter, r *http.Request) bool {
	faults, ew := s.nextFaults(api, r)
	for _, f := range faults {
		if f.Latency > 0 && !s.wait(r.Context(), time.Duration(f.Latency)) {
			return true
		}
		if f.RetryAfter != "" {
			w.Header().Set("Retry-After", f.RetryAfter)
		}
		if !f.terminal() {
			continue
		}
		switch {
		case f.Hang:
			s.wait(r.Context(), -1)
		case f.Body == BodyMalformed:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(orDefault(f.Status, http.StatusOK))
			io.WriteString(w, `{"items":[{"type":"application/astra-appBackup","id":"7f1c`)
		case f.Body == BodyHuge:
			s.writeHuge(w, r, orDefault(f.Status, http.StatusOK))
		case f.Body == BodyHTML:
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(orDefault(f.Status, http.StatusBadGateway))
			io.WriteString(w, "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>\n")
		case f.Body == BodyEmpty:
			w.WriteHeader(orDefault(f.Status, http.StatusOK))
		case f.Body == BodyRaw:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(orDefault(f.Status, http.StatusOK))
			io.WriteString(w, f.Raw)
		case f.Body == BodyTemplate:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(orDefault(f.Status, http.StatusOK))
			strings.NewReplacer("{{n}}", fmt.Sprint(f.n), "{{url}}", s.url, "{{other}}", s.otherURL, "{{path}}", r.URL.Path).WriteString(w, f.Raw)
		case f.Redirect != "":
			// Read the request first, as a server does: answering a POST
			// before its body is sent leaves the client's transport
			// writing it while the client already acts on the redirect.
			_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
			to := s.otherURL
			if f.Redirect == RedirectHTTP {
				to = "http://" + r.Host
			}
			http.Redirect(w, r, to+r.URL.RequestURI(), orDefault(f.Status, http.StatusTemporaryRedirect))
		case f.Body == BodyDrip:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(orDefault(f.Status, http.StatusOK))
			flusher, _ := w.(http.Flusher)
			for _, c := range []byte(`{"items":[`) {
				w.Write([]byte{c})
				if flusher != nil {
					flusher.Flush()
				}
				if !s.wait(r.Context(), 100*time.Millisecond) {
					return true
				}
			}
			s.wait(r.Context(), -1)
		case f.Body == BodyReset:
			if hj, ok := w.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					if tc, ok := conn.(interface{ NetConn() net.Conn }); ok {
						if tcp, ok := tc.NetConn().(*net.TCPConn); ok {
							_ = tcp.SetLinger(0)
						}
					}
					conn.Close()
					return true
				}
			}
			panic(http.ErrAbortHandler)
		default:
			ew(w, f.Status, http.StatusText(f.Status), "Injected fault: the simulator was told to answer this request with status "+fmt.Sprint(f.Status)+".")
		}
		return true
	}
	return false
}

// wait sleeps d (forever when d < 0) or until the request or the server
// ends; it reports whether the full time passed.
func (s *Server) wait(ctx context.Context, d time.Duration) bool {
	var timer <-chan time.Time
	if d >= 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timer = t.C
	}
	select {
	case <-timer:
		return true
	case <-ctx.Done():
	case <-s.done:
	}
	return false
}

// writeHuge streams a JSON list of at least HugeBodySize bytes in chunks.
func (s *Server) writeHuge(w http.ResponseWriter, r *http.Request, status int) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	const item = `{"type":"application/astra-appBackup","version":"1.2","id":"00000000-0000-4000-8000-000000000000","name":"filler","state":"completed","stateUnready":[]},`
	chunk := []byte(strings.Repeat(item, (64<<10)/len(item)))
	n, err := io.WriteString(w, `{"items":[`)
	written := int64(n)
	for err == nil && written < HugeBodySize {
		select {
		case <-s.done:
			return
		case <-r.Context().Done():
			return
		default:
		}
		n, err = w.Write(chunk)
		written += int64(n)
	}
	if err == nil {
		io.WriteString(w, `{"id":"end"}],"metadata":{}}`)
	}
}
