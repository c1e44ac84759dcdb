package simulator

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"time"
)

// k8sEntry locates one object.
type k8sEntry struct {
	ns, name string
	nsIdx, i int
}

func (e k8sEntry) key() string { return e.ns + "/" + e.name }

// reindex rebuilds the sorted key index of every resource.
func (st *k8sState) reindex() {
	st.index = map[string][]k8sEntry{}
	for n, ns := range st.sc.Namespaces {
		add := func(res, name string, i int) {
			st.index[res] = append(st.index[res], k8sEntry{ns: ns.Name, name: name, nsIdx: n, i: i})
		}
		for i, o := range ns.Applications {
			add(TridentApplications, o.Name, i)
		}
		for i, o := range ns.Backups {
			add(TridentBackups, o.Name, i)
		}
		for i, o := range ns.Schedules {
			add(TridentSchedules, o.Name, i)
		}
		for i, o := range ns.AppVaults {
			add(TridentAppVaults, o.Name, i)
		}
	}
	for _, es := range st.index {
		sort.Slice(es, func(i, j int) bool { return es[i].key() < es[j].key() })
	}
}

// k8sContinueToken is the decoded continue token.
type k8sContinueToken struct {
	V     string `json:"v"`
	RV    int64  `json:"rv"`
	Start string `json:"start"`
	// T is when the list began (Unix seconds).
	T int64 `json:"t"`
}

func encodeK8sContinue(t k8sContinueToken) string {
	t.V = "meta.k8s.io/v1"
	b, _ := json.Marshal(t)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeK8sContinue(s string) (k8sContinueToken, error) {
	var t k8sContinueToken
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return t, fmt.Errorf("continue key is not valid: %v", err)
	}
	if err := json.Unmarshal(b, &t); err != nil {
		return t, fmt.Errorf("continue key is not valid: %v", err)
	}
	if t.V != "meta.k8s.io/v1" {
		return t, errors.New("continue key is not valid: server does not recognize this encoded version")
	}
	if t.RV == 0 || t.Start == "" {
		return t, errors.New("continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)")
	}
	return t, nil
}

type k8sListMetaJSON struct {
	ResourceVersion    string `json:"resourceVersion,omitempty"`
	Continue           string `json:"continue,omitempty"`
	RemainingItemCount *int64 `json:"remainingItemCount,omitempty"`
}

type k8sListJSON struct {
	APIVersion string          `json:"apiVersion"`
	Kind       string          `json:"kind"`
	Metadata   k8sListMetaJSON `json:"metadata"`
	Items      []any           `json:"items"`
}

// k8sCollection answers a list of a resource in one namespace or in all.
func (s *Server) k8sCollection(w http.ResponseWriter, r *http.Request, sa *KubernetesServiceAccount, user string) {
	resource, ns := r.PathValue("resource"), r.PathValue("namespace")
	q := r.URL.Query()
	verb := "list"
	if v := q.Get("watch"); v == "true" || v == "1" {
		verb = "watch"
	}
	if !sa.allows(verb, resource, ns) {
		k8sForbidden(w, user, verb, resource, ns, "")
		return
	}
	if !k8sServed(resource) {
		k8sNotFoundPath(w)
		return
	}
	if verb == "watch" {
		k8sBadRequest(w, "watch is not supported by the simulator")
		return
	}
	limit := int64(0)
	if v := q.Get("limit"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			k8sBadRequest(w, fmt.Sprintf("limit: Invalid value: %q: must be an integer", v))
			return
		}
		limit = max(n, 0)
	}
	s.mu.Lock()
	code, out := s.k8s.list(q, resource, ns, limit, time.Now())
	s.mu.Unlock()
	writeJSON(w, code, out)
}

// list answers a list request (under s.mu): the status code and body.
func (st *k8sState) list(q url.Values, resource, ns string, limit int64, now time.Time) (int, any) {
	failure := func(code int, reason, msg string, details *k8sStatusDetails) (int, any) {
		return code, k8sStatusJSON{Kind: "Status", APIVersion: "v1", Status: "Failure", Message: msg, Reason: reason, Details: details, Code: code}
	}
	listRV, began, start := st.rv, now.Unix(), ""
	if tok := q.Get("continue"); tok != "" {
		if v := q.Get("resourceVersion"); v != "" && v != "0" {
			return failure(http.StatusBadRequest, "BadRequest", "specifying resource version is not allowed when using continue", nil)
		}
		t, err := decodeK8sContinue(tok)
		if err != nil {
			return failure(http.StatusBadRequest, "BadRequest", "invalid continue token: "+err.Error(), nil)
		}
		expired := st.expireNext > 0 ||
			(t.RV > 0 && t.RV <= st.expiredThrough) ||
			(st.ttl > 0 && now.Sub(time.Unix(t.T, 0)) > st.ttl)
		if st.expireNext > 0 {
			st.expireNext--
		}
		if expired {
			// As the API server: a token to continue at the latest version.
			next := encodeK8sContinue(k8sContinueToken{RV: -1, Start: t.Start, T: now.Unix()})
			return http.StatusGone, k8sStatusJSON{
				Kind: "Status", APIVersion: "v1", Metadata: k8sListMetaJSON{Continue: next},
				Status: "Failure", Message: k8sInconsistentContinue, Reason: "Expired", Code: http.StatusGone,
			}
		}
		start, began = t.Start, t.T
		if t.RV > 0 {
			listRV = t.RV
		}
	} else if v := q.Get("resourceVersion"); v != "" && v != "0" {
		n, err := strconv.ParseInt(v, 10, 64)
		switch {
		case err != nil:
			return failure(http.StatusBadRequest, "BadRequest", fmt.Sprintf("invalid resource version: %v", err), nil)
		case n > st.rv:
			return failure(http.StatusGatewayTimeout, "Timeout",
				fmt.Sprintf("Timeout: Too large resource version: %d, current: %d", n, st.rv), &k8sStatusDetails{RetryAfterSeconds: 1})
		case n <= st.expiredThrough:
			return failure(http.StatusGone, "Expired", k8sListExpired, nil)
		}
	}

	var entries []k8sEntry
	for _, e := range st.index[resource] {
		key := e.key()
		if ns != "" {
			if e.ns != ns {
				continue
			}
			key = e.name
		}
		if key >= start {
			entries = append(entries, e)
		}
	}
	page := entries
	meta := k8sListMetaJSON{ResourceVersion: strconv.FormatInt(listRV, 10)}
	if limit > 0 && int64(len(entries)) > limit {
		page = entries[:limit]
		last := page[len(page)-1]
		key := last.key()
		if ns != "" {
			key = last.name
		}
		meta.Continue = encodeK8sContinue(k8sContinueToken{RV: listRV, Start: key + "\x00", T: began})
		meta.RemainingItemCount = ptr(int64(len(entries)) - limit)
	}
	items := make([]any, 0, len(page))
	for _, e := range page {
		items = append(items, st.object(resource, e))
	}
	return http.StatusOK, k8sListJSON{
		APIVersion: TridentProtectAPIVersion, Kind: k8sKinds[resource] + "List", Metadata: meta, Items: items,
	}
}

// k8sGet answers one object.
func (s *Server) k8sGet(w http.ResponseWriter, r *http.Request, sa *KubernetesServiceAccount, user string) {
	resource, ns, name := r.PathValue("resource"), r.PathValue("namespace"), r.PathValue("name")
	if !sa.allows("get", resource, ns) {
		k8sForbidden(w, user, "get", resource, ns, name)
		return
	}
	if !k8sServed(resource) {
		k8sNotFoundPath(w)
		return
	}
	s.mu.Lock()
	st := s.k8s
	var out any
	for _, e := range st.index[resource] {
		if e.ns == ns && e.name == name {
			out = st.object(resource, e)
		}
	}
	s.mu.Unlock()
	if out == nil {
		k8sStatus(w, http.StatusNotFound, "NotFound",
			fmt.Sprintf("%s.%s %q not found", resource, TridentProtectGroup, name),
			&k8sStatusDetails{Name: name, Group: TridentProtectGroup, Kind: resource})
		return
	}
	writeJSON(w, http.StatusOK, out)
}
