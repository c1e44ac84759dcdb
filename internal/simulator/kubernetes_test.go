package simulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"
)

const (
	k8sGV          = "/apis/protect.trident.netapp.io/v1"
	k8sShopToken   = "shop-reader-token"
	k8sVaultToken  = "vault-reader-token"
	k8sWatchToken  = "watcher-token"
	k8sTestBackups = 7
)

// k8sTestScenario: namespace shop with 7 backups of app web (one running
// with a failed hook, one being deleted), billing with 2, an AppVault in
// trident-protect, and four accounts.
func k8sTestScenario(now time.Time) *KubernetesScenario {
	ts := func(d time.Duration) string { return now.Add(-d).UTC().Format(time.RFC3339) }
	shop := KubernetesNamespace{
		Name:         "shop",
		Applications: []TridentApplication{{KubernetesMeta: KubernetesMeta{Name: "web", CreationTimestamp: ts(720 * time.Hour)}}},
		Schedules: []TridentSchedule{{
			KubernetesMeta: KubernetesMeta{Name: "web-daily"}, ApplicationRef: "web", AppVaultRef: "vault",
			Granularity: "Daily", Hour: "1", Minute: "0", BackupRetention: "7", SnapshotRetention: "2",
			LastScheduleTime: ts(5 * time.Hour), LastBackup: &TridentRecoveryPoint{Name: "web-6", CreationTimestamp: ts(29 * time.Hour)},
		}, {
			KubernetesMeta: KubernetesMeta{Name: "web-custom"}, ApplicationRef: "web", AppVaultRef: "vault",
			Granularity: "Custom", RecurrenceRule: "DTSTART:20220101T000200Z\nRRULE:FREQ=MINUTELY;INTERVAL=5",
			BackupRetention: "0", SnapshotRetention: "2", Enabled: ptr(false),
		}},
	}
	for i := 1; i <= k8sTestBackups; i++ {
		b := TridentBackup{
			KubernetesMeta: KubernetesMeta{Name: fmt.Sprintf("web-%d", i), CreationTimestamp: ts(time.Duration(8-i) * 24 * time.Hour)},
			ApplicationRef: "web", AppVaultRef: "vault", DataMover: "Kopia",
			State: "Completed", CompletionTimestamp: ts(time.Duration(8-i)*24*time.Hour - 10*time.Minute),
		}
		switch i {
		case 1:
			b.DeletionTimestamp = ts(time.Minute)
			b.Finalizers = []string{"example.com/finalizer"}
		case 7:
			b.State, b.CompletionTimestamp = "Running", ""
			b.HookRuns = []TridentHookRun{{Stage: "Post", Action: "Snapshot", ExecHookRef: "web-unquiesce", PodName: "web-0",
				ContainerName: "web", ContainerImage: "nginx:1", Failures: []TridentHookFailure{{Error: "exit 2", ExitCode: ptr(2), IsExecError: true}}}}
		}
		shop.Backups = append(shop.Backups, b)
	}
	billing := KubernetesNamespace{
		Name:         "billing",
		Applications: []TridentApplication{{KubernetesMeta: KubernetesMeta{Name: "ledger"}}},
		Backups: []TridentBackup{
			{KubernetesMeta: KubernetesMeta{Name: "ledger-1"}, ApplicationRef: "ledger", AppVaultRef: "vault", State: "Failed", Error: "boom", CompletionTimestamp: ts(time.Hour)},
			{KubernetesMeta: KubernetesMeta{Name: "ledger-2"}, ApplicationRef: "ledger", AppVaultRef: "vault", State: "Error", Error: "vault unreachable"},
		},
	}
	vaults := KubernetesNamespace{Name: "trident-protect", AppVaults: []TridentAppVault{{KubernetesMeta: KubernetesMeta{Name: "vault"}, BucketName: "b"}}}
	return &KubernetesScenario{
		ServiceAccounts: []KubernetesServiceAccount{
			DefaultKubernetesServiceAccount(),
			{Namespace: "shop", Name: "shop-reader", Token: k8sShopToken, Namespaces: []string{"shop"}},
			{Namespace: "trident-protect", Name: "vault-reader", Token: k8sVaultToken, Resources: []string{"*"}},
			{Namespace: "trident-protect", Name: "watcher", Token: k8sWatchToken, Verbs: []string{"*"}},
		},
		Namespaces: []KubernetesNamespace{shop, billing, vaults},
	}
}

func k8sStart(t *testing.T, sc *KubernetesScenario) (*Server, *http.Client) {
	t.Helper()
	s, err := Start(Options{Scenario: &Scenario{Kubernetes: sc}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	c := s.Client()
	c.Timeout = 30 * time.Second
	t.Cleanup(c.CloseIdleConnections)
	return s, c
}

func k8sGet(t *testing.T, c *http.Client, s *Server, path, token string) (int, map[string]any) {
	t.Helper()
	resp, body := do(t, c, s, http.MethodGet, path, token)
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("GET %s: %d %q: %v", path, resp.StatusCode, body, err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("GET %s: content type %q", path, ct)
	}
	return resp.StatusCode, m
}

// k8sWantStatus checks a Status error object.
func k8sWantStatus(t *testing.T, code int, m map[string]any, wantCode int, reason, message string) {
	t.Helper()
	if code != wantCode || m["kind"] != "Status" || m["apiVersion"] != "v1" || m["status"] != "Failure" ||
		m["reason"] != reason || m["code"] != float64(wantCode) {
		t.Fatalf("status %d %v, want %d %s", code, m, wantCode, reason)
	}
	if _, ok := m["metadata"].(map[string]any); !ok {
		t.Errorf("no metadata object: %v", m)
	}
	if message != "" && m["message"] != message {
		t.Errorf("message\n got %q\nwant %q", m["message"], message)
	}
}

func k8sItems(t *testing.T, m map[string]any) []map[string]any {
	t.Helper()
	raw, ok := m["items"].([]any)
	if !ok {
		t.Fatalf("no items: %v", m)
	}
	out := make([]map[string]any, len(raw))
	for i, it := range raw {
		out[i] = it.(map[string]any)
	}
	return out
}

func k8sName(it map[string]any) string {
	md := it["metadata"].(map[string]any)
	return md["namespace"].(string) + "/" + md["name"].(string)
}

func k8sMeta(m map[string]any) map[string]any { return m["metadata"].(map[string]any) }

func TestKubernetesAuth(t *testing.T) {
	s, c := k8sStart(t, k8sTestScenario(time.Now()))
	for _, tok := range []string{"", "wrong-token"} {
		code, m := k8sGet(t, c, s, k8sGV+"/backups", tok)
		k8sWantStatus(t, code, m, 401, "Unauthorized", "Unauthorized")
	}
	const forbidden = `backups.protect.trident.netapp.io is forbidden: User "system:serviceaccount:shop:shop-reader" cannot list resource "backups" in API group "protect.trident.netapp.io" at the cluster scope`
	code, m := k8sGet(t, c, s, k8sGV+"/backups", k8sShopToken)
	k8sWantStatus(t, code, m, 403, "Forbidden", forbidden)
	if d := m["details"].(map[string]any); d["group"] != TridentProtectGroup || d["kind"] != "backups" {
		t.Errorf("details %v", d)
	}
	code, m = k8sGet(t, c, s, k8sGV+"/namespaces/billing/backups", k8sShopToken)
	k8sWantStatus(t, code, m, 403, "Forbidden", `backups.protect.trident.netapp.io is forbidden: User "system:serviceaccount:shop:shop-reader" cannot list resource "backups" in API group "protect.trident.netapp.io" in the namespace "billing"`)
	code, m = k8sGet(t, c, s, k8sGV+"/namespaces/billing/backups/ledger-1", k8sShopToken)
	k8sWantStatus(t, code, m, 403, "Forbidden", `backups.protect.trident.netapp.io "ledger-1" is forbidden: User "system:serviceaccount:shop:shop-reader" cannot get resource "backups" in API group "protect.trident.netapp.io" in the namespace "billing"`)
	code, m = k8sGet(t, c, s, k8sGV+"/namespaces/shop/backups", k8sShopToken)
	if code != 200 || len(k8sItems(t, m)) != k8sTestBackups {
		t.Fatalf("shop-reader in shop: %d %v", code, m)
	}
	// watch is a verb of its own.
	code, m = k8sGet(t, c, s, k8sGV+"/backups?watch=true", KubernetesDemoToken)
	k8sWantStatus(t, code, m, 403, "Forbidden", strings.Replace(strings.Replace(forbidden, "cannot list", "cannot watch", 1), "shop:shop-reader", KubernetesDemoNamespace+":"+KubernetesDemoServiceAccount, 1))
	code, m = k8sGet(t, c, s, k8sGV+"/backups?watch=1", k8sWatchToken)
	k8sWantStatus(t, code, m, 400, "BadRequest", "")

	// Anonymous: 403 instead of 401, /version allowed.
	sc := k8sTestScenario(time.Now())
	sc.AnonymousAuth = true
	s2, c2 := k8sStart(t, sc)
	code, m = k8sGet(t, c2, s2, k8sGV+"/backups", "")
	k8sWantStatus(t, code, m, 403, "Forbidden", `backups.protect.trident.netapp.io is forbidden: User "system:anonymous" cannot list resource "backups" in API group "protect.trident.netapp.io" at the cluster scope`)
	code, m = k8sGet(t, c2, s2, "/apis", "")
	k8sWantStatus(t, code, m, 403, "Forbidden", `forbidden: User "system:anonymous" cannot get path "/apis"`)
	if code, m = k8sGet(t, c2, s2, "/version", ""); code != 200 || m["gitVersion"] != KubernetesDefaultVersion || m["minor"] != "31" {
		t.Errorf("/version: %d %v", code, m)
	}
	code, m = k8sGet(t, c2, s2, k8sGV+"/backups", "wrong")
	k8sWantStatus(t, code, m, 401, "Unauthorized", "Unauthorized")
}

func TestKubernetesAppVaultsRefused(t *testing.T) {
	s, c := k8sStart(t, k8sTestScenario(time.Now()))
	s.ResetStats()
	for _, p := range []string{"/appvaults", "/namespaces/trident-protect/appvaults", "/namespaces/trident-protect/appvaults/vault"} {
		code, m := k8sGet(t, c, s, k8sGV+p, KubernetesDemoToken)
		k8sWantStatus(t, code, m, 403, "Forbidden", "")
		if !strings.Contains(m["message"].(string), `cannot `) || !strings.Contains(m["message"].(string), `resource "appvaults"`) {
			t.Errorf("%s: %v", p, m["message"])
		}
	}
	if n := s.KubernetesRequestCount(TridentAppVaults); n != 3 {
		t.Errorf("appvaults requests %d, want 3", n)
	}
	code, m := k8sGet(t, c, s, k8sGV+"/appvaults", k8sVaultToken)
	if code != 200 || m["kind"] != "AppVaultList" || len(k8sItems(t, m)) != 1 {
		t.Fatalf("vault-reader: %d %v", code, m)
	}
	v := k8sItems(t, m)[0]
	spec := v["spec"].(map[string]any)
	if spec["providerType"] != "AWS" || spec["providerConfig"].(map[string]any)["s3"].(map[string]any)["bucketName"] != "b" {
		t.Errorf("appvault spec %v", spec)
	}
	// Unknown resources: 404 for "*", 403 otherwise.
	code, m = k8sGet(t, c, s, k8sGV+"/namespaces/shop/snapshots", k8sVaultToken)
	k8sWantStatus(t, code, m, 404, "NotFound", "the server could not find the requested resource")
	code, m = k8sGet(t, c, s, k8sGV+"/namespaces/shop/snapshots", KubernetesDemoToken)
	k8sWantStatus(t, code, m, 403, "Forbidden", "")

	s.ResetStats()
	for _, p := range []string{"/applications", "/backups", "/schedules", "/namespaces/shop/backups/web-1"} {
		if code, _ := k8sGet(t, c, s, k8sGV+p, KubernetesDemoToken); code != 200 {
			t.Errorf("%s: %d", p, code)
		}
	}
	if n := s.KubernetesRequestCount(TridentAppVaults); n != 0 {
		t.Errorf("appvaults requests %d after reading the others", n)
	}
	if n := s.KubernetesRequestCount(TridentBackups); n != 2 {
		t.Errorf("backups requests %d, want 2", n)
	}
	if st := s.Stats(); st.APIs[KubernetesAPI] != 4 {
		t.Errorf("stats %v", st.APIs)
	}
}

// k8sPages lists path with limit, following continue, and returns the
// names and each page's metadata.
func k8sPages(t *testing.T, c *http.Client, s *Server, path string, limit int) ([]string, []map[string]any) {
	t.Helper()
	var names []string
	var metas []map[string]any
	cont := ""
	for range 1000 {
		p := fmt.Sprintf("%s?limit=%d", path, limit)
		if cont != "" {
			p += "&continue=" + cont
		}
		code, m := k8sGet(t, c, s, p, KubernetesDemoToken)
		if code != 200 {
			t.Fatalf("GET %s: %d %v", p, code, m)
		}
		items := k8sItems(t, m)
		if len(items) > limit {
			t.Fatalf("%d items > limit %d", len(items), limit)
		}
		for _, it := range items {
			names = append(names, k8sName(it))
		}
		md := k8sMeta(m)
		metas = append(metas, md)
		cont, _ = md["continue"].(string)
		if cont == "" {
			return names, metas
		}
	}
	t.Fatal("no end of list")
	return nil, nil
}

func TestKubernetesPaging(t *testing.T) {
	s, c := k8sStart(t, k8sTestScenario(time.Now()))
	names, metas := k8sPages(t, c, s, k8sGV+"/namespaces/shop/backups", 3)
	if len(metas) != 3 || len(names) != k8sTestBackups {
		t.Fatalf("%d pages, %d names: %v", len(metas), len(names), names)
	}
	for i, want := range []any{float64(4), float64(1), nil} {
		if metas[i]["remainingItemCount"] != want {
			t.Errorf("page %d remainingItemCount %v, want %v", i, metas[i]["remainingItemCount"], want)
		}
		if metas[i]["resourceVersion"] != metas[0]["resourceVersion"] || metas[i]["resourceVersion"] != s.KubernetesResourceVersion() {
			t.Errorf("page %d resourceVersion %v", i, metas[i]["resourceVersion"])
		}
	}
	if !sort.StringsAreSorted(names) {
		t.Errorf("not in key order: %v", names)
	}
	unpaged, _ := k8sPages(t, c, s, k8sGV+"/namespaces/shop/backups", 100)
	if !reflect.DeepEqual(names, unpaged) {
		t.Errorf("paged %v, unpaged %v", names, unpaged)
	}

	// All namespaces: storage key order (namespace/name), across pages.
	all, metas := k8sPages(t, c, s, k8sGV+"/backups", 4)
	if len(all) != k8sTestBackups+2 || len(metas) != 3 || all[0] != "billing/ledger-1" || all[2] != "shop/web-1" {
		t.Errorf("all namespaces: %d pages %v", len(metas), all)
	}
	// No limit: one page, no continue.
	code, m := k8sGet(t, c, s, k8sGV+"/backups", KubernetesDemoToken)
	if md := k8sMeta(m); code != 200 || md["continue"] != nil || md["remainingItemCount"] != nil || len(k8sItems(t, m)) != len(all) {
		t.Errorf("unlimited: %d %v", code, md)
	}
	// Bad parameters.
	code, m = k8sGet(t, c, s, k8sGV+"/backups?limit=x", KubernetesDemoToken)
	k8sWantStatus(t, code, m, 400, "BadRequest", "")
	code, m = k8sGet(t, c, s, k8sGV+"/backups?limit=1&continue=not-a-token", KubernetesDemoToken)
	k8sWantStatus(t, code, m, 400, "BadRequest", "")
	if !strings.HasPrefix(m["message"].(string), "invalid continue token: ") {
		t.Errorf("message %q", m["message"])
	}
	_, m = k8sGet(t, c, s, k8sGV+"/backups?limit=1", KubernetesDemoToken)
	tok := k8sMeta(m)["continue"].(string)
	code, m = k8sGet(t, c, s, k8sGV+"/backups?limit=1&resourceVersion=5&continue="+tok, KubernetesDemoToken)
	k8sWantStatus(t, code, m, 400, "BadRequest", "specifying resource version is not allowed when using continue")
}

func TestKubernetesContinueExpired(t *testing.T) {
	s, c := k8sStart(t, k8sTestScenario(time.Now()))
	path := k8sGV + "/namespaces/shop/backups"
	first := func() (string, string) {
		code, m := k8sGet(t, c, s, path+"?limit=3", KubernetesDemoToken)
		if code != 200 {
			t.Fatalf("%d %v", code, m)
		}
		md := k8sMeta(m)
		return md["continue"].(string), md["resourceVersion"].(string)
	}
	expired := func(tok string) string {
		t.Helper()
		code, m := k8sGet(t, c, s, path+"?limit=3&continue="+tok, KubernetesDemoToken)
		k8sWantStatus(t, code, m, 410, "Expired", k8sInconsistentContinue)
		next, _ := k8sMeta(m)["continue"].(string)
		if next == "" {
			t.Fatalf("410 without metadata.continue: %v", m)
		}
		return next
	}

	// ExpireContinueTokens: the old token is gone, its 410 token
	// continues (inconsistently), a fresh list works.
	tok, rv := first()
	s.ExpireContinueTokens()
	next := expired(tok)
	code, m := k8sGet(t, c, s, path+"?limit=3&continue="+next, KubernetesDemoToken)
	if code != 200 || len(k8sItems(t, m)) != 3 || k8sName(k8sItems(t, m)[0]) != "shop/web-4" {
		t.Fatalf("inconsistent continue: %d %v", code, m)
	}
	if k8sMeta(m)["resourceVersion"] == rv {
		t.Errorf("resourceVersion did not move on")
	}
	names, _ := k8sPages(t, c, s, path, 3)
	if len(names) != k8sTestBackups {
		t.Errorf("fresh list after expiry: %v", names)
	}

	// ExpireNextContinue: the next continue request only.
	tok, _ = first()
	s.ExpireNextContinue(1)
	expired(tok)
	if code, m := k8sGet(t, c, s, path+"?limit=3&continue="+tok, KubernetesDemoToken); code != 200 {
		t.Errorf("second use of the token: %d %v", code, m)
	}
	// ...also through /_sim/.
	req, _ := http.NewRequest(http.MethodPost, s.URL()+"/_sim/kubernetes/expire-continue?next=1", nil)
	if resp, err := c.Do(req); err != nil || resp.StatusCode != 204 {
		t.Fatalf("expire-continue: %v %v", resp, err)
	}
	expired(tok)

	// A change of the data expires the tokens of lists begun before.
	tok, _ = first()
	if err := s.SetKubernetesBackupState("shop", "web-7", "Completed"); err != nil {
		t.Fatal(err)
	}
	expired(tok)

	// Tokens older than continue_ttl.
	tok, _ = first()
	ct, err := decodeK8sContinue(tok)
	if err != nil {
		t.Fatal(err)
	}
	ct.T = time.Now().Add(-KubernetesDefaultContinueTTL - time.Minute).Unix()
	expired(encodeK8sContinue(ct))
	ct.T = time.Now().Add(-KubernetesDefaultContinueTTL + time.Minute).Unix()
	if code, m := k8sGet(t, c, s, path+"?limit=3&continue="+encodeK8sContinue(ct), KubernetesDemoToken); code != 200 {
		t.Errorf("young token: %d %v", code, m)
	}

	// A list at an old resourceVersion.
	code, m = k8sGet(t, c, s, path+"?limit=3&resourceVersion=1", KubernetesDemoToken)
	k8sWantStatus(t, code, m, 410, "Expired", k8sListExpired)
}

func TestKubernetesNamespacedAndAll(t *testing.T) {
	now := time.Now().UTC()
	s, c := k8sStart(t, k8sTestScenario(now))
	counts := map[string]int{}
	for _, res := range []string{"applications", "backups", "schedules"} {
		code, m := k8sGet(t, c, s, k8sGV+"/"+res, KubernetesDemoToken)
		if code != 200 || m["apiVersion"] != TridentProtectAPIVersion || m["kind"] != k8sKinds[res]+"List" {
			t.Fatalf("%s: %d %v", res, code, m)
		}
		for _, it := range k8sItems(t, m) {
			if it["apiVersion"] != TridentProtectAPIVersion || it["kind"] != k8sKinds[res] {
				t.Errorf("%s item %v", res, it)
			}
			md := k8sMeta(it)
			for _, f := range []string{"name", "namespace", "uid", "resourceVersion", "creationTimestamp"} {
				if s, _ := md[f].(string); s == "" {
					t.Errorf("%s %s: no metadata.%s", res, k8sName(it), f)
				}
			}
			counts[res+" "+md["namespace"].(string)]++
		}
		for _, ns := range []string{"shop", "billing"} {
			code, m := k8sGet(t, c, s, k8sGV+"/namespaces/"+ns+"/"+res, KubernetesDemoToken)
			if code != 200 || len(k8sItems(t, m)) != counts[res+" "+ns] {
				t.Errorf("%s in %s: %d, %d items, want %d", res, ns, code, len(k8sItems(t, m)), counts[res+" "+ns])
			}
		}
	}
	if counts["backups shop"] != k8sTestBackups || counts["backups billing"] != 2 || counts["schedules shop"] != 2 || counts["applications billing"] != 1 {
		t.Errorf("counts %v", counts)
	}
	// A namespace without objects lists empty.
	if code, m := k8sGet(t, c, s, k8sGV+"/namespaces/nowhere/backups", KubernetesDemoToken); code != 200 || len(k8sItems(t, m)) != 0 {
		t.Errorf("empty namespace: %d %v", code, m)
	}
	code, m := k8sGet(t, c, s, k8sGV+"/namespaces/shop/backups/nope", KubernetesDemoToken)
	k8sWantStatus(t, code, m, 404, "NotFound", `backups.protect.trident.netapp.io "nope" not found`)
	if d := m["details"].(map[string]any); d["name"] != "nope" || d["kind"] != "backups" {
		t.Errorf("details %v", d)
	}

	// The shapes.
	_, b := k8sGet(t, c, s, k8sGV+"/namespaces/shop/backups/web-7", KubernetesDemoToken)
	if b["kind"] != "Backup" || k8sMeta(b)["name"] != "web-7" {
		t.Fatalf("get: %v", b)
	}
	spec, status := b["spec"].(map[string]any), b["status"].(map[string]any)
	if spec["applicationRef"] != "web" || spec["appVaultRef"] != "vault" || spec["reclaimPolicy"] != "Retain" || spec["dataMover"] != "Kopia" || spec["cleanupSnapshot"] != true {
		t.Errorf("backup spec %v", spec)
	}
	if v, ok := status["completionTimestamp"]; !ok || v != nil || status["state"] != "Running" {
		t.Errorf("running backup status %v", status)
	}
	hooks, _ := status["postSnapshotExecHooksRunResults"].([]any)
	if len(hooks) != 1 {
		t.Fatalf("hook results %v", status)
	}
	h := hooks[0].(map[string]any)
	f := h["failures"].([]any)[0].(map[string]any)
	if h["execHookRef"] != "web-unquiesce" || h["namespace"] != "shop" || h["podUID"] == "" || f["exitCode"] != float64(2) || f["isExecError"] != true || f["isTimeout"] != false {
		t.Errorf("hook result %v", h)
	}
	if _, ok := status["conditions"].([]any); !ok {
		t.Errorf("no conditions array: %v", status)
	}
	_, b = k8sGet(t, c, s, k8sGV+"/namespaces/shop/backups/web-1", KubernetesDemoToken)
	md, status := k8sMeta(b), b["status"].(map[string]any)
	if md["deletionTimestamp"] != now.Add(-time.Minute).Format(time.RFC3339) || md["deletionGracePeriodSeconds"] != float64(0) || md["finalizers"] == nil {
		t.Errorf("deleting backup metadata %v", md)
	}
	if status["state"] != "Completed" || status["completionTimestamp"] == nil || !strings.HasPrefix(status["appArchivePath"].(string), "web_") {
		t.Errorf("completed backup status %v", status)
	}
	_, b = k8sGet(t, c, s, k8sGV+"/namespaces/billing/backups/ledger-1", KubernetesDemoToken)
	if st := b["status"].(map[string]any); st["state"] != "Failed" || st["error"] != "boom" {
		t.Errorf("failed backup status %v", st)
	}
	_, sch := k8sGet(t, c, s, k8sGV+"/namespaces/shop/schedules/web-daily", KubernetesDemoToken)
	spec = sch["spec"].(map[string]any)
	if spec["granularity"] != "Daily" || spec["hour"] != "1" || spec["minute"] != "0" || spec["backupRetention"] != "7" || spec["enabled"] != true || spec["snapshotReclaimPolicy"] != "Delete" {
		t.Errorf("schedule spec %v", spec)
	}
	lrp := sch["status"].(map[string]any)["lastRecoveryPoints"].(map[string]any)
	if lrp["backup"].(map[string]any)["name"] != "web-6" {
		t.Errorf("schedule status %v", sch["status"])
	}
	_, sch = k8sGet(t, c, s, k8sGV+"/namespaces/shop/schedules/web-custom", KubernetesDemoToken)
	if spec := sch["spec"].(map[string]any); spec["granularity"] != "Custom" || spec["enabled"] != false || !strings.Contains(spec["recurrenceRule"].(string), "RRULE:FREQ=MINUTELY;INTERVAL=5") {
		t.Errorf("custom schedule %v", spec)
	}
	_, app := k8sGet(t, c, s, k8sGV+"/namespaces/billing/applications/ledger", KubernetesDemoToken)
	if inc := app["spec"].(map[string]any)["includedNamespaces"].([]any); len(inc) != 1 || inc[0].(map[string]any)["namespace"] != "billing" {
		t.Errorf("application spec %v", app["spec"])
	}

	// Server methods change what is served, with a new resourceVersion.
	rv := s.KubernetesResourceVersion()
	if err := s.AddKubernetesBackup("billing", TridentBackup{KubernetesMeta: KubernetesMeta{Name: "ledger-3"}, ApplicationRef: "ledger", State: "Pending"}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteKubernetesBackup("billing", "ledger-1"); err != nil {
		t.Fatal(err)
	}
	_, m = k8sGet(t, c, s, k8sGV+"/namespaces/billing/backups", KubernetesDemoToken)
	var got []string
	for _, it := range k8sItems(t, m) {
		got = append(got, k8sName(it)+"="+it["status"].(map[string]any)["state"].(string))
	}
	if strings.Join(got, " ") != "billing/ledger-2=Error billing/ledger-3=Pending" || k8sMeta(m)["resourceVersion"] == rv {
		t.Errorf("after changes: %v %v", got, k8sMeta(m))
	}
	if err := s.AddKubernetesBackup("billing", TridentBackup{KubernetesMeta: KubernetesMeta{Name: "Bad_Name"}, ApplicationRef: "ledger"}); err == nil {
		t.Error("bad name accepted")
	}
}

func TestKubernetesDiscoveryAndFaults(t *testing.T) {
	s, c := k8sStart(t, nil)
	if code, m := k8sGet(t, c, s, "/apis", KubernetesDemoToken); code != 200 || m["kind"] != "APIGroupList" {
		t.Errorf("/apis: %d %v", code, m)
	}
	if code, m := k8sGet(t, c, s, k8sGV, KubernetesDemoToken); code != 200 || m["groupVersion"] != TridentProtectAPIVersion || len(m["resources"].([]any)) != 8 {
		t.Errorf("%s: %d %v", k8sGV, code, m)
	}
	if code, m := k8sGet(t, c, s, "/api", KubernetesDemoToken); code != 200 || m["kind"] != "APIVersions" {
		t.Errorf("/api: %d %v", code, m)
	}
	code, m := k8sGet(t, c, s, "/api/v1/namespaces/x/secrets", KubernetesDemoToken)
	k8sWantStatus(t, code, m, 403, "Forbidden", "")
	if n := s.Stats().Secrets; n != 1 {
		t.Errorf("%d secrets requests counted, want 1", n)
	}
	if code, m := k8sGet(t, c, s, k8sGV+"/backups", KubernetesDemoToken); code != 200 || len(k8sItems(t, m)) != 0 {
		t.Errorf("empty scenario: %d %v", code, m)
	}

	for _, tc := range []struct {
		status int
		reason string
	}{{429, "TooManyRequests"}, {500, "InternalError"}, {410, "Expired"}, {403, "Forbidden"}, {503, "ServiceUnavailable"}} {
		if err := s.AddFault(Fault{API: KubernetesAPI, Path: "/backups$", Status: tc.status, Times: 1}); err != nil {
			t.Fatal(err)
		}
		resp, body := do(t, c, s, http.MethodGet, k8sGV+"/backups", KubernetesDemoToken)
		var m map[string]any
		json.Unmarshal(body, &m)
		k8sWantStatus(t, resp.StatusCode, m, tc.status, tc.reason, "")
		if tc.status == 429 && (resp.Header.Get("Retry-After") == "" || m["details"].(map[string]any)["retryAfterSeconds"] != float64(1)) {
			t.Errorf("429: %v %v", resp.Header, m)
		}
	}
	kc := string(s.KubernetesKubeconfig("tok"))
	if !strings.Contains(kc, "server: "+s.URL()) || !strings.Contains(kc, "certificate-authority-data: ") || !strings.Contains(kc, `token: "tok"`) {
		t.Errorf("kubeconfig:\n%s", kc)
	}
}

func TestKubernetesScenarioYAML(t *testing.T) {
	sc, err := ParseScenario(strings.NewReader(`
now: "2026-11-24T06:00:00Z"
kubernetes:
  continue_ttl: 30s
  service_accounts:
    - {namespace: tp, name: exporter, token: t1}
  namespaces:
    - name: shop
      applications:
        - name: web
          included_namespaces: [{namespace: shop, match_labels: {app: web}}]
      schedules:
        - {name: web-daily, application_ref: web, granularity: Daily, hour: "1", minute: "0", backup_retention: 15, snapshot_retention: 2, last_schedule_time: "2026-11-24T01:00:00Z"}
      backups:
        - name: web-1
          application_ref: web
          state: Failed
          creation_timestamp: "2026-11-24T01:00:00Z"
          completion_timestamp: "2026-11-24T01:02:00.5Z"
          hook_runs:
            - {stage: Pre, action: Snapshot, exec_hook_ref: q, failures: [{error: x, exit_code: 1, is_exec_error: true}]}
`))
	if err != nil {
		t.Fatal(err)
	}
	k := sc.Kubernetes
	if k.Namespaces[0].Schedules[0].BackupRetention != "15" || time.Duration(k.ContinueTTL) != 30*time.Second {
		t.Fatalf("decoded %+v", k)
	}
	sc.Rebase(time.Hour)
	b := k.Namespaces[0].Backups[0]
	if b.CreationTimestamp != "2026-11-24T02:00:00Z" || b.CompletionTimestamp != "2026-11-24T02:02:00.5Z" || k.Namespaces[0].Schedules[0].LastScheduleTime != "2026-11-24T02:00:00Z" {
		t.Errorf("rebased %+v", b)
	}
	s, c := k8sStart(t, k)
	_, m := k8sGet(t, c, s, k8sGV+"/namespaces/shop/backups/web-1", "t1")
	st := m["status"].(map[string]any)
	if st["completionTimestamp"] != "2026-11-24T02:02:00Z" || st["preSnapshotExecHooksRunResults"] == nil {
		t.Errorf("served %v", st)
	}

	for _, bad := range []string{
		`{namespaces: [{name: shop, schedules: [{name: s, application_ref: a, granularity: Yearly}]}]}`,
		`{namespaces: [{name: shop, schedules: [{name: s, application_ref: a, granularity: Daily, backup_retention: "-1"}]}]}`,
		`{namespaces: [{name: shop, backups: [{name: b}]}]}`,
		`{namespaces: [{name: shop, backups: [{name: b, application_ref: a}, {name: b, application_ref: a}]}]}`,
		`{namespaces: [{name: Shop}]}`,
		`{service_accounts: [{namespace: a, name: b, token: t, resources: [secrets]}]}`,
	} {
		sc, err := ParseScenario(strings.NewReader("kubernetes: " + bad))
		if err != nil {
			t.Fatalf("%s: %v", bad, err)
		}
		if s, err := Start(Options{Scenario: sc}); err == nil {
			s.Close()
			t.Errorf("accepted %s", bad)
		}
	}
}

func TestKubernetesDemo(t *testing.T) {
	s, c := startDemo(t)
	code, m := k8sGet(t, c, s, k8sGV+"/backups", KubernetesDemoToken)
	if code != 200 {
		t.Fatalf("%d %v", code, m)
	}
	states := map[string]int{}
	for _, it := range k8sItems(t, m) {
		states[it["status"].(map[string]any)["state"].(string)]++
	}
	for _, st := range []string{"Completed", "Running", "Failed", "Error"} {
		if states[st] == 0 {
			t.Errorf("demo has no %s backup: %v", st, states)
		}
	}
	code, m = k8sGet(t, c, s, k8sGV+"/appvaults", KubernetesDemoToken)
	k8sWantStatus(t, code, m, 403, "Forbidden", "")
}

func TestGenerateTridentProtect(t *testing.T) {
	now := time.Date(2026, 11, 24, 6, 30, 0, 0, time.UTC)
	const nss, apps, backups = 4, 10, 12
	sc := GenerateTridentProtect(nss, apps, backups, now)
	if !reflect.DeepEqual(sc, GenerateTridentProtect(nss, apps, backups, now)) {
		t.Fatal("not deterministic")
	}
	if len(sc.Namespaces) != nss+1 || sc.ServiceAccounts[0].Token != KubernetesDemoToken {
		t.Fatalf("%d namespaces", len(sc.Namespaces))
	}
	states, grans := map[string]int{}, map[string]int{}
	var total, hookFailed, noBackups, noSchedule, deleting, disabled int
	for _, ns := range sc.Namespaces[1:] {
		if len(ns.Applications) != apps {
			t.Fatalf("%s: %d apps", ns.Name, len(ns.Applications))
		}
		perApp := map[string]int{}
		for _, b := range ns.Backups {
			perApp[b.ApplicationRef]++
			states[b.State]++
			total++
			if len(b.HookRuns) > 0 {
				hookFailed++
			}
			if b.DeletionTimestamp != "" {
				deleting++
			}
			created, _ := time.Parse(time.RFC3339, b.CreationTimestamp)
			if created.After(now) {
				t.Errorf("%s/%s created in the future", ns.Name, b.Name)
			}
			if (b.State == "Running") != (b.CompletionTimestamp == "" && b.State != "Error") {
				t.Errorf("%s/%s: state %s, completion %q", ns.Name, b.Name, b.State, b.CompletionTimestamp)
			}
		}
		sched := map[string]bool{}
		for _, s := range ns.Schedules {
			grans[s.Granularity]++
			sched[s.ApplicationRef] = true
			if s.Enabled != nil && !*s.Enabled {
				disabled++
			}
			if (s.Granularity == "Custom") != (s.RecurrenceRule != "") {
				t.Errorf("%s: granularity %s rule %q", s.Name, s.Granularity, s.RecurrenceRule)
			}
		}
		for _, a := range ns.Applications {
			switch perApp[a.Name] {
			case 0:
				noBackups++
			case backups:
			default:
				t.Errorf("%s/%s: %d backups", ns.Name, a.Name, perApp[a.Name])
			}
			if !sched[a.Name] {
				noSchedule++
			}
		}
	}
	for _, g := range []string{"Hourly", "Daily", "Weekly", "Monthly", "Custom"} {
		if grans[g] == 0 {
			t.Errorf("no %s schedule: %v", g, grans)
		}
	}
	for _, st := range []string{"Completed", "Running", "Failed"} {
		if states[st] == 0 {
			t.Errorf("no %s backup: %v", st, states)
		}
	}
	if hookFailed == 0 || noBackups == 0 || noSchedule == 0 || deleting == 0 || disabled == 0 {
		t.Errorf("mix: hooks %d, no backups %d, no schedule %d, deleting %d, disabled %d", hookFailed, noBackups, noSchedule, deleting, disabled)
	}
	t.Logf("%d backups: %v; schedules %v", total, states, grans)

	// Served, and paged through whole.
	s, c := k8sStart(t, sc)
	names, metas := k8sPages(t, c, s, k8sGV+"/backups", 50)
	if len(names) != total || len(metas) != (total+49)/50 {
		t.Errorf("listed %d of %d in %d pages", len(names), total, len(metas))
	}
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			t.Errorf("%s twice", n)
		}
		seen[n] = true
	}
	if !sort.StringsAreSorted(names) {
		t.Error("not in key order")
	}
}

func BenchmarkKubernetesListBackups(b *testing.B) {
	sc := GenerateTridentProtect(50, 10, 30, time.Now())
	s, err := Start(Options{Scenario: &Scenario{Kubernetes: sc}})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	c := s.Client()
	b.ResetTimer()
	for range b.N {
		req, _ := http.NewRequest(http.MethodGet, s.URL()+k8sGV+"/backups?limit=500", nil)
		req.Header.Set("Authorization", "Bearer "+KubernetesDemoToken)
		resp, err := c.Do(req)
		if err != nil || resp.StatusCode != 200 {
			b.Fatal(resp, err)
		}
		resp.Body.Close()
	}
}

func TestKubernetesConcurrentChanges(t *testing.T) {
	s, c := k8sStart(t, GenerateTridentProtect(3, 5, 10, time.Now()))
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 50 {
			state := []string{"Running", "Completed"}[i%2]
			if err := s.SetKubernetesBackupState("tp-001", "app-01-"+firstBackupSuffix(t, s), state); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for range 20 {
		code, m := k8sGet(t, c, s, k8sGV+"/backups?limit=40", KubernetesDemoToken)
		if code != 200 || len(k8sItems(t, m)) != 40 {
			t.Fatalf("%d %v", code, k8sMeta(m))
		}
	}
	<-done
}

// firstBackupSuffix is the name of app-01's first backup in tp-001 without
// the "app-01-" prefix.
func firstBackupSuffix(t *testing.T, s *Server) string {
	var name string
	s.mu.Lock()
	for _, ns := range s.k8s.sc.Namespaces {
		if ns.Name == "tp-001" {
			name = ns.Backups[0].Name
		}
	}
	s.mu.Unlock()
	return strings.TrimPrefix(name, "app-01-")
}
