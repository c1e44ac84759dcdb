package simulator

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Microsoft Entra.

// entraError writes an OAuth 2.0 error body as Entra does.
func entraError(w http.ResponseWriter, status int, code string, aadsts int, desc string) {
	now := time.Now().UTC()
	trace, corr := newUUID(), newUUID()
	writeJSON(w, status, map[string]any{
		"error": code,
		"error_description": fmt.Sprintf("AADSTS%d: %s Trace ID: %s Correlation ID: %s Timestamp: %s",
			aadsts, desc, trace, corr, now.Format("2006-01-02 15:04:05Z")),
		"error_codes":    []int{aadsts},
		"timestamp":      now.Format("2006-01-02 15:04:05Z"),
		"trace_id":       trace,
		"correlation_id": corr,
	})
}

func entraFaultError(w http.ResponseWriter, status int, title, detail string) {
	switch {
	case status == http.StatusBadRequest:
		entraError(w, status, "invalid_request", 900144, detail)
	case status == http.StatusUnauthorized:
		entraError(w, status, "invalid_client", 7000215, detail)
	case status == http.StatusTooManyRequests || status >= 500:
		entraError(w, status, "temporarily_unavailable", 50196, detail)
	default:
		entraError(w, status, "server_error", 90033, detail)
	}
}

func (s *Server) entraDispatch(w http.ResponseWriter, r *http.Request) {
	tenant := r.PathValue("tenant")
	rest := strings.TrimPrefix(r.URL.Path, "/"+tenant)
	switch {
	case rest == "/v2.0/.well-known/openid-configuration" && (r.Method == http.MethodGet || r.Method == http.MethodHead):
		s.entraOpenIDConfiguration(w, r, tenant)
	case rest == "/oauth2/v2.0/token" && r.Method == http.MethodPost:
		s.entraToken(w, r, tenant)
	case rest == "/oauth2/v2.0/token":
		entraError(w, http.StatusMethodNotAllowed, "invalid_request", 900561,
			"The endpoint only accepts POST requests. Received a "+r.Method+" request.")
	default:
		entraError(w, http.StatusNotFound, "invalid_request", 90009,
			"The simulator serves no endpoint "+r.URL.Path+".")
	}
}

func isMetaTenant(t string) bool {
	switch strings.ToLower(t) {
	case "common", "organizations", "consumers":
		return true
	}
	return false
}

func (s *Server) entraOpenIDConfiguration(w http.ResponseWriter, r *http.Request, tenant string) {
	st := s.azureState()
	s.mu.Lock()
	known := st.tenant(tenant) != nil
	s.mu.Unlock()
	if !known && !isMetaTenant(tenant) {
		entraError(w, http.StatusBadRequest, "invalid_tenant", 90002, fmt.Sprintf(
			"Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.", tenant))
		return
	}
	base := baseURL(r)
	issuerTenant := tenant
	if !known {
		issuerTenant = "{tenantid}"
	}
	t := base + "/" + tenant
	writeJSON(w, http.StatusOK, map[string]any{
		"token_endpoint":                        t + "/oauth2/v2.0/token",
		"token_endpoint_auth_methods_supported": []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
		"jwks_uri":                              t + "/discovery/v2.0/keys",
		"response_modes_supported":              []string{"query", "fragment", "form_post"},
		"subject_types_supported":               []string{"pairwise"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"response_types_supported":              []string{"code", "id_token", "code id_token", "id_token token"},
		"scopes_supported":                      []string{"openid", "profile", "email", "offline_access"},
		"issuer":                                base + "/" + issuerTenant + "/v2.0",
		"request_uri_parameter_supported":       false,
		"userinfo_endpoint":                     base + "/oidc/userinfo",
		"authorization_endpoint":                t + "/oauth2/v2.0/authorize",
		"device_authorization_endpoint":         t + "/oauth2/v2.0/devicecode",
		"http_logout_supported":                 true,
		"frontchannel_logout_supported":         true,
		"end_session_endpoint":                  t + "/oauth2/v2.0/logout",
		"claims_supported":                      []string{"sub", "iss", "aud", "exp", "iat", "tid", "ver"},
		"kerberos_endpoint":                     t + "/kerberos",
		"tenant_region_scope":                   "EU",
		"cloud_instance_name":                   r.Host,
		"cloud_graph_host_name":                 r.Host,
		"msgraph_host":                          r.Host,
		"rbac_url":                              base,
	})
}

func (s *Server) entraInstanceDiscovery(w http.ResponseWriter, r *http.Request) {
	tenant := "common"
	if ae := r.URL.Query().Get("authorization_endpoint"); ae != "" {
		if u, err := url.Parse(ae); err == nil {
			if seg := strings.Split(strings.TrimPrefix(u.Path, "/"), "/"); seg[0] != "" {
				tenant = seg[0]
			}
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"tenant_discovery_endpoint": baseURL(r) + "/" + tenant + "/v2.0/.well-known/openid-configuration",
		"api-version":               "1.1",
		"metadata": []map[string]any{{
			"preferred_network": r.Host,
			"preferred_cache":   r.Host,
			"aliases":           []string{r.Host},
		}},
	})
}

const jwtBearerAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// entraToken is the client-credentials grant.
func (s *Server) entraToken(w http.ResponseWriter, r *http.Request, tenant string) {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	if err := r.ParseForm(); err != nil {
		entraError(w, http.StatusBadRequest, "invalid_request", 900144, "The request body must be application/x-www-form-urlencoded: "+err.Error())
		return
	}
	f := r.PostForm
	if gt := f.Get("grant_type"); gt != "client_credentials" {
		if gt == "" {
			entraError(w, http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'.")
		} else {
			entraError(w, http.StatusBadRequest, "unsupported_grant_type", 70003, "The app requested an unsupported grant type '"+gt+"'.")
		}
		return
	}
	st := s.azureState()
	s.mu.Lock()
	var clients []AzureClient
	t := st.tenant(tenant)
	if t != nil {
		clients = append(clients, t.Clients...)
	}
	s.mu.Unlock()
	if t == nil {
		entraError(w, http.StatusBadRequest, "invalid_request", 90002, fmt.Sprintf(
			"Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.", tenant))
		return
	}

	assertion := f.Get("client_assertion")
	clientID := f.Get("client_id")
	var claims *jwtClaims
	if assertion != "" {
		if at := f.Get("client_assertion_type"); at != jwtBearerAssertionType {
			entraError(w, http.StatusBadRequest, "invalid_request", 50027,
				"client_assertion_type must be '"+jwtBearerAssertionType+"'.")
			return
		}
		var err error
		if claims, err = parseJWT(assertion); err != nil {
			entraError(w, http.StatusBadRequest, "invalid_request", 50027, "JWT token is invalid or malformed: "+err.Error())
			return
		}
		if clientID == "" {
			clientID = claims.Issuer
		}
	}
	if clientID == "" {
		entraError(w, http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'client_id'.")
		return
	}
	var client *AzureClient
	for i := range clients {
		if strings.EqualFold(clients[i].ClientID, clientID) {
			client = &clients[i]
		}
	}
	if client == nil {
		entraError(w, http.StatusUnauthorized, "invalid_client", 700016, fmt.Sprintf(
			"Application with identifier '%s' was not found in the directory '%s'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.", clientID, tenant))
		return
	}

	if !validScope(f.Get("scope"), baseURL(r), s.url) {
		entraError(w, http.StatusBadRequest, "invalid_scope", 1002012, fmt.Sprintf(
			"The provided value for scope %s is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI); the resource here is %s.",
			f.Get("scope"), baseURL(r)))
		return
	}

	switch {
	case assertion != "":
		s.mu.Lock()
		certs := st.certs[clientKey(tenant, client.ClientID)]
		s.mu.Unlock()
		tokenEndpoint := baseURL(r) + "/" + tenant + "/oauth2/v2.0/token"
		if code, msg := verifyClientAssertion(claims, certs, tokenEndpoint, client.ClientID, time.Now()); code != 0 {
			entraError(w, http.StatusUnauthorized, "invalid_client", code, msg)
			return
		}
	case f.Has("client_secret"):
		if client.ClientSecret == "" || subtle.ConstantTimeCompare([]byte(f.Get("client_secret")), []byte(client.ClientSecret)) != 1 {
			entraError(w, http.StatusUnauthorized, "invalid_client", 7000215, fmt.Sprintf(
				"Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '%s'.", client.ClientID))
			return
		}
	default:
		entraError(w, http.StatusUnauthorized, "invalid_client", 7000218,
			"The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")
		return
	}

	tok := "sim." + randomToken(32)
	now := time.Now()
	s.mu.Lock()
	for k, v := range st.tokens {
		if now.After(v.expires) {
			delete(st.tokens, k)
		}
	}
	st.tokens[tok] = azureToken{tenant: strings.ToLower(tenant), clientID: client.ClientID, expires: now.Add(AzureTokenLifetime)}
	s.mu.Unlock()
	secs := int(AzureTokenLifetime / time.Second)
	writeJSON(w, http.StatusOK, map[string]any{
		"token_type":     "Bearer",
		"expires_in":     secs,
		"ext_expires_in": secs,
		"access_token":   tok,
	})
}

// validScope accepts "{resource}/.default" (or "{resource}//.default")
// for the simulator URL, alongside MSAL's added openid, profile and
// offline_access.
func validScope(scope string, bases ...string) bool {
	n := 0
	ok := false
	for _, sc := range strings.Fields(scope) {
		switch sc {
		case "openid", "profile", "offline_access":
			continue
		}
		n++
		res, found := strings.CutSuffix(sc, "/.default")
		if !found {
			continue
		}
		res = strings.TrimSuffix(res, "/")
		for _, b := range bases {
			if b != "" && strings.EqualFold(res, strings.TrimSuffix(b, "/")) {
				ok = true
			}
		}
	}
	return n == 1 && ok
}

type jwtClaims struct {
	alg, x5t, x5tS256  string
	signingInput       string
	signature          []byte
	Issuer, Subject    string
	Audience           []string
	Expires, NotBefore int64
}

// b64 decodes base64 in any of its four usual forms.
func b64(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.RawURLEncoding, base64.URLEncoding, base64.StdEncoding, base64.RawStdEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, errors.New("bad base64")
}

func parseJWT(tok string) (*jwtClaims, error) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return nil, errors.New("want three dot-separated parts")
	}
	hb, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	pb, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, fmt.Errorf("payload: %w", err)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return nil, fmt.Errorf("signature: %w", err)
	}
	var h struct {
		Alg     string `json:"alg"`
		X5t     string `json:"x5t"`
		X5tS256 string `json:"x5t#S256"`
	}
	if err := json.Unmarshal(hb, &h); err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	var p struct {
		Iss string          `json:"iss"`
		Sub string          `json:"sub"`
		Aud json.RawMessage `json:"aud"`
		Exp json.RawMessage `json:"exp"`
		Nbf json.RawMessage `json:"nbf"`
	}
	if err := json.Unmarshal(pb, &p); err != nil {
		return nil, fmt.Errorf("payload: %w", err)
	}
	c := &jwtClaims{
		alg: h.Alg, x5t: h.X5t, x5tS256: h.X5tS256,
		signingInput: parts[0] + "." + parts[1], signature: sig,
		Issuer: p.Iss, Subject: p.Sub,
	}
	var one string
	if json.Unmarshal(p.Aud, &one) == nil {
		c.Audience = []string{one}
	} else {
		json.Unmarshal(p.Aud, &c.Audience)
	}
	c.Expires, _ = numericDate(p.Exp)
	c.NotBefore, _ = numericDate(p.Nbf)
	return c, nil
}

// numericDate reads a JWT NumericDate, also as a string (older MSAL).
func numericDate(raw json.RawMessage) (int64, bool) {
	if len(raw) == 0 {
		return 0, false
	}
	var f float64
	if json.Unmarshal(raw, &f) == nil {
		return int64(f), true
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if n, err := strconv.ParseFloat(s, 64); err == nil {
			return int64(n), true
		}
	}
	return 0, false
}

// verifyClientAssertion checks a client assertion; it returns the AADSTS
// code and message of the failure, or 0.
func verifyClientAssertion(c *jwtClaims, certs []*x509.Certificate, tokenEndpoint, clientID string, now time.Time) (int, string) {
	var cert *x509.Certificate
	for _, ct := range certs {
		s1 := sha1.Sum(ct.Raw)
		s256 := sha256.Sum256(ct.Raw)
		if b, err := b64(c.x5t); err == nil && c.x5t != "" && (string(b) == string(s1[:]) || strings.EqualFold(string(b), hex.EncodeToString(s1[:]))) {
			cert = ct
		}
		if b, err := b64(c.x5tS256); err == nil && c.x5tS256 != "" && string(b) == string(s256[:]) {
			cert = ct
		}
	}
	if cert == nil {
		return 700027, fmt.Sprintf("The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '%s', Please visit the Azure Portal, Entra ID to register the certificate for app '%s'.]",
			firstNonEmpty(c.x5t, c.x5tS256), clientID)
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return 700027, "Client assertion contains an invalid signature. [Reason - the certificate key is not RSA.]"
	}
	digest := sha256.Sum256([]byte(c.signingInput))
	var err error
	switch c.alg {
	case "RS256":
		err = rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], c.signature)
	case "PS256":
		err = rsa.VerifyPSS(pub, crypto.SHA256, digest[:], c.signature, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto})
	default:
		err = fmt.Errorf("unsupported alg %q", c.alg)
	}
	if err != nil {
		return 700027, "Client assertion failed signature validation. [Reason - " + err.Error() + "]"
	}
	audOK := false
	for _, a := range c.Audience {
		if strings.EqualFold(strings.TrimSuffix(a, "/"), tokenEndpoint) {
			audOK = true
		}
	}
	if !audOK {
		return 700212, fmt.Sprintf("No matching federated identity record found for presented assertion audience '%s'. The audience must be '%s'.", strings.Join(c.Audience, " "), tokenEndpoint)
	}
	if !strings.EqualFold(c.Issuer, clientID) || !strings.EqualFold(c.Subject, clientID) {
		return 700021, fmt.Sprintf("Client assertion application identifier doesn't match 'client_id' parameter. Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials . (iss %q, sub %q, client_id %q)", c.Issuer, c.Subject, clientID)
	}
	if c.Expires == 0 || now.Unix() >= c.Expires {
		return 700024, "Client assertion is not within its valid time range."
	}
	if c.NotBefore != 0 && now.Unix()+300 < c.NotBefore {
		return 700024, "Client assertion is not within its valid time range."
	}
	return 0, ""
}

func randomToken(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
