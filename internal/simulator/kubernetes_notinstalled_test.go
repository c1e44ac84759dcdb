package simulator

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestKubernetesNotInstalled: a group and version nobody registered (a
// CRD that is not installed) answers as the API server's end of chain, a
// text/plain 404, once the request is authorized; a 403 names the group.
func TestKubernetesNotInstalled(t *testing.T) {
	sc := k8sTestScenario(time.Now())
	sc.AnonymousAuth = true
	s, c := k8sStart(t, sc)
	plain404 := func(path, token string) {
		t.Helper()
		resp, body := do(t, c, s, http.MethodGet, path, token)
		if resp.StatusCode != 404 || string(body) != "404 page not found\n" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
			t.Errorf("GET %s: %d %q %q", path, resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
	}
	for _, p := range []string{
		"/apis/k8up.io/v1/namespaces/k8up/backups",
		"/apis/k8up.io/v1/backups?limit=10",
		"/apis/k8up.io/v1/namespaces/k8up/backups/daily-1",
		"/apis/k8up.io/v1",
		"/apis/k8up.io",
		"/apis/protect.trident.netapp.io/v2/backups", // a version the CRD does not serve
	} {
		plain404(p, k8sVaultToken) // granted "*"
	}
	// Grants are by resource name: the demo account reads "backups".
	plain404("/apis/k8up.io/v1/namespaces/k8up/backups", KubernetesDemoToken)

	code, m := k8sGet(t, c, s, "/apis/k8up.io/v1/namespaces/k8up/archives", KubernetesDemoToken)
	k8sWantStatus(t, code, m, 403, "Forbidden", `archives.k8up.io is forbidden: User "system:serviceaccount:trident-protect:backup-exporter" cannot list resource "archives" in API group "k8up.io" in the namespace "k8up"`)
	code, m = k8sGet(t, c, s, "/apis/k8up.io/v1/backups?watch=true", KubernetesDemoToken)
	k8sWantStatus(t, code, m, 403, "Forbidden", `backups.k8up.io is forbidden: User "system:serviceaccount:trident-protect:backup-exporter" cannot watch resource "backups" in API group "k8up.io" at the cluster scope`)
	code, m = k8sGet(t, c, s, "/apis/k8up.io/v1/namespaces/k8up/backups/b/status", KubernetesDemoToken)
	k8sWantStatus(t, code, m, 403, "Forbidden", `backups.k8up.io "b" is forbidden: User "system:serviceaccount:trident-protect:backup-exporter" cannot get resource "backups/status" in API group "k8up.io" in the namespace "k8up"`)
	code, m = k8sGet(t, c, s, "/apis/k8up.io/v1/namespaces/k8up/backups", "")
	k8sWantStatus(t, code, m, 403, "Forbidden", `backups.k8up.io is forbidden: User "system:anonymous" cannot list resource "backups" in API group "k8up.io" in the namespace "k8up"`)
	code, m = k8sGet(t, c, s, "/apis/k8up.io/v1", "")
	k8sWantStatus(t, code, m, 403, "Forbidden", `forbidden: User "system:anonymous" cannot get path "/apis/k8up.io/v1"`)
	code, m = k8sGet(t, c, s, "/apis/k8up.io/v1/backups", "wrong")
	k8sWantStatus(t, code, m, 401, "Unauthorized", "Unauthorized")
	req, _ := http.NewRequest(http.MethodDelete, s.URL()+"/apis/k8up.io/v1/namespaces/k8up/backups/b", nil)
	req.Header.Set("Authorization", "Bearer "+KubernetesDemoToken)
	if resp, err := c.Do(req); err != nil || resp.StatusCode != 403 {
		t.Errorf("DELETE without the verb: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}

	// A path of a registered group and version that serves no such
	// resource keeps the Status 404 of the go-restful routes.
	code, m = k8sGet(t, c, s, k8sGV+"/namespaces/shop/snapshots", k8sVaultToken)
	k8sWantStatus(t, code, m, 404, "NotFound", "the server could not find the requested resource")
}
