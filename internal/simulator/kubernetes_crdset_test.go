package simulator

import (
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

// A second CRD set, registered by this test file only, served side by side
// with Trident protect: group example.simulator.test, version v1alpha1,
// widgets (namespaced) and gadgets (cluster-scoped), its data in
// KubernetesScenario.CRDs["test_widgets"]. It is the whole of what a CRD
// set's file holds: its types, clone, checks, objects and JSON, and the
// registration.

const (
	testWidgetGroup   = "example.simulator.test"
	testWidgetVersion = "v1alpha1"
	testWidgetGV      = "/apis/" + testWidgetGroup + "/" + testWidgetVersion
	testWidgetToken   = "widget-reader-token"
)

// testWidgets is the set's data.
type testWidgets struct {
	Widgets []testWidget `yaml:"widgets"`
	Gadgets []testGadget `yaml:"gadgets"`
}

type testWidget struct {
	KubernetesMeta `yaml:",inline"`
	Namespace      string `yaml:"namespace"`
	Size           int    `yaml:"size"`
	BuiltAt        string `yaml:"built_at"`
}

type testGadget struct {
	KubernetesMeta `yaml:",inline"`
	Color          string `yaml:"color"`
}

func init() {
	registerK8sCRDSet(&k8sCRDSet{
		name:    "test_widgets",
		group:   testWidgetGroup,
		version: testWidgetVersion,
		resources: []k8sResourceType{
			{"widgets", "Widget", true},
			{"gadgets", "Gadget", false},
		},
		newData: func() any { return &testWidgets{} },
		clone: func(dst, src *KubernetesScenario) {
			if d, ok := src.CRDs["test_widgets"].(*testWidgets); ok {
				c := &testWidgets{}
				for _, w := range d.Widgets {
					w.KubernetesMeta = w.KubernetesMeta.clone()
					c.Widgets = append(c.Widgets, w)
				}
				for _, g := range d.Gadgets {
					g.KubernetesMeta = g.KubernetesMeta.clone()
					c.Gadgets = append(c.Gadgets, g)
				}
				dst.CRDs["test_widgets"] = c
			}
		},
		normalize: func(sc *KubernetesScenario) error {
			d, _ := sc.CRDs["test_widgets"].(*testWidgets)
			for i := range d.widgets() {
				if d.Widgets[i].Size < 0 {
					return fmt.Errorf("widget %q: size %d < 0", d.Widgets[i].Name, d.Widgets[i].Size)
				}
			}
			return nil
		},
		objects: func(sc *KubernetesScenario, resource string, fn func(k8sObject)) {
			d, _ := sc.CRDs["test_widgets"].(*testWidgets)
			switch resource {
			case "widgets":
				for i := range d.widgets() {
					w := &d.Widgets[i]
					fn(k8sObject{w.Namespace, &w.KubernetesMeta, func() any {
						return k8sObjectJSON{testWidgetGroup + "/" + testWidgetVersion, "Widget", w.metaJSON(w.Namespace, ""),
							map[string]int{"size": w.Size}, map[string]string{"builtAt": k8sTime(w.BuiltAt)}}
					}})
				}
			case "gadgets":
				for i := range d.gadgets() {
					g := &d.Gadgets[i]
					fn(k8sObject{"", &g.KubernetesMeta, func() any {
						return k8sObjectJSON{testWidgetGroup + "/" + testWidgetVersion, "Gadget", g.metaJSON("", ""),
							map[string]string{"color": g.Color}, nil}
					}})
				}
			}
		},
	})
}

func (d *testWidgets) widgets() []testWidget {
	if d == nil {
		return nil
	}
	return d.Widgets
}

func (d *testWidgets) gadgets() []testGadget {
	if d == nil {
		return nil
	}
	return d.Gadgets
}

// testWidgetScenario: the Trident protect test scenario, 7 widgets in
// shop, 2 in billing, 5 gadgets, and an account that reads widgets and
// gadgets only.
func testWidgetScenario() *KubernetesScenario {
	sc := k8sTestScenario(time.Now())
	d := &testWidgets{}
	for i := 7; i >= 1; i-- { // out of order: served in key order
		d.Widgets = append(d.Widgets, testWidget{KubernetesMeta: KubernetesMeta{Name: fmt.Sprintf("w-%d", i)}, Namespace: "shop", Size: i})
	}
	d.Widgets = append(d.Widgets,
		testWidget{KubernetesMeta: KubernetesMeta{Name: "w-1"}, Namespace: "billing"},
		testWidget{KubernetesMeta: KubernetesMeta{Name: "w-2"}, Namespace: "billing"})
	for _, c := range []string{"red", "green", "blue", "cyan", "amber"} {
		d.Gadgets = append(d.Gadgets, testGadget{KubernetesMeta: KubernetesMeta{Name: c}, Color: c})
	}
	sc.CRDs = KubernetesCRDs{"test_widgets": d}
	sc.ServiceAccounts = append(sc.ServiceAccounts, KubernetesServiceAccount{
		Namespace: "shop", Name: "widget-reader", Token: testWidgetToken, Resources: []string{"widgets", "gadgets"},
	})
	return sc
}

func TestKubernetesSecondCRDSet(t *testing.T) {
	s, c := k8sStart(t, testWidgetScenario())

	// Paging, namespaced and across namespaces.
	pages := func(path string, limit int) []string {
		t.Helper()
		var names []string
		cont := ""
		for range 100 {
			p := fmt.Sprintf("%s?limit=%d", path, limit)
			if cont != "" {
				p += "&continue=" + cont
			}
			code, m := k8sGet(t, c, s, p, testWidgetToken)
			if code != 200 || len(k8sItems(t, m)) > limit {
				t.Fatalf("GET %s: %d %v", p, code, m)
			}
			for _, it := range k8sItems(t, m) {
				md := k8sMeta(it)
				ns, _ := md["namespace"].(string)
				names = append(names, strings.TrimPrefix(ns+"/"+md["name"].(string), "/"))
			}
			if cont, _ = k8sMeta(m)["continue"].(string); cont == "" {
				return names
			}
		}
		t.Fatal("no end of list")
		return nil
	}
	if got := pages(testWidgetGV+"/namespaces/shop/widgets", 3); strings.Join(got, " ") != "shop/w-1 shop/w-2 shop/w-3 shop/w-4 shop/w-5 shop/w-6 shop/w-7" {
		t.Errorf("widgets in shop: %v", got)
	}
	if got := pages(testWidgetGV+"/widgets", 4); len(got) != 9 || got[0] != "billing/w-1" || !sort.StringsAreSorted(got) {
		t.Errorf("all widgets: %v", got)
	}
	if got := pages(testWidgetGV+"/gadgets", 2); strings.Join(got, " ") != "amber blue cyan green red" {
		t.Errorf("gadgets: %v", got)
	}
	code, m := k8sGet(t, c, s, testWidgetGV+"/gadgets?limit=2", testWidgetToken)
	if md := k8sMeta(m); code != 200 || m["kind"] != "GadgetList" || m["apiVersion"] != testWidgetGroup+"/"+testWidgetVersion || md["remainingItemCount"] != float64(3) {
		t.Errorf("gadget list: %d %v", code, m)
	}

	// Get, both scopes.
	code, w := k8sGet(t, c, s, testWidgetGV+"/namespaces/shop/widgets/w-4", testWidgetToken)
	if code != 200 || w["kind"] != "Widget" || w["spec"].(map[string]any)["size"] != float64(4) || k8sMeta(w)["uid"] == "" {
		t.Errorf("widget: %d %v", code, w)
	}
	code, g := k8sGet(t, c, s, testWidgetGV+"/gadgets/cyan", testWidgetToken)
	if _, ok := k8sMeta(g)["namespace"]; code != 200 || g["spec"].(map[string]any)["color"] != "cyan" || ok {
		t.Errorf("gadget: %d %v", code, g)
	}
	code, m = k8sGet(t, c, s, testWidgetGV+"/gadgets/mauve", testWidgetToken)
	k8sWantStatus(t, code, m, 404, "NotFound", `gadgets.example.simulator.test "mauve" not found`)
	code, m = k8sGet(t, c, s, testWidgetGV+"/namespaces/shop/gadgets", testWidgetToken)
	k8sWantStatus(t, code, m, 404, "NotFound", "the server could not find the requested resource")

	// RBAC by resource: each account reads its own set's resources only.
	code, m = k8sGet(t, c, s, testWidgetGV+"/widgets", KubernetesDemoToken)
	k8sWantStatus(t, code, m, 403, "Forbidden", `widgets.example.simulator.test is forbidden: User "system:serviceaccount:trident-protect:backup-exporter" cannot list resource "widgets" in API group "example.simulator.test" at the cluster scope`)
	code, m = k8sGet(t, c, s, k8sGV+"/backups", testWidgetToken)
	k8sWantStatus(t, code, m, 403, "Forbidden", `backups.protect.trident.netapp.io is forbidden: User "system:serviceaccount:shop:widget-reader" cannot list resource "backups" in API group "protect.trident.netapp.io" at the cluster scope`)
	if code, m := k8sGet(t, c, s, k8sGV+"/namespaces/shop/backups", KubernetesDemoToken); code != 200 || len(k8sItems(t, m)) != k8sTestBackups {
		t.Errorf("Trident protect beside it: %d %v", code, m)
	}

	// 404 for what nobody registered: another version, another group.
	for _, p := range []string{"/apis/" + testWidgetGroup + "/v1/widgets", "/apis/other.example/v1alpha1/widgets"} {
		resp, body := do(t, c, s, http.MethodGet, p, testWidgetToken)
		if resp.StatusCode != 404 || string(body) != "404 page not found\n" {
			t.Errorf("GET %s: %d %q", p, resp.StatusCode, body)
		}
	}

	// Discovery names both groups; gadgets are cluster-scoped.
	_, m = k8sGet(t, c, s, "/apis", KubernetesDemoToken)
	var groups []string
	for _, g := range m["groups"].([]any) {
		groups = append(groups, g.(map[string]any)["name"].(string))
	}
	if !slices.Contains(groups, testWidgetGroup) || !slices.Contains(groups, TridentProtectGroup) {
		t.Errorf("groups %v", groups)
	}
	_, m = k8sGet(t, c, s, testWidgetGV, KubernetesDemoToken)
	if r := m["resources"].([]any)[2].(map[string]any); r["name"] != "gadgets" || r["namespaced"] != false {
		t.Errorf("discovery %v", m)
	}

	// A change to a namespace gives its objects of every set a new
	// resource version.
	rv := k8sMeta(w)["resourceVersion"]
	if err := s.UpdateKubernetesNamespace("shop", func(*KubernetesNamespace) {}); err != nil {
		t.Fatal(err)
	}
	if _, w := k8sGet(t, c, s, testWidgetGV+"/namespaces/shop/widgets/w-4", testWidgetToken); k8sMeta(w)["resourceVersion"] == rv {
		t.Errorf("resourceVersion %v did not move on", rv)
	}
}

func TestKubernetesSecondCRDSetYAML(t *testing.T) {
	sc, err := ParseScenario(strings.NewReader(`
kubernetes:
  namespaces: [{name: shop}]
  crds:
    test_widgets:
      widgets:
        - {name: w-1, namespace: shop, size: 3, built_at: "2026-11-24T01:00:00Z"}
      gadgets:
        - {name: red, color: red}
`))
	if err != nil {
		t.Fatal(err)
	}
	sc.Rebase(time.Hour)
	want := &testWidgets{
		Widgets: []testWidget{{KubernetesMeta: KubernetesMeta{Name: "w-1"}, Namespace: "shop", Size: 3, BuiltAt: "2026-11-24T02:00:00Z"}},
		Gadgets: []testGadget{{KubernetesMeta: KubernetesMeta{Name: "red"}, Color: "red"}},
	}
	if got := sc.Kubernetes.CRDs["test_widgets"]; !reflect.DeepEqual(got, want) {
		t.Errorf("decoded %+v", got)
	}
	sc.Kubernetes.ServiceAccounts = []KubernetesServiceAccount{{Namespace: "a", Name: "b", Token: "t", Resources: []string{"*"}}}
	s, c := k8sStart(t, sc.Kubernetes)
	if _, w := k8sGet(t, c, s, testWidgetGV+"/namespaces/shop/widgets/w-1", "t"); w["status"].(map[string]any)["builtAt"] != "2026-11-24T02:00:00Z" {
		t.Errorf("served %v", w)
	}

	for _, bad := range []string{
		`{crds: {test_widgets: {widgets: [{name: w, namespace: shop, colour: red}]}}}`, // unknown key
		`{crds: {nobody: {}}}`,
		`{crds: {trident_protect: {}}}`, // keeps its data in namespaces
		`{crds: {test_widgets: {gadgets: [{name: g, namespace: shop}]}}}`,
	} {
		if _, err := ParseScenario(strings.NewReader("kubernetes: " + bad)); err == nil {
			t.Errorf("parsed %s", bad)
		}
	}
	for _, bad := range []string{
		`{crds: {test_widgets: {widgets: [{name: w, namespace: nowhere}]}}}`,
		`{namespaces: [{name: shop}], crds: {test_widgets: {widgets: [{name: w, namespace: shop}, {name: w, namespace: shop}]}}}`,
		`{namespaces: [{name: shop}], crds: {test_widgets: {widgets: [{name: W, namespace: shop}]}}}`,
		`{namespaces: [{name: shop}], crds: {test_widgets: {widgets: [{name: w, namespace: shop, size: -1}]}}}`,
		`{crds: {test_widgets: {widgets: [{name: w}]}}}`,
	} {
		sc, err := ParseScenario(strings.NewReader("kubernetes: " + bad))
		if err != nil {
			t.Errorf("%s: %v", bad, err)
			continue
		}
		if s, err := Start(Options{Scenario: sc}); err == nil {
			s.Close()
			t.Errorf("accepted %s", bad)
		}
	}
}

// TestKubernetesGrantsByGroup: an account may be bound to API groups, as
// an RBAC rule's apiGroups, so that the same plural in two groups is told
// apart.
func TestKubernetesGrantsByGroup(t *testing.T) {
	sc := testWidgetScenario()
	sc.ServiceAccounts = append(sc.ServiceAccounts,
		KubernetesServiceAccount{Namespace: "a", Name: "tp", Token: "tp", Resources: []string{"*"}, APIGroups: []string{TridentProtectGroup}},
		KubernetesServiceAccount{Namespace: "a", Name: "core", Token: "core", Resources: []string{"*"}, APIGroups: []string{""}})
	s, c := k8sStart(t, sc)
	for _, tc := range []struct {
		token, path string
		code        int
	}{
		{"tp", k8sGV + "/backups", 200},
		{"tp", k8sGV + "/namespaces/shop/backups/web-1", 200},
		{"tp", testWidgetGV + "/widgets", 403},
		{"tp", "/apis/velero.io/v1/backups", 403},
		{"tp", "/api/v1/namespaces", 403},
		{"core", "/api/v1/namespaces", 200},
		{"core", "/api/v1/namespaces/shop", 200},
		{"core", k8sGV + "/backups", 403},
	} {
		if resp, _ := do(t, c, s, http.MethodGet, tc.path, tc.token); resp.StatusCode != tc.code {
			t.Errorf("%s %s: %d, want %d", tc.token, tc.path, resp.StatusCode, tc.code)
		}
	}
}
