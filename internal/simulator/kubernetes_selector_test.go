package simulator

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestK8sLabelSelectorParse: the selectors of the Kubernetes labels page
// and of apimachinery's grammar parse, the malformed ones do not.
func TestK8sLabelSelectorParse(t *testing.T) {
	for _, s := range []string{
		"", "a=b", "a==b", "a!=b", "a=", "a", "!a", "a in (b,c)", "a notin (b)", "a in ()", "a in (,b)",
		"x>1", "x<-2", " a = b , c in ( d , e ) ", "velero.io/backup-name=nightly-1", "in=notin",
	} {
		if _, err := parseK8sLabelSelector(s); err != nil {
			t.Errorf("%q: %v", s, err)
		}
	}
	for _, s := range []string{
		",", "a=b,", "a=b c", "a in b", "a in (b", "a in (b c)", "!a=b", "x>y", "x>=1", "=b",
		"-a=b", "a=-b", "A.com/b=c", "a/b/c=d", "a=" + strings.Repeat("b", 64),
	} {
		if _, err := parseK8sLabelSelector(s); err == nil || !strings.HasPrefix(err.Error(), "unable to parse requirement: ") {
			t.Errorf("%q: %v", s, err)
		}
	}
}

// TestK8sLabelSelectorMatches: equality, sets, existence and their
// negations (which match objects without the key), ANDed.
func TestK8sLabelSelectorMatches(t *testing.T) {
	labels := map[string]string{"app": "db", "tier": "gold", "n": "5"}
	for sel, want := range map[string]bool{
		"": true, "app=db": true, "app==web": false, "app!=web": true, "team!=x": true,
		"app in (web,db)": true, "app notin (db)": false, "team notin (x)": true, "team in (x)": false,
		"app": true, "!app": false, "!team": true, "team": false, "app=db,tier=gold": true, "app=db,tier=x": false,
		"n>4": true, "n<5": false, "app>1": false, "team=": false, "app in (,db)": true,
	} {
		s, err := parseK8sLabelSelector(sel)
		if err != nil {
			t.Fatalf("%q: %v", sel, err)
		}
		if got := s.matches(labels); got != want {
			t.Errorf("%q matches %v, want %v", sel, got, want)
		}
	}
}

// TestKubernetesListsHonourLabelSelector: a list with labelSelector
// returns the matching objects only, paged over the matches (the continue
// token resumes after the last one returned), without remainingItemCount;
// namespaces are selected by their labels (kubernetes.io/metadata.name
// included); a selector that does not parse is a 400.
func TestKubernetesListsHonourLabelSelector(t *testing.T) {
	sc := testWidgetScenario()
	d := sc.CRDs["test_widgets"].(*testWidgets)
	for i := range d.Widgets {
		w := &d.Widgets[i]
		switch {
		case w.Namespace != "shop":
			// billing's have no parity label
		case w.Size%2 == 0:
			w.Labels = map[string]string{"parity": "even"}
		default:
			w.Labels = map[string]string{"parity": "odd"}
		}
	}
	sc.Namespaces = append(sc.Namespaces, KubernetesNamespace{Name: "quiet", Labels: map[string]string{"velero.io/exclude-from-backup": "true"}})
	sc.ServiceAccounts = append(sc.ServiceAccounts, KubernetesServiceAccount{Namespace: "a", Name: "all", Token: "all", Resources: []string{"*"}})
	s, c := k8sStart(t, sc)
	list := func(path, selector string, limit int) ([]string, []map[string]any) {
		t.Helper()
		var names []string
		var metas []map[string]any
		cont := ""
		for range 20 {
			q := url.Values{"labelSelector": {selector}}
			if limit > 0 {
				q.Set("limit", strconv.Itoa(limit))
			}
			if cont != "" {
				q.Set("continue", cont)
			}
			code, m := k8sGet(t, c, s, path+"?"+q.Encode(), "all")
			if code != 200 {
				t.Fatalf("%s %q: %d %v", path, selector, code, m)
			}
			metas = append(metas, k8sMeta(m))
			for _, it := range k8sItems(t, m) {
				ns, _ := k8sMeta(it)["namespace"].(string)
				names = append(names, strings.TrimPrefix(ns+"/"+k8sMeta(it)["name"].(string), "/"))
			}
			if cont, _ = k8sMeta(m)["continue"].(string); cont == "" {
				return names, metas
			}
		}
		t.Fatal("no end of list")
		return nil, nil
	}
	got, metas := list(testWidgetGV+"/widgets", "parity=even", 2)
	if strings.Join(got, " ") != "shop/w-2 shop/w-4 shop/w-6" || len(metas) != 2 {
		t.Errorf("even widgets: %v over %d pages", got, len(metas))
	}
	for _, m := range metas {
		if _, ok := m["remainingItemCount"]; ok {
			t.Errorf("remainingItemCount with a selector: %v", m)
		}
	}
	if got, _ := list(testWidgetGV+"/namespaces/shop/widgets", "parity notin (even)", 0); strings.Join(got, " ") != "shop/w-1 shop/w-3 shop/w-5 shop/w-7" {
		t.Errorf("shop's odd widgets: %v", got)
	}
	if got, _ := list(testWidgetGV+"/widgets", "!parity", 0); strings.Join(got, " ") != "billing/w-1 billing/w-2" {
		t.Errorf("widgets without parity: %v", got)
	}
	if got, _ := list("/api/v1/namespaces", "velero.io/exclude-from-backup=true", 0); !slices.Equal(got, []string{"quiet"}) {
		t.Errorf("excluded namespaces: %v", got)
	}
	if got, _ := list("/api/v1/namespaces", "kubernetes.io/metadata.name in (shop,billing)", 1); !slices.Equal(got, []string{"billing", "shop"}) {
		t.Errorf("namespaces by name: %v", got)
	}
	code, m := k8sGet(t, c, s, testWidgetGV+"/widgets?labelSelector="+url.QueryEscape("parity in even"), "all")
	k8sWantStatus(t, code, m, 400, "BadRequest", "unable to parse requirement: found 'even', expected: '('")
}

// TestKubernetesSecretsRefusedAndCounted: every request for Secrets, in a
// namespace or across all, list or get, is a 403 whatever the account may
// read (even "*"), and each is counted in Stats.Secrets, a request
// without a token too (401).
func TestKubernetesSecretsRefusedAndCounted(t *testing.T) {
	sc := k8sTestScenario(time.Now())
	sc.ServiceAccounts = append(sc.ServiceAccounts, KubernetesServiceAccount{Namespace: "a", Name: "admin", Token: "admin", Resources: []string{"*"}, Verbs: []string{"*"}})
	s, c := k8sStart(t, sc)
	for _, tc := range []struct{ path, message string }{
		{"/api/v1/secrets", `secrets is forbidden: User "system:serviceaccount:a:admin" cannot list resource "secrets" in API group "" at the cluster scope`},
		{"/api/v1/namespaces/velero/secrets", `secrets is forbidden: User "system:serviceaccount:a:admin" cannot list resource "secrets" in API group "" in the namespace "velero"`},
		{"/api/v1/namespaces/velero/secrets/cloud-credentials", `secrets "cloud-credentials" is forbidden: User "system:serviceaccount:a:admin" cannot get resource "secrets" in API group "" in the namespace "velero"`},
	} {
		code, m := k8sGet(t, c, s, tc.path, "admin")
		k8sWantStatus(t, code, m, 403, "Forbidden", tc.message)
	}
	code, m := k8sGet(t, c, s, "/api/v1/namespaces/shop/secrets", "")
	k8sWantStatus(t, code, m, 401, "Unauthorized", "")
	if st := s.Stats(); st.Secrets != 4 || st.Requests["GET /api/v1/namespaces/velero/secrets"] != 1 {
		t.Errorf("stats: %d secrets requests, %v", st.Secrets, st.Requests)
	}
	if code, m := k8sGet(t, c, s, "/api/v1/namespaces", "admin"); code != 200 || len(k8sItems(t, m)) == 0 {
		t.Errorf("namespaces beside: %d %v", code, m)
	}
	if st := s.Stats(); st.Secrets != 4 {
		t.Errorf("a namespaces list counted as secrets: %d", st.Secrets)
	}
}
