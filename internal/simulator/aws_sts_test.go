package simulator

import (
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

const awsCrossRole = "arn:aws:iam::210987654321:role/CrossAccountBackupRead"

// awsSTSScenario is awsTestScenario with a role in the second account
// that the demo account may assume with an external ID.
func awsSTSScenario(now time.Time) *AWSScenario {
	sc := awsTestScenario(now)
	sc.Accounts[1].Roles = []AWSRole{
		{Name: "CrossAccountBackupRead", ExternalID: "ext-123", TrustedAccounts: []string{AWSDemoAccountID}, MaxSessionDuration: 7200},
		{Name: "NoWebIdentity"},
	}
	return sc
}

func awsSTSCall(t *testing.T, c *http.Client, s *Server, form url.Values, o awsReq) (*http.Response, []byte) {
	t.Helper()
	body := form.Encode()
	req, err := http.NewRequest(http.MethodPost, s.URL()+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	if o.service == "" {
		o.service = "sts"
	}
	return awsDo(t, c, req, []byte(body), o)
}

type awsSTSCredsXML struct {
	AccessKeyID     string `xml:"AccessKeyId"`
	SecretAccessKey string
	SessionToken    string
	Expiration      string
}

type awsAssumeRoleXML struct {
	XMLName xml.Name `xml:"https://sts.amazonaws.com/doc/2011-06-15/ AssumeRoleResponse"`
	Result  struct {
		Credentials     awsSTSCredsXML
		AssumedRoleUser struct {
			Arn           string
			AssumedRoleID string `xml:"AssumedRoleId"`
		}
	} `xml:"AssumeRoleResult"`
	RequestID string `xml:"ResponseMetadata>RequestId"`
}

type awsSTSErrorXML struct {
	XMLName xml.Name `xml:"https://sts.amazonaws.com/doc/2011-06-15/ ErrorResponse"`
	Error   struct {
		Type, Code, Message string
	}
	RequestID string `xml:"RequestId"`
}

func awsSTSErr(t *testing.T, resp *http.Response, body []byte, status int, code, msg string) {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("status %d, want %d: %s", resp.StatusCode, status, body)
	}
	var e awsSTSErrorXML
	if err := xml.Unmarshal(body, &e); err != nil {
		t.Fatalf("error body %s: %v", body, err)
	}
	if e.Error.Code != code || !strings.Contains(e.Error.Message, msg) || e.RequestID == "" || e.Error.Type == "" {
		t.Fatalf("error body %s: want code %s, a message containing %q", body, code, msg)
	}
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/xml") {
		t.Errorf("Content-Type %q", resp.Header.Get("Content-Type"))
	}
}

func assumeRoleForm(role, session string, extra ...string) url.Values {
	f := url.Values{"Action": {"AssumeRole"}, "Version": {"2011-06-15"}, "RoleArn": {role}, "RoleSessionName": {session}}
	for i := 0; i+1 < len(extra); i += 2 {
		f.Set(extra[i], extra[i+1])
	}
	return f
}

func TestAWSSTSAssumeRole(t *testing.T) {
	s, c := awsStart(t, awsSTSScenario(time.Now()))
	o := awsReq{creds: &awsDemoCreds}

	resp, body := awsSTSCall(t, c, s, assumeRoleForm(awsCrossRole, "exporter", "ExternalId", "ext-123", "DurationSeconds", "7200"), o)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/xml") {
		t.Fatalf("AssumeRole: %d %s", resp.StatusCode, body)
	}
	var ar awsAssumeRoleXML
	if err := xml.Unmarshal(body, &ar); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	cr := ar.Result.Credentials
	exp, err := time.Parse(time.RFC3339, cr.Expiration)
	if err != nil || !strings.HasPrefix(cr.AccessKeyID, "ASIA") || len(cr.AccessKeyID) != 20 || len(cr.SecretAccessKey) != 40 || cr.SessionToken == "" ||
		exp.Sub(time.Now().Add(2*time.Hour)).Abs() > 5*time.Second || ar.RequestID == "" {
		t.Fatalf("credentials %+v (%v)", ar, err)
	}
	if ar.Result.AssumedRoleUser.Arn != "arn:aws:sts::210987654321:assumed-role/CrossAccountBackupRead/exporter" ||
		!strings.HasPrefix(ar.Result.AssumedRoleUser.AssumedRoleID, "AROA") || !strings.HasSuffix(ar.Result.AssumedRoleUser.AssumedRoleID, ":exporter") {
		t.Errorf("assumed role user %+v", ar.Result.AssumedRoleUser)
	}
	if got := s.IssuedAWSCredentials(); len(got) != 1 || got[0].AccessKeyID != cr.AccessKeyID || got[0].RoleArn != awsCrossRole {
		t.Errorf("issued %+v", got)
	}

	// The temporary credentials give the role's account's data.
	temp := awsTestCreds{cr.AccessKeyID, cr.SecretAccessKey, cr.SessionToken}
	resp, body = awsGet(t, c, s, "/backup-jobs", awsReq{creds: &temp})
	if items, _ := awsList(t, resp, body, "BackupJobs"); awsIDs(items, "BackupJobId") != "other-job" {
		t.Fatalf("with the role's credentials: %s", body)
	}
	resp, body = awsGet(t, c, s, "/backup-jobs", awsReq{creds: &awsTestCreds{cr.AccessKeyID, cr.SecretAccessKey, ""}})
	awsErr(t, resp, body, 403, "UnrecognizedClientException", "security token included in the request is invalid")
	resp, body = awsGet(t, c, s, "/backup-jobs", awsReq{creds: &awsTestCreds{cr.AccessKeyID, cr.SecretAccessKey, cr.SessionToken + "x"}})
	awsErr(t, resp, body, 403, "UnrecognizedClientException", "is invalid")
	resp, body = awsGet(t, c, s, "/backup-jobs", awsReq{creds: &awsTestCreds{cr.AccessKeyID, "wrong", cr.SessionToken}})
	awsErr(t, resp, body, 403, "InvalidSignatureException", "does not match")

	// GetCallerIdentity, with the long-term key and the temporary one.
	gci := url.Values{"Action": {"GetCallerIdentity"}, "Version": {"2011-06-15"}}
	var id struct {
		Arn     string `xml:"GetCallerIdentityResult>Arn"`
		UserID  string `xml:"GetCallerIdentityResult>UserId"`
		Account string `xml:"GetCallerIdentityResult>Account"`
	}
	resp, body = awsSTSCall(t, c, s, gci, o)
	if err := xml.Unmarshal(body, &id); err != nil || resp.StatusCode != 200 || id.Account != AWSDemoAccountID || id.Arn != "arn:aws:iam::123456789012:user/simulator" || !strings.HasPrefix(id.UserID, "AIDA") {
		t.Fatalf("GetCallerIdentity: %d %s", resp.StatusCode, body)
	}
	resp, body = awsSTSCall(t, c, s, gci, awsReq{creds: &temp, region: "us-east-1"})
	if err := xml.Unmarshal(body, &id); err != nil || resp.StatusCode != 200 || id.Account != "210987654321" || id.Arn != ar.Result.AssumedRoleUser.Arn {
		t.Fatalf("GetCallerIdentity (temporary, global region): %d %s", resp.StatusCode, body)
	}

	// Expired temporary credentials.
	s.ExpireAWSCredentials()
	resp, body = awsGet(t, c, s, "/backup-jobs", awsReq{creds: &temp})
	awsErr(t, resp, body, 403, "ExpiredTokenException", "expired")
	resp, body = awsSTSCall(t, c, s, gci, awsReq{creds: &temp})
	awsSTSErr(t, resp, body, 400, "ExpiredToken", "expired")

	// Refusals.
	other := awsTestCreds{"AKIAOTHERACCOUNT0001", "other-secret", ""}
	for _, tc := range []struct {
		name   string
		form   url.Values
		o      awsReq
		status int
		code   string
		msg    string
	}{
		{"no external id", assumeRoleForm(awsCrossRole, "x1"), o, 403, "AccessDenied", "is not authorized to perform: sts:AssumeRole on resource: " + awsCrossRole},
		{"wrong external id", assumeRoleForm(awsCrossRole, "x1", "ExternalId", "nope"), o, 403, "AccessDenied", "user/simulator"},
		{"untrusted account", assumeRoleForm(awsCrossRole, "x1", "ExternalId", "ext-123"), awsReq{creds: &other}, 403, "AccessDenied", "arn:aws:iam::210987654321:user/simulator"},
		{"no such role", assumeRoleForm("arn:aws:iam::123456789012:role/Nope", "x1"), o, 403, "AccessDenied", "role/Nope"},
		{"bad session name", assumeRoleForm(awsCrossRole, "a b"), o, 400, "ValidationError", "roleSessionName"},
		{"no session name", assumeRoleForm(awsCrossRole, ""), o, 400, "ValidationError", "1 validation error detected: Value 'null' at 'roleSessionName'"},
		{"short duration", assumeRoleForm(awsCrossRole, "x1", "DurationSeconds", "60"), o, 400, "ValidationError", "durationSeconds"},
		{"over the role's maximum", assumeRoleForm(AWSDemoRoleARN, "x1", "DurationSeconds", "7200"), o, 400, "ValidationError", "MaxSessionDuration"},
		{"not a role ARN", assumeRoleForm("arn:aws:iam::123456789012:user/someone", "x1"), o, 400, "ValidationError", "is invalid"},
		{"unsigned", assumeRoleForm(AWSDemoRoleARN, "x1"), awsReq{}, 403, "MissingAuthenticationToken", "Request is missing Authentication Token"},
		{"scoped to backup", assumeRoleForm(AWSDemoRoleARN, "x1"), awsReq{creds: &awsDemoCreds, service: "backup"}, 403, "SignatureDoesNotMatch", "correct service: 'sts'"},
		{"wrong secret", assumeRoleForm(AWSDemoRoleARN, "x1"), awsReq{creds: &awsTestCreds{AWSDemoAccessKeyID, "x", ""}}, 403, "SignatureDoesNotMatch", "does not match"},
		{"unknown key", assumeRoleForm(AWSDemoRoleARN, "x1"), awsReq{creds: &awsTestCreds{"AKIANOBODY0000000000", "x", ""}}, 403, "InvalidClientTokenId", "is invalid"},
		{"stale", assumeRoleForm(AWSDemoRoleARN, "x1"), awsReq{creds: &awsDemoCreds, at: time.Now().Add(-20 * time.Minute)}, 403, "SignatureDoesNotMatch", "Signature expired"},
		{"unknown action", url.Values{"Action": {"GetSessionToken"}, "Version": {"2011-06-15"}}, o, 400, "InvalidAction", "Could not find operation GetSessionToken for version 2011-06-15"},
		{"other version", url.Values{"Action": {"AssumeRole"}, "Version": {"2010-01-01"}}, o, 400, "InvalidAction", "version 2010-01-01"},
		{"no action", url.Values{"Version": {"2011-06-15"}}, o, 400, "MissingAction", "Missing Action"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := awsSTSCall(t, c, s, tc.form, tc.o)
			awsSTSErr(t, resp, body, tc.status, tc.code, tc.msg)
		})
	}

	// The same-account demo role, with the demo key, for an hour.
	resp, body = awsSTSCall(t, c, s, assumeRoleForm(AWSDemoRoleARN, "demo"), o)
	if err := xml.Unmarshal(body, &ar); err != nil || resp.StatusCode != 200 {
		t.Fatalf("demo role: %d %s", resp.StatusCode, body)
	}
	if exp, _ := time.Parse(time.RFC3339, ar.Result.Credentials.Expiration); exp.Sub(time.Now().Add(time.Hour)).Abs() > 5*time.Second {
		t.Errorf("default duration: %s", ar.Result.Credentials.Expiration)
	}

	// GET with the parameters in the query works too.
	req, _ := http.NewRequest(http.MethodGet, s.URL()+"/?"+gci.Encode(), nil)
	if resp, body := awsDo(t, c, req, nil, awsReq{creds: &awsDemoCreds, service: "sts"}); resp.StatusCode != 200 || !strings.Contains(string(body), "<GetCallerIdentityResponse") {
		t.Errorf("GET GetCallerIdentity: %d %s", resp.StatusCode, body)
	}

	// Injected faults answer in the STS format.
	s.AddFault(Fault{API: AWSSTSAPI, Status: 400, Times: 1})
	resp, body = awsSTSCall(t, c, s, gci, o)
	awsSTSErr(t, resp, body, 400, "Throttling", "Rate exceeded")
	s.AddFault(Fault{API: AWSSTSAPI, Status: 503, Times: 1})
	resp, body = awsSTSCall(t, c, s, gci, o)
	awsSTSErr(t, resp, body, 503, "ServiceUnavailable", "Injected fault")
	var e awsSTSErrorXML
	xml.Unmarshal(body, &e)
	if e.Error.Type != "Receiver" {
		t.Errorf("5xx error type %q", e.Error.Type)
	}
}

func awsTestJWT(claims map[string]any) string {
	b, _ := json.Marshal(claims)
	return base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256","typ":"JWT"}`)) + "." + base64.RawURLEncoding.EncodeToString(b) + ".c2ln"
}

func TestAWSSTSWebIdentity(t *testing.T) {
	sc := awsSTSScenario(time.Now())
	jwt := awsTestJWT(map[string]any{"sub": "system:serviceaccount:monitoring:backup-exporter", "aud": "sts.amazonaws.com",
		"iss": "https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE", "exp": time.Now().Add(time.Hour).Unix()})
	expired := awsTestJWT(map[string]any{"sub": "x", "exp": time.Now().Add(-time.Hour).Unix()})
	sc.Accounts[0].Roles[0].WebIdentityTokens = append(sc.Accounts[0].Roles[0].WebIdentityTokens, jwt, expired)
	s, c := awsStart(t, sc)
	form := func(role, token string) url.Values {
		return url.Values{"Action": {"AssumeRoleWithWebIdentity"}, "Version": {"2011-06-15"}, "RoleArn": {role}, "RoleSessionName": {"web"}, "WebIdentityToken": {token}}
	}
	var out struct {
		Result struct {
			Credentials                 awsSTSCredsXML
			SubjectFromWebIdentityToken string
			Audience                    string
			Provider                    string
			AssumedRoleUser             struct{ Arn string }
		} `xml:"AssumeRoleWithWebIdentityResult"`
	}
	// Unsigned, as the operation is.
	resp, body := awsSTSCall(t, c, s, form(AWSDemoRoleARN, jwt), awsReq{})
	if err := xml.Unmarshal(body, &out); err != nil || resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	if out.Result.SubjectFromWebIdentityToken != "system:serviceaccount:monitoring:backup-exporter" || out.Result.Audience != "sts.amazonaws.com" ||
		out.Result.Provider != "https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE" ||
		out.Result.AssumedRoleUser.Arn != "arn:aws:sts::123456789012:assumed-role/"+AWSDemoRoleName+"/web" {
		t.Errorf("result %+v", out.Result)
	}
	cr := out.Result.Credentials
	resp, body = awsGet(t, c, s, "/backup-vaults", awsReq{creds: &awsTestCreds{cr.AccessKeyID, cr.SecretAccessKey, cr.SessionToken}})
	if items, _ := awsList(t, resp, body, "BackupVaultList"); len(items) != 2 {
		t.Fatalf("with web identity credentials: %s", body)
	}
	// The demo's opaque token.
	resp, body = awsSTSCall(t, c, s, form(AWSDemoRoleARN, AWSDemoWebIdentityToken), awsReq{})
	if err := xml.Unmarshal(body, &out); err != nil || resp.StatusCode != 200 || out.Result.SubjectFromWebIdentityToken == "" {
		t.Fatalf("opaque token: %d %s", resp.StatusCode, body)
	}

	resp, body = awsSTSCall(t, c, s, form(AWSDemoRoleARN, "not-a-known-token"), awsReq{})
	awsSTSErr(t, resp, body, 400, "InvalidIdentityToken", "could not be validated")
	resp, body = awsSTSCall(t, c, s, form(AWSDemoRoleARN, expired), awsReq{})
	awsSTSErr(t, resp, body, 400, "ExpiredTokenException", "Token expired")
	resp, body = awsSTSCall(t, c, s, form("arn:aws:iam::210987654321:role/NoWebIdentity", jwt), awsReq{})
	awsSTSErr(t, resp, body, 403, "AccessDenied", "sts:AssumeRoleWithWebIdentity")
	resp, body = awsSTSCall(t, c, s, form(AWSDemoRoleARN, "abc"), awsReq{})
	awsSTSErr(t, resp, body, 400, "ValidationError", "webIdentityToken")
}
