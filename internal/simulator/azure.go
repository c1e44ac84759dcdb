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
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Microsoft Azure: a Microsoft Entra ID token endpoint (enough for
// azidentity's ClientSecretCredential and ClientCertificateCredential with
// a custom authority host and instance discovery disabled) and the Azure
// Resource Manager routes of Azure NetApp Files backups and PostgreSQL
// flexible server long-term-retention backups.
//
// Clients use a custom cloud whose authority host and resource manager
// endpoint are both the simulator's URL; the token scope is
// "{simulator URL}/.default".

// API names used in faults and stats: AzureAPI is Resource Manager
// (everything under /subscriptions/), EntraAPI is the login endpoints.
const (
	AzureAPI = "azure"
	EntraAPI = "entra"
)

// Demo identities and API versions.
const (
	DefaultAzureTenantID       = "00000000-0000-0000-0000-0000000000aa"
	DefaultAzureClientID       = "00000000-0000-0000-0000-0000000000bb"
	DefaultAzureClientSecret   = "demo-client-secret"
	DefaultAzureSubscriptionID = "00000000-0000-0000-0000-0000000000cc"
	DefaultAzureResourceGroup  = "demo-rg"
	DefaultAzureNetAppAccount  = "demo-account"
	DefaultAzureLocation       = "westeurope"

	AzureNetAppAPIVersion   = "2025-03-01"
	AzurePostgresAPIVersion = "2025-08-01"

	// AzureTokenLifetime is the expires_in of issued access tokens.
	AzureTokenLifetime = 3599 * time.Second
	// AzureRateLimitReads is the initial
	// x-ms-ratelimit-remaining-subscription-reads of every subscription.
	AzureRateLimitReads = 12000
	// AzureDefaultPageSize is the list page size when the scenario sets
	// none.
	AzureDefaultPageSize = 50
)

// AzureScenario is the `azure:` section of a scenario.
type AzureScenario struct {
	// PageSize of every list; default AzureDefaultPageSize.
	PageSize      int                 `yaml:"page_size"`
	Tenants       []AzureTenant       `yaml:"tenants"`
	Subscriptions []AzureSubscription `yaml:"subscriptions"`
}

// AzureTenant is a Microsoft Entra tenant and its app registrations.
type AzureTenant struct {
	ID      string        `yaml:"id"`
	Clients []AzureClient `yaml:"clients"`
}

// AzureClient is an app registration (service principal). It may log in
// with ClientSecret, or with a client assertion signed by the key of the
// certificate in CertificateFile (PEM; other PEM blocks such as the key are
// ignored; relative to the working directory).
type AzureClient struct {
	ClientID        string `yaml:"client_id"`
	ClientSecret    string `yaml:"client_secret"`
	CertificateFile string `yaml:"certificate_file"`
}

// AzureSubscription is one subscription.
type AzureSubscription struct {
	ID             string               `yaml:"id"`
	ResourceGroups []AzureResourceGroup `yaml:"resource_groups"`
}

// AzureResourceGroup is one resource group.
type AzureResourceGroup struct {
	Name            string       `yaml:"name"`
	NetAppAccounts  []ANFAccount `yaml:"netapp_accounts"`
	PostgresServers []PGServer   `yaml:"postgres_servers"`
}

// ANFAccount is an Azure NetApp Files account.
type ANFAccount struct {
	Name string `yaml:"name"`
	// Location; default DefaultAzureLocation.
	Location     string           `yaml:"location"`
	BackupVaults []ANFBackupVault `yaml:"backup_vaults"`
	Pools        []ANFPool        `yaml:"pools"`
}

// ANFBackupVault is a backup vault of an account.
type ANFBackupVault struct {
	Name    string      `yaml:"name"`
	Backups []ANFBackup `yaml:"backups"`
}

// ANFBackup is one backup in a vault.
type ANFBackup struct {
	Name string `yaml:"name"`
	// Volume is "pool/volume" in the same account.
	Volume string `yaml:"volume"`
	// State is properties.provisioningState: Succeeded, Failed, Creating,
	// Updating or Deleting; default Succeeded.
	State string `yaml:"state"`
	// CreationDate and CompletionDate are RFC 3339; the completion date is
	// left out while Creating.
	CreationDate   string `yaml:"creation_date"`
	CompletionDate string `yaml:"completion_date"`
	Size           *int64 `yaml:"size"`
	FailureReason  string `yaml:"failure_reason"`
	// BackupType is Manual or Scheduled; default Scheduled.
	BackupType string `yaml:"backup_type"`
}

// ANFPool is a capacity pool.
type ANFPool struct {
	Name    string      `yaml:"name"`
	Volumes []ANFVolume `yaml:"volumes"`
}

// ANFVolume is a volume; Backup nil or not Enabled means backup is not
// configured.
type ANFVolume struct {
	Name   string           `yaml:"name"`
	Backup *ANFVolumeBackup `yaml:"backup"`
}

// ANFVolumeBackup is the backup configuration of a volume and its latest
// backup status (the latestBackupStatus/current document).
type ANFVolumeBackup struct {
	Enabled bool `yaml:"enabled"`
	// Vault is the name of a backup vault of the account.
	Vault string `yaml:"vault"`
	// Policy is the name of a backup policy of the account; optional.
	Policy  string `yaml:"policy"`
	Healthy bool   `yaml:"healthy"`
	// RelationshipStatus: Idle (default), Transferring, Failed, Unknown.
	RelationshipStatus string `yaml:"relationship_status"`
	// MirrorState: Mirrored (default), Uninitialized, Broken.
	MirrorState           string `yaml:"mirror_state"`
	UnhealthyReason       string `yaml:"unhealthy_reason"`
	ErrorMessage          string `yaml:"error_message"`
	LastTransferSize      *int64 `yaml:"last_transfer_size"`
	LastTransferType      string `yaml:"last_transfer_type"`
	TotalTransferBytes    *int64 `yaml:"total_transfer_bytes"`
	TransferProgressBytes *int64 `yaml:"transfer_progress_bytes"`
}

// PGServer is a PostgreSQL flexible server.
type PGServer struct {
	Name string `yaml:"name"`
	// Location; default DefaultAzureLocation. Version; default "16".
	Location      string        `yaml:"location"`
	Version       string        `yaml:"version"`
	LTROperations []PGOperation `yaml:"ltr_operations"`
}

// PGOperation is a long-term-retention backup operation.
type PGOperation struct {
	Name string `yaml:"name"`
	// Status: Running, Succeeded, Failed or Cancelled.
	Status                 string   `yaml:"status"`
	StartTime              string   `yaml:"start_time"`
	EndTime                string   `yaml:"end_time"`
	PercentComplete        *float64 `yaml:"percent_complete"`
	DatasourceSizeInBytes  *int64   `yaml:"datasource_size_in_bytes"`
	DataTransferredInBytes *int64   `yaml:"data_transferred_in_bytes"`
	ErrorCode              string   `yaml:"error_code"`
	ErrorMessage           string   `yaml:"error_message"`
	// BackupName; default Name.
	BackupName string `yaml:"backup_name"`
}

// azureState is the Azure part of a Server; its fields are guarded by the
// server's mu.
type azureState struct {
	sc     *AzureScenario
	certs  map[string][]*x509.Certificate // tenant/client (lower case) -> certificates
	tokens map[string]azureToken
	reads  map[string]int // subscription (lower case) -> remaining reads
}

type azureToken struct {
	tenant, clientID string
	expires          time.Time
}

func (s *Server) azureState() *azureState {
	s.azureOnce.Do(func() {
		s.azure = &azureState{sc: &AzureScenario{}, tokens: map[string]azureToken{}, reads: map[string]int{}}
	})
	return s.azure
}

// registerAzure registers the Entra and Resource Manager routes, serving
// sc (copied).
func (s *Server) registerAzure(sc *AzureScenario) error {
	if err := s.SetAzureScenario(sc); err != nil {
		return err
	}
	s.registerAPI(AzureAPI, azureFaultError)
	s.registerAPI(EntraAPI, entraFaultError)
	s.handle(EntraAPI, "GET /common/discovery/instance", s.entraInstanceDiscovery)
	// "/{tenant}/" is less specific than every other API's routes (such as
	// Astra's "/accounts/"), so it only gets what nobody else serves.
	s.handle(EntraAPI, "/{tenant}/", s.entraDispatch)
	s.handle(AzureAPI, "/subscriptions/", s.armDispatch)
	return nil
}

// SetAzureScenario replaces the Azure data (nil: no tenants, no
// subscriptions), forgetting issued tokens and resetting rate limits.
func (s *Server) SetAzureScenario(sc *AzureScenario) error {
	c := &AzureScenario{}
	if sc != nil {
		var err error
		if c, err = sc.clone(); err != nil {
			return err
		}
	}
	if c.PageSize < 0 {
		return fmt.Errorf("azure: page_size %d is negative", c.PageSize)
	}
	certs := map[string][]*x509.Certificate{}
	for _, t := range c.Tenants {
		for _, cl := range t.Clients {
			if cl.CertificateFile == "" {
				continue
			}
			b, err := os.ReadFile(cl.CertificateFile)
			if err != nil {
				return fmt.Errorf("azure: client %s: %w", cl.ClientID, err)
			}
			var list []*x509.Certificate
			for block, rest := pem.Decode(b); block != nil; block, rest = pem.Decode(rest) {
				if block.Type != "CERTIFICATE" {
					continue
				}
				cert, err := x509.ParseCertificate(block.Bytes)
				if err != nil {
					return fmt.Errorf("azure: client %s: %s: %w", cl.ClientID, cl.CertificateFile, err)
				}
				list = append(list, cert)
			}
			if len(list) == 0 {
				return fmt.Errorf("azure: client %s: %s: no PEM CERTIFICATE", cl.ClientID, cl.CertificateFile)
			}
			k := clientKey(t.ID, cl.ClientID)
			certs[k] = append(certs[k], list...)
		}
	}
	st := s.azureState()
	s.mu.Lock()
	defer s.mu.Unlock()
	st.sc = c
	st.certs = certs
	st.tokens = map[string]azureToken{}
	st.reads = map[string]int{}
	return nil
}

func (sc *AzureScenario) clone() (*AzureScenario, error) {
	b, err := json.Marshal(sc)
	if err != nil {
		return nil, err
	}
	var c AzureScenario
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, err
	}
	return &c, nil
}

func clientKey(tenant, client string) string {
	return strings.ToLower(tenant) + "/" + strings.ToLower(client)
}

// ---------------------------------------------------------------------
// Mutators for tests.

// DeleteANFVolume removes a volume from its pool.
func (s *Server) DeleteANFVolume(sub, rg, account, pool, volume string) error {
	st := s.azureState()
	s.mu.Lock()
	defer s.mu.Unlock()
	p := st.pool(sub, rg, account, pool)
	if p == nil {
		return fmt.Errorf("azure: no pool %s/%s in %s/%s", account, pool, sub, rg)
	}
	for i := range p.Volumes {
		if strings.EqualFold(p.Volumes[i].Name, volume) {
			p.Volumes = append(p.Volumes[:i], p.Volumes[i+1:]...)
			return nil
		}
	}
	return fmt.Errorf("azure: no volume %s in pool %s/%s", volume, account, pool)
}

// UpdateANFVolume calls fn with the named volume, under the server's lock.
func (s *Server) UpdateANFVolume(sub, rg, account, pool, volume string, fn func(*ANFVolume)) error {
	st := s.azureState()
	s.mu.Lock()
	defer s.mu.Unlock()
	v := st.volume(sub, rg, account, pool, volume)
	if v == nil {
		return fmt.Errorf("azure: no volume %s/%s/%s in %s/%s", account, pool, volume, sub, rg)
	}
	fn(v)
	return nil
}

// AddANFBackup appends a backup to a vault, creating the subscription,
// resource group, account and vault when missing.
func (s *Server) AddANFBackup(sub, rg, account, vault string, b ANFBackup) {
	st := s.azureState()
	s.mu.Lock()
	defer s.mu.Unlock()
	g := st.ensureRG(sub, rg)
	var acc *ANFAccount
	for i := range g.NetAppAccounts {
		if strings.EqualFold(g.NetAppAccounts[i].Name, account) {
			acc = &g.NetAppAccounts[i]
		}
	}
	if acc == nil {
		g.NetAppAccounts = append(g.NetAppAccounts, ANFAccount{Name: account})
		acc = &g.NetAppAccounts[len(g.NetAppAccounts)-1]
	}
	for i := range acc.BackupVaults {
		if strings.EqualFold(acc.BackupVaults[i].Name, vault) {
			acc.BackupVaults[i].Backups = append(acc.BackupVaults[i].Backups, b)
			return
		}
	}
	acc.BackupVaults = append(acc.BackupVaults, ANFBackupVault{Name: vault, Backups: []ANFBackup{b}})
}

// AddPGOperation appends an LTR backup operation to a server, creating the
// subscription, resource group and server when missing.
func (s *Server) AddPGOperation(sub, rg, server string, op PGOperation) {
	st := s.azureState()
	s.mu.Lock()
	defer s.mu.Unlock()
	g := st.ensureRG(sub, rg)
	for i := range g.PostgresServers {
		if strings.EqualFold(g.PostgresServers[i].Name, server) {
			g.PostgresServers[i].LTROperations = append(g.PostgresServers[i].LTROperations, op)
			return
		}
	}
	g.PostgresServers = append(g.PostgresServers, PGServer{Name: server, LTROperations: []PGOperation{op}})
}

// ---------------------------------------------------------------------
// Lookups; the caller holds s.mu.

func (st *azureState) sub(id string) *AzureSubscription {
	for i := range st.sc.Subscriptions {
		if strings.EqualFold(st.sc.Subscriptions[i].ID, id) {
			return &st.sc.Subscriptions[i]
		}
	}
	return nil
}

func (st *azureState) rg(sub, name string) *AzureResourceGroup {
	sb := st.sub(sub)
	if sb == nil {
		return nil
	}
	for i := range sb.ResourceGroups {
		if strings.EqualFold(sb.ResourceGroups[i].Name, name) {
			return &sb.ResourceGroups[i]
		}
	}
	return nil
}

func (st *azureState) ensureRG(sub, rg string) *AzureResourceGroup {
	sb := st.sub(sub)
	if sb == nil {
		st.sc.Subscriptions = append(st.sc.Subscriptions, AzureSubscription{ID: sub})
		sb = &st.sc.Subscriptions[len(st.sc.Subscriptions)-1]
	}
	if g := st.rg(sub, rg); g != nil {
		return g
	}
	sb.ResourceGroups = append(sb.ResourceGroups, AzureResourceGroup{Name: rg})
	return &sb.ResourceGroups[len(sb.ResourceGroups)-1]
}

func (st *azureState) account(sub, rg, name string) *ANFAccount {
	g := st.rg(sub, rg)
	if g == nil {
		return nil
	}
	for i := range g.NetAppAccounts {
		if strings.EqualFold(g.NetAppAccounts[i].Name, name) {
			return &g.NetAppAccounts[i]
		}
	}
	return nil
}

func (st *azureState) pool(sub, rg, account, name string) *ANFPool {
	a := st.account(sub, rg, account)
	if a == nil {
		return nil
	}
	return a.pool(name)
}

func (a *ANFAccount) pool(name string) *ANFPool {
	for i := range a.Pools {
		if strings.EqualFold(a.Pools[i].Name, name) {
			return &a.Pools[i]
		}
	}
	return nil
}

func (p *ANFPool) volume(name string) *ANFVolume {
	for i := range p.Volumes {
		if strings.EqualFold(p.Volumes[i].Name, name) {
			return &p.Volumes[i]
		}
	}
	return nil
}

func (st *azureState) volume(sub, rg, account, pool, name string) *ANFVolume {
	p := st.pool(sub, rg, account, pool)
	if p == nil {
		return nil
	}
	return p.volume(name)
}

func (a *ANFAccount) vault(name string) *ANFBackupVault {
	for i := range a.BackupVaults {
		if strings.EqualFold(a.BackupVaults[i].Name, name) {
			return &a.BackupVaults[i]
		}
	}
	return nil
}

func (st *azureState) server(sub, rg, name string) *PGServer {
	g := st.rg(sub, rg)
	if g == nil {
		return nil
	}
	for i := range g.PostgresServers {
		if strings.EqualFold(g.PostgresServers[i].Name, name) {
			return &g.PostgresServers[i]
		}
	}
	return nil
}

func (st *azureState) tenant(id string) *AzureTenant {
	for i := range st.sc.Tenants {
		if strings.EqualFold(st.sc.Tenants[i].ID, id) {
			return &st.sc.Tenants[i]
		}
	}
	return nil
}

// ---------------------------------------------------------------------
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

func baseURL(r *http.Request) string { return "https://" + r.Host }

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

func newUUID() string {
	b := make([]byte, 16)
	rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// stableUUID is a deterministic UUID (version 5 style) from the parts.
func stableUUID(parts ...string) string {
	b := sha1.Sum([]byte(strings.ToLower(strings.Join(parts, "/"))))
	b[6] = b[6]&0x0f | 0x50
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// ---------------------------------------------------------------------
// Azure Resource Manager.

type armErrorBody struct {
	Error armErrorDetail `json:"error"`
}

type armErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func armError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, armErrorBody{Error: armErrorDetail{Code: code, Message: msg}})
}

func azureFaultError(w http.ResponseWriter, status int, title, detail string) {
	if w.Header().Get("x-ms-request-id") == "" {
		id := newUUID()
		w.Header().Set("x-ms-request-id", id)
		w.Header().Set("x-ms-correlation-request-id", id)
	}
	code := map[int]string{
		400: "BadRequest", 401: "InvalidAuthenticationToken", 403: "AuthorizationFailed", 404: "ResourceNotFound",
		409: "Conflict", 429: "TooManyRequests", 500: "InternalServerError", 502: "BadGateway",
		503: "ServiceUnavailable", 504: "GatewayTimeout",
	}[status]
	if code == "" {
		code = strings.ReplaceAll(title, " ", "")
	}
	armError(w, status, code, detail)
}

type armParams map[string]string

type armRoute struct {
	segs []string
	h    func(st *azureState, w http.ResponseWriter, r *http.Request, p armParams) (status int, body any)
}

const (
	anfBase = "subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.NetApp/netAppAccounts/{account}"
	pgBase  = "subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.DBforPostgreSQL/flexibleServers"
)

var armRoutes = []armRoute{
	{h: armListAccounts, segs: strings.Split("subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.NetApp/netAppAccounts", "/")},
	{h: armGetAccount, segs: strings.Split(anfBase, "/")},
	{h: armListPools, segs: strings.Split(anfBase+"/capacityPools", "/")},
	{h: armGetPool, segs: strings.Split(anfBase+"/capacityPools/{pool}", "/")},
	{h: armListVolumes, segs: strings.Split(anfBase+"/capacityPools/{pool}/volumes", "/")},
	{h: armGetVolume, segs: strings.Split(anfBase+"/capacityPools/{pool}/volumes/{volume}", "/")},
	{h: armBackupStatus, segs: strings.Split(anfBase+"/capacityPools/{pool}/volumes/{volume}/latestBackupStatus/current", "/")},
	{h: armListVaults, segs: strings.Split(anfBase+"/backupVaults", "/")},
	{h: armGetVault, segs: strings.Split(anfBase+"/backupVaults/{vault}", "/")},
	{h: armListBackups, segs: strings.Split(anfBase+"/backupVaults/{vault}/backups", "/")},
	{h: armGetBackup, segs: strings.Split(anfBase+"/backupVaults/{vault}/backups/{backup}", "/")},
	{h: armListServers, segs: strings.Split(pgBase, "/")},
	{h: armGetServer, segs: strings.Split(pgBase+"/{server}", "/")},
	{h: armListLTR, segs: strings.Split(pgBase+"/{server}/ltrBackupOperations", "/")},
	{h: armGetLTR, segs: strings.Split(pgBase+"/{server}/ltrBackupOperations/{name}", "/")},
}

func (rt armRoute) match(segs []string) (armParams, bool) {
	if len(segs) != len(rt.segs) {
		return nil, false
	}
	p := armParams{}
	for i, want := range rt.segs {
		if strings.HasPrefix(want, "{") {
			if segs[i] == "" {
				return nil, false
			}
			p[strings.Trim(want, "{}")] = segs[i]
		} else if !strings.EqualFold(want, segs[i]) {
			return nil, false
		}
	}
	return p, true
}

// armPage is a list page; from the handlers it carries all items, and
// armDispatch cuts the page.
type armPage struct {
	Value    []any  `json:"value"`
	NextLink string `json:"nextLink,omitempty"`
}

func (s *Server) armDispatch(w http.ResponseWriter, r *http.Request) {
	st := s.azureState()
	segs := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	reqID := newUUID()
	w.Header().Set("x-ms-request-id", reqID)
	w.Header().Set("x-ms-correlation-request-id", reqID)

	s.mu.Lock()
	if len(segs) >= 2 && segs[1] != "" {
		k := strings.ToLower(segs[1])
		left, ok := st.reads[k]
		if !ok {
			left = AzureRateLimitReads
		}
		if left > 0 {
			left--
		}
		st.reads[k] = left
		w.Header().Set("x-ms-ratelimit-remaining-subscription-reads", strconv.Itoa(left))
	}
	tok, hasBearer := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	at, known := st.tokens[strings.TrimSpace(tok)]
	valid := hasBearer && known && time.Now().Before(at.expires)
	authTenant := DefaultAzureTenantID
	if len(st.sc.Tenants) > 0 {
		authTenant = st.sc.Tenants[0].ID
	}
	pageSize := orDefault(st.sc.PageSize, AzureDefaultPageSize)
	s.mu.Unlock()

	if !valid {
		w.Header().Set("WWW-Authenticate", fmt.Sprintf(
			`Bearer authorization_uri="%s/%s", error="invalid_token", error_description="The access token is invalid."`,
			baseURL(r), authTenant))
		if !hasBearer || strings.TrimSpace(tok) == "" {
			armError(w, http.StatusUnauthorized, "InvalidAuthenticationToken", "The access token is invalid.")
			return
		}
		if known {
			armError(w, http.StatusUnauthorized, "ExpiredAuthenticationToken", "The access token expiry UTC time '"+at.expires.UTC().Format("1/2/2006 3:04:05 PM")+"' is earlier than current UTC time.")
			return
		}
		armError(w, http.StatusUnauthorized, "InvalidAuthenticationToken", "The access token is invalid.")
		return
	}
	if r.URL.Query().Get("api-version") == "" {
		armError(w, http.StatusBadRequest, "MissingApiVersionParameter",
			"The api-version query parameter (?api-version=) is required for all requests.")
		return
	}
	for _, rt := range armRoutes {
		p, ok := rt.match(segs)
		if !ok {
			continue
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			armError(w, http.StatusMethodNotAllowed, "MethodNotAllowed",
				"The simulator only serves GET on this resource; got "+r.Method+".")
			return
		}
		s.mu.Lock()
		status, body := rt.h(st, w, r, p)
		s.mu.Unlock()
		if page, ok := body.(armPage); ok && status == http.StatusOK {
			s.armWritePage(w, r, page.Value, pageSize)
			return
		}
		writeJSON(w, status, body)
		return
	}
	armError(w, http.StatusNotFound, "InvalidResourceType",
		"The resource type or path '"+r.URL.Path+"' is not served by the simulator.")
}

func (s *Server) armWritePage(w http.ResponseWriter, r *http.Request, items []any, pageSize int) {
	q := r.URL.Query()
	offset := 0
	if v := q.Get("$skiptoken"); v != "" {
		n, err := decodeContinue(v)
		if err != nil {
			armError(w, http.StatusBadRequest, "InvalidSkipToken", "The $skiptoken '"+v+"' is invalid.")
			return
		}
		offset = n
	}
	if offset > len(items) {
		offset = len(items)
	}
	end := min(offset+pageSize, len(items))
	page := armPage{Value: items[offset:end]}
	if page.Value == nil {
		page.Value = []any{}
	}
	if end < len(items) {
		q.Set("$skiptoken", encodeContinue(end))
		page.NextLink = baseURL(r) + r.URL.EscapedPath() + "?" + q.Encode()
	}
	writeJSON(w, http.StatusOK, page)
}

func armErr(status int, code, msg string) (int, any) {
	return status, armErrorBody{Error: armErrorDetail{Code: code, Message: msg}}
}

const armNotFoundHint = " For more details please go to https://aka.ms/ARMResourceNotFoundFix"

// armParent checks the subscription and resource group.
func armParent(st *azureState, p armParams) (int, any, bool) {
	if st.sub(p["sub"]) == nil {
		s, b := armErr(http.StatusNotFound, "SubscriptionNotFound", fmt.Sprintf("The subscription '%s' could not be found.", p["sub"]))
		return s, b, false
	}
	if st.rg(p["sub"], p["rg"]) == nil {
		s, b := armErr(http.StatusNotFound, "ResourceGroupNotFound", fmt.Sprintf("Resource group '%s' could not be found.", p["rg"]))
		return s, b, false
	}
	return 0, nil, true
}

func resourceNotFound(rg, typ string) (int, any) {
	return armErr(http.StatusNotFound, "ResourceNotFound",
		fmt.Sprintf("The Resource '%s' under resource group '%s' was not found.%s", typ, rg, armNotFoundHint))
}

func parentNotFound(name string) (int, any) {
	return armErr(http.StatusNotFound, "ParentResourceNotFound",
		fmt.Sprintf("Can not perform requested operation on nested resource. Parent resource '%s' not found.", name))
}

// anfLookup finds the account, and the pool (and volume) when named in p.
// With list, a missing last parent is ParentResourceNotFound.
func anfLookup(st *azureState, p armParams, list bool) (*ANFAccount, *ANFPool, *ANFVolume, int, any) {
	if s, b, ok := armParent(st, p); !ok {
		return nil, nil, nil, s, b
	}
	rg := p["rg"]
	typ := "Microsoft.NetApp/netAppAccounts/" + p["account"]
	a := st.account(p["sub"], rg, p["account"])
	if a == nil {
		if list && p["pool"] == "" && p["vault"] == "" {
			s, b := parentNotFound(p["account"])
			return nil, nil, nil, s, b
		}
		s, b := resourceNotFound(rg, typ)
		return nil, nil, nil, s, b
	}
	if p["pool"] == "" {
		return a, nil, nil, 0, nil
	}
	typ += "/capacityPools/" + p["pool"]
	pl := a.pool(p["pool"])
	if pl == nil {
		if list && p["volume"] == "" {
			s, b := parentNotFound(p["pool"])
			return nil, nil, nil, s, b
		}
		s, b := resourceNotFound(rg, typ)
		return nil, nil, nil, s, b
	}
	if p["volume"] == "" {
		return a, pl, nil, 0, nil
	}
	v := pl.volume(p["volume"])
	if v == nil {
		s, b := resourceNotFound(rg, typ+"/volumes/"+p["volume"])
		return nil, nil, nil, s, b
	}
	return a, pl, v, 0, nil
}

type armResource struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Type       string `json:"type"`
	Location   string `json:"location,omitempty"`
	Properties any    `json:"properties"`
}

func anfAccountID(sub, rg, account string) string {
	return "/subscriptions/" + sub + "/resourceGroups/" + rg + "/providers/Microsoft.NetApp/netAppAccounts/" + account
}

func accountLocation(a *ANFAccount) string { return firstNonEmpty(a.Location, DefaultAzureLocation) }

func accountJSON(sub, rg string, a *ANFAccount) armResource {
	return armResource{
		ID: anfAccountID(sub, rg, a.Name), Name: a.Name, Type: "Microsoft.NetApp/netAppAccounts",
		Location: accountLocation(a),
		Properties: map[string]any{
			"provisioningState": "Succeeded",
			"disableShowmount":  true,
			"nfsV4IDDomain":     nil,
		},
	}
}

func poolJSON(sub, rg string, a *ANFAccount, pl *ANFPool) armResource {
	id := anfAccountID(sub, rg, a.Name) + "/capacityPools/" + pl.Name
	return armResource{
		ID: id, Name: a.Name + "/" + pl.Name, Type: "Microsoft.NetApp/netAppAccounts/capacityPools",
		Location: accountLocation(a),
		Properties: map[string]any{
			"provisioningState": "Succeeded",
			"serviceLevel":      "Premium",
			"size":              int64(4) << 40,
			"poolId":            stableUUID(id),
			"qosType":           "Auto",
			"coolAccess":        false,
			"encryptionType":    "Single",
		},
	}
}

type anfVolumeProps struct {
	ProvisioningState string             `json:"provisioningState"`
	FileSystemID      string             `json:"fileSystemId"`
	CreationToken     string             `json:"creationToken"`
	ServiceLevel      string             `json:"serviceLevel"`
	UsageThreshold    int64              `json:"usageThreshold"`
	SubnetID          string             `json:"subnetId"`
	ProtocolTypes     []string           `json:"protocolTypes"`
	DataProtection    *anfDataProtection `json:"dataProtection,omitempty"`
}

type anfDataProtection struct {
	Backup *anfVolumeBackupConfig `json:"backup,omitempty"`
}

type anfVolumeBackupConfig struct {
	BackupPolicyID string `json:"backupPolicyId,omitempty"`
	PolicyEnforced bool   `json:"policyEnforced"`
	BackupVaultID  string `json:"backupVaultId,omitempty"`
}

func volumeJSON(sub, rg string, a *ANFAccount, pl *ANFPool, v *ANFVolume) armResource {
	acc := anfAccountID(sub, rg, a.Name)
	id := acc + "/capacityPools/" + pl.Name + "/volumes/" + v.Name
	props := anfVolumeProps{
		ProvisioningState: "Succeeded",
		FileSystemID:      stableUUID(id),
		CreationToken:     v.Name,
		ServiceLevel:      "Premium",
		UsageThreshold:    100 << 30,
		SubnetID:          "/subscriptions/" + sub + "/resourceGroups/" + rg + "/providers/Microsoft.Network/virtualNetworks/" + rg + "-vnet/subnets/anf-delegated",
		ProtocolTypes:     []string{"NFSv4.1"},
	}
	if b := v.Backup; b != nil && b.Enabled {
		cfg := &anfVolumeBackupConfig{PolicyEnforced: b.Policy != ""}
		if b.Policy != "" {
			cfg.BackupPolicyID = acc + "/backupPolicies/" + b.Policy
		}
		if b.Vault != "" {
			cfg.BackupVaultID = acc + "/backupVaults/" + b.Vault
		}
		props.DataProtection = &anfDataProtection{Backup: cfg}
	}
	return armResource{
		ID: id, Name: a.Name + "/" + pl.Name + "/" + v.Name,
		Type: "Microsoft.NetApp/netAppAccounts/capacityPools/volumes", Location: accountLocation(a),
		Properties: props,
	}
}

// anfBackupStatus is the backupStatus document.
type anfBackupStatus struct {
	Healthy               bool   `json:"healthy"`
	RelationshipStatus    string `json:"relationshipStatus"`
	MirrorState           string `json:"mirrorState"`
	UnhealthyReason       string `json:"unhealthyReason"`
	ErrorMessage          string `json:"errorMessage"`
	LastTransferSize      *int64 `json:"lastTransferSize,omitempty"`
	LastTransferType      string `json:"lastTransferType"`
	TotalTransferBytes    *int64 `json:"totalTransferBytes,omitempty"`
	TransferProgressBytes *int64 `json:"transferProgressBytes,omitempty"`
}

func vaultJSON(sub, rg string, a *ANFAccount, v *ANFBackupVault) armResource {
	return armResource{
		ID:   anfAccountID(sub, rg, a.Name) + "/backupVaults/" + v.Name,
		Name: a.Name + "/" + v.Name, Type: "Microsoft.NetApp/netAppAccounts/backupVaults",
		Location:   accountLocation(a),
		Properties: map[string]any{"provisioningState": "Succeeded"},
	}
}

type anfBackupProps struct {
	BackupID               string `json:"backupId"`
	CreationDate           string `json:"creationDate,omitempty"`
	CompletionDate         string `json:"completionDate,omitempty"`
	SnapshotCreationDate   string `json:"snapshotCreationDate,omitempty"`
	ProvisioningState      string `json:"provisioningState"`
	Size                   *int64 `json:"size,omitempty"`
	Label                  string `json:"label"`
	BackupType             string `json:"backupType"`
	FailureReason          string `json:"failureReason,omitempty"`
	VolumeResourceID       string `json:"volumeResourceId"`
	UseExistingSnapshot    bool   `json:"useExistingSnapshot"`
	SnapshotName           string `json:"snapshotName,omitempty"`
	BackupPolicyResourceID string `json:"backupPolicyResourceId,omitempty"`
	IsLargeVolume          bool   `json:"isLargeVolume"`
}

func backupJSON(sub, rg string, a *ANFAccount, vault *ANFBackupVault, b *ANFBackup) armResource {
	acc := anfAccountID(sub, rg, a.Name)
	id := acc + "/backupVaults/" + vault.Name + "/backups/" + b.Name
	state := firstNonEmpty(b.State, "Succeeded")
	props := anfBackupProps{
		BackupID:             stableUUID(id),
		CreationDate:         b.CreationDate,
		CompletionDate:       b.CompletionDate,
		SnapshotCreationDate: b.CreationDate,
		ProvisioningState:    state,
		Size:                 b.Size,
		BackupType:           firstNonEmpty(b.BackupType, "Scheduled"),
		FailureReason:        b.FailureReason,
		IsLargeVolume:        false,
	}
	if strings.EqualFold(state, "Creating") {
		props.CompletionDate = ""
	}
	if pool, vol, ok := strings.Cut(b.Volume, "/"); ok {
		props.VolumeResourceID = acc + "/capacityPools/" + pool + "/volumes/" + vol
		if pl := a.pool(pool); pl != nil {
			if v := pl.volume(vol); v != nil && v.Backup != nil && v.Backup.Policy != "" && props.BackupType == "Scheduled" {
				props.BackupPolicyResourceID = acc + "/backupPolicies/" + v.Backup.Policy
			}
		}
	}
	if props.BackupType == "Scheduled" {
		props.SnapshotName = b.Name
	}
	return armResource{
		ID: id, Name: a.Name + "/" + vault.Name + "/" + b.Name,
		Type: "Microsoft.NetApp/netAppAccounts/backupVaults/backups", Properties: props,
	}
}

func pgServerID(sub, rg, name string) string {
	return "/subscriptions/" + sub + "/resourceGroups/" + rg + "/providers/Microsoft.DBforPostgreSQL/flexibleServers/" + name
}

func serverJSON(sub, rg string, sv *PGServer) armResource {
	return armResource{
		ID: pgServerID(sub, rg, sv.Name), Name: sv.Name, Type: "Microsoft.DBforPostgreSQL/flexibleServers",
		Location: firstNonEmpty(sv.Location, DefaultAzureLocation),
		Properties: map[string]any{
			"state":                    "Ready",
			"version":                  firstNonEmpty(sv.Version, "16"),
			"fullyQualifiedDomainName": strings.ToLower(sv.Name) + ".postgres.database.azure.com",
			"administratorLogin":       "pgadmin",
			"storage":                  map[string]any{"storageSizeGB": 128, "autoGrow": "Disabled", "tier": "P10"},
			"backup":                   map[string]any{"backupRetentionDays": 7, "geoRedundantBackup": "Disabled"},
		},
	}
}

type pgLTRProps struct {
	DatasourceSizeInBytes  *int64   `json:"datasourceSizeInBytes,omitempty"`
	DataTransferredInBytes *int64   `json:"dataTransferredInBytes,omitempty"`
	BackupName             string   `json:"backupName"`
	BackupMetadata         string   `json:"backupMetadata,omitempty"`
	Status                 string   `json:"status"`
	StartTime              string   `json:"startTime,omitempty"`
	EndTime                string   `json:"endTime,omitempty"`
	PercentComplete        *float64 `json:"percentComplete,omitempty"`
	ErrorCode              string   `json:"errorCode,omitempty"`
	ErrorMessage           string   `json:"errorMessage,omitempty"`
}

func ltrJSON(sub, rg string, sv *PGServer, op *PGOperation) armResource {
	props := pgLTRProps{
		DatasourceSizeInBytes:  op.DatasourceSizeInBytes,
		DataTransferredInBytes: op.DataTransferredInBytes,
		BackupName:             firstNonEmpty(op.BackupName, op.Name),
		Status:                 op.Status,
		StartTime:              op.StartTime,
		EndTime:                op.EndTime,
		PercentComplete:        op.PercentComplete,
		ErrorCode:              op.ErrorCode,
		ErrorMessage:           op.ErrorMessage,
	}
	if op.Status == "Succeeded" {
		props.BackupMetadata = fmt.Sprintf(`{"engine":"PostgreSQL","version":"%s","format":"pg_basebackup"}`, firstNonEmpty(sv.Version, "16"))
	}
	return armResource{
		ID:   pgServerID(sub, rg, sv.Name) + "/ltrBackupOperations/" + op.Name,
		Name: op.Name, Type: "Microsoft.DBforPostgreSQL/flexibleServers/ltrbackupOperations",
		Properties: props,
	}
}

// Route handlers; s.mu is held.

func armListAccounts(st *azureState, _ http.ResponseWriter, _ *http.Request, p armParams) (int, any) {
	if s, b, ok := armParent(st, p); !ok {
		return s, b
	}
	g := st.rg(p["sub"], p["rg"])
	var items []any
	for i := range g.NetAppAccounts {
		items = append(items, accountJSON(p["sub"], g.Name, &g.NetAppAccounts[i]))
	}
	return http.StatusOK, armPage{Value: items}
}

func armGetAccount(st *azureState, _ http.ResponseWriter, _ *http.Request, p armParams) (int, any) {
	a, _, _, s, b := anfLookup(st, p, false)
	if a == nil {
		return s, b
	}
	return http.StatusOK, accountJSON(p["sub"], p["rg"], a)
}

func armListPools(st *azureState, _ http.ResponseWriter, _ *http.Request, p armParams) (int, any) {
	a, _, _, s, b := anfLookup(st, p, true)
	if a == nil {
		return s, b
	}
	var items []any
	for i := range a.Pools {
		items = append(items, poolJSON(p["sub"], p["rg"], a, &a.Pools[i]))
	}
	return http.StatusOK, armPage{Value: items}
}

func armGetPool(st *azureState, _ http.ResponseWriter, _ *http.Request, p armParams) (int, any) {
	a, pl, _, s, b := anfLookup(st, p, false)
	if pl == nil {
		return s, b
	}
	return http.StatusOK, poolJSON(p["sub"], p["rg"], a, pl)
}

func armListVolumes(st *azureState, _ http.ResponseWriter, _ *http.Request, p armParams) (int, any) {
	a, pl, _, s, b := anfLookup(st, p, true)
	if pl == nil {
		return s, b
	}
	var items []any
	for i := range pl.Volumes {
		items = append(items, volumeJSON(p["sub"], p["rg"], a, pl, &pl.Volumes[i]))
	}
	return http.StatusOK, armPage{Value: items}
}

func armGetVolume(st *azureState, _ http.ResponseWriter, _ *http.Request, p armParams) (int, any) {
	a, pl, v, s, b := anfLookup(st, p, false)
	if v == nil {
		return s, b
	}
	return http.StatusOK, volumeJSON(p["sub"], p["rg"], a, pl, v)
}

func armBackupStatus(st *azureState, _ http.ResponseWriter, _ *http.Request, p armParams) (int, any) {
	a, pl, v, s, b := anfLookup(st, p, false)
	if v == nil {
		return s, b
	}
	bk := v.Backup
	if bk == nil || !bk.Enabled {
		return armErr(http.StatusNotFound, "ResourceNotFound", fmt.Sprintf(
			"Backup status not found: backup is not configured for volume '%s/%s/%s'.", a.Name, pl.Name, v.Name))
	}
	return http.StatusOK, anfBackupStatus{
		Healthy:               bk.Healthy,
		RelationshipStatus:    firstNonEmpty(bk.RelationshipStatus, "Idle"),
		MirrorState:           firstNonEmpty(bk.MirrorState, "Mirrored"),
		UnhealthyReason:       bk.UnhealthyReason,
		ErrorMessage:          bk.ErrorMessage,
		LastTransferSize:      bk.LastTransferSize,
		LastTransferType:      bk.LastTransferType,
		TotalTransferBytes:    bk.TotalTransferBytes,
		TransferProgressBytes: bk.TransferProgressBytes,
	}
}

func armListVaults(st *azureState, _ http.ResponseWriter, _ *http.Request, p armParams) (int, any) {
	a, _, _, s, b := anfLookup(st, p, true)
	if a == nil {
		return s, b
	}
	var items []any
	for i := range a.BackupVaults {
		items = append(items, vaultJSON(p["sub"], p["rg"], a, &a.BackupVaults[i]))
	}
	return http.StatusOK, armPage{Value: items}
}

func vaultLookup(st *azureState, p armParams, list bool) (*ANFAccount, *ANFBackupVault, int, any) {
	a, _, _, s, b := anfLookup(st, p, false)
	if a == nil {
		return nil, nil, s, b
	}
	v := a.vault(p["vault"])
	if v == nil {
		if list {
			s, b := parentNotFound(p["vault"])
			return nil, nil, s, b
		}
		s, b := resourceNotFound(p["rg"], "Microsoft.NetApp/netAppAccounts/"+a.Name+"/backupVaults/"+p["vault"])
		return nil, nil, s, b
	}
	return a, v, 0, nil
}

func armGetVault(st *azureState, _ http.ResponseWriter, _ *http.Request, p armParams) (int, any) {
	a, v, s, b := vaultLookup(st, p, false)
	if v == nil {
		return s, b
	}
	return http.StatusOK, vaultJSON(p["sub"], p["rg"], a, v)
}

// parseVolumeFilter reads "volumeResourceId eq '<id>'".
func parseVolumeFilter(f string) (string, bool) {
	fields := strings.SplitN(strings.TrimSpace(f), " ", 3)
	if len(fields) != 3 || !strings.EqualFold(fields[0], "volumeResourceId") || !strings.EqualFold(fields[1], "eq") {
		return "", false
	}
	v := strings.TrimSpace(fields[2])
	if len(v) < 2 || v[0] != '\'' || v[len(v)-1] != '\'' {
		return "", false
	}
	return v[1 : len(v)-1], true
}

func armListBackups(st *azureState, _ http.ResponseWriter, r *http.Request, p armParams) (int, any) {
	a, v, s, b := vaultLookup(st, p, true)
	if v == nil {
		return s, b
	}
	want := ""
	if f := r.URL.Query().Get("$filter"); f != "" {
		id, ok := parseVolumeFilter(f)
		if !ok {
			return armErr(http.StatusBadRequest, "InvalidFilter",
				"The $filter '"+f+"' is not supported; use volumeResourceId eq '<volume resource ID>'.")
		}
		want = id
	}
	var items []any
	for i := range v.Backups {
		j := backupJSON(p["sub"], p["rg"], a, v, &v.Backups[i])
		if want != "" && !strings.EqualFold(j.Properties.(anfBackupProps).VolumeResourceID, want) {
			continue
		}
		items = append(items, j)
	}
	return http.StatusOK, armPage{Value: items}
}

func armGetBackup(st *azureState, _ http.ResponseWriter, _ *http.Request, p armParams) (int, any) {
	a, v, s, b := vaultLookup(st, p, false)
	if v == nil {
		return s, b
	}
	for i := range v.Backups {
		if strings.EqualFold(v.Backups[i].Name, p["backup"]) {
			return http.StatusOK, backupJSON(p["sub"], p["rg"], a, v, &v.Backups[i])
		}
	}
	return resourceNotFound(p["rg"], "Microsoft.NetApp/netAppAccounts/"+a.Name+"/backupVaults/"+v.Name+"/backups/"+p["backup"])
}

func armListServers(st *azureState, _ http.ResponseWriter, _ *http.Request, p armParams) (int, any) {
	if s, b, ok := armParent(st, p); !ok {
		return s, b
	}
	g := st.rg(p["sub"], p["rg"])
	var items []any
	for i := range g.PostgresServers {
		items = append(items, serverJSON(p["sub"], g.Name, &g.PostgresServers[i]))
	}
	return http.StatusOK, armPage{Value: items}
}

func serverLookup(st *azureState, p armParams, list bool) (*PGServer, int, any) {
	if s, b, ok := armParent(st, p); !ok {
		return nil, s, b
	}
	sv := st.server(p["sub"], p["rg"], p["server"])
	if sv == nil {
		if list {
			s, b := parentNotFound(p["server"])
			return nil, s, b
		}
		s, b := resourceNotFound(p["rg"], "Microsoft.DBforPostgreSQL/flexibleServers/"+p["server"])
		return nil, s, b
	}
	return sv, 0, nil
}

func armGetServer(st *azureState, _ http.ResponseWriter, _ *http.Request, p armParams) (int, any) {
	sv, s, b := serverLookup(st, p, false)
	if sv == nil {
		return s, b
	}
	return http.StatusOK, serverJSON(p["sub"], p["rg"], sv)
}

func armListLTR(st *azureState, _ http.ResponseWriter, _ *http.Request, p armParams) (int, any) {
	sv, s, b := serverLookup(st, p, true)
	if sv == nil {
		return s, b
	}
	var items []any
	for i := range sv.LTROperations {
		items = append(items, ltrJSON(p["sub"], p["rg"], sv, &sv.LTROperations[i]))
	}
	return http.StatusOK, armPage{Value: items}
}

func armGetLTR(st *azureState, _ http.ResponseWriter, _ *http.Request, p armParams) (int, any) {
	sv, s, b := serverLookup(st, p, false)
	if sv == nil {
		return s, b
	}
	for i := range sv.LTROperations {
		if strings.EqualFold(sv.LTROperations[i].Name, p["name"]) {
			return http.StatusOK, ltrJSON(p["sub"], p["rg"], sv, &sv.LTROperations[i])
		}
	}
	return resourceNotFound(p["rg"], "Microsoft.DBforPostgreSQL/flexibleServers/"+sv.Name+"/ltrBackupOperations/"+p["name"])
}
