package simulator

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// k8sCRDSet is the custom resources of one API group and version, their
// data in a KubernetesScenario and how to serve them. The API server
// (kubernetes_server.go) knows a set only through this value.
type k8sCRDSet struct {
	// name names the set in errors (and, for a set that keeps its data in
	// KubernetesScenario.CRDs, is its key there).
	name           string
	group, version string
	// resources in the order they are listed in discovery and given
	// resource versions.
	resources []k8sResourceType
	// defaultGrant are the resources a service account that names none
	// may read (as DefaultKubernetesServiceAccount).
	defaultGrant []string
	// newData returns an empty value (a pointer) of the set's data in
	// KubernetesScenario.CRDs, which YAML decodes into (strictly); nil
	// when the set keeps its data elsewhere.
	newData func() any
	// clone deep-copies the set's data of src into dst, a shallow copy of
	// src (the server clones every scenario it is given or changes).
	clone func(dst, src *KubernetesScenario)
	// normalize checks the set's data and fills the defaults that are
	// stored. The server has already checked the names and filled the
	// UIDs, creation times and generations of every object (see objects).
	normalize func(sc *KubernetesScenario) error
	// objects calls fn with every object of a resource of sc, in the
	// scenario's order (resource versions are given in that order).
	objects func(sc *KubernetesScenario, resource string, fn func(k8sObject))
	// installed says whether the set's CRDs are installed in the cluster
	// of sc; nil: always. A set that is not answers as a group and
	// version nobody registered (kubernetes_notinstalled.go).
	installed func(sc *KubernetesScenario) bool
}

// k8sResourceType is one resource of a CRD set.
type k8sResourceType struct {
	plural, kind string
	namespaced   bool
}

// k8sObject is one object of a resource, as the server sees it.
type k8sObject struct {
	// namespace is "" for a cluster-scoped object.
	namespace string
	meta      *KubernetesMeta
	// json builds the object's JSON (apiVersion, kind, metadata, spec,
	// status); it is called under the server's lock when the object is
	// listed or got, and must only read the scenario.
	json func() any
}

// apiVersion is the apiVersion of the set's objects.
func (set *k8sCRDSet) apiVersion() string {
	if set.group == "" {
		return set.version // the core group
	}
	return set.group + "/" + set.version
}

// resource returns the resource of that plural name.
func (set *k8sCRDSet) resource(plural string) (k8sResourceType, bool) {
	i := slices.IndexFunc(set.resources, func(r k8sResourceType) bool { return r.plural == plural })
	if i < 0 {
		return k8sResourceType{}, false
	}
	return set.resources[i], true
}

// k8sCRDSets are the registered CRD sets, ordered by group and version.
// Each set's file registers it from an init function; nothing changes it
// afterwards.
var k8sCRDSets []*k8sCRDSet

// registerK8sCRDSet adds a CRD set to those every simulator serves. It
// panics when the set is incomplete or its group and version, or one of
// its plural names within it, is taken: a programming error.
func registerK8sCRDSet(set *k8sCRDSet) {
	if set.name == "" || set.group == "" || set.version == "" || len(set.resources) == 0 ||
		set.clone == nil || set.normalize == nil || set.objects == nil {
		panic(fmt.Sprintf("simulator: CRD set %q is incomplete", set.name))
	}
	for _, o := range k8sCRDSets {
		if o.name == set.name || o.apiVersion() == set.apiVersion() {
			panic(fmt.Sprintf("simulator: CRD set %q registered twice (%s)", set.name, set.apiVersion()))
		}
	}
	seen := map[string]bool{}
	for _, r := range set.resources {
		if r.plural == "" || r.kind == "" || seen[r.plural] || strings.ContainsAny(r.plural, "/*") {
			panic(fmt.Sprintf("simulator: CRD set %q: bad or repeated resource %q", set.name, r.plural))
		}
		seen[r.plural] = true
	}
	k8sCRDSets = append(k8sCRDSets, set)
	slices.SortFunc(k8sCRDSets, func(a, b *k8sCRDSet) int {
		return strings.Compare(a.group+"/"+a.version, b.group+"/"+b.version)
	})
}

// k8sDefaultGrant is the resources an account that names none may read:
// the default grants of every set.
func k8sDefaultGrant() []string {
	var out []string
	for _, set := range k8sCRDSets {
		out = append(out, set.defaultGrant...)
	}
	return out
}

// k8sGrantable is the resources a service account may be granted: the
// plural names of every set's resources, and namespaces.
func k8sGrantable() []string {
	var out []string
	for _, set := range append([]*k8sCRDSet{k8sCore}, k8sCRDSets...) {
		for _, r := range set.resources {
			if !slices.Contains(out, r.plural) {
				out = append(out, r.plural)
			}
		}
	}
	return out
}

// KubernetesCRDs is the data of CRD sets by set name; each value is of
// the type the set's file declares (a pointer to it).
type KubernetesCRDs map[string]any

// UnmarshalYAML decodes each set's data into the set's own type, strictly
// (unknown keys are errors, as in the rest of a scenario).
func (c *KubernetesCRDs) UnmarshalYAML(n *yaml.Node) error {
	var raw map[string]yaml.Node
	if err := n.Decode(&raw); err != nil {
		return err
	}
	*c = KubernetesCRDs{}
	for name, node := range raw {
		i := slices.IndexFunc(k8sCRDSets, func(set *k8sCRDSet) bool { return set.name == name && set.newData != nil })
		if i < 0 {
			return fmt.Errorf("line %d: crds: no CRD set %q keeps its data here", node.Line, name)
		}
		// Re-encoded, because a yaml.Node decodes without KnownFields.
		b, err := yaml.Marshal(&node)
		if err != nil {
			return err
		}
		data := k8sCRDSets[i].newData()
		dec := yaml.NewDecoder(bytes.NewReader(b))
		dec.KnownFields(true)
		if err := dec.Decode(data); err != nil {
			return fmt.Errorf("crds: %s (from line %d): %w", name, node.Line, err)
		}
		(*c)[name] = data
	}
	return nil
}
