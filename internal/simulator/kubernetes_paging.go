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
	"strings"
	"time"
)

// k8sIndexKey names a resource of a CRD set.
type k8sIndexKey struct {
	set    *k8sCRDSet
	plural string
}

// k8sEntry is one object of the index.
type k8sEntry struct {
	// key is the object's storage key, namespace/name, or name when
	// cluster-scoped: lists are in its order.
	key string
	obj k8sObject
}

// entries returns the entries of a resource sorted by key. The index is
// rebuilt on the first read after a change (st.gen), not per request, so
// that a page costs a binary search and its own items.
func (st *k8sState) entries(set *k8sCRDSet, plural string) []k8sEntry {
	if st.index == nil || st.indexGen != st.gen {
		st.reindex()
		st.indexGen = st.gen
	}
	return st.index[k8sIndexKey{set, plural}]
}

// reindex rebuilds the sorted key index of every resource.
func (st *k8sState) reindex() {
	st.index = map[k8sIndexKey][]k8sEntry{}
	add := func(set *k8sCRDSet, rt k8sResourceType, o k8sObject) {
		k := k8sIndexKey{set, rt.plural}
		st.index[k] = append(st.index[k], k8sEntry{key: k8sStorageKey(o.namespace, o.meta.Name), obj: o})
	}
	for _, rt := range k8sCore.resources {
		k8sCore.objects(st.sc, rt.plural, func(o k8sObject) { add(k8sCore, rt, o) })
	}
	st.sc.eachObject(add)
	for _, es := range st.index {
		sort.Slice(es, func(i, j int) bool { return es[i].key < es[j].key })
	}
}

// k8sFrom returns the entries of namespace ns ("" all) whose key is
// start or after it (start is a name when ns is set); es is sorted by key.
// The entries of a namespace are contiguous: those with the prefix ns/.
func k8sFrom(es []k8sEntry, ns, start string) []k8sEntry {
	prefix := ""
	if ns != "" {
		prefix = ns + "/"
		lo := k8sSearch(es, prefix)
		es = es[lo:]
		es = es[:sort.Search(len(es), func(i int) bool { return !strings.HasPrefix(es[i].key, prefix) })]
	}
	return es[k8sSearch(es, prefix+start):]
}

// k8sSearch is the index of the first entry whose key is key or after it.
func k8sSearch(es []k8sEntry, key string) int {
	return sort.Search(len(es), func(i int) bool { return es[i].key >= key })
}

// k8sStorageKey is the storage key of an object in namespace ns ("" when
// cluster-scoped).
func k8sStorageKey(ns, name string) string {
	if ns == "" {
		return name
	}
	return ns + "/" + name
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

// k8sCollection answers a list of a resource of set in one namespace or
// in all.
func (s *Server) k8sCollection(set *k8sCRDSet) k8sHandler {
	return func(w http.ResponseWriter, r *http.Request, sa *KubernetesServiceAccount, user string) {
		resource, ns := r.PathValue("resource"), r.PathValue("namespace")
		q := r.URL.Query()
		verb := "list"
		if v := q.Get("watch"); v == "true" || v == "1" {
			verb = "watch"
		}
		if !sa.allows(verb, set.group, resource, ns) {
			k8sForbidden(w, user, verb, set.group, resource, ns, "")
			return
		}
		if !s.k8sInstalled(set) {
			http.NotFound(w, r)
			return
		}
		rt, ok := set.resource(resource)
		if !ok || (!rt.namespaced && ns != "") {
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
		code, out := s.k8s.list(q, set, rt, ns, limit, time.Now())
		s.mu.Unlock()
		writeJSON(w, code, out)
	}
}

// list answers a list request (under s.mu): the status code and body.
func (st *k8sState) list(q url.Values, set *k8sCRDSet, rt k8sResourceType, ns string, limit int64, now time.Time) (int, any) {
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

	sel, err := parseK8sLabelSelector(q.Get("labelSelector"))
	if err != nil {
		return failure(http.StatusBadRequest, "BadRequest", err.Error(), nil)
	}
	entries := k8sFrom(st.entries(set, rt.plural), ns, start)
	if len(sel) > 0 {
		entries = k8sSelect(entries, sel)
	}
	page := entries
	meta := k8sListMetaJSON{ResourceVersion: strconv.FormatInt(listRV, 10)}
	if limit > 0 && int64(len(entries)) > limit {
		page = entries[:limit]
		last := page[len(page)-1]
		key := last.key
		if ns != "" {
			key = last.obj.meta.Name
		}
		meta.Continue = encodeK8sContinue(k8sContinueToken{RV: listRV, Start: key + "\x00", T: began})
		if len(sel) == 0 {
			// Unknown with a selector (ListMeta.remainingItemCount).
			meta.RemainingItemCount = ptr(int64(len(entries)) - limit)
		}
	}
	items := make([]any, 0, len(page))
	for _, e := range page {
		items = append(items, e.obj.json())
	}
	return http.StatusOK, k8sListJSON{APIVersion: set.apiVersion(), Kind: rt.kind + "List", Metadata: meta, Items: items}
}

// k8sSelect returns the entries whose labels sel selects.
func k8sSelect(es []k8sEntry, sel k8sLabelSelector) []k8sEntry {
	out := make([]k8sEntry, 0, len(es))
	for _, e := range es {
		if sel.matches(e.obj.meta.Labels) {
			out = append(out, e)
		}
	}
	return out
}

// k8sGet answers one object of a resource of set.
func (s *Server) k8sGet(set *k8sCRDSet) k8sHandler {
	return func(w http.ResponseWriter, r *http.Request, sa *KubernetesServiceAccount, user string) {
		resource, ns, name := r.PathValue("resource"), r.PathValue("namespace"), r.PathValue("name")
		rt, ok := set.resource(resource)
		if ns == "" && (!ok || rt.namespaced) {
			k8sNotFoundPath(w) // not a cluster-scoped resource: no such path
			return
		}
		scope := ns
		if set == k8sCore && resource == "namespaces" {
			scope = name // a namespace is read in its own scope (requestinfo.go)
		}
		if !sa.allows("get", set.group, resource, scope) {
			k8sForbidden(w, user, "get", set.group, resource, scope, name)
			return
		}
		if !s.k8sInstalled(set) {
			http.NotFound(w, r)
			return
		}
		if !ok || rt.namespaced != (ns != "") {
			k8sNotFoundPath(w)
			return
		}
		s.mu.Lock()
		st := s.k8s
		var out any
		key := k8sStorageKey(ns, name)
		es := st.entries(set, rt.plural)
		if i := k8sSearch(es, key); i < len(es) && es[i].key == key {
			out = es[i].obj.json()
		}
		s.mu.Unlock()
		if out == nil {
			k8sObjectNotFound(w, set.group, resource, name)
			return
		}
		writeJSON(w, http.StatusOK, out)
	}
}
