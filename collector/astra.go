package collector

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/backup-exporter/backup_exporter/config"
)

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

// astraAppIDLabels are metadata labels that may name the app a backup
// belongs to. The documents define no app field on a backup, so the
// topology API's single backup is matched to its app only through them.
var astraAppIDLabels = []string{"astra.netapp.io/labels/read-only/appID", "appID"}

type astraProvider struct {
	client *HTTPClient
	base   string // endpoint + /accounts/{account_id}
	app    string
	backup string
	token  func() (string, error)
}

func newAstraProvider(t *config.Target, env Env) (Provider, error) {
	if env.Credential.Astra == nil {
		return nil, fmt.Errorf("credential %q is not an astra credential", env.Credential.Name)
	}
	cred := env.Credential.Astra
	return &astraProvider{
		client: env.Client,
		base:   strings.TrimRight(t.Endpoint, "/") + "/accounts/" + url.PathEscape(t.AccountID),
		app:    t.AppID,
		backup: t.BackupID,
		token:  func() (string, error) { return config.ResolveSecret(cred.APIToken, cred.APITokenFile) },
	}, nil
}

// Collect implements Provider.
func (p *astraProvider) Collect(ctx context.Context) ([]Resource, error) {
	switch {
	case p.backup != "":
		r, err := p.single(ctx)
		if err != nil {
			return nil, err
		}
		return []Resource{r}, nil
	case p.app != "":
		r, err := p.appResource(ctx, astraApp{ID: p.app})
		if err != nil {
			return nil, err
		}
		return []Resource{r}, nil
	default:
		return p.discover(ctx)
	}
}

// single reads the one backup the target names: through its app when the
// app is known, else through the account's topology.
func (p *astraProvider) single(ctx context.Context) (Resource, error) {
	path := "/topology/v1/appBackups/" + url.PathEscape(p.backup)
	if p.app != "" {
		path = "/k8s/v1/apps/" + url.PathEscape(p.app) + "/appBackups/" + url.PathEscape(p.backup)
	}
	var b astraBackup
	if _, err := p.client.GetJSON(ctx, config.TypeAstra, p.request(p.base+path), &b); err != nil {
		return Resource{}, fmt.Errorf("get Astra backup %q: %w", p.backup, err)
	}
	appID := p.app
	if appID == "" {
		appID = b.appID()
	}
	if appID == "" {
		// Without an app the backup itself is the only identity known.
		appID = b.ID
	}
	return Summarize(appID, appID, []Backup{b.toBackup()}, false), nil
}

// discover lists the account's apps, then each app's backups.
func (p *astraProvider) discover(ctx context.Context) ([]Resource, error) {
	var apps []astraApp
	err := p.list(ctx, "/k8s/v1/apps", astraAppFields, func(raw json.RawMessage) error {
		var a astraApp
		if err := decodeAstraItem(raw, astraAppFields, &a); err != nil {
			return err
		}
		apps = append(apps, a)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list Astra apps: %w", err)
	}

	return mapConcurrent(ctx, apps, p.appResource)
}

// appResource lists every backup of one app.
func (p *astraProvider) appResource(ctx context.Context, app astraApp) (Resource, error) {
	var backups []Backup
	err := p.list(ctx, "/k8s/v1/apps/"+url.PathEscape(app.ID)+"/appBackups", astraBackupFields, func(raw json.RawMessage) error {
		var b astraBackup
		if err := decodeAstraItem(raw, astraBackupFields, &b); err != nil {
			return err
		}
		backups = append(backups, b.toBackup())
		return nil
	})
	if err != nil {
		return Resource{}, fmt.Errorf("list backups of Astra app %q: %w", app.ID, err)
	}
	name := app.Name
	if name == "" {
		name = app.ID
	}
	return Summarize(app.ID, name, backups, true), nil
}

// list walks every page of an Astra collection (limit and
// metadata.continue), calling item for each element of `items`.
func (p *astraProvider) list(ctx context.Context, path string, include []string, item func(json.RawMessage) error) error {
	cont := ""
	seen := map[string]bool{}
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
		if _, err := p.client.GetJSON(ctx, config.TypeAstra, p.request(p.base+path+"?"+q.Encode()), &body); err != nil {
			return fmt.Errorf("page %d: %w", page, err)
		}
		for i, raw := range body.Items {
			if err := item(raw); err != nil {
				return fmt.Errorf("page %d item %d: %w", page, i, err)
			}
		}
		cont = body.Metadata.Continue
		if cont == "" {
			return nil
		}
		if seen[cont] {
			return fmt.Errorf("page %d: continue token repeats; stopping to avoid a loop", page)
		}
		seen[cont] = true
	}
}

func (p *astraProvider) request(u string) Request {
	return Request{
		URL: u,
		Authorize: func(r *http.Request) error {
			token, err := p.token()
			if err != nil {
				return err
			}
			r.Header.Set("Authorization", "Bearer "+token)
			return nil
		},
		DecodeError: decodeAstraError,
	}
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
	obj := make(map[string]json.RawMessage, len(values))
	for i, v := range values {
		obj[include[i]] = v
	}
	b, err := json.Marshal(obj)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}

type astraApp struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

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
		Labels            []struct {
			Name  string `json:"name"`
			Value string `json:"value"`
		} `json:"labels"`
	} `json:"metadata"`
}

func (b *astraBackup) appID() string {
	for _, want := range astraAppIDLabels {
		for _, l := range b.Metadata.Labels {
			if l.Name == want && l.Value != "" {
				return l.Value
			}
		}
	}
	return ""
}

var astraStates = map[string]State{
	"pending":     StatePending,
	"discovering": StatePending,
	"running":     StateRunning,
	"completed":   StateSucceeded,
	"failed":      StateFailed,
	"removed":     StateRemoved,
	"unknown":     StateUnknown,
}

func (b *astraBackup) toBackup() Backup {
	out := Backup{
		Name:        b.Name,
		RawStatus:   b.State,
		State:       normalise(astraStates, b.State),
		Start:       parseTime(b.Metadata.CreationTimestamp),
		Size:        b.TotalBytes.v,
		Transferred: b.BytesDone.v,
	}
	if out.Name == "" {
		out.Name = b.ID
	}
	if p := b.PercentDone.v; p != nil {
		out.Progress = Float(*p / 100)
	}
	hooksFailed := b.HookState == "failed"
	if out.State == StateSucceeded {
		out.End = parseTime(b.BackupCreationTimestamp)
		out.Degraded = hooksFailed
	}
	switch {
	case out.State == StateFailed:
		out.Error = &ErrorInfo{Code: "failed", Message: b.errorMessage()}
	case out.State == StateSucceeded && hooksFailed:
		out.Error = &ErrorInfo{Code: "hook_failed", Message: b.errorMessage()}
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
