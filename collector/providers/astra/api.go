package astra

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	json "github.com/segmentio/encoding/json"

	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/internal/upstream"
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

// astraAppFields is the `include` list sent with app list calls: id and
// name, and metadata (for its labels) when the target wants the apps'
// labels.
var astraAppFields = []string{"id", "name", "metadata"}

// appFields is the include list of the target's app lists.
func (p *provider) appFields() []string {
	if p.wantTags {
		return astraAppFields
	}
	return astraAppFields[:2]
}

// Apps are listed and read at k8s/v2/apps (NetApp's "App 2.0" API, 2022);
// Astra Control Center releases before it serve them at k8s/v1/apps only.
// App backups stay at k8s/v1/apps/{app}/appBackups in both.
const (
	appsV2 = "/k8s/v2/apps"
	appsV1 = "/k8s/v1/apps"
)

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
		p.env.Logger.Info("Astra answers 404 at k8s/v2/apps: reading apps at k8s/v1/apps (an Astra Control Center release before App 2.0)")
	})
	return nil
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

// listApps lists the account's apps at path (v2 or v1).
func (p *provider) listApps(ctx context.Context, path string) ([]astraApp, error) {
	return list[astraApp](ctx, p, path, p.appFields())
}

// listBackups lists every backup of one app.
func (p *provider) listBackups(ctx context.Context, app string) ([]astraBackup, error) {
	return list[astraBackup](ctx, p, "/k8s/v1/apps/"+url.PathEscape(app)+"/appBackups", astraBackupFields)
}

// list walks every page of an Astra collection (limit and
// metadata.continue) and returns each element of `items` decoded and
// checked; include names the fields asked for, in the order an Astra
// that answers with arrays gives them.
func list[T any, PT interface {
	*T
	toolkit.Checked
}](ctx context.Context, p *provider, path string, include []string) ([]T, error) {
	var out []T
	cont := ""
	pages := toolkit.NewPager(ctx, "list "+path)
	for page := 1; ; page++ {
		q := url.Values{}
		q.Set("include", strings.Join(include, ","))
		q.Set("limit", fmt.Sprint(astraPageSize))
		if cont != "" {
			q.Set("continue", cont)
		}
		// Items decode straight from the page, as objects or as arrays of
		// the included fields (positional).
		var body struct {
			Items    []T `json:"items"`
			Metadata struct {
				Continue string `json:"continue"`
			} `json:"metadata"`
		}
		if _, err := p.client.GetJSON(ctx, p.request(p.base+path+"?"+q.Encode()), &body); err != nil {
			return nil, fmt.Errorf("page %d: %w", page, err)
		}
		for i := range body.Items {
			if err := PT(&body.Items[i]).Check(); err != nil {
				return nil, fmt.Errorf("page %d item %d: %w", page, i, err)
			}
		}
		out = append(out, body.Items...)
		cont = body.Metadata.Continue
		if err := pages.Page(len(body.Items), cont); err != nil {
			return nil, err
		}
		if cont == "" {
			return out, nil
		}
	}
}

// request is the upstream request for u, its error body read as Astra
// writes it.
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

// positional decodes an item Astra sent as an array of the fields the
// request's include named, in that order, into fields (pointers to the
// item's fields in that order); an object decodes as itself (plain is
// the item's type without its UnmarshalJSON).
func positional(data []byte, plain any, fields []any) error {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 || trimmed[0] != '[' {
		return json.Unmarshal(data, plain)
	}
	var values []json.RawMessage
	if err := json.Unmarshal(trimmed, &values); err != nil {
		return err
	}
	if len(values) > len(fields) {
		return fmt.Errorf("item has %d fields, %d were asked for", len(values), len(fields))
	}
	for i, v := range values {
		if err := json.Unmarshal(v, fields[i]); err != nil {
			return err
		}
	}
	return nil
}

// astraApp is an Astra app (k8s/v2/apps, or v1 before App 2.0).
type astraApp struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Metadata struct {
		// Labels are type_astra_label: {name, value}, read by labels
		// (malformed ones are none: no field a record needs).
		Labels json.RawMessage `json:"labels"`
	} `json:"metadata"`
}

// astraLabel is a label of an Astra resource's metadata.
type astraLabel struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// UnmarshalJSON reads an app sent as an object, or as an array of
// astraAppFields.
func (a *astraApp) UnmarshalJSON(data []byte) error {
	type plain astraApp
	return positional(data, (*plain)(a), []any{&a.ID, &a.Name, &a.Metadata})
}

// Check implements toolkit.Checked: a listed app must name itself (its
// ID is the resource_id).
func (a *astraApp) Check() error { return toolkit.Require("id", a.ID) }

// astraBackup is an Astra appBackup; numbers may come as strings.
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

// UnmarshalJSON reads a backup sent as an object, or as an array of
// astraBackupFields.
func (b *astraBackup) UnmarshalJSON(data []byte) error {
	type plain astraBackup
	return positional(data, (*plain)(b), []any{&b.ID, &b.Name, &b.State, &b.StateUnready, &b.HookState, &b.HookStateDetails,
		&b.BackupCreationTimestamp, &b.TotalBytes, &b.BytesDone, &b.PercentDone, &b.Metadata})
}

// Check implements toolkit.Checked: the API document marks an appBackup's
// id and state required.
func (b *astraBackup) Check() error { return toolkit.Require("id", b.ID, "state", b.State) }
