package simulator

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"
)

type awsTestCreds struct{ id, secret, token string }

var awsDemoCreds = awsTestCreds{AWSDemoAccessKeyID, AWSDemoSecretAccessKey, ""}

// awsSignTest signs req with SigV4 as a client does: host, x-amz-date,
// x-amz-security-token (when there is a token) and any Content-Type are
// signed. It is an independent, test-only signer, pinned by
// TestSigV4BackupHandVector.
func awsSignTest(req *http.Request, body []byte, c awsTestCreds, region, service string, at time.Time) {
	amzDate := at.UTC().Format("20060102T150405Z")
	day := amzDate[:8]
	req.Header.Set("X-Amz-Date", amzDate)
	if c.token != "" {
		req.Header.Set("X-Amz-Security-Token", c.token)
	}
	enc := func(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }
	names := []string{"host", "x-amz-date"}
	if c.token != "" {
		names = append(names, "x-amz-security-token")
	}
	if req.Header.Get("Content-Type") != "" {
		names = append(names, "content-type")
	}
	sort.Strings(names)
	var headers strings.Builder
	for _, n := range names {
		v := req.Header.Get(n)
		if n == "host" {
			v = req.URL.Host
		}
		headers.WriteString(n + ":" + strings.TrimSpace(v) + "\n")
	}
	var segs []string
	for _, s := range strings.Split(req.URL.EscapedPath(), "/") {
		segs = append(segs, enc(s))
	}
	q := req.URL.Query()
	var pairs []string
	for k, vs := range q {
		for _, v := range vs {
			pairs = append(pairs, enc(k)+"="+enc(v))
		}
	}
	sort.Strings(pairs)
	bodyHash := sha256.Sum256(body)
	canonical := strings.Join([]string{req.Method, strings.Join(segs, "/"), strings.Join(pairs, "&"), headers.String(),
		strings.Join(names, ";"), hex.EncodeToString(bodyHash[:])}, "\n")
	crHash := sha256.Sum256([]byte(canonical))
	scope := day + "/" + region + "/" + service + "/aws4_request"
	mac := func(k []byte, s string) []byte { m := hmac.New(sha256.New, k); m.Write([]byte(s)); return m.Sum(nil) }
	key := mac(mac(mac(mac([]byte("AWS4"+c.secret), day), region), service), "aws4_request")
	sig := mac(key, "AWS4-HMAC-SHA256\n"+amzDate+"\n"+scope+"\n"+hex.EncodeToString(crHash[:]))
	req.Header.Set("Authorization", fmt.Sprintf("AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%x", c.id, scope, strings.Join(names, ";"), sig))
}

func awsStart(t *testing.T, sc *AWSScenario) (*Server, *http.Client) {
	t.Helper()
	s, err := Start(Options{Scenario: &Scenario{AWS: sc}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(s.CAPEM())
	c := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	t.Cleanup(c.CloseIdleConnections)
	return s, c
}

type awsReq struct {
	creds   *awsTestCreds // nil: unsigned
	region  string        // default AWSDemoRegion
	service string        // default "backup"
	at      time.Time     // default now
}

func awsGet(t testing.TB, c *http.Client, s *Server, path string, o awsReq) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.URL()+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return awsDo(t, c, req, nil, o)
}

func awsDo(t testing.TB, c *http.Client, req *http.Request, body []byte, o awsReq) (*http.Response, []byte) {
	t.Helper()
	if o.creds != nil {
		at := o.at
		if at.IsZero() {
			at = time.Now()
		}
		awsSignTest(req, body, *o.creds, firstNonEmpty(o.region, AWSDemoRegion), firstNonEmpty(o.service, "backup"), at)
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
	return resp, b
}

// awsErr checks a REST-JSON error: status, X-Amzn-ErrorType, __type, and
// a message (Message for the Backup model's errors, message for the
// common ones) containing msg.
func awsErr(t *testing.T, resp *http.Response, body []byte, status int, typ, msg string) {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("status %d, want %d: %s", resp.StatusCode, status, body)
	}
	var e map[string]string
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("error body %s: %v", body, err)
	}
	if resp.Header.Get("X-Amzn-ErrorType") != typ || e["__type"] != typ {
		t.Fatalf("error type header %q, body %s: want %s", resp.Header.Get("X-Amzn-ErrorType"), body, typ)
	}
	m := e["message"] + e["Message"]
	if m == "" || !strings.Contains(m, msg) {
		t.Fatalf("error body %s: want a message containing %q", body, msg)
	}
	if resp.Header.Get("X-Amzn-RequestId") == "" {
		t.Errorf("no X-Amzn-RequestId")
	}
}

// awsList decodes a list answer: the items under key and the NextToken.
func awsList(t *testing.T, resp *http.Response, body []byte, key string) ([]map[string]any, string) {
	t.Helper()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	for k := range m {
		if k != key && k != "NextToken" {
			t.Errorf("unexpected key %q in %s", k, body)
		}
	}
	var items []map[string]any
	if err := json.Unmarshal(m[key], &items); err != nil || items == nil {
		t.Fatalf("%s: %s (%v)", key, body, err)
	}
	var next string
	if raw, ok := m["NextToken"]; ok {
		json.Unmarshal(raw, &next)
	}
	return items, next
}

func awsIDs(items []map[string]any, key string) string {
	var ids []string
	for _, it := range items {
		ids = append(ids, fmt.Sprint(it[key]))
	}
	return strings.Join(ids, ",")
}

// awsTestScenario has, for the demo account: 6 jobs j1..j6 created one
// hour apart (j6 newest), a resource with recovery points in two vaults,
// and a second account with its own key.
func awsTestScenario(now time.Time) *AWSScenario {
	at := func(d time.Duration) string { return now.Add(-d).UTC().Format(time.RFC3339) }
	volA := "arn:aws:ec2:eu-west-1:123456789012:volume/vol-a"
	volB := "arn:aws:ec2:eu-west-1:123456789012:volume/vol-b"
	db := "arn:aws:rds:eu-west-1:123456789012:db:db-1"
	sc := DefaultAWSScenario()
	a := &sc.Accounts[0]
	a.Resources = []AWSResource{
		{ARN: volA, Type: "EBS", Name: "vol-a"},
		{ARN: volB, Type: "EBS", Name: "vol-b"},
		{ARN: db, Type: "RDS", Name: "db-1"},
		{ARN: "arn:aws:s3:::never", Type: "S3", Name: "never"},
	}
	a.Vaults = []AWSVault{
		{Name: "Default", CreationDate: at(400 * time.Hour), RecoveryPoints: []AWSRecoveryPoint{
			{ARN: "rp-a1", ResourceArn: volA, CreationDate: at(5 * time.Hour), CompletionDate: at(4 * time.Hour), CreatedBy: &AWSCreatedBy{BackupPlanID: "plan-1"}},
			{ARN: "rp-a2", ResourceArn: volA, CreationDate: at(3 * time.Hour), Status: "CREATING"},
			{ARN: "rp-b1", ResourceArn: volB, CreationDate: at(50 * 24 * time.Hour), Status: "EXPIRED", DeleteAt: at(10 * 24 * time.Hour)},
			{ARN: "rp-p", ResourceArn: db, CreationDate: at(2 * time.Hour), Status: "PARTIAL", Children: []AWSRecoveryPoint{
				{ARN: "rp-c1", ResourceArn: volA},
				{ARN: "rp-c2", ResourceArn: volB, Status: "DELETING"},
			}},
		}},
		{Name: "other-vault", VaultType: "LOGICALLY_AIR_GAPPED_BACKUP_VAULT", RecoveryPoints: []AWSRecoveryPoint{
			{ARN: "rp-o1", ResourceArn: db, CreationDate: at(1 * time.Hour), CreatedBy: &AWSCreatedBy{BackupPlanID: "plan-2"}},
		}},
	}
	jobs := []AWSBackupJob{
		{ID: "j1", BackupVaultName: "Default", ResourceArn: volA, State: "COMPLETED", CreationDate: at(6 * time.Hour), CompletionDate: at(5*time.Hour + 30*time.Minute)},
		{ID: "j2", BackupVaultName: "Default", ResourceArn: volB, State: "FAILED", CreationDate: at(5 * time.Hour), CompletionDate: at(4*time.Hour + 30*time.Minute),
			StatusMessage: "Access denied", MessageCategory: "AccessDenied"},
		{ID: "j3", BackupVaultName: "other-vault", ResourceArn: db, State: "PARTIAL", CreationDate: at(4 * time.Hour), CompletionDate: at(3*time.Hour + 30*time.Minute),
			Children: []AWSBackupJob{
				{ID: "j3a", ResourceArn: volA, State: "COMPLETED", CompletionDate: at(3*time.Hour + 40*time.Minute)},
				{ID: "j3b", ResourceArn: volB, State: "FAILED", CompletionDate: at(3*time.Hour + 35*time.Minute)},
			}},
		{ID: "j4", BackupVaultName: "Default", ResourceArn: db, State: "RUNNING", PercentDone: "42.0", CreationDate: at(3 * time.Hour)},
		{ID: "j5", BackupVaultName: "Default", ResourceArn: volA, State: "COMPLETED", CreationDate: at(2 * time.Hour), CompletionDate: at(1 * time.Hour)},
		{ID: "j6", BackupVaultName: "Default", ResourceArn: volA, State: "CREATED", CreationDate: at(1 * time.Hour)},
		{ID: "old", BackupVaultName: "Default", ResourceArn: volB, State: "COMPLETED", CreationDate: at(31 * 24 * time.Hour), CompletionDate: at(31*24*time.Hour - time.Hour)},
	}
	a.BackupJobs = jobs
	sc.Accounts = append(sc.Accounts, AWSAccount{
		ID:         "210987654321",
		AccessKeys: []AWSAccessKey{{AccessKeyID: "AKIAOTHERACCOUNT0001", SecretAccessKey: "other-secret"}},
		BackupJobs: []AWSBackupJob{{ID: "other-job", BackupVaultName: "Default", ResourceArn: "arn:aws:s3:::x", State: "COMPLETED", CreationDate: at(time.Hour)}},
	})
	return sc
}

func TestAWSBackupAuth(t *testing.T) {
	sc := awsTestScenario(time.Now())
	sc.Accounts[1].AccessKeys = append(sc.Accounts[1].AccessKeys, AWSAccessKey{AccessKeyID: "ASIASTATICSESSION001", SecretAccessKey: "s3cret", SessionToken: "static-token"})
	s, c := awsStart(t, sc)
	const path = "/backup-jobs/"
	now := time.Now()

	resp, body := awsGet(t, c, s, path, awsReq{creds: &awsDemoCreds})
	if items, _ := awsList(t, resp, body, "BackupJobs"); len(items) != 8 {
		t.Fatalf("demo account: %d jobs: %s", len(items), body)
	}
	// 14 minutes either way is accepted.
	for _, d := range []time.Duration{-14 * time.Minute, 14 * time.Minute} {
		if resp, body := awsGet(t, c, s, path+"?maxResults=1", awsReq{creds: &awsDemoCreds, at: now.Add(d)}); resp.StatusCode != 200 {
			t.Fatalf("skew %s: %d %s", d, resp.StatusCode, body)
		}
	}
	// The other account's key sees the other account's data.
	other := awsTestCreds{"AKIAOTHERACCOUNT0001", "other-secret", ""}
	resp, body = awsGet(t, c, s, "/backup-jobs", awsReq{creds: &other})
	if items, _ := awsList(t, resp, body, "BackupJobs"); awsIDs(items, "BackupJobId") != "other-job" || items[0]["AccountId"] != "210987654321" {
		t.Fatalf("other account: %s", body)
	}

	wrongSecret := awsTestCreds{AWSDemoAccessKeyID, "wrong", ""}
	unknown := awsTestCreds{"AKIAUNKNOWN000000000", AWSDemoSecretAccessKey, ""}
	for _, tc := range []struct {
		name      string
		o         awsReq
		typ, text string
	}{
		{"unsigned", awsReq{}, "MissingAuthenticationTokenException", "Missing Authentication Token"},
		{"wrong secret", awsReq{creds: &wrongSecret}, "InvalidSignatureException", "The request signature we calculated does not match the signature you provided"},
		{"unknown key", awsReq{creds: &unknown}, "UnrecognizedClientException", "The security token included in the request is invalid"},
		{"wrong region", awsReq{creds: &awsDemoCreds, region: "us-west-2"}, "InvalidSignatureException", "valid region"},
		{"wrong service", awsReq{creds: &awsDemoCreds, service: "sts"}, "InvalidSignatureException", "correct service: 'backup'"},
		{"stale date", awsReq{creds: &awsDemoCreds, at: now.Add(-16 * time.Minute)}, "InvalidSignatureException", "Signature expired"},
		{"future date", awsReq{creds: &awsDemoCreds, at: now.Add(16 * time.Minute)}, "InvalidSignatureException", "Signature not yet current"},
		{"missing session token", awsReq{creds: &awsTestCreds{"ASIASTATICSESSION001", "s3cret", ""}}, "UnrecognizedClientException", "is invalid"},
		{"wrong session token", awsReq{creds: &awsTestCreds{"ASIASTATICSESSION001", "s3cret", "other"}}, "UnrecognizedClientException", "is invalid"},
		{"token for a long-term key", awsReq{creds: &awsTestCreds{AWSDemoAccessKeyID, AWSDemoSecretAccessKey, "x"}}, "UnrecognizedClientException", "is invalid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := awsGet(t, c, s, path, tc.o)
			awsErr(t, resp, body, 403, tc.typ, tc.text)
		})
	}
	resp, body = awsGet(t, c, s, path, awsReq{creds: &awsTestCreds{"ASIASTATICSESSION001", "s3cret", "static-token"}})
	if items, _ := awsList(t, resp, body, "BackupJobs"); len(items) != 1 {
		t.Fatalf("static session credentials: %s", body)
	}
}

func TestAWSBackupPaging(t *testing.T) {
	s, c := awsStart(t, awsTestScenario(time.Now()))
	o := awsReq{creds: &awsDemoCreds}

	// ListBackupJobs: 8 jobs in the last 30 days, newest first (children
	// share their parent's creation date), 3 pages of at most 3.
	var ids []string
	next := ""
	for page := 0; page < 3; page++ {
		q := "?maxResults=3"
		if next != "" {
			q += "&nextToken=" + url.QueryEscape(next)
		}
		resp, body := awsGet(t, c, s, "/backup-jobs/"+q, o)
		var items []map[string]any
		items, next = awsList(t, resp, body, "BackupJobs")
		if (page < 2) != (next != "") || len(items) != []int{3, 3, 2}[page] {
			t.Fatalf("page %d: %d items, next %q: %s", page, len(items), next, body)
		}
		ids = append(ids, awsIDs(items, "BackupJobId"))
	}
	if got := strings.Join(ids, ","); got != "j6,j5,j4,j3,j3a,j3b,j2,j1" {
		t.Fatalf("jobs %s", got)
	}

	// ListProtectedResources: vol-a, vol-b (only an EXPIRED recovery
	// point), db-1; not the resource without any recovery point.
	var arns []string
	next = ""
	for page := 0; page < 3; page++ {
		q := "?maxResults=1"
		if next != "" {
			q += "&nextToken=" + url.QueryEscape(next)
		}
		resp, body := awsGet(t, c, s, "/resources/"+q, o)
		var items []map[string]any
		items, next = awsList(t, resp, body, "Results")
		if len(items) != 1 || (page < 2) != (next != "") {
			t.Fatalf("page %d: %s", page, body)
		}
		arns = append(arns, awsIDs(items, "ResourceArn"))
	}
	if strings.Join(arns, " ") != "arn:aws:ec2:eu-west-1:123456789012:volume/vol-a arn:aws:ec2:eu-west-1:123456789012:volume/vol-b arn:aws:rds:eu-west-1:123456789012:db:db-1" {
		t.Fatalf("protected resources %v", arns)
	}

	// ListRecoveryPointsByBackupVault: 5 in Default, newest first.
	var rps []string
	next = ""
	for page := 0; page < 3; page++ {
		q := "?maxResults=2"
		if next != "" {
			q += "&nextToken=" + url.QueryEscape(next)
		}
		resp, body := awsGet(t, c, s, "/backup-vaults/Default/recovery-points"+q, o)
		var items []map[string]any
		items, next = awsList(t, resp, body, "RecoveryPoints")
		rps = append(rps, awsIDs(items, "RecoveryPointArn"))
	}
	if got := strings.Join(rps, ","); got != "rp-p,rp-c1,rp-c2,rp-a2,rp-a1,rp-b1" || next != "" {
		t.Fatalf("recovery points %s (next %q)", got, next)
	}

	// ListBackupVaults.
	resp, body := awsGet(t, c, s, "/backup-vaults/?maxResults=1", o)
	items, next := awsList(t, resp, body, "BackupVaultList")
	if awsIDs(items, "BackupVaultName") != "Default" || next == "" || items[0]["NumberOfRecoveryPoints"] != float64(6) ||
		items[0]["BackupVaultArn"] != "arn:aws:backup:eu-west-1:123456789012:backup-vault:Default" {
		t.Fatalf("vaults: %s", body)
	}
	resp, body = awsGet(t, c, s, "/backup-vaults?maxResults=1&nextToken="+url.QueryEscape(next), o)
	if items, next := awsList(t, resp, body, "BackupVaultList"); awsIDs(items, "BackupVaultName") != "other-vault" || next != "" {
		t.Fatalf("vaults page 2: %s", body)
	}
	resp, body = awsGet(t, c, s, "/backup-vaults?vaultType=LOGICALLY_AIR_GAPPED_BACKUP_VAULT", o)
	if items, _ := awsList(t, resp, body, "BackupVaultList"); awsIDs(items, "BackupVaultName") != "other-vault" {
		t.Fatalf("vaultType filter: %s", body)
	}

	// An empty page is [] with no NextToken.
	resp, body = awsGet(t, c, s, "/backup-jobs?state=EXPIRED", o)
	if !bytes.Equal(bytes.TrimSpace(body), []byte(`{"BackupJobs":[]}`)) || resp.StatusCode != 200 {
		t.Fatalf("empty list: %s", body)
	}

	// maxResults out of 1..1000, bad tokens.
	for _, q := range []string{"maxResults=0", "maxResults=1001", "maxResults=x", "maxResults="} {
		resp, body := awsGet(t, c, s, "/backup-jobs/?"+q, o)
		awsErr(t, resp, body, 400, "InvalidParameterValueException", "maxResults")
	}
	resp, body = awsGet(t, c, s, "/backup-jobs/?maxResults=1000", o)
	if resp.StatusCode != 200 {
		t.Fatalf("maxResults=1000: %s", body)
	}
	resp, body = awsGet(t, c, s, "/backup-jobs/?maxResults=3", o)
	_, tok := awsList(t, resp, body, "BackupJobs")
	tampered := "A" + tok[1:]
	if tok[0] == 'A' {
		tampered = "B" + tok[1:]
	}
	for _, tc := range []struct{ path, msg string }{
		{"/backup-jobs/?nextToken=garbage", "malformed"},
		{"/backup-jobs/?nextToken=" + url.QueryEscape(tampered), "not issued for this request"},
		{"/backup-jobs/?state=COMPLETED&nextToken=" + url.QueryEscape(tok), "not issued for this request"},
		{"/resources/?nextToken=" + url.QueryEscape(tok), "not issued for this request"},
		{"/backup-jobs/?nextToken=" + url.QueryEscape(s.awsToken("ListBackupJobs\x00"+AWSDemoAccountID+"\x00", 3, time.Now().Add(-25*time.Hour))), "expired"},
	} {
		resp, body := awsGet(t, c, s, tc.path, o)
		awsErr(t, resp, body, 400, "InvalidParameterValueException", tc.msg)
	}
	// maxResults may change between pages.
	resp, body = awsGet(t, c, s, "/backup-jobs/?maxResults=5&nextToken="+url.QueryEscape(tok), o)
	if items, next := awsList(t, resp, body, "BackupJobs"); len(items) != 5 || next != "" {
		t.Fatalf("page with a new maxResults: %s", body)
	}
	// The other account cannot use the demo account's token.
	resp, body = awsGet(t, c, s, "/backup-jobs/?maxResults=3&nextToken="+url.QueryEscape(tok), awsReq{creds: &awsTestCreds{"AKIAOTHERACCOUNT0001", "other-secret", ""}})
	awsErr(t, resp, body, 400, "InvalidParameterValueException", "not issued")
}

func TestAWSBackupJobFilters(t *testing.T) {
	now := time.Now()
	s, c := awsStart(t, awsTestScenario(now))
	o := awsReq{creds: &awsDemoCreds}
	iso := func(d time.Duration) string { return url.QueryEscape(now.Add(-d).UTC().Format(time.RFC3339)) }
	for _, tc := range []struct{ query, want string }{
		{"resourceArn=" + url.QueryEscape("arn:aws:ec2:eu-west-1:123456789012:volume/vol-a"), "j6,j5,j3a,j1"},
		{"state=COMPLETED", "j5,j3a,j1"},
		{"state=RUNNING", "j4"},
		{"state=PARTIAL", "j3"},
		{"backupVaultName=other-vault", "j3,j3a,j3b"},
		{"resourceType=RDS", "j4,j3"},
		{"resourceType=EBS&state=FAILED", "j3b,j2"},
		{"createdAfter=" + iso(4*time.Hour+time.Minute), "j6,j5,j4,j3,j3a,j3b"},
		{"createdBefore=" + iso(4*time.Hour+time.Minute), "j2,j1"},
		{"createdAfter=" + iso(5*time.Hour+time.Minute) + "&createdBefore=" + iso(3*time.Hour+time.Minute), "j3,j3a,j3b,j2"},
		{"completeAfter=" + iso(3*time.Hour+38*time.Minute), "j5,j3,j3b"},
		{"completeBefore=" + iso(3*time.Hour+38*time.Minute), "j3a,j2,j1"},
		{"createdAfter=" + fmt.Sprint(now.Add(-90*time.Minute).Unix()), "j6"},
		{"parentJobId=j3", "j3a,j3b"},
		{"parentJobId=nope", ""},
		{"accountId=" + AWSDemoAccountID + "&state=CREATED", "j6"},
		{"accountId=*&state=CREATED", "j6"},
		{"accountId=210987654321", ""},
		{"messageCategory=AccessDenied", "j2"},
		{"messageCategory=SUCCESS&state=COMPLETED", "j5,j3a,j1"},
		{"messageCategory=ANY&state=FAILED", "j3b,j2"},
	} {
		resp, body := awsGet(t, c, s, "/backup-jobs/?"+tc.query, o)
		items, _ := awsList(t, resp, body, "BackupJobs")
		if got := awsIDs(items, "BackupJobId"); got != tc.want {
			t.Errorf("%s: got %s, want %s", tc.query, got, tc.want)
		}
	}
	for _, q := range []string{"state=DONE", "backupVaultName=a", "resourceType=" + url.QueryEscape("bad type!"), "accountId=12", "createdAfter=yesterday"} {
		resp, body := awsGet(t, c, s, "/backup-jobs/?"+q, o)
		awsErr(t, resp, body, 400, "InvalidParameterValueException", "")
	}

	// The job fields.
	resp, body := awsGet(t, c, s, "/backup-jobs/?parentJobId=j3", o)
	items, _ := awsList(t, resp, body, "BackupJobs")
	child := items[0]
	want := map[string]any{"BackupJobId": "j3a", "ParentJobId": "j3", "IsParent": false, "BackupVaultName": "other-vault", "ResourceType": "EBS", "ResourceName": "vol-a",
		"BackupVaultArn": "arn:aws:backup:eu-west-1:123456789012:backup-vault:other-vault", "VaultType": "LOGICALLY_AIR_GAPPED_BACKUP_VAULT",
		"AccountId": AWSDemoAccountID, "State": "COMPLETED", "MessageCategory": "SUCCESS",
		"IamRoleArn": "arn:aws:iam::123456789012:role/service-role/AWSBackupDefaultServiceRole"}
	for k, v := range want {
		if child[k] != v {
			t.Errorf("child job %s = %v, want %v", k, child[k], v)
		}
	}
	resp, body = awsGet(t, c, s, "/backup-jobs/?state=PARTIAL", o)
	items, _ = awsList(t, resp, body, "BackupJobs")
	if items[0]["IsParent"] != true || items[0]["ParentJobId"] != nil {
		t.Errorf("parent job: %v", items[0])
	}
	resp, body = awsGet(t, c, s, "/backup-jobs/?state=RUNNING", o)
	items, _ = awsList(t, resp, body, "BackupJobs")
	if items[0]["PercentDone"] != "42.0" || items[0]["CompletionDate"] != nil {
		t.Errorf("running job: %v", items[0])
	}
	// Timestamps are epoch seconds, as numbers.
	created, ok := items[0]["CreationDate"].(float64)
	if !ok || time.Unix(int64(created), 0).Sub(now.Add(-3*time.Hour)).Abs() > 2*time.Second {
		t.Errorf("CreationDate %v (%T)", items[0]["CreationDate"], items[0]["CreationDate"])
	}
	if !bytes.Contains(body, []byte(`"CreationDate":`+fmt.Sprint(now.Add(-3*time.Hour).Unix()))) {
		t.Errorf("CreationDate not a plain number: %s", body)
	}

	// Mutators.
	if err := s.UpdateAWSBackupJob(AWSDemoAccountID, "j4", func(j *AWSBackupJob) {
		j.State, j.PercentDone, j.CompletionDate = "COMPLETED", "100.0", now.UTC().Format(time.RFC3339)
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateAWSBackupJob(AWSDemoAccountID, "j3b", func(j *AWSBackupJob) { j.StatusMessage = "changed" }); err != nil {
		t.Fatal(err)
	}
	if err := s.AddAWSBackupJob(AWSDemoAccountID, AWSBackupJob{ID: "j7", ResourceArn: "arn:aws:s3:::never", State: "ABORTED", CreationDate: now.UTC().Format(time.RFC3339)}); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateAWSBackupJob(AWSDemoAccountID, "nope", func(*AWSBackupJob) {}); err == nil {
		t.Error("updated a missing job")
	}
	resp, body = awsGet(t, c, s, "/backup-jobs/?state=COMPLETED", o)
	if items, _ := awsList(t, resp, body, "BackupJobs"); awsIDs(items, "BackupJobId") != "j5,j4,j3a,j1" {
		t.Errorf("after UpdateAWSBackupJob: %s", body)
	}
	resp, body = awsGet(t, c, s, "/backup-jobs/?maxResults=1", o)
	if items, _ := awsList(t, resp, body, "BackupJobs"); awsIDs(items, "BackupJobId") != "j7" || items[0]["ResourceType"] != "S3" {
		t.Errorf("after AddAWSBackupJob: %s", body)
	}
}

func TestAWSRecoveryPointFilters(t *testing.T) {
	now := time.Now()
	s, c := awsStart(t, awsTestScenario(now))
	o := awsReq{creds: &awsDemoCreds}
	iso := func(d time.Duration) string { return url.QueryEscape(now.Add(-d).UTC().Format(time.RFC3339)) }
	const base = "/backup-vaults/Default/recovery-points/"
	for _, tc := range []struct{ query, want string }{
		{"", "rp-p,rp-c1,rp-c2,rp-a2,rp-a1,rp-b1"},
		{"resourceArn=" + url.QueryEscape("arn:aws:ec2:eu-west-1:123456789012:volume/vol-a"), "rp-c1,rp-a2,rp-a1"},
		{"resourceType=RDS", "rp-p"},
		{"resourceType=EBS", "rp-c1,rp-c2,rp-a2,rp-a1,rp-b1"},
		{"createdAfter=" + iso(4*time.Hour), "rp-p,rp-c1,rp-c2,rp-a2"},
		{"createdBefore=" + iso(4*time.Hour), "rp-a1,rp-b1"},
		{"parentRecoveryPointArn=rp-p", "rp-c1,rp-c2"},
		{"backupPlanId=plan-1", "rp-a1"},
		{"backupVaultAccountId=" + AWSDemoAccountID + "&resourceType=RDS", "rp-p"},
	} {
		resp, body := awsGet(t, c, s, base+"?"+tc.query, o)
		items, _ := awsList(t, resp, body, "RecoveryPoints")
		if got := awsIDs(items, "RecoveryPointArn"); got != tc.want {
			t.Errorf("%q: got %s, want %s", tc.query, got, tc.want)
		}
	}
	resp, body := awsGet(t, c, s, "/backup-vaults/other-vault/recovery-points?backupPlanId=plan-2", o)
	if items, _ := awsList(t, resp, body, "RecoveryPoints"); awsIDs(items, "RecoveryPointArn") != "rp-o1" || items[0]["VaultType"] != "LOGICALLY_AIR_GAPPED_BACKUP_VAULT" {
		t.Errorf("other vault: %s", body)
	}

	// The fields.
	resp, body = awsGet(t, c, s, base, o)
	items, _ := awsList(t, resp, body, "RecoveryPoints")
	byARN := map[string]map[string]any{}
	for _, it := range items {
		byARN[it["RecoveryPointArn"].(string)] = it
	}
	p, c1, b1 := byARN["rp-p"], byARN["rp-c1"], byARN["rp-b1"]
	if p["IsParent"] != true || p["Status"] != "PARTIAL" || p["ParentRecoveryPointArn"] != nil {
		t.Errorf("parent: %v", p)
	}
	if c1["IsParent"] != false || c1["ParentRecoveryPointArn"] != "rp-p" || c1["CreationDate"] != p["CreationDate"] || c1["Status"] != "COMPLETED" ||
		c1["ResourceType"] != "EBS" || c1["ResourceName"] != "vol-a" || c1["BackupVaultName"] != "Default" || c1["IsEncrypted"] != true {
		t.Errorf("child: %v", c1)
	}
	if lc, ok := b1["CalculatedLifecycle"].(map[string]any); !ok || lc["DeleteAt"] == nil || b1["Status"] != "EXPIRED" {
		t.Errorf("lifecycle: %v", b1)
	}

	// Unknown vault, bad vault name, other account's vault.
	resp, body = awsGet(t, c, s, "/backup-vaults/nope/recovery-points/", o)
	awsErr(t, resp, body, 400, "ResourceNotFoundException", "nope")
	var e map[string]string
	json.Unmarshal(body, &e)
	if e["Code"] != "ResourceNotFoundException" || e["Message"] == "" {
		t.Errorf("modeled error members: %s", body)
	}
	resp, body = awsGet(t, c, s, "/backup-vaults/Default/recovery-points/?backupVaultAccountId=210987654321", o)
	awsErr(t, resp, body, 400, "ResourceNotFoundException", "Default")
	resp, body = awsGet(t, c, s, "/backup-vaults/x/recovery-points/", o)
	awsErr(t, resp, body, 400, "InvalidParameterValueException", "backupVaultName")
	for _, q := range []string{"maxResults=0", "createdBefore=x", "backupVaultAccountId=1"} {
		resp, body := awsGet(t, c, s, base+"?"+q, o)
		awsErr(t, resp, body, 400, "InvalidParameterValueException", "")
	}

	// Mutator.
	if err := s.UpdateAWSRecoveryPoint(AWSDemoAccountID, "Default", "rp-c2", func(p *AWSRecoveryPoint) { p.Status = "COMPLETED" }); err != nil {
		t.Fatal(err)
	}
	resp, body = awsGet(t, c, s, base+"?parentRecoveryPointArn=rp-p", o)
	if items, _ := awsList(t, resp, body, "RecoveryPoints"); items[1]["Status"] != "COMPLETED" {
		t.Errorf("after UpdateAWSRecoveryPoint: %s", body)
	}
	// The protected resources follow: vol-b's newest is now rp-c2.
	resp, body = awsGet(t, c, s, "/resources", o)
	items, _ = awsList(t, resp, body, "Results")
	if items[1]["LastRecoveryPointArn"] != "rp-c2" || items[1]["LastBackupVaultArn"] != "arn:aws:backup:eu-west-1:123456789012:backup-vault:Default" {
		t.Errorf("protected resource after update: %v", items[1])
	}
}

func TestAWSBackupFaultsAndErrors(t *testing.T) {
	s, c := awsStart(t, awsTestScenario(time.Now()))
	o := awsReq{creds: &awsDemoCreds}
	for _, tc := range []struct {
		status int
		typ    string
	}{
		{429, "ThrottlingException"}, {400, "ThrottlingException"}, {503, "ServiceUnavailableException"}, {500, "ServiceUnavailableException"},
		{404, "ResourceNotFoundException"}, {403, "AccessDeniedException"}, {401, "UnrecognizedClientException"}, {409, "ConflictException"}, {418, "InvalidRequestException"},
	} {
		if err := s.AddFault(Fault{API: AWSBackupAPI, Path: "^/backup-jobs", Status: tc.status, RetryAfter: "2", Times: 1}); err != nil {
			t.Fatal(err)
		}
		resp, body := awsGet(t, c, s, "/backup-jobs", o)
		awsErr(t, resp, body, tc.status, tc.typ, "Injected fault")
		if resp.Header.Get("Retry-After") != "2" {
			t.Errorf("Retry-After %q", resp.Header.Get("Retry-After"))
		}
	}
	resp, body := awsGet(t, c, s, "/backup-jobs", o)
	if resp.StatusCode != 200 {
		t.Fatalf("after the faults: %d %s", resp.StatusCode, body)
	}
	// An STS fault does not touch Backup, and the reverse.
	s.AddFault(Fault{API: AWSSTSAPI, Status: 503})
	if resp, body := awsGet(t, c, s, "/resources", o); resp.StatusCode != 200 {
		t.Fatalf("STS fault hit Backup: %d %s", resp.StatusCode, body)
	}
	s.ClearFaults()
	st := s.Stats()
	if st.APIs[AWSBackupAPI] != 11 || st.Requests["GET /backup-jobs"] != 10 {
		t.Errorf("stats %+v", st)
	}
	// A method the route does not serve.
	req, _ := http.NewRequest(http.MethodPost, s.URL()+"/backup-jobs", nil)
	if resp, _ := awsDo(t, c, req, nil, o); resp.StatusCode < 400 {
		t.Errorf("POST /backup-jobs: %d", resp.StatusCode)
	}
}

func TestAWSScientificTimestamps(t *testing.T) {
	sc := awsTestScenario(time.Date(2026, 11, 24, 6, 0, 0, 0, time.UTC))
	sc.ScientificTimestamps = true
	sc.Accounts[0].Vaults[0].RecoveryPoints[0].CreationDate = "2026-11-20T01:02:03.456Z"
	s, c := awsStart(t, sc)
	resp, body := awsGet(t, c, s, "/backup-vaults/Default/recovery-points/?maxResults=1000", awsReq{creds: &awsDemoCreds})
	if resp.StatusCode != 200 || !bytes.Contains(body, []byte(`"CreationDate":1.795136523456E9`)) {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	if b, _ := (awsTime{t: time.UnixMilli(1516925490087)}).MarshalJSON(); string(b) != "1516925490.087" {
		t.Errorf("decimal %s", b)
	}
	if b, _ := (awsTime{t: time.UnixMilli(1516925490100)}).MarshalJSON(); string(b) != "1516925490.1" {
		t.Errorf("decimal %s", b)
	}
	if b, _ := (awsTime{t: time.UnixMilli(1516925490087), sci: true}).MarshalJSON(); string(b) != "1.516925490087E9" {
		t.Errorf("scientific %s", b)
	}
}

func TestAWSScenarioYAML(t *testing.T) {
	sc, err := ParseScenario(strings.NewReader(`
now: "2026-11-24T06:00:00Z"
aws:
  region: us-east-2
  accounts:
    - id: "111122223333"
      access_keys: [{access_key_id: AKIAYAMLKEY000000001, secret_access_key: s}]
      vaults:
        - name: v1
          recovery_points:
            - {resource_arn: "arn:aws:ec2:us-east-2:111122223333:volume/vol-1", resource_type: EBS, creation_date: "2026-11-23T01:00:00Z", delete_at: "2026-12-23T01:00:00Z"}
      backup_jobs:
        - {backup_vault_name: v1, resource_arn: "arn:aws:ec2:us-east-2:111122223333:volume/vol-1", state: COMPLETED, creation_date: "2026-11-23T01:00:00Z", start_by_date: "2026-11-23T09:00:00Z"}
`))
	if err != nil {
		t.Fatal(err)
	}
	sc.Rebase(25 * time.Hour)
	j := sc.AWS.Accounts[0].BackupJobs[0]
	rp := sc.AWS.Accounts[0].Vaults[0].RecoveryPoints[0]
	if j.CreationDate != "2026-11-24T02:00:00Z" || j.StartByDate != "2026-11-24T10:00:00Z" || rp.DeleteAt != "2026-12-24T02:00:00Z" {
		t.Errorf("rebased: %+v %+v", j, rp)
	}
	d, err := compileAWS(sc.AWS)
	if err != nil {
		t.Fatal(err)
	}
	pts := d.accounts["111122223333"].vaults[0].points
	if len(pts) != 1 || !strings.HasPrefix(pts[0].json.RecoveryPointArn, "arn:aws:ec2:us-east-2::snapshot/snap-") {
		t.Errorf("derived ARN %+v", pts)
	}
	if _, err := ParseScenario(strings.NewReader("aws:\n  accounts:\n    - id: \"1\"\n      bogus: 1\n")); err == nil {
		t.Error("unknown key accepted")
	}
	for _, bad := range []string{
		`{accounts: [{id: "12"}]}`,
		`{accounts: [{id: "111122223333", vaults: [{name: x}]}]}`,
		`{accounts: [{id: "111122223333", backup_jobs: [{state: DONE, creation_date: "2026-11-23T01:00:00Z"}]}]}`,
		`{accounts: [{id: "111122223333", backup_jobs: [{state: COMPLETED}]}]}`,
		`{accounts: [{id: "111122223333", vaults: [{name: v1, recovery_points: [{resource_arn: r, creation_date: "2026-11-23T01:00:00Z", status: GONE}]}]}]}`,
		`{accounts: [{id: "111122223333", vaults: [{name: v1, recovery_points: [{resource_arn: r, creation_date: yesterday}]}]}]}`,
		`{accounts: [{id: "111122223333", access_keys: [{access_key_id: A}]}]}`,
		`{page_size: 1001, accounts: [{id: "111122223333"}]}`,
	} {
		sc, err := ParseScenario(strings.NewReader("aws: " + bad))
		if err != nil {
			t.Fatalf("%s: %v", bad, err)
		}
		if _, err := Start(Options{Scenario: sc}); err == nil {
			t.Errorf("%s: started", bad)
		}
	}
}

// TestAWSDemoScenario checks that examples/simulator/demo.yml has what the
// exporter needs to show: jobs in every state, recovery points in every
// status, composite jobs and recovery points, a resource whose jobs are
// older than 30 days but that has recovery points, and one without any.
func TestAWSDemoScenario(t *testing.T) {
	sc, err := LoadScenario("../../examples/simulator/demo.yml")
	if err != nil {
		t.Fatal(err)
	}
	written, _ := time.Parse(time.RFC3339, sc.Now)
	sc.Rebase(time.Since(written))
	s, err := Start(Options{Scenario: sc})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	c := s.Client()
	t.Cleanup(c.CloseIdleConnections)
	o := awsReq{creds: &awsDemoCreds}

	resp, body := awsGet(t, c, s, "/backup-jobs/", o)
	jobs, _ := awsList(t, resp, body, "BackupJobs")
	states := map[string]int{}
	parents, children := 0, 0
	for _, j := range jobs {
		states[j["State"].(string)]++
		if j["IsParent"] == true {
			parents++
		}
		if j["ParentJobId"] != nil {
			children++
		}
		if strings.HasSuffix(j["ResourceArn"].(string), "vol-0a1b2c3d4e5f60010") {
			t.Errorf("a job older than 30 days is listed: %v", j)
		}
	}
	for _, st := range awsJobStates {
		if states[st] == 0 {
			t.Errorf("no %s job in the demo: %v", st, states)
		}
	}
	if parents != 2 || children != 4 {
		t.Errorf("%d parent and %d child jobs", parents, children)
	}

	statuses := map[string]int{}
	childRPs := 0
	for _, v := range []string{"Default", "daily-35d"} {
		resp, body := awsGet(t, c, s, "/backup-vaults/"+v+"/recovery-points/", o)
		rps, _ := awsList(t, resp, body, "RecoveryPoints")
		for _, rp := range rps {
			statuses[rp["Status"].(string)]++
			if rp["ParentRecoveryPointArn"] != nil {
				childRPs++
			}
		}
	}
	for _, st := range awsRecoveryPointStatuses {
		if statuses[st] == 0 {
			t.Errorf("no %s recovery point in the demo: %v", st, statuses)
		}
	}
	if childRPs != 3 {
		t.Errorf("%d child recovery points", childRPs)
	}

	resp, body = awsGet(t, c, s, "/resources/", o)
	res, _ := awsList(t, resp, body, "Results")
	types := map[string]bool{}
	var archive map[string]any
	for _, r := range res {
		types[r["ResourceType"].(string)] = true
		if r["ResourceName"] == "archive-data" {
			archive = r
		}
		if r["ResourceName"] == "reporting-db" {
			t.Errorf("reporting-db has no recovery point but is listed: %v", r)
		}
	}
	for _, typ := range []string{"EBS", "EC2", "RDS", "DynamoDB", "EFS", "S3", "CloudFormation"} {
		if !types[typ] {
			t.Errorf("no %s protected resource: %v", typ, types)
		}
	}
	if archive == nil || archive["LastRecoveryPointArn"] != "arn:aws:ec2:eu-west-1::snapshot/snap-0d1e2f3a4b5c60040" {
		t.Errorf("archive-data: %v", archive)
	} else if last := time.Unix(int64(archive["LastBackupTime"].(float64)), 0); time.Since(last) < 30*24*time.Hour {
		t.Errorf("archive-data backed up %s ago", time.Since(last))
	}
	resp, body = awsGet(t, c, s, "/backup-jobs/?resourceArn="+url.QueryEscape("arn:aws:rds:eu-west-1:123456789012:db:reporting-db"), o)
	if rj, _ := awsList(t, resp, body, "BackupJobs"); len(rj) != 2 || rj[0]["State"] != "FAILED" || rj[0]["StatusMessage"] == nil || rj[0]["MessageCategory"] != "AccessDenied" {
		t.Errorf("reporting-db jobs: %s", body)
	}
}
