package simulator

// The core/v1 namespaces of the scenario (GET /api/v1/namespaces and
// /api/v1/namespaces/{name}), served by the generic list and get.
//
// Sources: the Kubernetes API reference, Namespace v1 core (spec.finalizers,
// status.phase Active); "Well-Known Labels, Annotations and Taints"
// (kubernetes.io/docs/reference/labels-annotations-taints/): the control
// plane sets the immutable label kubernetes.io/metadata.name to the
// namespace's name on every namespace (since v1.21); apiserver
// endpoints/request/requestinfo.go: GET /api/v1/namespaces/{name} is
// authorized as a get of the resource "namespaces" in the namespace
// {name}, so a role bound in that namespace may read it.
//
// Chosen: a namespace's resource version is the one the scenario began
// with (it was there before its objects), or that of the last
// UpdateKubernetesNamespace of it; /api/v1 lists namespaces only.

// k8sNamespaceLabel is the label the control plane sets on every
// namespace.
const k8sNamespaceLabel = "kubernetes.io/metadata.name"

// k8sCore is the core group's namespaces, served like a cluster-scoped
// custom resource from the scenario's namespaces, but under /api/v1 and
// not registered as a CRD set.
var k8sCore = &k8sCRDSet{
	name:      "core",
	group:     "",
	version:   "v1",
	resources: []k8sResourceType{{"namespaces", "Namespace", false}},
	clone:     func(dst, src *KubernetesScenario) {},
	normalize: func(sc *KubernetesScenario) error { return nil },
	objects: func(sc *KubernetesScenario, resource string, fn func(k8sObject)) {
		if resource != "namespaces" {
			return
		}
		for n := range sc.Namespaces {
			m := &sc.Namespaces[n].meta
			fn(k8sObject{"", m, func() any { return k8sNamespaceJSON(*m) }})
		}
	},
}

// normalizeMeta fills the metadata the namespace is served with, keeping
// its resource version.
func (ns *KubernetesNamespace) normalizeMeta() {
	labels := cloneMap(ns.Labels)
	if labels == nil {
		labels = map[string]string{}
	}
	labels[k8sNamespaceLabel] = ns.Name
	ns.meta = KubernetesMeta{
		Name:              ns.Name,
		UID:               k8sUID("namespaces//" + ns.Name),
		CreationTimestamp: firstNonEmpty(ns.CreationTimestamp, k8sDefaultTime),
		Labels:            labels,
		rv:                ns.meta.rv,
	}
}

func k8sNamespaceJSON(m KubernetesMeta) k8sObjectJSON {
	return k8sObjectJSON{
		APIVersion: "v1", Kind: "Namespace", Metadata: m.metaJSON("", "v1"),
		Spec:   map[string][]string{"finalizers": {"kubernetes"}},
		Status: map[string]string{"phase": "Active"},
	}
}
