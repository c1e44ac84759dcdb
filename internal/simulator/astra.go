package simulator

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The NetApp Astra Control API: apps and application backups, as in the
// "Application Backup" API document (resource version 1.2). Apps are served
// at k8s/v2/apps (NetApp's "App 2.0" API, app resource 2.x), or, for the
// Astra Control Center releases before it, at k8s/v1/apps only (app
// resource 1.x; AstraScenario.AppsV1Only). App backups are at
// k8s/v1/apps/{app}/appBackups in both.

// AstraAPI is the API name used in faults and stats.
const AstraAPI = "astra"

// AstraDefaultToken is the bearer token when the scenario names none.
const AstraDefaultToken = "astra-demo-token"

// AstraAppIDLabel is the metadata label naming the app of a backup.
const AstraAppIDLabel = "astra.netapp.io/labels/read-only/appID"

const (
	astraBackupVersion = "1.2"
	astraAppVersion    = "2.2"
	astraAppV1Version  = "1.2"
	astraCreatedBy     = "8f84cf09-8036-51e4-b579-bd30cb07b269"
	astraDefaultTime   = "2026-11-01T00:00:00Z"
)

// AstraScenario is the `astra:` section of a scenario.
type AstraScenario struct {
	// Token is the required bearer token; default AstraDefaultToken.
	Token string `yaml:"token"`
	// AppsV1Only serves apps at k8s/v1/apps only, as Astra Control Center
	// releases before App 2.0 did: k8s/v2/apps then answers 404.
	AppsV1Only bool           `yaml:"apps_v1_only"`
	Accounts   []AstraAccount `yaml:"accounts"`
}

// AstraAccount is one Astra account.
type AstraAccount struct {
	ID   string     `yaml:"id"`
	Apps []AstraApp `yaml:"apps"`
}

// AstraApp is one managed application.
type AstraApp struct {
	ID   string `yaml:"id"`
	Name string `yaml:"name"`
	// Namespace of the app; optional.
	Namespace string `yaml:"namespace"`
	// CreationTimestamp is metadata.creationTimestamp; optional.
	CreationTimestamp string        `yaml:"creation_timestamp"`
	Backups           []AstraBackup `yaml:"backups"`
	// Labels are the app's metadata.labels (type_astra_label), in order.
	Labels []AstraLabel `yaml:"labels"`
}

// AstraLabel is a label of an app's metadata: {name, value}.
type AstraLabel struct {
	Name  string `yaml:"name"`
	Value string `yaml:"value"`
}

// AstraHookDetail is a type_astra_stateDetail.
type AstraHookDetail struct {
	Type   string `yaml:"type" json:"type"`
	Title  string `yaml:"title" json:"title"`
	Detail string `yaml:"detail" json:"detail"`
}

// AstraBackup is one application backup. Nil numbers are left out of the
// JSON.
type AstraBackup struct {
	ID               string            `yaml:"id"`
	Name             string            `yaml:"name"`
	BucketID         string            `yaml:"bucket_id"`
	ScheduleID       string            `yaml:"schedule_id"`
	SnapshotID       string            `yaml:"snapshot_id"`
	State            string            `yaml:"state"`
	StateUnready     []string          `yaml:"state_unready"`
	HookState        string            `yaml:"hook_state"`
	HookStateDetails []AstraHookDetail `yaml:"hook_state_details"`
	// CreationTimestamp is metadata.creationTimestamp (RFC 3339).
	CreationTimestamp string `yaml:"creation_timestamp"`
	// ModificationTimestamp is metadata.modificationTimestamp; default
	// BackupCreationTimestamp, else CreationTimestamp.
	ModificationTimestamp   string   `yaml:"modification_timestamp"`
	BackupCreationTimestamp string   `yaml:"backup_creation_timestamp"`
	TotalBytes              *int64   `yaml:"total_bytes"`
	BytesDone               *int64   `yaml:"bytes_done"`
	PercentDone             *float64 `yaml:"percent_done"`
}

// astraLabel is a type_astra_label.
type astraLabel struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type astraMetadata struct {
	Labels                []astraLabel `json:"labels"`
	CreationTimestamp     string       `json:"creationTimestamp"`
	ModificationTimestamp string       `json:"modificationTimestamp"`
	CreatedBy             string       `json:"createdBy"`
}

// astraBackupJSON is appBackup_1.2_get_response_body.
type astraBackupJSON struct {
	Type                    string            `json:"type"`
	Version                 string            `json:"version"`
	ID                      string            `json:"id"`
	Name                    string            `json:"name"`
	BucketID                string            `json:"bucketID,omitempty"`
	SnapshotID              string            `json:"snapshotID,omitempty"`
	ScheduleID              string            `json:"scheduleID,omitempty"`
	State                   string            `json:"state"`
	StateUnready            []string          `json:"stateUnready"`
	HookState               string            `json:"hookState,omitempty"`
	HookStateDetails        []AstraHookDetail `json:"hookStateDetails,omitempty"`
	BackupCreationTimestamp string            `json:"backupCreationTimestamp,omitempty"`
	TotalBytes              *int64            `json:"totalBytes,omitempty"`
	BytesDone               *int64            `json:"bytesDone,omitempty"`
	PercentDone             *float64          `json:"percentDone,omitempty"`
	Metadata                astraMetadata     `json:"metadata"`
}

var astraBackupFields = fieldSet("type", "version", "id", "name", "bucketID", "snapshotID", "scheduleID",
	"state", "stateUnready", "hookState", "hookStateDetails", "backupCreationTimestamp",
	"totalBytes", "bytesDone", "percentDone", "metadata")

// astraAppJSON is an app 2.x resource (k8s/v2/apps), with the fields
// NetApp's toolkit shows of it.
type astraAppJSON struct {
	Type                     string                `json:"type"`
	Version                  string                `json:"version"`
	ID                       string                `json:"id"`
	Name                     string                `json:"name"`
	NamespaceScopedResources []astraNamespaceScope `json:"namespaceScopedResources"`
	State                    string                `json:"state"`
	Namespaces               []string              `json:"namespaces"`
	Metadata                 astraMetadata         `json:"metadata"`
}

type astraNamespaceScope struct {
	Namespace string `json:"namespace"`
}

var astraAppFields = fieldSet("type", "version", "id", "name", "namespaceScopedResources", "state", "namespaces", "metadata")

// astraAppV1JSON is an app 1.x resource (k8s/v1/apps, before App 2.0).
type astraAppV1JSON struct {
	Type      string        `json:"type"`
	Version   string        `json:"version"`
	ID        string        `json:"id"`
	Name      string        `json:"name"`
	Namespace string        `json:"namespace,omitempty"`
	State     string        `json:"state"`
	Metadata  astraMetadata `json:"metadata"`
}

var astraAppV1Fields = fieldSet("type", "version", "id", "name", "namespace", "state", "metadata")

func fieldSet(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

func backupToJSON(appID string, b AstraBackup) astraBackupJSON {
	created := firstNonEmpty(b.CreationTimestamp, b.BackupCreationTimestamp, astraDefaultTime)
	su := b.StateUnready
	if su == nil {
		su = []string{}
	}
	return astraBackupJSON{
		Type:                    "application/astra-appBackup",
		Version:                 astraBackupVersion,
		ID:                      b.ID,
		Name:                    b.Name,
		BucketID:                b.BucketID,
		SnapshotID:              b.SnapshotID,
		ScheduleID:              b.ScheduleID,
		State:                   b.State,
		StateUnready:            su,
		HookState:               b.HookState,
		HookStateDetails:        b.HookStateDetails,
		BackupCreationTimestamp: b.BackupCreationTimestamp,
		TotalBytes:              b.TotalBytes,
		BytesDone:               b.BytesDone,
		PercentDone:             b.PercentDone,
		Metadata: astraMetadata{
			Labels:                []astraLabel{{Name: AstraAppIDLabel, Value: appID}},
			CreationTimestamp:     created,
			ModificationTimestamp: firstNonEmpty(b.ModificationTimestamp, b.BackupCreationTimestamp, created),
			CreatedBy:             astraCreatedBy,
		},
	}
}

func appToJSON(a AstraApp) astraAppJSON {
	scopes, namespaces := []astraNamespaceScope{}, []string{}
	if a.Namespace != "" {
		scopes, namespaces = []astraNamespaceScope{{Namespace: a.Namespace}}, []string{a.Namespace}
	}
	return astraAppJSON{
		Type:                     "application/astra-app",
		Version:                  astraAppVersion,
		ID:                       a.ID,
		Name:                     a.Name,
		NamespaceScopedResources: scopes,
		State:                    "ready",
		Namespaces:               namespaces,
		Metadata:                 appMetadata(a),
	}
}

func appToV1JSON(a AstraApp) astraAppV1JSON {
	return astraAppV1JSON{
		Type:      "application/astra-app",
		Version:   astraAppV1Version,
		ID:        a.ID,
		Name:      a.Name,
		Namespace: a.Namespace,
		State:     "ready",
		Metadata:  appMetadata(a),
	}
}

func appMetadata(a AstraApp) astraMetadata {
	created := firstNonEmpty(a.CreationTimestamp, astraDefaultTime)
	labels := []astraLabel{}
	for _, l := range a.Labels {
		labels = append(labels, astraLabel(l))
	}
	return astraMetadata{
		Labels:                labels,
		CreationTimestamp:     created,
		ModificationTimestamp: created,
		CreatedBy:             astraCreatedBy,
	}
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// astraError writes the API's RFC 7807-like error body; "status" is a
// string, as in the document.
func astraError(w http.ResponseWriter, status int, title, detail string) {
	n := map[int]int{400: 5, 401: 3, 403: 11, 404: 2, 409: 10, 429: 44, 500: 96, 502: 98, 503: 99, 504: 100}[status]
	if n == 0 {
		n = status
	}
	writeJSON(w, status, astraProblem{
		Type:   fmt.Sprintf("https://astra.netapp.io/problems/%d", n),
		Title:  title,
		Detail: detail,
		Status: strconv.Itoa(status),
	})
}

// astraProblem is the error body; Status is a string ("404").
type astraProblem struct {
	Type          string              `json:"type"`
	Title         string              `json:"title"`
	Detail        string              `json:"detail"`
	Status        string              `json:"status"`
	InvalidParams []map[string]string `json:"invalidParams,omitempty"`
}

// astraListMetadata is type_astra_metadata_list.
type astraListMetadata struct {
	Continue              string       `json:"continue,omitempty"`
	Count                 *int         `json:"count,omitempty"`
	Labels                []astraLabel `json:"labels"`
	CreationTimestamp     string       `json:"creationTimestamp"`
	ModificationTimestamp string       `json:"modificationTimestamp"`
	CreatedBy             string       `json:"createdBy"`
}

type astraListJSON struct {
	Type     string            `json:"type"`
	Version  string            `json:"version"`
	Items    []any             `json:"items"`
	Metadata astraListMetadata `json:"metadata"`
}

// registerAstra registers the Astra routes, serving sc (copied).
func (s *Server) registerAstra(sc *AstraScenario) {
	s.SetAstraScenario(sc)
	s.registerAPI(AstraAPI, astraError)
	s.handle(AstraAPI, "GET /accounts/{account}/k8s/v2/apps", s.astraAuth(s.astraApps(false, s.astraListApps)))
	s.handle(AstraAPI, "GET /accounts/{account}/k8s/v2/apps/{app}", s.astraAuth(s.astraApps(false, s.astraGetApp)))
	s.handle(AstraAPI, "GET /accounts/{account}/k8s/v1/apps", s.astraAuth(s.astraApps(true, s.astraListApps)))
	s.handle(AstraAPI, "GET /accounts/{account}/k8s/v1/apps/{app}", s.astraAuth(s.astraApps(true, s.astraGetApp)))
	s.handle(AstraAPI, "GET /accounts/{account}/k8s/v1/apps/{app}/appBackups", s.astraAuth(s.astraListBackups))
	s.handle(AstraAPI, "GET /accounts/{account}/k8s/v1/apps/{app}/appBackups/{id}", s.astraAuth(s.astraGetBackup))
	s.handle(AstraAPI, "GET /accounts/{account}/topology/v1/appBackups", s.astraAuth(s.astraListBackups))
	s.handle(AstraAPI, "GET /accounts/{account}/topology/v1/appBackups/{id}", s.astraAuth(s.astraGetBackup))
	s.handle(AstraAPI, "/accounts/", s.astraAuth(func(w http.ResponseWriter, r *http.Request) {
		astraError(w, http.StatusNotFound, "Resource not found", "The resource specified in the request URI wasn't found.")
	}))
}

// SetAstraScenario replaces the Astra data (nil: no accounts, default
// token).
func (s *Server) SetAstraScenario(sc *AstraScenario) {
	c := &AstraScenario{Token: AstraDefaultToken}
	if sc != nil {
		c = sc.clone()
		if c.Token == "" {
			c.Token = AstraDefaultToken
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.astra = c
	s.astraChanged()
}

func (sc *AstraScenario) clone() *AstraScenario {
	c := &AstraScenario{Token: sc.Token, AppsV1Only: sc.AppsV1Only}
	for _, acc := range sc.Accounts {
		ca := AstraAccount{ID: acc.ID}
		for _, app := range acc.Apps {
			app.Backups = append([]AstraBackup(nil), app.Backups...)
			app.Labels = append([]AstraLabel(nil), app.Labels...)
			ca.Apps = append(ca.Apps, app)
		}
		c.Accounts = append(c.Accounts, ca)
	}
	return c
}

// UpdateAstraBackup calls fn with the named backup, under the server's
// lock.
func (s *Server) UpdateAstraBackup(account, app, backupID string, fn func(*AstraBackup)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.astraApp(account, app)
	if a == nil {
		return fmt.Errorf("astra: no app %q in account %q", app, account)
	}
	for i := range a.Backups {
		if a.Backups[i].ID == backupID {
			fn(&a.Backups[i])
			s.astraChanged()
			return nil
		}
	}
	return fmt.Errorf("astra: no backup %q in app %q", backupID, app)
}

// SetAstraBackupState sets the state of a backup.
func (s *Server) SetAstraBackupState(account, app, backupID, state string) error {
	return s.UpdateAstraBackup(account, app, backupID, func(b *AstraBackup) { b.State = state })
}

// AddAstraBackup appends a backup to an app, creating the account and the
// app when missing.
func (s *Server) AddAstraBackup(account, app string, b AstraBackup) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.astraApp(account, app)
	if a == nil {
		acc := s.astraAccount(account)
		if acc == nil {
			s.astra.Accounts = append(s.astra.Accounts, AstraAccount{ID: account})
			acc = &s.astra.Accounts[len(s.astra.Accounts)-1]
		}
		acc.Apps = append(acc.Apps, AstraApp{ID: app, Name: app})
		a = &acc.Apps[len(acc.Apps)-1]
	}
	a.Backups = append(a.Backups, b)
	s.astraChanged()
}

func (s *Server) astraAccount(id string) *AstraAccount {
	for i := range s.astra.Accounts {
		if s.astra.Accounts[i].ID == id {
			return &s.astra.Accounts[i]
		}
	}
	return nil
}

func (s *Server) astraApp(account, id string) *AstraApp {
	acc := s.astraAccount(account)
	if acc == nil {
		return nil
	}
	if i := s.astraIndexOf(acc).apps[id]; len(i) > 0 {
		return &acc.Apps[i[0]]
	}
	return nil
}

func (s *Server) astraAuth(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		token := s.astra.Token
		s.mu.Unlock()
		auth := r.Header.Get("Authorization")
		got, ok := strings.CutPrefix(auth, "Bearer ")
		switch {
		case !ok || strings.TrimSpace(got) == "":
			astraError(w, http.StatusUnauthorized, "Missing bearer token", "The request is missing the required bearer token.")
		case strings.TrimSpace(got) != token:
			astraError(w, http.StatusUnauthorized, "Invalid bearer token", "The bearer token in the request is not valid.")
		default:
			h(w, r)
		}
	}
}

func astraNotFound(w http.ResponseWriter, collection bool) {
	if collection {
		astraError(w, http.StatusNotFound, "Collection not found", "The collection specified in the request URI wasn't found.")
		return
	}
	astraError(w, http.StatusNotFound, "Resource not found", "The resource specified in the request URI wasn't found.")
}

// astraApps serves an apps route of API version 1 (v1) or 2 only where
// the scenario's Astra has that version: k8s/v2/apps unless AppsV1Only,
// k8s/v1/apps only then; elsewhere the route is unknown (404).
func (s *Server) astraApps(v1 bool, h func(w http.ResponseWriter, r *http.Request, v1 bool)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		served := s.astra.AppsV1Only == v1
		s.mu.Unlock()
		if !served {
			astraError(w, http.StatusNotFound, "Resource not found", "The resource specified in the request URI wasn't found.")
			return
		}
		h(w, r, v1)
	}
}

func (s *Server) astraListApps(w http.ResponseWriter, r *http.Request, v1 bool) {
	version, fields := astraAppVersion, astraAppFields
	if v1 {
		version, fields = astraAppV1Version, astraAppV1Fields
	}
	s.mu.Lock()
	acc := s.astraAccount(r.PathValue("account"))
	if acc == nil {
		s.mu.Unlock()
		astraNotFound(w, true)
		return
	}
	s.astraList(w, r, "application/astra-apps", version, fields, len(acc.Apps), func(i int) any {
		if v1 {
			return appToV1JSON(acc.Apps[i])
		}
		return appToJSON(acc.Apps[i])
	})
}

func (s *Server) astraGetApp(w http.ResponseWriter, r *http.Request, v1 bool) {
	s.mu.Lock()
	a := s.astraApp(r.PathValue("account"), r.PathValue("app"))
	var out any
	if a != nil {
		if v1 {
			out = appToV1JSON(*a)
		} else {
			out = appToJSON(*a)
		}
	}
	s.mu.Unlock()
	if a == nil {
		astraNotFound(w, false)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// astraListBackups serves both the topology (account-wide) and the
// per-app lists.
func (s *Server) astraListBackups(w http.ResponseWriter, r *http.Request) {
	appID := r.PathValue("app")
	s.mu.Lock()
	acc := s.astraAccount(r.PathValue("account"))
	var apps []int
	if acc != nil && appID != "" {
		apps = s.astraIndexOf(acc).apps[appID]
	}
	if acc == nil || appID != "" && len(apps) == 0 {
		s.mu.Unlock()
		astraNotFound(w, true)
		return
	}
	// The backups of the account, or of the apps of the ID (one, unless
	// the scenario repeats an ID), in order.
	var refs []astraBackupRef
	switch {
	case appID == "":
		refs = s.astraIndexOf(acc).allBackups(acc)
	case len(apps) == 1:
		a := &acc.Apps[apps[0]]
		s.astraList(w, r, "application/astra-appBackups", astraBackupVersion, astraBackupFields, len(a.Backups), func(i int) any {
			return backupToJSON(a.ID, a.Backups[i])
		})
		return
	default:
		for _, ai := range apps {
			for b := range acc.Apps[ai].Backups {
				refs = append(refs, astraBackupRef{ai, b})
			}
		}
	}
	s.astraList(w, r, "application/astra-appBackups", astraBackupVersion, astraBackupFields, len(refs), func(i int) any {
		a := &acc.Apps[refs[i].a]
		return backupToJSON(a.ID, a.Backups[refs[i].b])
	})
}

func (s *Server) astraGetBackup(w http.ResponseWriter, r *http.Request) {
	appID, id := r.PathValue("app"), r.PathValue("id")
	s.mu.Lock()
	var out *astraBackupJSON
	appFound := appID == ""
	if acc := s.astraAccount(r.PathValue("account")); acc != nil {
		ax := s.astraIndexOf(acc)
		appFound = appFound || len(ax.apps[appID]) > 0
		// The last backup of the ID (of an app of appID, when given).
		refs := ax.backupsOfID(acc, id)
		for k := len(refs) - 1; k >= 0; k-- {
			if a := &acc.Apps[refs[k].a]; appID == "" || a.ID == appID {
				j := backupToJSON(a.ID, a.Backups[refs[k].b])
				out = &j
				break
			}
		}
	}
	s.mu.Unlock()
	if out == nil {
		astraNotFound(w, !appFound)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// astraList answers a collection of n items, the i-th made by item, with
// the `include`, `limit`, `continue` and `count` query parameters. The
// caller holds s.mu, which astraList releases once it has made the page's
// items (and only them).
func (s *Server) astraList(w http.ResponseWriter, r *http.Request, typ, version string, fields map[string]bool, total int, item func(i int) any) {
	unlock := sync.OnceFunc(s.mu.Unlock)
	defer unlock()
	q := r.URL.Query()
	var invalid []map[string]string
	bad := func(name, reason string) {
		invalid = append(invalid, map[string]string{"name": name, "reason": reason})
	}

	var include []string
	if v := q.Get("include"); v != "" {
		for _, f := range strings.Split(v, ",") {
			f = strings.TrimSpace(f)
			if !fields[strings.SplitN(f, ".", 2)[0]] {
				bad("include", fmt.Sprintf("unknown field %q", f))
			}
			include = append(include, f)
		}
	}
	limit := 0
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			bad("limit", "must be a positive integer")
		}
		limit = n
	}
	offset := 0
	if v := q.Get("continue"); v != "" {
		n, err := decodeContinue(v)
		if err != nil {
			bad("continue", "invalid continue token")
		}
		offset = n
	}
	count := false
	if v := q.Get("count"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			bad("count", "must be true or false")
		}
		count = b
	}
	if len(invalid) > 0 {
		unlock()
		writeJSON(w, http.StatusBadRequest, astraProblem{
			Type:          "https://astra.netapp.io/problems/5",
			Title:         "Invalid query parameters",
			Detail:        "The supplied query parameters are invalid.",
			Status:        "400",
			InvalidParams: invalid,
		})
		return
	}

	if offset > total {
		offset = total
	}
	end := total
	if limit > 0 && offset+limit < total {
		end = offset + limit
	}
	page := make([]any, 0, end-offset)
	for i := offset; i < end; i++ {
		page = append(page, item(i))
	}
	unlock()

	out := make([]any, 0, len(page))
	for _, it := range page {
		if include == nil {
			out = append(out, it)
			continue
		}
		arr, err := pickFields(it, include)
		if err != nil {
			astraError(w, http.StatusInternalServerError, "Internal error", err.Error())
			return
		}
		out = append(out, arr)
	}
	now := time.Now().UTC().Format(time.RFC3339Nano)
	meta := astraListMetadata{
		Labels:                []astraLabel{},
		CreationTimestamp:     now,
		ModificationTimestamp: now,
		CreatedBy:             astraCreatedBy,
	}
	if end < total {
		meta.Continue = encodeContinue(end)
	}
	if count {
		meta.Count = &total
	}
	writeJSON(w, http.StatusOK, astraListJSON{Type: typ, Version: version, Items: out, Metadata: meta})
}

// pickFields returns the values of the named (possibly dotted) fields of
// v's JSON form, null for absent ones.
func pickFields(v any, names []string) ([]json.RawMessage, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(b, &obj); err != nil {
		return nil, err
	}
	out := make([]json.RawMessage, len(names))
	for i, name := range names {
		out[i] = json.RawMessage("null")
		cur := obj
		parts := strings.Split(name, ".")
		for j, p := range parts {
			raw, ok := cur[p]
			if !ok {
				break
			}
			if j == len(parts)-1 {
				out[i] = raw
				break
			}
			cur = nil
			if json.Unmarshal(raw, &cur) != nil || cur == nil {
				break
			}
		}
	}
	return out, nil
}

func encodeContinue(offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("offset:" + strconv.Itoa(offset)))
}

func decodeContinue(s string) (int, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return 0, err
	}
	v, ok := strings.CutPrefix(string(b), "offset:")
	if !ok {
		return 0, fmt.Errorf("bad token")
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("bad token")
	}
	return n, nil
}
