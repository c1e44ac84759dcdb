package simulator

import (
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"os"
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
	PageSize int `yaml:"page_size"`
	// ReadBucket, when set, limits ARM reads as Azure Resource Manager's
	// throttling does since 2024: a token bucket per subscription and
	// client (azure_ratelimit.go). Unset: every read is served, and
	// x-ms-ratelimit-remaining-subscription-reads counts down from
	// AzureRateLimitReads (the older hourly budget) without ever
	// refusing.
	ReadBucket *AzureReadBucket `yaml:"read_bucket"`
	// RateLimitReads, without ReadBucket, is where each subscription's
	// x-ms-ratelimit-remaining-subscription-reads starts counting down
	// from; default AzureRateLimitReads. A load test of an estate larger
	// than one real subscription could read sets it higher, else the
	// exporter's pacer rightly slows down once it reaches 0.
	RateLimitReads int `yaml:"ratelimit_reads"`
	// ResourceGraph configures Resource Graph's paging and quota.
	ResourceGraph *AzureResourceGraph `yaml:"resource_graph"`
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
	ID string `yaml:"id"`
	// ManagementGroups are the management groups the subscription is
	// under (its own and its ancestors): a Resource Graph query scoped to
	// one of them reads it.
	ManagementGroups []string             `yaml:"management_groups"`
	ResourceGroups   []AzureResourceGroup `yaml:"resource_groups"`
}

// AzureResourceGroup is one resource group.
type AzureResourceGroup struct {
	Name            string       `yaml:"name"`
	NetAppAccounts  []ANFAccount `yaml:"netapp_accounts"`
	PostgresServers []PGServer   `yaml:"postgres_servers"`
	// RecoveryServicesVaults are Azure Backup vaults (azure_backup.go).
	RecoveryServicesVaults []RSVault `yaml:"recovery_services_vaults"`
	// DataProtectionVaults are Azure Backup's Backup vaults
	// (azure_dataprotection.go).
	DataProtectionVaults []DPVault `yaml:"data_protection_vaults"`
	// Resources are other resources of the group, as Resource Graph's
	// Resources table holds them (azure_resourcegraph.go): the VMs and
	// storage accounts Azure Backup items point to, with their tags.
	Resources []AzureResource `yaml:"resources"`
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
	// Tags are the volume's tags (top-level `tags`, a string map).
	Tags map[string]string `yaml:"tags"`
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
	// Tags are the server's tags (top-level `tags`, a string map).
	Tags map[string]string `yaml:"tags"`
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
	// buckets are the read buckets of ReadBucket, by subscription and
	// client (lower case).
	buckets map[string]*readBucket

	// gen counts the changes of sc; idx is its index as of idxGen
	// (azure_index.go).
	gen, idxGen uint64
	idx         *azIndex

	// argQuota is Resource Graph's quota window per client.
	argQuota map[string]*argBucket
	// argResults are the answers of the last queries whose first page was
	// served, by $skipToken binding: the next pages are cut from them (as
	// Resource Graph pages one result), not evaluated again.
	argResults argCache
}

type azureToken struct {
	tenant, clientID string
	expires          time.Time
}

func (s *Server) azureState() *azureState {
	s.azureOnce.Do(func() {
		s.azure = &azureState{sc: &AzureScenario{}, tokens: map[string]azureToken{}, reads: map[string]int{}, argQuota: map[string]*argBucket{}}
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
	// Azure Backup writes job ids as "/Subscriptions/..."; ARM paths are
	// case-insensitive, so those ids can be followed.
	s.handle(AzureAPI, "/Subscriptions/", s.armDispatch)
	s.registerResourceGraph()
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
	if err := c.ReadBucket.validate(); err != nil {
		return err
	}
	if err := c.validateRecoveryServices(); err != nil {
		return err
	}
	if err := c.validateDataProtection(); err != nil {
		return err
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
	st.changed()
	st.certs = certs
	st.tokens = map[string]azureToken{}
	st.reads = map[string]int{}
	st.buckets = map[string]*readBucket{}
	st.argQuota = map[string]*argBucket{}
	st.argResults = argCache{}
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
			st.changed()
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
	st.changed()
	return nil
}

// AddANFBackup appends a backup to a vault, creating the subscription,
// resource group, account and vault when missing.
func (s *Server) AddANFBackup(sub, rg, account, vault string, b ANFBackup) {
	st := s.azureState()
	s.mu.Lock()
	defer s.mu.Unlock()
	defer st.changed()
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
	defer st.changed()
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
// Lookups (by the index, azure_index.go); the caller holds s.mu.

func (st *azureState) sub(id string) *AzureSubscription {
	return st.index().subs[foldKey(id)]
}

func (st *azureState) rg(sub, name string) *AzureResourceGroup {
	sb := st.sub(sub)
	if sb == nil {
		return nil
	}
	return st.index().rgs[azChild[AzureSubscription]{sb, foldKey(name)}]
}

// ensureRG returns the resource group, adding it (and the subscription)
// when missing.
func (st *azureState) ensureRG(sub, rg string) *AzureResourceGroup {
	sb := st.sub(sub)
	if sb == nil {
		st.sc.Subscriptions = append(st.sc.Subscriptions, AzureSubscription{ID: sub})
		st.changed()
		sb = &st.sc.Subscriptions[len(st.sc.Subscriptions)-1]
	}
	if g := st.rg(sub, rg); g != nil {
		return g
	}
	sb.ResourceGroups = append(sb.ResourceGroups, AzureResourceGroup{Name: rg})
	st.changed()
	return &sb.ResourceGroups[len(sb.ResourceGroups)-1]
}

func (st *azureState) account(sub, rg, name string) *ANFAccount {
	g := st.rg(sub, rg)
	if g == nil {
		return nil
	}
	return st.index().accounts[azChild[AzureResourceGroup]{g, foldKey(name)}]
}

func (st *azureState) pool(sub, rg, account, name string) *ANFPool {
	a := st.account(sub, rg, account)
	if a == nil {
		return nil
	}
	return st.poolOf(a, name)
}

func (st *azureState) poolOf(a *ANFAccount, name string) *ANFPool {
	return st.index().pools[azChild[ANFAccount]{a, foldKey(name)}]
}

func (st *azureState) volumeOf(p *ANFPool, name string) *ANFVolume {
	return st.index().volumes[azChild[ANFPool]{p, foldKey(name)}]
}

func (st *azureState) volume(sub, rg, account, pool, name string) *ANFVolume {
	p := st.pool(sub, rg, account, pool)
	if p == nil {
		return nil
	}
	return st.volumeOf(p, name)
}

func (st *azureState) vaultOf(a *ANFAccount, name string) *ANFBackupVault {
	return st.index().vaults[azChild[ANFAccount]{a, foldKey(name)}]
}

func (st *azureState) server(sub, rg, name string) *PGServer {
	g := st.rg(sub, rg)
	if g == nil {
		return nil
	}
	return st.index().servers[azChild[AzureResourceGroup]{g, foldKey(name)}]
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
// Helpers shared by Entra and Resource Manager.

func baseURL(r *http.Request) string { return "https://" + r.Host }

func newUUID() string {
	b := make([]byte, 16)
	rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
