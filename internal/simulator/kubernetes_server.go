package simulator

// A Kubernetes API server subset: read-only (get and list) custom
// resources, with bearer-token service accounts, RBAC-like refusals,
// limit/continue paging and expiring continue tokens.
//
// The server knows no custom resource itself. A CRD set (the resources of
// one API group and version: Trident protect, Velero, CloudNativePG...)
// plugs in with one file, kubernetes_<set>.go, as kubernetes_trident.go
// and the test set of kubernetes_crdset_test.go do. The file holds:
//   - its scenario types, each object embedding KubernetesMeta, the whole
//     in one data type kept in KubernetesScenario.CRDs[<set name>] (YAML
//     kubernetes.crds.<set name>, decoded strictly, rebased by its
//     _at/_time/_timestamp keys); Trident protect's, older, is in
//     KubernetesNamespace;
//   - the JSON of each resource (apiVersion, kind, metadata from
//     KubernetesMeta.metaJSON, spec, status), with the sources it follows;
//   - a k8sCRDSet (kubernetes_crdset.go): name, group, version, resources
//     (plural, kind, namespaced or cluster-scoped), default grant, and
//     newData, clone, normalize (its own checks and stored defaults) and
//     objects (each object of a resource: namespace, metadata, JSON), and
//     installed when the scenario may leave its CRDs out (a 404 as for a
//     group nobody registered);
//   - func init() { registerK8sCRDSet(...) }.
// The rest is the server's, for every set: discovery, accounts and grants,
// Status bodies, names, UIDs, creation times and resource versions, lists
// paged over a sorted index (kubernetes_paging.go), get, the core/v1
// namespaces of the scenario (kubernetes_namespaces.go), the plain 404 of
// a group or version nobody registered (kubernetes_notinstalled.go),
// faults, and UpdateKubernetesNamespace.
//
// Sources, and where each shape comes from:
//
//   - Kubernetes "API Concepts", section "Retrieving large results sets in
//     chunks" (kubernetes.io/docs/reference/using-api/api-concepts/):
//     `limit` and `continue` query parameters, metadata.continue,
//     metadata.resourceVersion constant across the chunks of one list,
//     metadata.remainingItemCount (left out on the last chunk), tokens
//     expiring "after a short amount of time (by default 5 minutes)" with a
//     410 Gone; collections are kind <Kind>List.
//   - kubernetes/kubernetes staging/src/k8s.io/apiserver/pkg/storage/etcd3/
//     errors.go: the 410 texts (k8sContinueExpired, k8sInconsistentContinue,
//     k8sListExpired) and that the 410 carries metadata.continue with a
//     token that continues the list inconsistently at the latest version;
//     etcd3/store.go: tokens are base64url JSON {"v","rv","start"}, items
//     are ordered by storage key (namespace/name), "invalid continue token"
//     and "specifying resource version is not allowed when using continue"
//     are 400s.
//   - kubernetes/kubernetes staging/src/k8s.io/apimachinery/pkg/api/errors/
//     errors.go: the Status objects (kind Status, apiVersion v1, status
//     Failure, reason, details, code) of NewUnauthorized, NewForbidden,
//     NewNotFound, NewResourceExpired, NewTooManyRequests, NewInternalError,
//     NewBadRequest; apiserver endpoints/handlers/responsewriters/errors.go
//     forbiddenMessage: `User %q cannot %s resource %q in API group %q in
//     the namespace %q` / `... at the cluster scope`, and `User %q cannot %s
//     path %q` for non-resource paths; the authentication filter answers a
//     bad token with NewUnauthorized("Unauthorized").
//
// Not confirmed by any public document:
//   - The 429 body: the API server's max-in-flight and priority-and-fairness
//     filters answer 429 with a text/plain body; a Status of reason
//     TooManyRequests (as NewTooManyRequests builds) is served instead.
//
// Chosen behaviour (not a Kubernetes or Trident document):
//   - Continue tokens: base64url JSON {"v":"meta.k8s.io/v1","rv","start","t"}
//     where t is when the list began. A token expires (410 Gone, reason
//     Expired, with metadata.continue to resume inconsistently) when
//     continue_ttl (default 5m, as the API Concepts page says; negative:
//     never) has passed since t, or when any object changed since the list
//     began (the simulator keeps no old versions; a real API server would
//     serve the old snapshot until etcd compacts it), or when
//     ExpireContinueTokens / ExpireNextContinue say so.
//   - A missing token is 401 unless anonymous_auth is set, then it is the
//     user system:anonymous, which may only GET /version (as the default
//     system:public-info-viewer binding allows).
//   - Unknown resources of a registered group and version are 404 Status
//     "the server could not find the requested resource" for a service
//     account granted them, else 403 (authorization runs before routing,
//     as in the API server). Other paths under /api/ are that 404 without
//     authorization.
//   - watch is refused with 400; labelSelector is applied
//     (kubernetes_selector.go); fieldSelector is ignored.

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// KubernetesAPI is the API name used in faults and stats.
const KubernetesAPI = "kubernetes"

// Demo identity and defaults.
const (
	// KubernetesDemoToken is the bearer token of the demo service account
	// KubernetesDemoServiceAccount (namespace KubernetesDemoNamespace),
	// which may get and list applications, backups and schedules in every
	// namespace (not appvaults). It is the only account when a scenario
	// names none.
	KubernetesDemoToken          = "demo-k8s-backup-exporter-token"
	KubernetesDemoNamespace      = "trident-protect"
	KubernetesDemoServiceAccount = "backup-exporter"

	// KubernetesDefaultVersion is the gitVersion /version answers.
	KubernetesDefaultVersion = "v1.31.4"
	// KubernetesDefaultContinueTTL is how long a continue token lives when
	// the scenario sets no continue_ttl.
	KubernetesDefaultContinueTTL = 5 * time.Minute
)

const (
	k8sDefaultTime  = "2026-11-01T00:00:00Z"
	k8sAnonymous    = "system:anonymous"
	k8sFirstVersion = 1000
)

// KubernetesScenario is the `kubernetes:` section of a scenario: one
// cluster, whose API server is the simulator (its URL and CA; see
// Server.KubernetesKubeconfig).
type KubernetesScenario struct {
	// Version is the gitVersion of /version; default
	// KubernetesDefaultVersion.
	Version string `yaml:"version"`
	// ContinueTTL is how long a continue token stays valid after its list
	// began; 0 is KubernetesDefaultContinueTTL, negative never expires by
	// time.
	ContinueTTL Duration `yaml:"continue_ttl"`
	// AnonymousAuth makes a request without a token the user
	// system:anonymous (403 on the resources) instead of a 401.
	AnonymousAuth bool `yaml:"anonymous_auth"`
	// ServiceAccounts with their tokens; none means the demo account.
	ServiceAccounts []KubernetesServiceAccount `yaml:"service_accounts"`
	Namespaces      []KubernetesNamespace      `yaml:"namespaces"`
	// CRDs holds the data of the CRD sets that keep theirs here (all but
	// Trident protect's, which is in Namespaces), by set name.
	CRDs KubernetesCRDs `yaml:"crds"`
}

// KubernetesServiceAccount is a token and what it may read, as a
// ClusterRole bound cluster-wide (Namespaces empty) or in some namespaces.
type KubernetesServiceAccount struct {
	Namespace string `yaml:"namespace"`
	Name      string `yaml:"name"`
	Token     string `yaml:"token"`
	// Resources it may read: plural names of the served resources
	// (applications, backups, schedules, appvaults...) or "*"; default the
	// resources every CRD set grants by default (applications, backups and
	// schedules).
	Resources []string `yaml:"resources"`
	// Verbs it may use: get, list, watch or "*"; default get and list.
	Verbs []string `yaml:"verbs"`
	// APIGroups the resources are of ("" is the core group, of
	// namespaces; "*" any); default any, so that a grant names resources
	// only.
	APIGroups []string `yaml:"api_groups"`
	// Namespaces it is bound in; empty means cluster-wide (it may then list
	// across all namespaces).
	Namespaces []string `yaml:"namespaces"`
	// Grants are more bindings of the account, each a Role or ClusterRole
	// rule of its own (Velero's: get and list of velero.io resources in
	// Velero's namespace, and list of namespaces cluster-wide).
	Grants []KubernetesGrant `yaml:"grants"`
}

// KubernetesGrant is one more binding of a service account: as the
// account's own resources, verbs, api_groups and namespaces (resources
// required; verbs default get and list; api_groups default any).
type KubernetesGrant struct {
	Resources  []string `yaml:"resources"`
	Verbs      []string `yaml:"verbs"`
	APIGroups  []string `yaml:"api_groups"`
	Namespaces []string `yaml:"namespaces"`
}

// KubernetesNamespace is one namespace (served at /api/v1/namespaces)
// and the Trident protect objects in it (kubernetes_trident.go; their YAML
// keys came before the other CRD sets, so they stay here).
type KubernetesNamespace struct {
	Name string `yaml:"name"`
	// Labels are served with kubernetes.io/metadata.name added.
	Labels map[string]string `yaml:"labels"`
	// CreationTimestamp; default 2026-11-01T00:00:00Z.
	CreationTimestamp string `yaml:"creation_timestamp"`

	Applications []TridentApplication `yaml:"applications"`
	Backups      []TridentBackup      `yaml:"backups"`
	Schedules    []TridentSchedule    `yaml:"schedules"`
	AppVaults    []TridentAppVault    `yaml:"app_vaults"`

	meta KubernetesMeta // as served (kubernetes_namespaces.go)
}

// KubernetesMeta is an object's metadata. Times are RFC 3339 and served
// at second precision.
type KubernetesMeta struct {
	Name string `yaml:"name"`
	// UID; default derived from the kind, namespace and name.
	UID string `yaml:"uid"`
	// CreationTimestamp; default 2026-11-01T00:00:00Z.
	CreationTimestamp string `yaml:"creation_timestamp"`
	// DeletionTimestamp marks an object being deleted (its finalizers not
	// yet removed); deletionGracePeriodSeconds 0 is then served too.
	DeletionTimestamp string            `yaml:"deletion_timestamp"`
	Labels            map[string]string `yaml:"labels"`
	Annotations       map[string]string `yaml:"annotations"`
	Finalizers        []string          `yaml:"finalizers"`
	OwnerReferences   []KubernetesOwner `yaml:"owner_references"`
	// Generation; default 1.
	Generation int64 `yaml:"generation"`

	rv int64 // resourceVersion, assigned by the server
}

// KubernetesOwner is an ownerReferences entry.
type KubernetesOwner struct {
	APIVersion         string `yaml:"api_version"`
	Kind               string `yaml:"kind"`
	Name               string `yaml:"name"`
	UID                string `yaml:"uid"`
	Controller         *bool  `yaml:"controller"`
	BlockOwnerDeletion *bool  `yaml:"block_owner_deletion"`
}

// KubernetesCondition is a metav1.Condition of a status.
type KubernetesCondition struct {
	Type               string `yaml:"type"`
	Status             string `yaml:"status"`
	Reason             string `yaml:"reason"`
	Message            string `yaml:"message"`
	LastTransitionTime string `yaml:"last_transition_time"`
	ObservedGeneration int64  `yaml:"observed_generation"`
}

// k8sState is the Kubernetes data of a Server, under s.mu.
type k8sState struct {
	sc  *KubernetesScenario // owned
	ttl time.Duration       // <0: never
	// rv is the cluster's resource version; every change increments it.
	rv int64
	// expiredThrough: continue tokens of lists at or below it are expired.
	expiredThrough int64
	// expireNext continue requests are answered 410 whatever their token.
	expireNext int
	// gen counts the changes of sc; index holds the entries of every
	// resource, sorted by key, as of generation indexGen (kubernetes_paging.go).
	gen, indexGen int64
	index         map[k8sIndexKey][]k8sEntry
}

// registerKubernetes registers the Kubernetes API routes, serving sc
// (copied).
func (s *Server) registerKubernetes(sc *KubernetesScenario) error {
	if err := s.SetKubernetesScenario(sc); err != nil {
		return err
	}
	s.registerAPI(KubernetesAPI, k8sFaultError)
	s.handle(KubernetesAPI, "GET /version", s.k8sAuth(s.k8sVersion))
	s.handle(KubernetesAPI, "GET /api", s.k8sAuth(s.k8sDiscoveryAPI))
	s.handle(KubernetesAPI, "GET /api/v1", s.k8sAuth(s.k8sDiscoveryResources(k8sCore)))
	s.handle(KubernetesAPI, "GET /api/v1/{resource}", s.k8sAuth(s.k8sCollection(k8sCore)))
	s.handle(KubernetesAPI, "GET /api/v1/{resource}/{name}", s.k8sAuth(s.k8sGet(k8sCore)))
	s.registerK8sSecrets()
	s.handle(KubernetesAPI, "GET /apis", s.k8sAuth(s.k8sDiscoveryGroups))
	groups := map[string]bool{}
	for _, set := range k8sCRDSets {
		if !groups[set.group] {
			groups[set.group] = true
			s.handle(KubernetesAPI, "GET /apis/"+set.group, s.k8sAuth(s.k8sDiscoveryGroup(set.group)))
		}
		gv := "/apis/" + set.apiVersion()
		s.handle(KubernetesAPI, "GET "+gv, s.k8sAuth(s.k8sDiscoveryResources(set)))
		s.handle(KubernetesAPI, "GET "+gv+"/{resource}", s.k8sAuth(s.k8sCollection(set)))
		s.handle(KubernetesAPI, "GET "+gv+"/{resource}/{name}", s.k8sAuth(s.k8sGet(set)))
		s.handle(KubernetesAPI, "GET "+gv+"/namespaces/{namespace}/{resource}", s.k8sAuth(s.k8sCollection(set)))
		s.handle(KubernetesAPI, "GET "+gv+"/namespaces/{namespace}/{resource}/{name}", s.k8sAuth(s.k8sGet(set)))
	}
	s.handle(KubernetesAPI, "/apis/", s.k8sAuth(k8sOtherAPIs))
	s.handle(KubernetesAPI, "/api/", s.k8sAuth(func(w http.ResponseWriter, r *http.Request, _ *KubernetesServiceAccount, _ string) {
		k8sNotFoundPath(w)
	}))

	s.mux.HandleFunc("POST /_sim/kubernetes/expire-continue", func(w http.ResponseWriter, r *http.Request) {
		if v := r.URL.Query().Get("next"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				http.Error(w, "next: want a non-negative integer", http.StatusBadRequest)
				return
			}
			s.ExpireNextContinue(n)
		} else {
			s.ExpireContinueTokens()
		}
		w.WriteHeader(http.StatusNoContent)
	})
	s.mux.HandleFunc("GET /_sim/kubernetes/kubeconfig", func(w http.ResponseWriter, r *http.Request) {
		tok := r.URL.Query().Get("token")
		if tok == "" {
			tok = KubernetesDemoToken
		}
		w.Header().Set("Content-Type", "application/yaml")
		w.Write(s.KubernetesKubeconfig(tok))
	})
	return nil
}

// DefaultKubernetesServiceAccount is the demo account: token
// KubernetesDemoToken, cluster-wide get and list of the resources every
// CRD set grants by default (Trident protect's applications, backups and
// schedules).
func DefaultKubernetesServiceAccount() KubernetesServiceAccount {
	return KubernetesServiceAccount{
		Namespace: KubernetesDemoNamespace,
		Name:      KubernetesDemoServiceAccount,
		Token:     KubernetesDemoToken,
		Resources: k8sDefaultGrant(),
		Verbs:     []string{"get", "list"},
	}
}

// SetKubernetesScenario replaces the Kubernetes data (nil: no namespaces,
// the demo account). It checks the scenario as the API server would check
// the objects against their CRDs. Every continue token issued before is
// expired.
func (s *Server) SetKubernetesScenario(sc *KubernetesScenario) error {
	c := &KubernetesScenario{}
	if sc != nil {
		c = sc.clone()
	}
	if len(c.ServiceAccounts) == 0 {
		c.ServiceAccounts = []KubernetesServiceAccount{DefaultKubernetesServiceAccount()}
	}
	if err := c.normalize(); err != nil {
		return fmt.Errorf("kubernetes: %w", err)
	}
	ttl := time.Duration(c.ContinueTTL)
	if ttl == 0 {
		ttl = KubernetesDefaultContinueTTL
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := &k8sState{sc: c, ttl: ttl, rv: k8sFirstVersion}
	if old := s.k8s; old != nil && old.rv >= st.rv {
		st.rv = old.rv + 1
		st.expiredThrough = old.rv
	}
	for n := range c.Namespaces {
		c.Namespaces[n].meta.rv = st.rv
	}
	c.eachObject(func(_ *k8sCRDSet, _ k8sResourceType, o k8sObject) {
		st.rv++
		o.meta.rv = st.rv
	})
	s.k8s = st
	return nil
}

// clone deep-copies the scenario: its accounts, namespaces and the data
// of every CRD set.
func (sc *KubernetesScenario) clone() *KubernetesScenario {
	c := *sc
	c.ServiceAccounts = nil
	for _, a := range sc.ServiceAccounts {
		a.Resources = slices.Clone(a.Resources)
		a.Verbs = slices.Clone(a.Verbs)
		a.APIGroups = slices.Clone(a.APIGroups)
		a.Namespaces = slices.Clone(a.Namespaces)
		grants := a.Grants
		a.Grants = nil
		for _, g := range grants {
			a.Grants = append(a.Grants, KubernetesGrant{slices.Clone(g.Resources), slices.Clone(g.Verbs), slices.Clone(g.APIGroups), slices.Clone(g.Namespaces)})
		}
		c.ServiceAccounts = append(c.ServiceAccounts, a)
	}
	c.CRDs = maps.Clone(sc.CRDs)
	c.Namespaces = slices.Clone(sc.Namespaces)
	for n := range c.Namespaces {
		c.Namespaces[n].Labels = cloneMap(c.Namespaces[n].Labels)
	}
	for _, set := range k8sCRDSets {
		set.clone(&c, sc)
	}
	return &c
}

func (m KubernetesMeta) clone() KubernetesMeta {
	m.Labels = cloneMap(m.Labels)
	m.Annotations = cloneMap(m.Annotations)
	m.Finalizers = slices.Clone(m.Finalizers)
	m.OwnerReferences = slices.Clone(m.OwnerReferences)
	return m
}

func cloneMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// eachObject calls fn with every object of every CRD set, set by set and
// resource by resource.
func (sc *KubernetesScenario) eachObject(fn func(*k8sCRDSet, k8sResourceType, k8sObject)) {
	for _, set := range k8sCRDSets {
		for _, rt := range set.resources {
			set.objects(sc, rt.plural, func(o k8sObject) { fn(set, rt, o) })
		}
	}
}

var (
	k8sLabelRE     = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	k8sSubdomainRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
)

func oneOf(field, v string, allowed ...string) error {
	if v == "" || slices.Contains(allowed, v) {
		return nil
	}
	return fmt.Errorf("%s %q: want one of %s", field, v, strings.Join(allowed, ", "))
}

// normalize checks the scenario and fills the defaults that are stored:
// the accounts' grants; the objects' UIDs, creation times and generations;
// then each CRD set's own.
func (sc *KubernetesScenario) normalize() error {
	tokens := map[string]bool{}
	for i := range sc.ServiceAccounts {
		a := &sc.ServiceAccounts[i]
		if a.Token == "" || a.Name == "" || a.Namespace == "" {
			return fmt.Errorf("service_accounts[%d]: namespace, name and token are required", i)
		}
		if tokens[a.Token] {
			return fmt.Errorf("service_accounts[%d]: token used twice", i)
		}
		tokens[a.Token] = true
		if a.Resources == nil {
			a.Resources = k8sDefaultGrant()
		}
		for _, r := range a.Resources {
			if r != "*" && !slices.Contains(k8sGrantable(), r) {
				return fmt.Errorf("service_accounts[%d]: resource %q: want one of %s or *", i, r, strings.Join(k8sGrantable(), ", "))
			}
		}
		if a.Verbs == nil {
			a.Verbs = []string{"get", "list"}
		}
		for _, v := range a.Verbs {
			if err := oneOf(fmt.Sprintf("service_accounts[%d]: verb", i), v, "get", "list", "watch", "*"); err != nil {
				return err
			}
		}
		for j := range a.Grants {
			g := &a.Grants[j]
			where := fmt.Sprintf("service_accounts[%d]: grants[%d]", i, j)
			if len(g.Resources) == 0 {
				return fmt.Errorf("%s: resources are required", where)
			}
			for _, r := range g.Resources {
				if r != "*" && !slices.Contains(k8sGrantable(), r) {
					return fmt.Errorf("%s: resource %q: want one of %s or *", where, r, strings.Join(k8sGrantable(), ", "))
				}
			}
			if g.Verbs == nil {
				g.Verbs = []string{"get", "list"}
			}
			for _, v := range g.Verbs {
				if err := oneOf(where+": verb", v, "get", "list", "watch", "*"); err != nil {
					return err
				}
			}
		}
	}
	seenNS := map[string]bool{}
	for n := range sc.Namespaces {
		ns := &sc.Namespaces[n]
		if len(ns.Name) > 63 || !k8sLabelRE.MatchString(ns.Name) {
			return fmt.Errorf("namespaces[%d]: name %q is not a DNS-1123 label", n, ns.Name)
		}
		if seenNS[ns.Name] {
			return fmt.Errorf("namespaces[%d]: namespace %q twice", n, ns.Name)
		}
		seenNS[ns.Name] = true
		ns.normalizeMeta()
	}
	var err error
	seen := map[string]bool{}
	sc.eachObject(func(set *k8sCRDSet, rt k8sResourceType, o k8sObject) {
		if err != nil {
			return
		}
		m := o.meta
		key := set.apiVersion() + "/" + rt.plural + "/" + o.namespace + "/" + m.Name
		where := fmt.Sprintf("%s %q", rt.plural, m.Name)
		if o.namespace != "" {
			where = "namespace " + o.namespace + ": " + where
		}
		switch {
		case rt.namespaced != (o.namespace != ""):
			err = fmt.Errorf("%s: a namespaced resource needs a namespace, a cluster-scoped one none", where)
		case rt.namespaced && !seenNS[o.namespace]:
			err = fmt.Errorf("%s: no namespace %q in the scenario", where, o.namespace)
		case len(m.Name) > 253 || !k8sSubdomainRE.MatchString(m.Name):
			err = fmt.Errorf("%s: name is not a DNS-1123 subdomain", where)
		case seen[key]:
			err = fmt.Errorf("%s: name used twice", where)
		}
		seen[key] = true
		if m.UID == "" {
			m.UID = k8sUID(rt.plural + "/" + o.namespace + "/" + m.Name)
		}
		if m.CreationTimestamp == "" {
			m.CreationTimestamp = k8sDefaultTime
		}
		if m.Generation == 0 {
			m.Generation = 1
		}
	})
	if err != nil {
		return err
	}
	for _, set := range k8sCRDSets {
		if err := set.normalize(sc); err != nil {
			return err
		}
	}
	return nil
}

// k8sUID derives a stable UUID-looking string from a seed.
func k8sUID(seed string) string {
	h := sha256.Sum256([]byte("k8s:" + seed))
	h[6] = h[6]&0x0f | 0x40
	h[8] = h[8]&0x3f | 0x80
	x := hex.EncodeToString(h[:16])
	return x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}

// changed records a change: the resource version moves on and every
// continue token issued so far expires.
func (st *k8sState) changed() int64 {
	st.expiredThrough = st.rv
	st.rv++
	return st.rv
}

// ExpireContinueTokens makes every continue token issued so far answer
// 410 Gone (as if etcd had compacted past their lists); a new list works.
// The cluster's resource version moves on by one.
func (s *Server) ExpireContinueTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.k8s.changed()
}

// ExpireNextContinue makes the next n requests that carry a continue
// token answer 410 Gone whatever the token, so that a test can expire a
// list in the middle of one scrape.
func (s *Server) ExpireNextContinue(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.k8s.expireNext = n
}

// KubernetesResourceVersion is the cluster's current resource version.
func (s *Server) KubernetesResourceVersion() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strconv.FormatInt(s.k8s.rv, 10)
}

// UpdateKubernetesNamespace calls fn with the named namespace (created
// when missing) under the server's lock, then re-checks the data and
// gives every object a new resource version; continue tokens issued
// before expire.
func (s *Server) UpdateKubernetesNamespace(name string, fn func(*KubernetesNamespace)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.k8s.sc.clone()
	var ns *KubernetesNamespace
	for i := range c.Namespaces {
		if c.Namespaces[i].Name == name {
			ns = &c.Namespaces[i]
		}
	}
	if ns == nil {
		c.Namespaces = append(c.Namespaces, KubernetesNamespace{Name: name})
		ns = &c.Namespaces[len(c.Namespaces)-1]
	}
	fn(ns)
	if err := c.normalize(); err != nil {
		return fmt.Errorf("kubernetes: %w", err)
	}
	st := s.k8s
	st.sc = c
	rv := st.changed()
	ns.meta.rv = rv
	c.eachObject(func(_ *k8sCRDSet, _ k8sResourceType, o k8sObject) {
		if o.namespace == name {
			o.meta.rv = rv
		}
	})
	st.gen++
	return nil
}

// KubernetesKubeconfig is a kubeconfig for the simulator's cluster with
// a bearer token: its URL, its CA, the token.
func (s *Server) KubernetesKubeconfig(token string) []byte {
	ca := base64.StdEncoding.EncodeToString(s.caPEM)
	return []byte(fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
  - name: backup-simulator
    cluster:
      server: %s
      certificate-authority-data: %s
users:
  - name: backup-exporter
    user:
      token: %s
contexts:
  - name: backup-simulator
    context:
      cluster: backup-simulator
      user: backup-exporter
current-context: backup-simulator
`, s.url, ca, strconv.Quote(token)))
}
