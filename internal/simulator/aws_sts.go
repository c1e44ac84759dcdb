package simulator

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// AWS STS (Security Token Service), query protocol, API version
// 2011-06-15, as in the AWS STS API Reference: AssumeRole (SigV4 signed,
// service "sts"), AssumeRoleWithWebIdentity (unsigned) and
// GetCallerIdentity, as a form POST (or GET) to "/" with Action and
// Version. The temporary credentials it issues (AccessKeyId ASIA...,
// SecretAccessKey, SessionToken, Expiration) are then accepted by the
// AWS Backup routes with the SessionToken as X-Amz-Security-Token, and
// give the data of the role's account.

// AWSSTSAPI is the STS API name used in faults and stats.
const AWSSTSAPI = "aws_sts"

const (
	awsSTSVersion     = "2011-06-15"
	awsSTSNamespace   = "https://sts.amazonaws.com/doc/2011-06-15/"
	awsSTSGlobal      = "us-east-1"
	awsSTSDefaultTTL  = 3600
	awsSTSMinDuration = 900
	awsSTSMaxTempKeys = 100000
)

var (
	awsRoleSessionNameRE = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
	awsExternalIDRE      = regexp.MustCompile(`^[\w+=,.@:/-]+$`)
	awsRoleARNRE         = regexp.MustCompile(`^arn:aws[a-z-]*:iam::([0-9]{12}):role/(.+)$`)
)

// awsTempCred is a set of temporary credentials STS issued.
type awsTempCred struct {
	secret, token         string
	account               string // the role's
	roleArn               string
	assumedArn, assumedID string
	expires               time.Time
}

// AWSIssuedCredentials is a set of temporary credentials the simulator's
// STS issued, for tests.
type AWSIssuedCredentials struct {
	AccessKeyID, SecretAccessKey, SessionToken string
	RoleArn                                    string
	Expiration                                 time.Time
}

// IssuedAWSCredentials lists the temporary credentials issued so far.
func (s *Server) IssuedAWSCredentials() []AWSIssuedCredentials {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []AWSIssuedCredentials
	for id, t := range s.aws.temp {
		out = append(out, AWSIssuedCredentials{AccessKeyID: id, SecretAccessKey: t.secret, SessionToken: t.token, RoleArn: t.roleArn, Expiration: t.expires})
	}
	slices.SortFunc(out, func(a, b AWSIssuedCredentials) int { return a.Expiration.Compare(b.Expiration) })
	return out
}

// ExpireAWSCredentials makes every issued temporary credential expired.
func (s *Server) ExpireAWSCredentials() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.aws.temp {
		t.expires = time.Now().Add(-time.Second)
	}
}

// awsKeySuffix derives 16 upper-case base32-looking characters from a
// seed, for IAM unique IDs (AIDA..., AROA...).
func awsKeySuffix(seed string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	h := sha256Sum([]byte(seed))
	b := make([]byte, 16)
	for i := range b {
		b[i] = alphabet[h[i]%32]
	}
	return string(b)
}

func awsRandom(alphabet string, n int) string {
	raw := make([]byte, n)
	rand.Read(raw)
	for i := range raw {
		raw[i] = alphabet[int(raw[i])%len(alphabet)]
	}
	return string(raw)
}

// awsSTSError writes a query-protocol error document.
func awsSTSError(w http.ResponseWriter, status int, code, msg string) {
	kind := "Sender"
	if status >= 500 {
		kind = "Receiver"
	}
	id := awsRequestID()
	w.Header().Set("X-Amzn-RequestId", id)
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	var b strings.Builder
	b.WriteString(`<ErrorResponse xmlns="` + awsSTSNamespace + `">` + "\n  <Error>\n    <Type>" + kind + "</Type>\n    <Code>")
	xml.EscapeText(&b, []byte(code))
	b.WriteString("</Code>\n    <Message>")
	xml.EscapeText(&b, []byte(msg))
	b.WriteString("</Message>\n  </Error>\n  <RequestId>" + id + "</RequestId>\n</ErrorResponse>\n")
	w.Write([]byte(b.String()))
}

// awsSTSFaultError answers injected faults in the STS format: 400 and
// 429 are Throttling ("Rate exceeded"), 401 InvalidClientTokenId, 403
// AccessDenied, 5xx ServiceUnavailable, other 4xx InvalidAction. The
// status is the fault's.
func awsSTSFaultError(w http.ResponseWriter, status int, title, detail string) {
	code, msg := "InvalidAction", title
	switch {
	case status == http.StatusBadRequest || status == http.StatusTooManyRequests:
		code, msg = "Throttling", "Rate exceeded"
	case status == http.StatusUnauthorized:
		code, msg = "InvalidClientTokenId", "The security token included in the request is invalid."
	case status == http.StatusForbidden:
		code, msg = "AccessDenied", "User is not authorized to perform this action"
	case status >= 500:
		code, msg = "ServiceUnavailable", "The request has failed due to a temporary failure of the server"
	}
	awsSTSError(w, status, code, msg+". "+detail)
}

// awsSigV4STSError maps a SigV4 failure to the query protocol's codes.
func awsSigV4STSError(w http.ResponseWriter, err error) {
	var se *SigV4Error
	if !errors.As(err, &se) {
		awsSTSError(w, http.StatusBadRequest, "InvalidParameterValue", err.Error())
		return
	}
	switch se.Failure {
	case SigV4Missing:
		awsSTSError(w, http.StatusForbidden, "MissingAuthenticationToken", "Request is missing Authentication Token")
	case SigV4Incomplete:
		awsSTSError(w, http.StatusBadRequest, "IncompleteSignature", se.Message)
	case SigV4UnknownKey, SigV4BadToken:
		awsSTSError(w, http.StatusForbidden, "InvalidClientTokenId", se.Message)
	case SigV4TokenExpired:
		awsSTSError(w, http.StatusBadRequest, "ExpiredToken", se.Message)
	default:
		awsSTSError(w, http.StatusForbidden, "SignatureDoesNotMatch", se.Message)
	}
}

// awsSTS answers the STS actions.
func (s *Server) awsSTS(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	d := s.aws.data
	s.mu.Unlock()
	body, err := readSigV4Body(r)
	if err != nil {
		awsSTSError(w, http.StatusBadRequest, "InvalidParameterValue", "Cannot read the request body: "+err.Error())
		return
	}
	params := r.URL.Query()
	if r.Method == http.MethodPost {
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(strings.ToLower(ct), "application/x-www-form-urlencoded") {
			awsSTSError(w, http.StatusBadRequest, "InvalidParameterValue", "The request's Content-Type must be application/x-www-form-urlencoded, not "+strconv.Quote(ct))
			return
		}
		form, err := url.ParseQuery(string(body))
		if err != nil {
			awsSTSError(w, http.StatusBadRequest, "MalformedQueryString", "The form body cannot be parsed: "+err.Error())
			return
		}
		for k, v := range form {
			params[k] = v
		}
	}
	action, version := params.Get("Action"), params.Get("Version")
	switch {
	case action == "":
		awsSTSError(w, http.StatusBadRequest, "MissingAction", "Missing Action")
		return
	case version == "":
		awsSTSError(w, http.StatusBadRequest, "MissingParameter", "The request must contain the parameter Version.")
		return
	case version != awsSTSVersion:
		awsSTSError(w, http.StatusBadRequest, "InvalidAction", fmt.Sprintf("Could not find operation %s for version %s", action, version))
		return
	}
	switch action {
	case "AssumeRoleWithWebIdentity":
		s.awsAssumeRoleWithWebIdentity(w, d, params)
		return
	case "AssumeRole", "GetCallerIdentity":
	default:
		awsSTSError(w, http.StatusBadRequest, "InvalidAction", fmt.Sprintf("Could not find operation %s for version %s", action, version))
		return
	}
	auth, err := VerifySigV4(r, body, SigV4Params{Service: "sts", Regions: slices.Compact([]string{d.region, awsSTSGlobal}),
		Lookup: s.awsLookup(d), Now: time.Now()})
	if err != nil {
		awsSigV4STSError(w, err)
		return
	}
	caller, ok := s.awsPrincipal(d, auth.AccessKeyID)
	if !ok {
		awsSTSError(w, http.StatusForbidden, "InvalidClientTokenId", "The security token included in the request is invalid.")
		return
	}
	if action == "GetCallerIdentity" {
		awsSTSWrite(w, "GetCallerIdentity", fmt.Sprintf("    <Arn>%s</Arn>\n    <UserId>%s</UserId>\n    <Account>%s</Account>\n",
			xmlText(caller.arn), xmlText(caller.userID), caller.account))
		return
	}
	s.awsAssumeRole(w, d, params, caller)
}

func xmlText(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

// awsSTSWrite writes <ActionResponse><ActionResult>result</ActionResult>
// <ResponseMetadata>.
func awsSTSWrite(w http.ResponseWriter, action, result string) {
	id := awsRequestID()
	w.Header().Set("X-Amzn-RequestId", id)
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(http.StatusOK)
	fmt.Fprintf(w, "<%sResponse xmlns=\"%s\">\n  <%sResult>\n%s  </%sResult>\n  <ResponseMetadata>\n    <RequestId>%s</RequestId>\n  </ResponseMetadata>\n</%sResponse>\n",
		action, awsSTSNamespace, action, result, action, id, action)
}

// awsSTSRequest validates the parameters AssumeRole and
// AssumeRoleWithWebIdentity share; it answers and returns nil on error.
func awsSTSRequest(w http.ResponseWriter, d *awsData, params url.Values) (role *awsRoleData, session string, duration int, ok bool) {
	roleArn, session := params.Get("RoleArn"), params.Get("RoleSessionName")
	var errs []string
	if roleArn == "" {
		errs = append(errs, awsConstraint("null", "roleArn", "Member must not be null"))
	} else if len(roleArn) < 20 || len(roleArn) > 2048 {
		errs = append(errs, awsConstraint(roleArn, "roleArn", "Member must have length between 20 and 2048"))
	}
	if session == "" {
		errs = append(errs, awsConstraint("null", "roleSessionName", "Member must not be null"))
	} else if !awsRoleSessionNameRE.MatchString(session) {
		errs = append(errs, awsConstraint(session, "roleSessionName", `Member must satisfy regular expression pattern: [\w+=,.@-]*`))
	}
	duration = awsSTSDefaultTTL
	if v := params.Get("DurationSeconds"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < awsSTSMinDuration || n > 43200 {
			errs = append(errs, awsConstraint(v, "durationSeconds", "Member must have value between 900 and 43200"))
		}
		duration = n
	}
	if len(errs) > 0 {
		awsSTSError(w, http.StatusBadRequest, "ValidationError", fmt.Sprintf("%d validation error%s detected: %s",
			len(errs), map[bool]string{true: "s"}[len(errs) > 1], strings.Join(errs, "; ")))
		return nil, "", 0, false
	}
	if !awsRoleARNRE.MatchString(roleArn) {
		awsSTSError(w, http.StatusBadRequest, "ValidationError", roleArn+" is invalid")
		return nil, "", 0, false
	}
	role = d.roles[roleArn]
	if role != nil && duration > role.maxDuration {
		awsSTSError(w, http.StatusBadRequest, "ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
		return nil, "", 0, false
	}
	return role, session, duration, true
}

// awsIssue stores and returns new temporary credentials for role.
func (s *Server) awsIssue(role *awsRoleData, session string, duration int) (string, *awsTempCred) {
	lastSeg := role.name[strings.LastIndexByte(role.name, '/')+1:]
	t := &awsTempCred{
		secret:     awsRandom("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", 40),
		account:    role.account,
		roleArn:    role.arn,
		assumedArn: "arn:aws:sts::" + role.account + ":assumed-role/" + lastSeg + "/" + session,
		assumedID:  "AROA" + awsKeySuffix("role:"+role.arn) + ":" + session,
		expires:    time.Now().Add(time.Duration(duration) * time.Second).Truncate(time.Second),
	}
	raw := make([]byte, 240)
	rand.Read(raw)
	t.token = "IQoJb3JpZ2luX2VjE" + base64.StdEncoding.EncodeToString(raw)
	id := "ASIA" + awsRandom("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	if len(s.aws.temp) >= awsSTSMaxTempKeys {
		for k, v := range s.aws.temp {
			if !now.Before(v.expires) {
				delete(s.aws.temp, k)
			}
		}
	}
	s.aws.temp[id] = t
	return id, t
}

func awsCredentialsXML(id string, t *awsTempCred) string {
	return fmt.Sprintf("    <AssumedRoleUser>\n      <Arn>%s</Arn>\n      <AssumedRoleId>%s</AssumedRoleId>\n    </AssumedRoleUser>\n"+
		"    <Credentials>\n      <AccessKeyId>%s</AccessKeyId>\n      <SecretAccessKey>%s</SecretAccessKey>\n      <SessionToken>%s</SessionToken>\n      <Expiration>%s</Expiration>\n    </Credentials>\n",
		xmlText(t.assumedArn), xmlText(t.assumedID), id, xmlText(t.secret), xmlText(t.token), t.expires.UTC().Format("2006-01-02T15:04:05Z"))
}

// awsAssumeRole answers AssumeRole: the role must exist, trust the
// caller's account, and get the external ID it requires; anything else
// is AccessDenied, as AWS answers for a role it will not let the caller
// assume.
func (s *Server) awsAssumeRole(w http.ResponseWriter, d *awsData, params url.Values, caller awsPrincipal) {
	role, session, duration, ok := awsSTSRequest(w, d, params)
	if !ok {
		return
	}
	ext := params.Get("ExternalId")
	if ext != "" && (len(ext) < 2 || len(ext) > 1224 || !awsExternalIDRE.MatchString(ext)) {
		awsSTSError(w, http.StatusBadRequest, "ValidationError", awsValidation(ext, "externalId", `Member must satisfy regular expression pattern: [\w+=,.@:\/-]*`))
		return
	}
	denied := role == nil ||
		len(role.trusted) > 0 && !slices.Contains(role.trusted, caller.account) ||
		len(role.trusted) == 0 && d.accounts[caller.account] == nil ||
		subtle.ConstantTimeCompare([]byte(ext), []byte(role.externalID)) != 1
	if denied {
		awsSTSError(w, http.StatusForbidden, "AccessDenied", fmt.Sprintf("User: %s is not authorized to perform: sts:AssumeRole on resource: %s", caller.arn, params.Get("RoleArn")))
		return
	}
	id, t := s.awsIssue(role, session, duration)
	awsSTSWrite(w, "AssumeRole", awsCredentialsXML(id, t))
}

// awsAssumeRoleWithWebIdentity answers AssumeRoleWithWebIdentity
// (unsigned): the token must be one of the role's web_identity_tokens.
// When it is a JWT, its exp, sub, aud and iss claims are used (its
// signature is not checked).
func (s *Server) awsAssumeRoleWithWebIdentity(w http.ResponseWriter, d *awsData, params url.Values) {
	role, session, duration, ok := awsSTSRequest(w, d, params)
	if !ok {
		return
	}
	token := params.Get("WebIdentityToken")
	if len(token) < 4 || len(token) > 20000 {
		awsSTSError(w, http.StatusBadRequest, "ValidationError", awsValidation("*** Sensitive Data Redacted ***", "webIdentityToken", "Member must have length between 4 and 20000"))
		return
	}
	if role == nil || len(role.webTokens) == 0 {
		awsSTSError(w, http.StatusForbidden, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity")
		return
	}
	known := false
	for _, t := range role.webTokens {
		known = known || subtle.ConstantTimeCompare([]byte(t), []byte(token)) == 1
	}
	if !known {
		awsSTSError(w, http.StatusBadRequest, "InvalidIdentityToken", "The web identity token that was passed could not be validated by AWS. Get a new identity token from the identity provider and then retry the request.")
		return
	}
	claims := awsJWTClaims(token)
	if exp, ok := claims["exp"].(float64); ok && time.Unix(int64(exp), 0).Before(time.Now()) {
		awsSTSError(w, http.StatusBadRequest, "ExpiredTokenException", "Token expired: current date/time must be before the expiration date/time "+time.Unix(int64(exp), 0).UTC().Format(time.RFC3339))
		return
	}
	claim := func(k, def string) string {
		switch v := claims[k].(type) {
		case string:
			return v
		case []any:
			if len(v) > 0 {
				if s, ok := v[0].(string); ok {
					return s
				}
			}
		}
		return def
	}
	id, t := s.awsIssue(role, session, duration)
	provider := firstNonEmpty(params.Get("ProviderId"), claim("iss", "simulator"))
	awsSTSWrite(w, "AssumeRoleWithWebIdentity", fmt.Sprintf("    <SubjectFromWebIdentityToken>%s</SubjectFromWebIdentityToken>\n    <Audience>%s</Audience>\n%s    <Provider>%s</Provider>\n",
		xmlText(claim("sub", "simulator-subject")), xmlText(claim("aud", "sts.amazonaws.com")), awsCredentialsXML(id, t), xmlText(provider)))
}

// awsJWTClaims decodes the claims of a JWT without checking it; nil for
// anything else.
func awsJWTClaims(token string) map[string]any {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return nil
	}
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		return nil
	}
	return m
}
