package simulator

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

const k8sNSToken = "namespace-reader-token"

// k8sNamespacesScenario: the test scenario, namespace shop labelled and
// created at a time of its own, and an account that may read namespaces.
func k8sNamespacesScenario() *KubernetesScenario {
	sc := k8sTestScenario(time.Now())
	sc.Namespaces[0].Labels = map[string]string{"team": "web"}
	sc.Namespaces[0].CreationTimestamp = "2026-01-02T03:04:05.6Z"
	sc.ServiceAccounts = append(sc.ServiceAccounts,
		KubernetesServiceAccount{Namespace: "velero", Name: "lister", Token: k8sNSToken, Resources: []string{"namespaces"}})
	return sc
}

func TestKubernetesNamespaces(t *testing.T) {
	s, c := k8sStart(t, k8sNamespacesScenario())
	code, m := k8sGet(t, c, s, "/api/v1/namespaces", k8sNSToken)
	if code != 200 || m["apiVersion"] != "v1" || m["kind"] != "NamespaceList" {
		t.Fatalf("%d %v", code, m)
	}
	var names []string
	for _, it := range k8sItems(t, m) {
		md := k8sMeta(it)
		names = append(names, md["name"].(string))
		if it["kind"] != "Namespace" || it["apiVersion"] != "v1" || md["uid"] == "" || md["resourceVersion"] == "" {
			t.Errorf("namespace %v", it)
		}
		if _, ok := md["namespace"]; ok {
			t.Errorf("a namespace has a namespace: %v", md)
		}
		if it["status"].(map[string]any)["phase"] != "Active" {
			t.Errorf("status %v", it["status"])
		}
	}
	if strings.Join(names, " ") != "billing shop trident-protect" {
		t.Errorf("names %v", names)
	}

	code, ns := k8sGet(t, c, s, "/api/v1/namespaces/shop", k8sNSToken)
	md := k8sMeta(ns)
	want := map[string]any{"team": "web", "kubernetes.io/metadata.name": "shop"}
	if code != 200 || !reflect.DeepEqual(md["labels"], want) || md["creationTimestamp"] != "2026-01-02T03:04:05Z" {
		t.Errorf("shop: %d %v", code, md)
	}
	if _, b := k8sGet(t, c, s, "/api/v1/namespaces/billing", k8sNSToken); k8sMeta(b)["creationTimestamp"] != k8sDefaultTime {
		t.Errorf("billing: %v", k8sMeta(b))
	}
	code, m = k8sGet(t, c, s, "/api/v1/namespaces/nowhere", k8sNSToken)
	k8sWantStatus(t, code, m, 404, "NotFound", `namespaces "nowhere" not found`)

	// Paged like any list.
	pages, metas := 0, []map[string]any{}
	cont := ""
	for {
		p := "/api/v1/namespaces?limit=2"
		if cont != "" {
			p += "&continue=" + cont
		}
		_, m := k8sGet(t, c, s, p, k8sNSToken)
		pages++
		metas = append(metas, k8sMeta(m))
		if cont, _ = k8sMeta(m)["continue"].(string); cont == "" {
			break
		}
	}
	if pages != 2 || metas[0]["remainingItemCount"] != float64(1) {
		t.Errorf("%d pages: %v", pages, metas)
	}

	// RBAC: the demo account may not list namespaces; a namespace is read
	// in its own scope.
	code, m = k8sGet(t, c, s, "/api/v1/namespaces", KubernetesDemoToken)
	k8sWantStatus(t, code, m, 403, "Forbidden", `namespaces is forbidden: User "system:serviceaccount:trident-protect:backup-exporter" cannot list resource "namespaces" in API group "" at the cluster scope`)
	code, m = k8sGet(t, c, s, "/api/v1/namespaces/shop", k8sShopToken)
	k8sWantStatus(t, code, m, 403, "Forbidden", `namespaces "shop" is forbidden: User "system:serviceaccount:shop:shop-reader" cannot get resource "namespaces" in API group "" in the namespace "shop"`)
	if code, m := k8sGet(t, c, s, "/api/v1/namespaces/shop", k8sVaultToken); code != 200 {
		t.Errorf("vault-reader (*): %d %v", code, m)
	}

	// Changing a namespace gives it a new resource version; a new
	// namespace is listed.
	rv := md["resourceVersion"]
	if err := s.UpdateKubernetesNamespace("shop", func(ns *KubernetesNamespace) { ns.Labels["team"] = "shop" }); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateKubernetesNamespace("new", func(*KubernetesNamespace) {}); err != nil {
		t.Fatal(err)
	}
	_, ns = k8sGet(t, c, s, "/api/v1/namespaces/shop", k8sNSToken)
	if md := k8sMeta(ns); md["resourceVersion"] == rv || md["labels"].(map[string]any)["team"] != "shop" {
		t.Errorf("after the change: %v", md)
	}
	if code, _ := k8sGet(t, c, s, "/api/v1/namespaces/new", k8sNSToken); code != 200 {
		t.Errorf("new namespace: %d", code)
	}

	code, m = k8sGet(t, c, s, "/api/v1", KubernetesDemoToken)
	if res := m["resources"].([]any); code != 200 || m["groupVersion"] != "v1" || res[0].(map[string]any)["name"] != "namespaces" {
		t.Errorf("/api/v1: %d %v", code, m)
	}
}

func TestKubernetesNamespacesYAML(t *testing.T) {
	sc, err := ParseScenario(strings.NewReader(`
now: "2026-11-24T06:00:00Z"
kubernetes:
  namespaces:
    - name: velero
      labels: {app.kubernetes.io/name: velero}
      creation_timestamp: "2026-11-20T06:00:00Z"
`))
	if err != nil {
		t.Fatal(err)
	}
	sc.Rebase(time.Hour)
	if got := sc.Kubernetes.Namespaces[0].CreationTimestamp; got != "2026-11-20T07:00:00Z" {
		t.Errorf("rebased %q", got)
	}
	sc.Kubernetes.ServiceAccounts = []KubernetesServiceAccount{{Namespace: "a", Name: "b", Token: "t", Resources: []string{"*"}}}
	s, c := k8sStart(t, sc.Kubernetes)
	_, m := k8sGet(t, c, s, "/api/v1/namespaces/velero", "t")
	if md := k8sMeta(m); md["labels"].(map[string]any)["app.kubernetes.io/name"] != "velero" || md["creationTimestamp"] != "2026-11-20T07:00:00Z" {
		t.Errorf("served %v", md)
	}
}
