// Package astra reads the app backups of NetApp Astra Control.
package astra

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"go.uber.org/zap"

	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/config"
	"github.com/backup-exporter/backup_exporter/internal/upstream"
)

// Name is the target type and provider label.
const Name = "astra"

// reID is the pattern of Astra account, app and backup IDs.
var reID = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9\-]{0,127}$`)

// Spec is the target's keys.
type Spec struct {
	Endpoint  string `yaml:"endpoint,omitempty"`
	AccountID string `yaml:"account_id,omitempty"`
	// AppID names one app; omitted, the account's apps are discovered.
	AppID string `yaml:"app_id,omitempty"`
	// BackupID names one backup of AppID.
	BackupID string `yaml:"backup_id,omitempty"`
}

// Validate implements config.TargetSpec.
func (s *Spec) Validate(v *config.Validator) error {
	s.Endpoint = strings.TrimRight(s.Endpoint, "/")
	return config.First(
		v.Required("endpoint", s.Endpoint),
		v.Required("account_id", s.AccountID),
		v.URL("endpoint", s.Endpoint),
		v.Match("backup_id", s.BackupID, reID),
		v.Match("account_id", s.AccountID, reID),
		v.Match("app_id", s.AppID, reID),
		func() error {
			// An appBackup names no app: without app_id the resource would
			// be labelled with the backup's own ID (config.md).
			if s.BackupID != "" && s.AppID == "" {
				return v.Errorf("backup_id", "backup_id needs app_id (an Astra app backup does not name its app)")
			}
			return nil
		}(),
	)
}

// Type is the astra provider.
var Type = toolkit.Type{
	TargetType: config.TargetType{
		Name:       Name,
		Credential: CredentialType,
		NewSpec:    func() config.TargetSpec { return &Spec{} },
	},
	Title: "NetApp Astra Control",
	States: []toolkit.StateTable{
		{Field: "App backup `state`", Table: astraStates},
	},
	New: newProvider,
}

// astraPageSize is the `limit` asked of Astra list calls.
const astraPageSize = 100

// astraBackupFields is the `include` list sent with backup list calls, so
// that an Astra that answers with arrays answers with these fields in this
// order. It starts with id,name,state as in the API document's example.
var astraBackupFields = []string{
	"id", "name", "state", "stateUnready", "hookState", "hookStateDetails",
	"backupCreationTimestamp", "totalBytes", "bytesDone", "percentDone", "metadata",
}

var astraAppFields = []string{"id", "name"}

// Apps are listed and read at k8s/v2/apps (NetApp's "App 2.0" API, 2022);
// Astra Control Center releases before it serve them at k8s/v1/apps only.
// App backups stay at k8s/v1/apps/{app}/appBackups in both.
const (
	appsV2 = "/k8s/v2/apps"
	appsV1 = "/k8s/v1/apps"
)

type provider struct {
	client *upstream.Client
	// concurrency is the credential's max_concurrency: how many apps
	// are read at once.
	concurrency int
	// owns says whether this replica's shard owns an app.
	owns   func(id string) bool
	base   string // endpoint + /accounts/{account_id}
	app    string
	backup string

	logger *zap.Logger
	// appsV1 is set once k8s/v2/apps answered 404 and k8s/v1/apps did
	// not: this Astra predates App 2.0, and is asked at v1 from then on.
	appsV1   atomic.Bool
	fallback sync.Once // the switch to v1 is logged once
}

func newProvider(t *config.Target, env *toolkit.Env) (toolkit.Provider, error) {
	s := t.Spec.(*Spec)
	env.WarnPlainHTTP(s.Endpoint)
	return &provider{
		client:      env.Client(Name, bearer(env.Credential)),
		concurrency: env.Pool.MaxConcurrency(),
		owns:        env.Owns,
		base:        s.Endpoint + "/accounts/" + url.PathEscape(s.AccountID),
		app:         s.AppID,
		backup:      s.BackupID,
		logger:      env.Logger,
	}, nil
}

// appsPath is where this Astra serves apps.
func (p *provider) appsPath() string {
	if p.appsV1.Load() {
		return appsV1
	}
	return appsV2
}

// withAppsFallback runs call with the apps path (k8s/v2/apps); when v2
// answers 404, once per target, it tries k8s/v1/apps, and keeps v1 when
// that answers.
func (p *provider) withAppsFallback(call func(apps string) error) error {
	apps := p.appsPath()
	err := call(apps)
	var httpErr *upstream.HTTPError
	if apps != appsV2 || !errors.As(err, &httpErr) || httpErr.StatusCode != http.StatusNotFound {
		return err
	}
	if v1err := call(appsV1); v1err != nil {
		// Neither answers: the v2 error says what is wrong on a current
		// Astra.
		return err
	}
	p.appsV1.Store(true)
	p.fallback.Do(func() {
		p.logger.Info("Astra answers 404 at k8s/v2/apps: reading apps at k8s/v1/apps (an Astra Control Center release before App 2.0)")
	})
	return nil
}

// Collect implements Provider.
func (p *provider) Collect(ctx context.Context) ([]toolkit.Resource, error) {
	switch {
	case p.backup != "":
		r, err := p.single(ctx)
		if err != nil {
			return nil, err
		}
		return []toolkit.Resource{r}, nil
	case p.app != "":
		app, err := p.readApp(ctx)
		if err != nil {
			return nil, err
		}
		r, err := p.appResource(ctx, app)
		if err != nil {
			return nil, err
		}
		return []toolkit.Resource{r}, nil
	default:
		return p.discover(ctx)
	}
}

// readApp reads the target's app, for its name.
func (p *provider) readApp(ctx context.Context) (astraApp, error) {
	var app astraApp
	err := p.withAppsFallback(func(apps string) error {
		app = astraApp{}
		_, err := p.client.GetJSON(ctx, p.request(p.base+apps+"/"+url.PathEscape(p.app)), &app)
		return err
	})
	if err != nil {
		return astraApp{}, fmt.Errorf("get Astra app %q: %w", p.app, err)
	}
	// The target names the app: its ID is the one configured.
	app.ID = p.app
	return app, nil
}

// single reads the one backup the target names, of its app (backup_id
// needs app_id: an appBackup names no app).
func (p *provider) single(ctx context.Context) (toolkit.Resource, error) {
	path := "/k8s/v1/apps/" + url.PathEscape(p.app) + "/appBackups/" + url.PathEscape(p.backup)
	app, err := p.readApp(ctx)
	if err != nil {
		return toolkit.Resource{}, err
	}
	var b astraBackup
	if _, err := p.client.GetJSON(ctx, p.request(p.base+path), &b); err != nil {
		return toolkit.Resource{}, fmt.Errorf("get Astra backup %q: %w", p.backup, err)
	}
	if err := b.validate(); err != nil {
		return toolkit.Resource{}, fmt.Errorf("get Astra backup %q: %w", p.backup, err)
	}
	return toolkit.Summarize(app.ID, app.label(), []toolkit.Backup{b.toBackup()}, false), nil
}

// discover lists the account's apps, then each app's backups.
func (p *provider) discover(ctx context.Context) ([]toolkit.Resource, error) {
	var apps []astraApp
	err := p.withAppsFallback(func(path string) error {
		apps = nil
		return p.listApps(ctx, path, &apps)
	})
	if err != nil {
		return nil, fmt.Errorf("list Astra apps: %w", err)
	}

	apps = slices.DeleteFunc(apps, func(a astraApp) bool { return !p.owns(a.ID) })
	return toolkit.MapResources(ctx, p.concurrency, apps, func(a astraApp) (string, string) { return a.ID, a.label() }, p.appResource), nil
}

// listApps lists the account's apps at path into apps.
func (p *provider) listApps(ctx context.Context, path string, apps *[]astraApp) error {
	return p.list(ctx, path, astraAppFields, func(raw json.RawMessage) error {
		var a astraApp
		if err := decodeAstraItem(raw, astraAppFields, &a); err != nil {
			return err
		}
		if err := toolkit.Require("id", a.ID); err != nil {
			return err
		}
		*apps = append(*apps, a)
		return nil
	})
}

// appResource lists every backup of one app.
func (p *provider) appResource(ctx context.Context, app astraApp) (toolkit.Resource, error) {
	var backups []toolkit.Backup
	err := p.list(ctx, "/k8s/v1/apps/"+url.PathEscape(app.ID)+"/appBackups", astraBackupFields, func(raw json.RawMessage) error {
		var b astraBackup
		if err := decodeAstraItem(raw, astraBackupFields, &b); err != nil {
			return err
		}
		if err := b.validate(); err != nil {
			return err
		}
		backups = append(backups, b.toBackup())
		return nil
	})
	if err != nil {
		return toolkit.Resource{}, fmt.Errorf("list backups of Astra app %q: %w", app.ID, err)
	}
	return toolkit.Summarize(app.ID, app.label(), backups, true), nil
}

// list walks every page of an Astra collection (limit and
// metadata.continue), calling item for each element of `items`.
func (p *provider) list(ctx context.Context, path string, include []string, item func(json.RawMessage) error) error {
	cont := ""
	pages := toolkit.NewPager(ctx, "list "+path)
	for page := 1; ; page++ {
		q := url.Values{}
		q.Set("include", strings.Join(include, ","))
		q.Set("limit", fmt.Sprint(astraPageSize))
		if cont != "" {
			q.Set("continue", cont)
		}
		var body struct {
			Items    []json.RawMessage `json:"items"`
			Metadata struct {
				Continue string `json:"continue"`
			} `json:"metadata"`
		}
		if _, err := p.client.GetJSON(ctx, p.request(p.base+path+"?"+q.Encode()), &body); err != nil {
			return fmt.Errorf("page %d: %w", page, err)
		}
		for i, raw := range body.Items {
			if err := item(raw); err != nil {
				return fmt.Errorf("page %d item %d: %w", page, i, err)
			}
		}
		cont = body.Metadata.Continue
		if err := pages.Page(len(body.Items), cont); err != nil {
			return err
		}
		if cont == "" {
			return nil
		}
	}
}

func (p *provider) request(u string) upstream.Request {
	return upstream.Request{URL: u, DecodeError: decodeAstraError}
}

// decodeAstraError reads Astra's problem body {type,title,detail,status}.
func decodeAstraError(_ int, body []byte) string {
	var e struct {
		Title  string `json:"title"`
		Detail string `json:"detail"`
	}
	if json.Unmarshal(body, &e) != nil || (e.Title == "" && e.Detail == "") {
		return ""
	}
	if e.Detail == "" {
		return e.Title
	}
	return e.Title + ": " + e.Detail
}

// decodeAstraItem decodes a list item given as an object, or as an array
// of the fields named in include, in that order.
func decodeAstraItem(raw json.RawMessage, include []string, out any) error {
	trimmed := strings.TrimSpace(string(raw))
	if !strings.HasPrefix(trimmed, "[") {
		return json.Unmarshal(raw, out)
	}
	var values []json.RawMessage
	if err := json.Unmarshal(raw, &values); err != nil {
		return err
	}
	if len(values) > len(include) {
		return fmt.Errorf("item has %d fields, %d were asked for", len(values), len(include))
	}
	// The object, written directly: the values are valid JSON already
	// (a map re-marshalled would sort and re-encode them once more).
	var b bytes.Buffer
	b.Grow(len(raw) + 16*len(values))
	b.WriteByte('{')
	for i, v := range values {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Quote(include[i]))
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return json.Unmarshal(b.Bytes(), out)
}

type astraApp struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// label is the app's resource_name: its name, else its ID.
func (a astraApp) label() string {
	if a.Name != "" {
		return a.Name
	}
	return a.ID
}

// validate checks the fields an appBackup must have (the API document
// marks id and state required).
func (b *astraBackup) validate() error { return toolkit.Require("id", b.ID, "state", b.State) }

type astraBackup struct {
	ID               string   `json:"id"`
	Name             string   `json:"name"`
	State            string   `json:"state"`
	StateUnready     []string `json:"stateUnready"`
	HookState        string   `json:"hookState"`
	HookStateDetails []struct {
		Type   string `json:"type"`
		Title  string `json:"title"`
		Detail string `json:"detail"`
	} `json:"hookStateDetails"`
	BackupCreationTimestamp string `json:"backupCreationTimestamp"`
	TotalBytes              number `json:"totalBytes"`
	BytesDone               number `json:"bytesDone"`
	PercentDone             number `json:"percentDone"`
	Metadata                struct {
		CreationTimestamp string `json:"creationTimestamp"`
	} `json:"metadata"`
}

var astraStates = map[string]toolkit.State{
	"pending":     toolkit.StatePending,
	"discovering": toolkit.StatePending,
	"running":     toolkit.StateRunning,
	"completed":   toolkit.StateSucceeded,
	"failed":      toolkit.StateFailed,
	"removed":     toolkit.StateRemoved,
	"unknown":     toolkit.StateUnknown,
}

func (b *astraBackup) toBackup() toolkit.Backup {
	out := toolkit.Backup{
		ID:          b.ID,
		Name:        b.Name,
		RawStatus:   b.State,
		State:       toolkit.Normalise(astraStates, b.State),
		Start:       toolkit.ParseTime(b.Metadata.CreationTimestamp),
		Size:        b.TotalBytes.v,
		Transferred: b.BytesDone.v,
	}
	if out.Name == "" {
		out.Name = b.ID
	}
	if p := b.PercentDone.v; p != nil {
		out.Progress = toolkit.Float(*p / 100)
	}
	hooksFailed := b.HookState == "failed"
	if out.State == toolkit.StateSucceeded {
		out.End = toolkit.ParseTime(b.BackupCreationTimestamp)
		out.Degraded = hooksFailed
		if hooksFailed {
			out.Reason = "an execution hook of " + out.Name + " failed"
		}
	}
	switch {
	case out.State == toolkit.StateFailed:
		out.Error = &toolkit.ErrorInfo{Code: "failed", Message: b.errorMessage()}
	case out.State == toolkit.StateSucceeded && hooksFailed:
		out.Error = toolkit.HookFailed(b.errorMessage())
	}
	return out
}

func (b *astraBackup) errorMessage() string {
	if len(b.StateUnready) > 0 {
		return strings.Join(b.StateUnready, "; ")
	}
	details := make([]string, 0, len(b.HookStateDetails))
	for _, d := range b.HookStateDetails {
		if d.Detail != "" {
			details = append(details, d.Detail)
		} else if d.Title != "" {
			details = append(details, d.Title)
		}
	}
	return strings.Join(details, "; ")
}
