package simulator

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The Huawei Cloud CBR (Cloud Backup and Recovery) API v3: backups, as in
// the "Querying a Specified Backup" document, and the backup list.
// Requests are authenticated with an IAM token (X-Auth-Token) or with
// AK/SK signing (SDK-HMAC-SHA256, see VerifyHuaweiSignature).

// HuaweiAPI is the API name used in faults and stats.
const HuaweiAPI = "huawei"

// Demo credentials, used when a Huawei scenario names neither tokens nor
// credentials, and by the generator.
const (
	HuaweiDemoAccessKey = "DEMOACCESSKEY0000001"
	HuaweiDemoSecretKey = "demo-secret-key"
	HuaweiDemoToken     = "demo-huawei-token"
	HuaweiDemoProject   = "4229d7a45436489f8c3dc2b1d35d4987"
)

// HuaweiTimeFormat is the layout of CBR times: UTC without a zone, with
// microseconds, e.g. "2019-05-10T07:59:12.084695".
const HuaweiTimeFormat = "2006-01-02T15:04:05.000000"

const (
	huaweiListDefaultLimit = 1000
	huaweiListMaxLimit     = 1000
	huaweiDefaultCreatedAt = "2026-11-01T00:00:00.000000"
	huaweiProviderServer   = "0daac4c5-6707-4851-97ba-169e36266b66"
	huaweiProviderVolume   = "d1603440-187d-4516-af25-121250c7cc97"
	huaweiResourceServer   = "OS::Nova::Server"
	huaweiResourceVolume   = "OS::Cinder::Volume"
)

// HuaweiScenario is the `huawei:` section of a scenario.
type HuaweiScenario struct {
	// Tokens accepted in X-Auth-Token.
	Tokens []string `yaml:"tokens"`
	// Credentials accepted for SDK-HMAC-SHA256 signing.
	Credentials []HuaweiCredential `yaml:"credentials"`
	Projects    []HuaweiProject    `yaml:"projects"`
}

// HuaweiCredential is an access key and its secret key.
type HuaweiCredential struct {
	AccessKey string `yaml:"access_key"`
	SecretKey string `yaml:"secret_key"`
}

// HuaweiProject is one IAM project, its backups and its vaults.
type HuaweiProject struct {
	ID      string         `yaml:"id"`
	Backups []HuaweiBackup `yaml:"backups"`
	// Vaults are the project's vaults with their tags; the vault list
	// also has, without tags, every vault a backup names that is not
	// declared here.
	Vaults []HuaweiVault `yaml:"vaults"`
}

// HuaweiVault is a CBR vault.
type HuaweiVault struct {
	ID   string `yaml:"id"`
	Name string `yaml:"name"`
	// Tags are the vault's tags ([{key, value}]).
	Tags []HuaweiTag `yaml:"tags"`
}

// HuaweiTag is a tag; a nil Value is left out of the JSON, as Huawei's
// SDK does (value omitempty).
type HuaweiTag struct {
	Key   string  `yaml:"key"`
	Value *string `yaml:"value"`
}

// HuaweiBackup is one CBR backup. Nil pointers are JSON nulls. Times are
// zone-less UTC strings (HuaweiTimeFormat).
type HuaweiBackup struct {
	ID          string  `yaml:"id"`
	Name        string  `yaml:"name"`
	Description *string `yaml:"description"`
	// Status: available, protecting, deleting, restoring, error,
	// waiting_protect, waiting_delete, waiting_restore; default available.
	Status       string `yaml:"status"`
	ResourceID   string `yaml:"resource_id"`
	ResourceName string `yaml:"resource_name"`
	// ResourceType: OS::Nova::Server (default), OS::Cinder::Volume, ...
	ResourceType string `yaml:"resource_type"`
	// ResourceSize in GB.
	ResourceSize *int    `yaml:"resource_size"`
	ResourceAZ   *string `yaml:"resource_az"`
	VaultID      string  `yaml:"vault_id"`
	// CheckpointID; default derived from ID.
	CheckpointID string `yaml:"checkpoint_id"`
	// CreatedAt; default 2026-11-01T00:00:00.000000.
	CreatedAt   string  `yaml:"created_at"`
	UpdatedAt   *string `yaml:"updated_at"`
	ProtectedAt *string `yaml:"protected_at"`
	ExpiredAt   *string `yaml:"expired_at"`
	// ImageType: backup (default) or replication.
	ImageType string `yaml:"image_type"`
	// Progress is extend_info.progress (percent).
	Progress *int `yaml:"progress"`
	// Children are member backups (e.g. the disks of a server backup);
	// their parent_id is this backup's ID.
	Children []HuaweiBackup `yaml:"children"`
}

type huaweiImageData struct {
	ImageID string `json:"image_id"`
}

// huaweiExtendInfoJSON is BackupExtendInfo (plus progress, as in the
// example response).
type huaweiExtendInfoJSON struct {
	AutoTrigger          bool              `json:"auto_trigger"`
	Bootable             *bool             `json:"bootable"`
	Incremental          *bool             `json:"incremental"`
	SnapshotID           *string           `json:"snapshot_id"`
	SupportLLD           *bool             `json:"support_lld"`
	SupportedRestoreMode *string           `json:"supported_restore_mode"`
	OSImagesData         []huaweiImageData `json:"os_images_data"`
	ContainSystemDisk    *bool             `json:"contain_system_disk"`
	Encrypted            *bool             `json:"encrypted"`
	SystemDisk           *bool             `json:"system_disk"`
	Progress             *int              `json:"progress"`
}

// huaweiBackupJSON is BackupDetail (and BackupResp for children).
type huaweiBackupJSON struct {
	ProviderID          string               `json:"provider_id"`
	CheckpointID        string               `json:"checkpoint_id"`
	EnterpriseProjectID string               `json:"enterprise_project_id"`
	UpdatedAt           *string              `json:"updated_at"`
	VaultID             string               `json:"vault_id"`
	ID                  string               `json:"id"`
	ResourceAZ          *string              `json:"resource_az"`
	ImageType           string               `json:"image_type"`
	ResourceID          string               `json:"resource_id"`
	ResourceSize        *int                 `json:"resource_size"`
	Children            []huaweiBackupJSON   `json:"children"`
	ParentID            *string              `json:"parent_id"`
	ExtendInfo          huaweiExtendInfoJSON `json:"extend_info"`
	ProjectID           string               `json:"project_id"`
	Status              string               `json:"status"`
	ResourceName        string               `json:"resource_name"`
	Description         *string              `json:"description"`
	ExpiredAt           *string              `json:"expired_at"`
	Name                string               `json:"name"`
	CreatedAt           string               `json:"created_at"`
	ProtectedAt         *string              `json:"protected_at"`
	ResourceType        string               `json:"resource_type"`
}

func ptr[T any](v T) *T { return &v }

// huaweiUUID derives a stable UUID-looking string from a seed.
func huaweiUUID(seed string) string {
	h := sha256.Sum256([]byte(seed))
	h[6] = h[6]&0x0f | 0x40
	h[8] = h[8]&0x3f | 0x80
	x := hex.EncodeToString(h[:16])
	return x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}

func huaweiBackupToJSON(project string, parentID *string, b HuaweiBackup) huaweiBackupJSON {
	typ := firstNonEmpty(b.ResourceType, huaweiResourceServer)
	ext := huaweiExtendInfoJSON{
		AutoTrigger: !strings.HasPrefix(b.Name, "manualbk"),
		Incremental: ptr(true),
		Progress:    b.Progress,
	}
	provider := huaweiProviderServer
	if typ == huaweiResourceServer {
		ext.SupportedRestoreMode = ptr("backup")
		ext.ContainSystemDisk = ptr(true)
		ext.SupportLLD = ptr(true)
	} else {
		if typ == huaweiResourceVolume {
			provider = huaweiProviderVolume
		}
		ext.SnapshotID = ptr(huaweiUUID("snapshot:" + b.ID))
		ext.Bootable = ptr(parentID != nil)
		ext.Encrypted = ptr(false)
	}
	j := huaweiBackupJSON{
		ProviderID:          provider,
		CheckpointID:        firstNonEmpty(b.CheckpointID, huaweiUUID("checkpoint:"+b.ID)),
		EnterpriseProjectID: "0",
		UpdatedAt:           b.UpdatedAt,
		VaultID:             b.VaultID,
		ID:                  b.ID,
		ResourceAZ:          b.ResourceAZ,
		ImageType:           firstNonEmpty(b.ImageType, "backup"),
		ResourceID:          b.ResourceID,
		ResourceSize:        b.ResourceSize,
		Children:            []huaweiBackupJSON{},
		ParentID:            parentID,
		ExtendInfo:          ext,
		ProjectID:           project,
		Status:              firstNonEmpty(b.Status, "available"),
		ResourceName:        b.ResourceName,
		Description:         b.Description,
		ExpiredAt:           b.ExpiredAt,
		Name:                b.Name,
		CreatedAt:           firstNonEmpty(b.CreatedAt, huaweiDefaultCreatedAt),
		ProtectedAt:         b.ProtectedAt,
		ResourceType:        typ,
	}
	for _, c := range b.Children {
		j.Children = append(j.Children, huaweiBackupToJSON(project, ptr(b.ID), c))
	}
	return j
}

func huaweiRequestID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// huaweiError writes a CBR error body {"error_code","error_msg"}.
func huaweiError(w http.ResponseWriter, status int, code, msg string) {
	id := huaweiRequestID()
	w.Header().Set("X-Request-Id", id)
	writeJSON(w, status, map[string]string{"error_code": code, "error_msg": msg})
}

// huaweiGatewayError writes an API Gateway error body
// {"error_msg","error_code","request_id"}.
func huaweiGatewayError(w http.ResponseWriter, status int, code, msg string) {
	id := huaweiRequestID()
	w.Header().Set("X-Request-Id", id)
	writeJSON(w, status, map[string]string{"error_msg": msg, "error_code": code, "request_id": id})
}

// huaweiFaultError answers injected faults: gateway errors for 401 and
// 429 (APIGW.0301, APIGW.0308), CBR errors otherwise.
func huaweiFaultError(w http.ResponseWriter, status int, title, detail string) {
	switch {
	case status == http.StatusUnauthorized:
		huaweiGatewayError(w, status, "APIGW.0301", "Incorrect IAM authentication information: "+detail)
	case status == http.StatusTooManyRequests:
		huaweiGatewayError(w, status, "APIGW.0308", "The throttling threshold has been reached: "+detail)
	case status >= 500:
		huaweiError(w, status, "BackupService.9999", title+": "+detail)
	default:
		huaweiError(w, status, fmt.Sprintf("BackupService.%04d", status), title+": "+detail)
	}
}

// registerHuawei registers the CBR routes, serving sc (copied).
func (s *Server) registerHuawei(sc *HuaweiScenario) {
	s.SetHuaweiScenario(sc)
	s.registerAPI(HuaweiAPI, huaweiFaultError)
	s.handle(HuaweiAPI, "GET /v3/{project_id}/backups", s.huaweiAuth(s.huaweiListBackups))
	s.handle(HuaweiAPI, "GET /v3/{project_id}/backups/{backup_id}", s.huaweiAuth(s.huaweiGetBackup))
	s.handle(HuaweiAPI, "GET /v3/{project_id}/vaults", s.huaweiAuth(s.huaweiListVaults))
	s.handle(HuaweiAPI, "/v3/", s.huaweiAuth(func(w http.ResponseWriter, r *http.Request) {
		huaweiGatewayError(w, http.StatusNotFound, "APIGW.0101", "The API does not exist or has not been published in the environment")
	}))
}

// SetHuaweiScenario replaces the Huawei data. With nil, or when neither
// tokens nor credentials are given, the demo token and AK/SK are
// accepted.
func (s *Server) SetHuaweiScenario(sc *HuaweiScenario) {
	c := &HuaweiScenario{}
	if sc != nil {
		c = sc.clone()
	}
	if len(c.Tokens) == 0 && len(c.Credentials) == 0 {
		c.Tokens = []string{HuaweiDemoToken}
		c.Credentials = []HuaweiCredential{{AccessKey: HuaweiDemoAccessKey, SecretKey: HuaweiDemoSecretKey}}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.huawei = c
	s.huaweiChanged()
}

func (sc *HuaweiScenario) clone() *HuaweiScenario {
	c := &HuaweiScenario{
		Tokens:      append([]string(nil), sc.Tokens...),
		Credentials: append([]HuaweiCredential(nil), sc.Credentials...),
	}
	for _, p := range sc.Projects {
		vaults := make([]HuaweiVault, len(p.Vaults))
		for i, v := range p.Vaults {
			v.Tags = append([]HuaweiTag(nil), v.Tags...)
			vaults[i] = v
		}
		c.Projects = append(c.Projects, HuaweiProject{ID: p.ID, Backups: cloneHuaweiBackups(p.Backups), Vaults: vaults})
	}
	return c
}

func cloneHuaweiBackups(bs []HuaweiBackup) []HuaweiBackup {
	if bs == nil {
		return nil
	}
	out := make([]HuaweiBackup, len(bs))
	for i, b := range bs {
		b.Children = cloneHuaweiBackups(b.Children)
		out[i] = b
	}
	return out
}

func (s *Server) huaweiProject(id string) *HuaweiProject {
	for i := range s.huawei.Projects {
		if s.huawei.Projects[i].ID == id {
			return &s.huawei.Projects[i]
		}
	}
	return nil
}

// UpdateHuaweiBackup calls fn with the named backup (top-level or child),
// under the server's lock.
func (s *Server) UpdateHuaweiBackup(project, backupID string, fn func(*HuaweiBackup)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.huaweiProject(project)
	if p == nil {
		return fmt.Errorf("huawei: no project %q", project)
	}
	b, _ := s.huaweiFind(p, backupID)
	if b == nil {
		return fmt.Errorf("huawei: no backup %q in project %q", backupID, project)
	}
	fn(b)
	s.huaweiChanged()
	return nil
}

// SetHuaweiBackupStatus sets the status of a backup (top-level or child).
func (s *Server) SetHuaweiBackupStatus(project, backupID, status string) error {
	return s.UpdateHuaweiBackup(project, backupID, func(b *HuaweiBackup) { b.Status = status })
}

// AddHuaweiBackup appends a top-level backup to a project, creating the
// project when missing.
func (s *Server) AddHuaweiBackup(project string, b HuaweiBackup) {
	b.Children = cloneHuaweiBackups(b.Children)
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.huaweiProject(project)
	if p == nil {
		s.huawei.Projects = append(s.huawei.Projects, HuaweiProject{ID: project})
		p = &s.huawei.Projects[len(s.huawei.Projects)-1]
	}
	p.Backups = append(p.Backups, b)
	s.huaweiChanged()
}

// huaweiAuth checks X-Auth-Token or the AK/SK signature, then that the
// project exists.
func (s *Server) huaweiAuth(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		tokens := append([]string(nil), s.huawei.Tokens...)
		creds := append([]HuaweiCredential(nil), s.huawei.Credentials...)
		s.mu.Unlock()

		if tok := r.Header.Get("X-Auth-Token"); tok != "" {
			ok := false
			for _, t := range tokens {
				if subtle.ConstantTimeCompare([]byte(t), []byte(tok)) == 1 {
					ok = true
				}
			}
			if !ok {
				huaweiGatewayError(w, http.StatusUnauthorized, "APIGW.0301", "Incorrect IAM authentication information: decrypt token fail")
				return
			}
		} else {
			body, err := io.ReadAll(io.LimitReader(r.Body, huaweiMaxSignedBody))
			if err != nil {
				huaweiError(w, http.StatusBadRequest, "BackupService.0005", "Cannot read the request body: "+err.Error())
				return
			}
			lookup := func(ak string) (string, bool) {
				for _, c := range creds {
					if c.AccessKey == ak {
						return c.SecretKey, true
					}
				}
				return "", false
			}
			if err := VerifyHuaweiSignature(r, body, lookup, time.Now()); err != nil {
				msg := "Incorrect IAM authentication information: verify aksk signature fail"
				switch {
				case errors.Is(err, errHuaweiNoSignature):
					msg = "Incorrect IAM authentication information: neither X-Auth-Token nor an SDK-HMAC-SHA256 Authorization header is present"
				case errors.Is(err, errHuaweiDateRange):
					msg = "Incorrect IAM authentication information: the request date is out of range: " + err.Error()
				case errors.Is(err, errHuaweiUnknownAK):
					msg = "Incorrect IAM authentication information: ak " + errDetail(err) + " not exist"
				case errors.Is(err, errHuaweiBadAuth):
					msg = "Incorrect IAM authentication information: " + err.Error()
				}
				huaweiGatewayError(w, http.StatusUnauthorized, "APIGW.0301", msg)
				return
			}
		}

		if pid := r.PathValue("project_id"); pid != "" {
			s.mu.Lock()
			found := s.huaweiProject(pid) != nil
			s.mu.Unlock()
			if !found {
				huaweiError(w, http.StatusForbidden, "BackupService.0003",
					fmt.Sprintf("Project %s does not exist or is not accessible with these credentials", pid))
				return
			}
		}
		h(w, r)
	}
}

func errDetail(err error) string {
	_, d, _ := strings.Cut(err.Error(), "access key ")
	return d
}

func (s *Server) huaweiGetBackup(w http.ResponseWriter, r *http.Request) {
	pid, id := r.PathValue("project_id"), r.PathValue("backup_id")
	s.mu.Lock()
	var out *huaweiBackupJSON
	if p := s.huaweiProject(pid); p != nil {
		if b, parent := s.huaweiFind(p, id); b != nil {
			var parentID *string
			if parent != nil {
				parentID = ptr(parent.ID)
			}
			j := huaweiBackupToJSON(pid, parentID, *b)
			out = &j
		}
	}
	s.mu.Unlock()
	if out == nil {
		huaweiError(w, http.StatusNotFound, "BackupService.6202", fmt.Sprintf("Backup %s not found", id))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"backup": out})
}

// huaweiSortKeys are the keys of the list's sort parameter.
var huaweiSortKeys = map[string]func(b *HuaweiBackup) string{
	"created_at":   func(b *HuaweiBackup) string { return firstNonEmpty(b.CreatedAt, huaweiDefaultCreatedAt) },
	"updated_at":   func(b *HuaweiBackup) string { return deref(b.UpdatedAt) },
	"protected_at": func(b *HuaweiBackup) string { return deref(b.ProtectedAt) },
	"name":         func(b *HuaweiBackup) string { return b.Name },
	"status":       func(b *HuaweiBackup) string { return firstNonEmpty(b.Status, "available") },
	"id":           func(b *HuaweiBackup) string { return b.ID },
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

type huaweiSortKey struct {
	get  func(*HuaweiBackup) string
	desc bool
}

// parseHuaweiSort parses "key[:asc|desc],..." (direction default desc).
func parseHuaweiSort(v string) ([]huaweiSortKey, error) {
	if v == "" {
		v = "created_at:desc"
	}
	var out []huaweiSortKey
	for _, part := range strings.Split(v, ",") {
		k, dir, _ := strings.Cut(strings.TrimSpace(part), ":")
		get, ok := huaweiSortKeys[k]
		if !ok {
			return nil, fmt.Errorf("invalid sort key %q", k)
		}
		switch dir {
		case "", "desc":
			out = append(out, huaweiSortKey{get, true})
		case "asc":
			out = append(out, huaweiSortKey{get, false})
		default:
			return nil, fmt.Errorf("invalid sort direction %q", dir)
		}
	}
	return out, nil
}

// huaweiListBackups answers GET /v3/{project_id}/backups with the limit,
// offset, sort, vault_id, resource_id, resource_type, status, image_type
// and name query parameters. Only top-level backups are listed; each
// carries its children.
func (s *Server) huaweiListBackups(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, offset, ok := huaweiLimitOffset(w, q)
	if !ok {
		return
	}
	keys, err := parseHuaweiSort(q.Get("sort"))
	if err != nil {
		huaweiError(w, http.StatusBadRequest, "BackupService.0005", "Invalid parameter sort: "+err.Error())
		return
	}
	filters := map[string]string{}
	for _, f := range huaweiListFilters {
		filters[f.name] = q.Get(f.name)
	}

	pid := r.PathValue("project_id")
	s.mu.Lock()
	var matched []int
	p := s.huaweiProject(pid)
	if p != nil {
		matched = s.huaweiQuery(p, filters, q.Get("sort"), keys)
	}
	count := len(matched)
	page := []huaweiBackupJSON{}
	for i := offset; i < count && i < offset+limit; i++ {
		page = append(page, huaweiBackupToJSON(pid, nil, p.Backups[matched[i]]))
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"backups": page, "count": count})
}

// huaweiLimitOffset reads the limit (default huaweiListDefaultLimit, 1 to
// huaweiListMaxLimit) and offset (default 0) query parameters of a list;
// a bad one is answered 400 BackupService.0005 and ok is false.
func huaweiLimitOffset(w http.ResponseWriter, q url.Values) (limit, offset int, ok bool) {
	limit = huaweiListDefaultLimit
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > huaweiListMaxLimit {
			huaweiError(w, http.StatusBadRequest, "BackupService.0005",
				fmt.Sprintf("Invalid parameter limit %q: must be an integer from 1 to %d", v, huaweiListMaxLimit))
			return 0, 0, false
		}
		limit = n
	}
	if v := q.Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			huaweiError(w, http.StatusBadRequest, "BackupService.0005",
				fmt.Sprintf("Invalid parameter offset %q: must be a non-negative integer", v))
			return 0, 0, false
		}
		offset = n
	}
	return limit, offset, true
}
