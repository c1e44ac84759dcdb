package simulator

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

const (
	azSub     = DefaultAzureSubscriptionID
	azANFBase = "/subscriptions/" + azSub + "/resourceGroups/demo-rg/providers/Microsoft.NetApp/netAppAccounts/demo-account"
	azPGBase  = "/subscriptions/" + azSub + "/resourceGroups/demo-rg/providers/Microsoft.DBforPostgreSQL/flexibleServers"
	azANFVer  = "?api-version=" + AzureNetAppAPIVersion
	azPGVer   = "?api-version=" + AzurePostgresAPIVersion
)

func azStart(t *testing.T, sc *AzureScenario) (*Server, *http.Client) {
	t.Helper()
	if sc == nil {
		demo, err := LoadScenario(filepath.Join("..", "..", "examples", "simulator", "demo.yml"))
		if err != nil {
			t.Fatal(err)
		}
		if demo.Azure == nil {
			t.Fatal("demo.yml has no azure section")
		}
		sc = demo.Azure
	}
	s, err := Start(Options{Scenario: &Scenario{Azure: sc}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(s.CAPEM()) {
		t.Fatal("bad CA PEM")
	}
	c := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool},
	}}
	t.Cleanup(c.CloseIdleConnections)
	return s, c
}

func azReq(t *testing.T, c *http.Client, method, u, token string, form url.Values) (*http.Response, map[string]any) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s %s: %d, not a JSON object: %v: %s", method, u, resp.StatusCode, err, b)
	}
	return resp, m
}

func azGet(t *testing.T, c *http.Client, s *Server, path, token string) (*http.Response, map[string]any) {
	t.Helper()
	return azReq(t, c, http.MethodGet, s.URL()+path, token, nil)
}

func azTokenForm(s *Server) url.Values {
	return url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {DefaultAzureClientID},
		"client_secret": {DefaultAzureClientSecret},
		// MSAL adds openid, offline_access and profile.
		"scope": {s.URL() + "/.default openid offline_access profile"},
	}
}

func azToken(t *testing.T, c *http.Client, s *Server) string {
	t.Helper()
	resp, m := azReq(t, c, http.MethodPost, s.URL()+"/"+DefaultAzureTenantID+"/oauth2/v2.0/token", "", azTokenForm(s))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("token: %d %v", resp.StatusCode, m)
	}
	tok, _ := m["access_token"].(string)
	if tok == "" || m["token_type"] != "Bearer" || m["expires_in"] != 3599.0 || m["ext_expires_in"] != 3599.0 {
		t.Fatalf("token response %v", m)
	}
	return tok
}

func azErrCode(t *testing.T, resp *http.Response, m map[string]any, status int, code string) string {
	t.Helper()
	e, _ := m["error"].(map[string]any)
	if resp.StatusCode != status || e == nil || e["code"] != code {
		t.Fatalf("want %d %s, got %d %v", status, code, resp.StatusCode, m)
	}
	msg, _ := e["message"].(string)
	if msg == "" {
		t.Fatalf("no message: %v", m)
	}
	return msg
}

func azKeys(m map[string]any) []string {
	var k []string
	for n := range m {
		k = append(k, n)
	}
	sort.Strings(k)
	return k
}

func TestAzureOpenIDConfiguration(t *testing.T) {
	s, c := azStart(t, nil)
	resp, m := azGet(t, c, s, "/"+DefaultAzureTenantID+"/v2.0/.well-known/openid-configuration", "")
	if resp.StatusCode != 200 {
		t.Fatalf("%d %v", resp.StatusCode, m)
	}
	base := s.URL() + "/" + DefaultAzureTenantID
	for k, want := range map[string]string{
		"token_endpoint":         base + "/oauth2/v2.0/token",
		"authorization_endpoint": base + "/oauth2/v2.0/authorize",
		"issuer":                 base + "/v2.0",
		"end_session_endpoint":   base + "/oauth2/v2.0/logout",
	} {
		if m[k] != want {
			t.Errorf("%s = %v, want %s", k, m[k], want)
		}
	}
	resp, m = azGet(t, c, s, "/00000000-0000-0000-0000-00000000dead/v2.0/.well-known/openid-configuration", "")
	if resp.StatusCode != 400 || !strings.HasPrefix(m["error_description"].(string), "AADSTS90002:") {
		t.Fatalf("unknown tenant: %d %v", resp.StatusCode, m)
	}
	resp, m = azGet(t, c, s, "/common/discovery/instance?api-version=1.1&authorization_endpoint="+
		url.QueryEscape(base+"/oauth2/v2.0/authorize"), "")
	if resp.StatusCode != 200 || m["tenant_discovery_endpoint"] != base+"/v2.0/.well-known/openid-configuration" {
		t.Fatalf("instance discovery: %d %v", resp.StatusCode, m)
	}
	// Astra's routes still win over the tenant catch-all.
	resp, _ = azGet(t, c, s, "/accounts/x/k8s/v1/apps", "")
	if resp.StatusCode != 401 {
		t.Fatalf("astra route: %d", resp.StatusCode)
	}
}

func TestAzureTokenErrors(t *testing.T) {
	s, c := azStart(t, nil)
	tokenURL := s.URL() + "/" + DefaultAzureTenantID + "/oauth2/v2.0/token"

	f := azTokenForm(s)
	f.Set("client_secret", "wrong")
	resp, m := azReq(t, c, http.MethodPost, tokenURL, "", f)
	if resp.StatusCode != 401 || m["error"] != "invalid_client" || !reflect.DeepEqual(m["error_codes"], []any{7000215.0}) ||
		!strings.HasPrefix(m["error_description"].(string), "AADSTS7000215: Invalid client secret provided") {
		t.Fatalf("wrong secret: %d %v", resp.StatusCode, m)
	}

	resp, m = azReq(t, c, http.MethodPost, s.URL()+"/00000000-0000-0000-0000-00000000dead/oauth2/v2.0/token", "", azTokenForm(s))
	if resp.StatusCode != 400 || m["error"] != "invalid_request" || !reflect.DeepEqual(m["error_codes"], []any{90002.0}) ||
		!strings.HasPrefix(m["error_description"].(string), "AADSTS90002: Tenant '00000000-0000-0000-0000-00000000dead' not found") {
		t.Fatalf("unknown tenant: %d %v", resp.StatusCode, m)
	}

	f = azTokenForm(s)
	f.Set("client_id", "00000000-0000-0000-0000-00000000beef")
	resp, m = azReq(t, c, http.MethodPost, tokenURL, "", f)
	if resp.StatusCode != 401 || m["error"] != "invalid_client" {
		t.Fatalf("unknown client: %d %v", resp.StatusCode, m)
	}

	f = azTokenForm(s)
	f.Set("scope", "https://management.azure.com/.default")
	resp, m = azReq(t, c, http.MethodPost, tokenURL, "", f)
	if resp.StatusCode != 400 || m["error"] != "invalid_scope" {
		t.Fatalf("wrong scope: %d %v", resp.StatusCode, m)
	}

	// A trailing slash on the resource is fine.
	f = azTokenForm(s)
	f.Set("scope", s.URL()+"//.default")
	if resp, m = azReq(t, c, http.MethodPost, tokenURL, "", f); resp.StatusCode != 200 {
		t.Fatalf("scope with slash: %d %v", resp.StatusCode, m)
	}
}

func TestAzureARMAuth(t *testing.T) {
	s, c := azStart(t, nil)
	path := azANFBase + "/capacityPools" + azANFVer

	resp, m := azGet(t, c, s, path, "")
	if msg := azErrCode(t, resp, m, 401, "InvalidAuthenticationToken"); msg != "The access token is invalid." {
		t.Errorf("message %q", msg)
	}
	if wa := resp.Header.Get("WWW-Authenticate"); !strings.HasPrefix(wa, `Bearer authorization_uri="`+s.URL()+"/") || !strings.Contains(wa, `error="invalid_token"`) {
		t.Errorf("WWW-Authenticate %q", wa)
	}
	resp, m = azGet(t, c, s, path, "not-a-token")
	azErrCode(t, resp, m, 401, "InvalidAuthenticationToken")

	tok := azToken(t, c, s)
	resp, m = azGet(t, c, s, path, tok)
	if resp.StatusCode != 200 {
		t.Fatalf("%d %v", resp.StatusCode, m)
	}
	if resp.Header.Get("x-ms-request-id") == "" {
		t.Error("no x-ms-request-id")
	}
	pools := m["value"].([]any)
	if len(pools) != 2 || pools[0].(map[string]any)["name"] != "demo-account/pool-premium" {
		t.Fatalf("pools %v", m)
	}
	if _, ok := m["nextLink"]; ok {
		t.Errorf("single page has nextLink: %v", m)
	}

	resp, m = azGet(t, c, s, azANFBase+"/capacityPools", tok)
	azErrCode(t, resp, m, 400, "MissingApiVersionParameter")
}

func TestAzureLatestBackupStatus(t *testing.T) {
	s, c := azStart(t, nil)
	tok := azToken(t, c, s)
	vol := azANFBase + "/capacityPools/pool-premium/volumes/"

	resp, m := azGet(t, c, s, vol+"app-data/latestBackupStatus/current"+azANFVer, tok)
	if resp.StatusCode != 200 {
		t.Fatalf("%d %v", resp.StatusCode, m)
	}
	// The field set of the document's example.
	want := []string{"errorMessage", "healthy", "lastTransferSize", "lastTransferType", "mirrorState", "relationshipStatus", "totalTransferBytes", "unhealthyReason"}
	if got := azKeys(m); !reflect.DeepEqual(got, want) {
		t.Fatalf("fields %v, want %v", got, want)
	}
	if m["healthy"] != true || m["relationshipStatus"] != "Idle" || m["mirrorState"] != "Mirrored" ||
		m["unhealthyReason"] != "" || m["lastTransferSize"] != 1073741824.0 || m["totalTransferBytes"] != 53687091200.0 {
		t.Fatalf("status %v", m)
	}

	_, m = azGet(t, c, s, vol+"media-share/latestBackupStatus/current"+azANFVer, tok)
	if m["relationshipStatus"] != "Transferring" || m["transferProgressBytes"] != 3607772528.0 {
		t.Fatalf("transferring %v", m)
	}
	_, m = azGet(t, c, s, azANFBase+"/capacityPools/pool-standard/volumes/erp-db/latestBackupStatus/current"+azANFVer, tok)
	if m["healthy"] != false || m["mirrorState"] != "Broken" || m["relationshipStatus"] != "Failed" || m["errorMessage"] == "" {
		t.Fatalf("broken %v", m)
	}

	resp, m = azGet(t, c, s, azANFBase+"/capacityPools/pool-standard/volumes/scratch/latestBackupStatus/current"+azANFVer, tok)
	if msg := azErrCode(t, resp, m, 404, "ResourceNotFound"); !strings.Contains(msg, "backup is not configured") {
		t.Errorf("message %q", msg)
	}
	resp, m = azGet(t, c, s, vol+"nope/latestBackupStatus/current"+azANFVer, tok)
	if msg := azErrCode(t, resp, m, 404, "ResourceNotFound"); !strings.Contains(msg, "Microsoft.NetApp/netAppAccounts/demo-account/capacityPools/pool-premium/volumes/nope") ||
		!strings.Contains(msg, "under resource group 'demo-rg' was not found") {
		t.Errorf("message %q", msg)
	}
	resp, m = azGet(t, c, s, "/subscriptions/"+azSub+"/resourceGroups/nope/providers/Microsoft.NetApp/netAppAccounts/demo-account/capacityPools"+azANFVer, tok)
	azErrCode(t, resp, m, 404, "ResourceGroupNotFound")
}

func TestAzureVolumesAndDelete(t *testing.T) {
	s, c := azStart(t, nil)
	tok := azToken(t, c, s)
	list := azANFBase + "/capacityPools/pool-standard/volumes" + azANFVer

	_, m := azGet(t, c, s, list, tok)
	vols := m["value"].([]any)
	if len(vols) != 2 {
		t.Fatalf("volumes %v", m)
	}
	v0 := vols[0].(map[string]any)
	props := v0["properties"].(map[string]any)
	bk := props["dataProtection"].(map[string]any)["backup"].(map[string]any)
	if v0["name"] != "demo-account/pool-standard/erp-db" || v0["type"] != "Microsoft.NetApp/netAppAccounts/capacityPools/volumes" ||
		v0["id"] != azANFBase+"/capacityPools/pool-standard/volumes/erp-db" ||
		bk["backupVaultId"] != azANFBase+"/backupVaults/demo-vault" || bk["backupPolicyId"] != azANFBase+"/backupPolicies/daily-7" {
		t.Fatalf("volume %v", v0)
	}
	if _, ok := vols[1].(map[string]any)["properties"].(map[string]any)["dataProtection"]; ok {
		t.Fatalf("volume without backup has dataProtection: %v", vols[1])
	}

	if err := s.DeleteANFVolume(azSub, "demo-rg", "demo-account", "pool-standard", "erp-db"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteANFVolume(azSub, "demo-rg", "demo-account", "pool-standard", "erp-db"); err == nil {
		t.Fatal("deleted twice")
	}
	_, m = azGet(t, c, s, list, tok)
	if vols = m["value"].([]any); len(vols) != 1 || vols[0].(map[string]any)["name"] != "demo-account/pool-standard/scratch" {
		t.Fatalf("after delete %v", m)
	}

	err := s.UpdateANFVolume(azSub, "demo-rg", "demo-account", "pool-standard", "scratch", func(v *ANFVolume) {
		v.Backup = &ANFVolumeBackup{Enabled: true, Vault: "demo-vault", Healthy: true}
	})
	if err != nil {
		t.Fatal(err)
	}
	resp, m := azGet(t, c, s, azANFBase+"/capacityPools/pool-standard/volumes/scratch/latestBackupStatus/current"+azANFVer, tok)
	if resp.StatusCode != 200 || m["relationshipStatus"] != "Idle" || m["mirrorState"] != "Mirrored" {
		t.Fatalf("after update %d %v", resp.StatusCode, m)
	}
}

func TestAzureBackupsPagination(t *testing.T) {
	sc := GenerateAzure(azSub, 1, 1, 0, 0, time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
	sc.PageSize = 3
	s, c := azStart(t, sc)
	tok := azToken(t, c, s)

	// 7 daily backups of one volume: pages of 3, 3, 1.
	next := s.URL() + azANFBase + "/backupVaults/demo-vault/backups" + azANFVer
	var names []string
	pages := 0
	for next != "" {
		pages++
		if pages > 5 {
			t.Fatal("too many pages")
		}
		if !strings.HasPrefix(next, s.URL()+azANFBase+"/backupVaults/demo-vault/backups?") || !strings.Contains(next, "api-version="+AzureNetAppAPIVersion) {
			t.Fatalf("nextLink %q", next)
		}
		resp, m := azReq(t, c, http.MethodGet, next, tok, nil)
		if resp.StatusCode != 200 {
			t.Fatalf("%d %v", resp.StatusCode, m)
		}
		for _, v := range m["value"].([]any) {
			b := v.(map[string]any)
			names = append(names, b["name"].(string))
			p := b["properties"].(map[string]any)
			if p["volumeResourceId"] != azANFBase+"/capacityPools/pool-01/volumes/vol-001" || p["backupType"] != "Scheduled" ||
				b["type"] != "Microsoft.NetApp/netAppAccounts/backupVaults/backups" {
				t.Fatalf("backup %v", b)
			}
			if _, err := time.Parse(time.RFC3339, p["creationDate"].(string)); err != nil {
				t.Fatal(err)
			}
		}
		next, _ = m["nextLink"].(string)
	}
	if pages != 3 || len(names) != 7 || names[6] != "demo-account/demo-vault/vol-001-daily-20261123" {
		t.Fatalf("%d pages, names %v", pages, names)
	}

	// The filter, with the page size.
	filter := url.QueryEscape("volumeResourceId eq '" + azANFBase + "/capacityPools/pool-01/volumes/vol-001'")
	_, m := azGet(t, c, s, azANFBase+"/backupVaults/demo-vault/backups"+azANFVer+"&$filter="+filter, tok)
	if len(m["value"].([]any)) != 3 || !strings.Contains(m["nextLink"].(string), "filter=") {
		t.Fatalf("filtered %v", m)
	}
	filter = url.QueryEscape("volumeResourceId eq '" + azANFBase + "/capacityPools/pool-01/volumes/other'")
	_, m = azGet(t, c, s, azANFBase+"/backupVaults/demo-vault/backups"+azANFVer+"&$filter="+filter, tok)
	if len(m["value"].([]any)) != 0 {
		t.Fatalf("filtered other %v", m)
	}
}

func TestAzureRateLimitAndFault(t *testing.T) {
	s, c := azStart(t, nil)
	tok := azToken(t, c, s)
	path := azANFBase + "/backupVaults" + azANFVer
	last := AzureRateLimitReads + 1
	for i := 0; i < 3; i++ {
		resp, m := azGet(t, c, s, path, tok)
		if resp.StatusCode != 200 || len(m["value"].([]any)) != 1 {
			t.Fatalf("%d %v", resp.StatusCode, m)
		}
		n, err := strconv.Atoi(resp.Header.Get("x-ms-ratelimit-remaining-subscription-reads"))
		if err != nil || n >= last {
			t.Fatalf("ratelimit header %q after %d", resp.Header.Get("x-ms-ratelimit-remaining-subscription-reads"), last)
		}
		last = n
	}

	if err := s.AddFault(Fault{API: AzureAPI, Path: "/backupVaults$", Status: 429, RetryAfter: "7", Times: 1}); err != nil {
		t.Fatal(err)
	}
	resp, m := azGet(t, c, s, path, tok)
	azErrCode(t, resp, m, 429, "TooManyRequests")
	if resp.Header.Get("Retry-After") != "7" {
		t.Errorf("Retry-After %q", resp.Header.Get("Retry-After"))
	}
	if resp, _ = azGet(t, c, s, path, tok); resp.StatusCode != 200 {
		t.Fatalf("after the fault: %d", resp.StatusCode)
	}
	if st := s.Stats(); st.APIs[AzureAPI] != 5 || st.APIs[EntraAPI] != 1 {
		t.Errorf("stats %v", st.APIs)
	}
}

func TestAzurePostgresLTR(t *testing.T) {
	s, c := azStart(t, nil)
	tok := azToken(t, c, s)

	_, m := azGet(t, c, s, azPGBase+azPGVer, tok)
	servers := m["value"].([]any)
	if len(servers) != 2 {
		t.Fatalf("servers %v", m)
	}
	sv := servers[0].(map[string]any)
	if sv["name"] != "pg-demo-1" || sv["type"] != "Microsoft.DBforPostgreSQL/flexibleServers" ||
		sv["properties"].(map[string]any)["state"] != "Ready" {
		t.Fatalf("server %v", sv)
	}

	_, m = azGet(t, c, s, azPGBase+"/pg-demo-1/ltrBackupOperations"+azPGVer, tok)
	ops := m["value"].([]any)
	if len(ops) != 3 {
		t.Fatalf("ops %v", m)
	}
	failed := ops[1].(map[string]any)["properties"].(map[string]any)
	if failed["status"] != "Failed" || failed["errorCode"] != "BackupOperationFailed" || failed["errorMessage"] == "" {
		t.Fatalf("failed op %v", failed)
	}

	resp, m := azGet(t, c, s, azPGBase+"/pg-demo-1/ltrBackupOperations/ltr-pg-demo-1-20261122"+azPGVer, tok)
	if resp.StatusCode != 200 {
		t.Fatalf("%d %v", resp.StatusCode, m)
	}
	if got, want := azKeys(m), []string{"id", "name", "properties", "type"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("fields %v", got)
	}
	p := m["properties"].(map[string]any)
	if m["type"] != "Microsoft.DBforPostgreSQL/flexibleServers/ltrbackupOperations" || m["name"] != "ltr-pg-demo-1-20261122" ||
		p["status"] != "Running" || p["percentComplete"] != 42.0 || p["backupName"] != "ltr-pg-demo-1-20261122" ||
		p["datasourceSizeInBytes"] != 35433480192.0 || p["startTime"] != "2026-11-22T03:00:03Z" {
		t.Fatalf("op %v", m)
	}
	if _, ok := p["endTime"]; ok {
		t.Errorf("running op has endTime: %v", p)
	}

	_, m = azGet(t, c, s, azPGBase+"/pg-demo-2/ltrBackupOperations"+azPGVer, tok)
	if v, ok := m["value"].([]any); !ok || len(v) != 0 {
		t.Fatalf("pg-demo-2 ops %v", m)
	}
	resp, m = azGet(t, c, s, azPGBase+"/nope/ltrBackupOperations"+azPGVer, tok)
	azErrCode(t, resp, m, 404, "ParentResourceNotFound")

	s.AddPGOperation(azSub, "demo-rg", "pg-demo-2", PGOperation{Name: "ltr-new", Status: "Succeeded"})
	_, m = azGet(t, c, s, azPGBase+"/pg-demo-2/ltrBackupOperations"+azPGVer, tok)
	if len(m["value"].([]any)) != 1 {
		t.Fatalf("after add %v", m)
	}
}

// azCert writes a fresh client certificate and key to a temporary PEM file.
func azCert(t *testing.T) (*x509.Certificate, *rsa.PrivateKey, string) {
	t.Helper()
	certPEM, keyPEM, err := NewClientCertificate()
	if err != nil {
		t.Fatal(err)
	}
	certBlock, _ := pem.Decode(certPEM)
	cert, err := x509.ParseCertificate(certBlock.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	keyBlock, _ := pem.Decode(keyPEM)
	key, err := x509.ParsePKCS8PrivateKey(keyBlock.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "client.pem")
	if err := os.WriteFile(path, append(certPEM, keyPEM...), 0o600); err != nil {
		t.Fatal(err)
	}
	return cert, key.(*rsa.PrivateKey), path
}

func azJWT(t *testing.T, key *rsa.PrivateKey, header, claims map[string]any) string {
	t.Helper()
	hb, _ := json.Marshal(header)
	cb, _ := json.Marshal(claims)
	in := base64.RawURLEncoding.EncodeToString(hb) + "." + base64.RawURLEncoding.EncodeToString(cb)
	d := sha256.Sum256([]byte(in))
	var sig []byte
	var err error
	if header["alg"] == "PS256" {
		sig, err = rsa.SignPSS(rand.Reader, key, crypto.SHA256, d[:], &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
	} else {
		sig, err = rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, d[:])
	}
	if err != nil {
		t.Fatal(err)
	}
	return in + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func TestAzureClientCertificate(t *testing.T) {
	cert, key, certFile := azCert(t)
	_, otherKey, _ := azCert(t)
	const certClient = "00000000-0000-0000-0000-0000000000dd"
	sc := &AzureScenario{Tenants: []AzureTenant{{ID: DefaultAzureTenantID, Clients: []AzureClient{
		{ClientID: certClient, CertificateFile: certFile},
	}}}}
	s, c := azStart(t, sc)
	tokenURL := s.URL() + "/" + DefaultAzureTenantID + "/oauth2/v2.0/token"
	s1 := sha1.Sum(cert.Raw)
	s256 := sha256.Sum256(cert.Raw)
	now := time.Now()
	claims := func() map[string]any {
		return map[string]any{
			"aud": tokenURL, "iss": certClient, "sub": certClient, "jti": "x",
			"nbf": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
		}
	}
	form := func(assertion string, withClientID bool) url.Values {
		f := url.Values{
			"grant_type":            {"client_credentials"},
			"client_assertion_type": {jwtBearerAssertionType},
			"client_assertion":      {assertion},
			"scope":                 {s.URL() + "/.default openid offline_access profile"},
		}
		if withClientID {
			f.Set("client_id", certClient)
		}
		return f
	}

	// Older MSAL: RS256, x5t as standard base64 of the SHA-1, exp as a
	// string, no client_id.
	old := claims()
	old["exp"] = strconv.FormatInt(now.Add(5*time.Minute).Unix(), 10)
	a := azJWT(t, key, map[string]any{"alg": "RS256", "typ": "JWT", "x5t": base64.StdEncoding.EncodeToString(s1[:])}, old)
	if resp, m := azReq(t, c, http.MethodPost, tokenURL, "", form(a, false)); resp.StatusCode != 200 || m["access_token"] == nil {
		t.Fatalf("RS256/x5t: %d %v", resp.StatusCode, m)
	}
	// Newer: PS256 with x5t#S256.
	a = azJWT(t, key, map[string]any{"alg": "PS256", "typ": "JWT", "x5t#S256": base64.RawURLEncoding.EncodeToString(s256[:])}, claims())
	resp, m := azReq(t, c, http.MethodPost, tokenURL, "", form(a, true))
	if resp.StatusCode != 200 {
		t.Fatalf("PS256/x5t#S256: %d %v", resp.StatusCode, m)
	}
	if r, _ := azGet(t, c, s, "/subscriptions/"+azSub+"/resourceGroups/demo-rg/providers/Microsoft.DBforPostgreSQL/flexibleServers"+azPGVer, m["access_token"].(string)); r.StatusCode != 404 {
		t.Fatalf("ARM with the certificate token: %d", r.StatusCode) // no subscription: 404, not 401
	}

	hdr := map[string]any{"alg": "RS256", "typ": "JWT", "x5t": base64.RawURLEncoding.EncodeToString(s1[:])}
	bad := map[string]string{}
	bad["signed by another key"] = azJWT(t, otherKey, hdr, claims())
	wrongAud := claims()
	wrongAud["aud"] = s.URL() + "/other/oauth2/v2.0/token"
	bad["wrong audience"] = azJWT(t, key, hdr, wrongAud)
	expired := claims()
	expired["exp"] = now.Add(-time.Minute).Unix()
	bad["expired"] = azJWT(t, key, hdr, expired)
	bad["unknown thumbprint"] = azJWT(t, key, map[string]any{"alg": "RS256", "x5t": "AAAA"}, claims())
	for name, a := range bad {
		resp, m := azReq(t, c, http.MethodPost, tokenURL, "", form(a, true))
		if resp.StatusCode != 401 || m["error"] != "invalid_client" {
			t.Errorf("%s: %d %v", name, resp.StatusCode, m)
		}
	}
}

func TestGenerateAzure(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	a := GenerateAzure(azSub, 3, 4, 4, 6, now)
	b := GenerateAzure(azSub, 3, 4, 4, 6, now)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("not deterministic")
	}
	rg := a.Subscriptions[0].ResourceGroups[0]
	acc := rg.NetAppAccounts[0]
	var noBackup, transferring, unhealthy, creating, failed int
	for _, p := range acc.Pools {
		for _, v := range p.Volumes {
			switch {
			case v.Backup == nil:
				noBackup++
			case v.Backup.RelationshipStatus == "Transferring":
				transferring++
			case !v.Backup.Healthy:
				unhealthy++
			}
		}
	}
	for _, bk := range acc.BackupVaults[0].Backups {
		switch bk.State {
		case "Creating":
			creating++
		case "Failed":
			failed++
		}
	}
	if noBackup != 1 || transferring != 1 || unhealthy != 1 || creating != 1 || failed < 2 {
		t.Errorf("volumes: %d without backup, %d transferring, %d unhealthy; backups: %d creating, %d failed",
			noBackup, transferring, unhealthy, creating, failed)
	}
	if len(acc.BackupVaults[0].Backups) != 11*7 {
		t.Errorf("%d backups", len(acc.BackupVaults[0].Backups))
	}
	if len(rg.PostgresServers) != 4 || len(rg.PostgresServers[3].LTROperations) != 0 || len(rg.PostgresServers[0].LTROperations) != 6 {
		t.Errorf("servers %+v", rg.PostgresServers)
	}
	if rg.PostgresServers[1].LTROperations[5].Status != "Running" {
		t.Errorf("newest op of server 2: %+v", rg.PostgresServers[1].LTROperations[5])
	}

	// Served.
	s, c := azStart(t, a)
	tok := azToken(t, c, s)
	resp, m := azGet(t, c, s, azANFBase+"/capacityPools/pool-01/volumes/vol-004/latestBackupStatus/current"+azANFVer, tok)
	if resp.StatusCode != 200 || m["relationshipStatus"] != "Transferring" {
		t.Fatalf("%d %v", resp.StatusCode, m)
	}
}

// TestAzureRateLimitReadsStartWhereTheScenarioSays: without a read
// bucket, a scenario's ratelimit_reads is where each subscription's
// remaining reads count down from.
func TestAzureRateLimitReadsStartWhereTheScenarioSays(t *testing.T) {
	demo, err := LoadScenario(filepath.Join("..", "..", "examples", "simulator", "demo.yml"))
	if err != nil {
		t.Fatal(err)
	}
	demo.Azure.RateLimitReads = 100000000
	s, c := azStart(t, demo.Azure)
	tok := azToken(t, c, s)
	resp, _ := azGet(t, c, s, azANFBase+"/backupVaults"+azANFVer, tok)
	if got := resp.Header.Get("x-ms-ratelimit-remaining-subscription-reads"); got != "99999999" {
		t.Errorf("remaining reads %q, want 99999999", got)
	}
}
