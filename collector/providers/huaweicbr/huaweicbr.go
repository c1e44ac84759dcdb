// Package huaweicbr reads the backups of Huawei Cloud Backup and
// Recovery (CBR).
package huaweicbr

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/backup-exporter/backup_exporter/collector/providers/huawei"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/config"
	"github.com/backup-exporter/backup_exporter/internal/upstream"
)

// Name is the target type and provider label.
const Name = "huawei_cbr"

// Path-parameter patterns.
var (
	reID     = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9\-]{0,63}$`)
	reBackup = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9\-]{0,127}$`)
	reRegion = regexp.MustCompile(`^[a-z]{2,}(-[a-z0-9]+)+$`)
)

// Spec is the target's keys.
type Spec struct {
	// Endpoint is the CBR endpoint; omitted, it follows from Region.
	Endpoint  string `yaml:"endpoint,omitempty"`
	Region    string `yaml:"region,omitempty"`
	ProjectID string `yaml:"project_id,omitempty"`
	// BackupID names one backup; omitted, the project's backups are
	// listed, filtered by VaultID and ResourceID when set.
	BackupID   string `yaml:"backup_id,omitempty"`
	VaultID    string `yaml:"vault_id,omitempty"`
	ResourceID string `yaml:"resource_id,omitempty"`
}

// Validate implements config.TargetSpec.
func (s *Spec) Validate(v *config.Validator) error {
	if err := v.Required("project_id", s.ProjectID); err != nil {
		return err
	}
	if s.Region != "" {
		if !reRegion.MatchString(s.Region) {
			return v.Errorf("region", "region %s must look like cn-north-4", v.Shown("region", s.Region))
		}
		if v.Has("endpoint") {
			return v.Errorf("endpoint", "give endpoint or region, not both")
		}
		s.Endpoint = "https://cbr." + s.Region + ".myhuaweicloud.com"
	}
	s.Endpoint = strings.TrimRight(s.Endpoint, "/")
	if s.Endpoint == "" {
		return v.Errorf("", "endpoint or region is required for type huawei_cbr")
	}
	return config.First(
		v.URL("endpoint", s.Endpoint),
		v.Match("project_id", s.ProjectID, reID),
		v.Match("backup_id", s.BackupID, reBackup),
		v.Match("vault_id", s.VaultID, reID),
		v.Match("resource_id", s.ResourceID, reID),
	)
}

// Type is the huawei_cbr provider.
var Type = toolkit.Type{
	TargetType: config.TargetType{
		Name:       Name,
		Credential: huawei.CredentialType,
		NewSpec:    func() config.TargetSpec { return &Spec{} },
	},
	Title: "Huawei Cloud CBR",
	States: []toolkit.StateTable{
		{Field: "Backup `status`", Table: huaweiCBRStates},
	},
	New: newProvider,
}

// huaweiCBRPageSize is the `limit` asked of the backup list (the API
// allows up to 1000; 100 keeps answers small and paging exercised).
const huaweiCBRPageSize = 100

// huaweiCBRListAttempts bounds how often a backup list whose count
// changed while it was paged is walked again from the start.
const huaweiCBRListAttempts = 3

// huaweiCBRListSort asks for the oldest first, so that backups created
// while the list is paged land on the last page instead of shifting the
// offsets of those not read yet.
const huaweiCBRListSort = "created_at:asc"

var errHuaweiCountChanged = errors.New("the backup count changed while paging")

type provider struct {
	client   *upstream.Client
	base     string // endpoint + /v3/{project_id}
	project  string
	backup   string
	vault    string
	resource string
}

func newProvider(t *config.Target, env *toolkit.Env) (toolkit.Provider, error) {
	s := t.Spec.(*Spec)
	env.WarnPlainHTTP(s.Endpoint)
	p := &provider{
		base:     s.Endpoint + "/v3/" + url.PathEscape(s.ProjectID),
		project:  s.ProjectID,
		backup:   s.BackupID,
		vault:    s.VaultID,
		resource: s.ResourceID,
	}
	p.client = env.Client(Name, huawei.Authorizer(env.Credential, s.ProjectID))
	return p, nil
}

// Collect implements Provider.
func (p *provider) Collect(ctx context.Context) ([]toolkit.Resource, error) {
	if p.backup != "" {
		r, err := p.single(ctx)
		if err != nil {
			return nil, err
		}
		return []toolkit.Resource{r}, nil
	}
	return p.listed(ctx)
}

// single reads the one backup the target names.
func (p *provider) single(ctx context.Context) (toolkit.Resource, error) {
	var body struct {
		Backup *huaweiBackup `json:"backup"`
	}
	u := p.base + "/backups/" + url.PathEscape(p.backup)
	if _, err := p.client.GetJSON(ctx, p.request(u), &body); err != nil {
		return toolkit.Resource{}, fmt.Errorf("get CBR backup %q of project %q: %w", p.backup, p.project, err)
	}
	if body.Backup == nil {
		return toolkit.Resource{}, fmt.Errorf("get CBR backup %q of project %q: the answer has no backup", p.backup, p.project)
	}
	b := body.Backup
	if err := b.validate(); err != nil {
		return toolkit.Resource{}, fmt.Errorf("get CBR backup %q of project %q: %w", p.backup, p.project, err)
	}
	return toolkit.Summarize(b.resourceKey(), b.resourceLabel(), []toolkit.Backup{b.toBackup(nil)}, false), nil
}

// listed lists the project's backups (within the target's filters) and
// groups them by protected resource.
func (p *provider) listed(ctx context.Context) ([]toolkit.Resource, error) {
	var (
		backups []huaweiBackup
		err     error
	)
	for range huaweiCBRListAttempts {
		backups, err = p.list(ctx)
		if !errors.Is(err, errHuaweiCountChanged) {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("list CBR backups of project %q: %w", p.project, err)
	}

	// Children are parts of their parent's backup. The list normally
	// nests them; should it also list one on its own, it still only
	// counts against its parent.
	childErrors := map[string][]string{}
	var top []*huaweiBackup
	for i := range backups {
		b := &backups[i]
		if b.ParentID != nil && *b.ParentID != "" {
			if b.Status == "error" {
				childErrors[*b.ParentID] = append(childErrors[*b.ParentID], b.childName())
			}
			continue
		}
		// A backup listed twice counts once (Summarize drops repeats of
		// its ID).
		top = append(top, b)
	}

	var order []string
	byResource := map[string][]*huaweiBackup{}
	for _, b := range top {
		key := b.resourceKey()
		if _, ok := byResource[key]; !ok {
			order = append(order, key)
		}
		byResource[key] = append(byResource[key], b)
	}
	if len(order) == 0 && p.resource != "" {
		// The target names a resource that has no backup: a coverage gap.
		return []toolkit.Resource{toolkit.Summarize(p.resource, p.resource, nil, true)}, nil
	}
	resources := make([]toolkit.Resource, 0, len(order))
	for _, key := range order {
		group := byResource[key]
		converted := make([]toolkit.Backup, len(group))
		for i, b := range group {
			converted[i] = b.toBackup(childErrors)
		}
		resources = append(resources, toolkit.Summarize(key, huaweiResourceName(group), converted, true))
	}
	return resources, nil
}

// list walks every page of the backup list (limit and offset, until
// offset reaches count).
func (p *provider) list(ctx context.Context) ([]huaweiBackup, error) {
	var (
		all   []huaweiBackup
		count = -1
	)
	pages := toolkit.NewPager(ctx, "list CBR backups")
	for page := 1; ; page++ {
		q := url.Values{}
		q.Set("limit", strconv.Itoa(huaweiCBRPageSize))
		q.Set("offset", strconv.Itoa(len(all)))
		q.Set("sort", huaweiCBRListSort)
		if p.vault != "" {
			q.Set("vault_id", p.vault)
		}
		if p.resource != "" {
			q.Set("resource_id", p.resource)
		}
		var body struct {
			Backups []huaweiBackup `json:"backups"`
			Count   *int           `json:"count"`
		}
		if _, err := p.client.GetJSON(ctx, p.request(p.base+"/backups?"+q.Encode()), &body); err != nil {
			return nil, fmt.Errorf("page %d: %w", page, err)
		}
		if body.Count == nil {
			return nil, fmt.Errorf("page %d: the answer has no count", page)
		}
		if count >= 0 && *body.Count != count {
			return nil, fmt.Errorf("page %d: %w (from %d to %d)", page, errHuaweiCountChanged, count, *body.Count)
		}
		count = *body.Count
		for i := range body.Backups {
			if err := body.Backups[i].validate(); err != nil {
				return nil, fmt.Errorf("page %d item %d: %w", page, i, err)
			}
		}
		all = append(all, body.Backups...)
		next := ""
		if len(all) < count {
			// The next page's offset is the continuation.
			next = strconv.Itoa(len(all))
		}
		if next != "" && len(body.Backups) == 0 {
			return nil, fmt.Errorf("page %d at offset %d is empty although count is %d", page, len(all), count)
		}
		if err := pages.Page(len(body.Backups), next); err != nil {
			return nil, err
		}
		if next == "" {
			return all, nil
		}
	}
}

func (p *provider) request(u string) upstream.Request {
	return upstream.Request{URL: u, DecodeError: decodeHuaweiError}
}

// decodeHuaweiError reads CBR's {"error_code","error_msg"} and the API
// gateway's {"error_msg","error_code","request_id"} bodies, and the
// {"error":{"code","message"}} form of other Huawei services. The
// request_id is left out: it differs on every call, and the orchestrator
// logs a failure again only when its text changes.
func decodeHuaweiError(_ int, body []byte) string {
	var e struct {
		Code  string `json:"error_code"`
		Msg   string `json:"error_msg"`
		Error *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil {
		return ""
	}
	if e.Code == "" && e.Msg == "" && e.Error != nil {
		e.Code, e.Msg = e.Error.Code, e.Error.Message
	}
	if e.Code != "" && e.Msg != "" {
		return e.Code + ": " + e.Msg
	}
	return e.Code + e.Msg
}

// huaweiBackup is a CBR BackupDetail (or BackupResp); null fields decode
// to nil.
// validate checks the fields a backup must have to be placed and judged.
func (b *huaweiBackup) validate() error {
	return toolkit.Require("id", b.ID, "status", b.Status)
}

type huaweiBackup struct {
	ID           string   `json:"id"`
	Name         string   `json:"name"`
	Status       string   `json:"status"`
	ParentID     *string  `json:"parent_id"`
	ResourceID   string   `json:"resource_id"`
	ResourceName string   `json:"resource_name"`
	ResourceSize *float64 `json:"resource_size"`
	CreatedAt    *string  `json:"created_at"`
	UpdatedAt    *string  `json:"updated_at"`
	ProtectedAt  *string  `json:"protected_at"`
	ExpiredAt    *string  `json:"expired_at"`
	ExtendInfo   *struct {
		Progress *float64 `json:"progress"`
	} `json:"extend_info"`
	Children []huaweiBackup `json:"children"`
}

var huaweiCBRStates = map[string]toolkit.State{
	"available":       toolkit.StateSucceeded,
	"protecting":      toolkit.StateRunning,
	"error":           toolkit.StateFailed,
	"deleting":        toolkit.StateDeleting,
	"waiting_delete":  toolkit.StateDeleting,
	"restoring":       toolkit.StateRestoring,
	"waiting_restore": toolkit.StateRestoring,
	"waiting_protect": toolkit.StatePending,
}

// resourceKey is the resource_id; a backup without one is its own
// resource, the only identity known.
func (b *huaweiBackup) resourceKey() string {
	if b.ResourceID != "" {
		return b.ResourceID
	}
	return b.ID
}

func (b *huaweiBackup) resourceLabel() string {
	if b.ResourceName != "" {
		return b.ResourceName
	}
	return b.resourceKey()
}

// huaweiResourceName is the resource_name of the newest backup that has
// one, since a renamed resource keeps its ID.
func huaweiResourceName(group []*huaweiBackup) string {
	var name string
	var newest time.Time
	for _, b := range group {
		if b.ResourceName == "" {
			continue
		}
		if t := toolkit.ParseTime(huaweiStr(b.CreatedAt)); name == "" || t.After(newest) {
			name, newest = b.ResourceName, t
		}
	}
	if name == "" {
		return group[0].resourceKey()
	}
	return name
}

// childName names a child backup in messages: its disk, else its ID.
func (b *huaweiBackup) childName() string {
	if b.ResourceName != "" {
		return b.ResourceName
	}
	return b.ID
}

// toBackup converts b; childErrors holds, by parent ID, the children
// listed separately in error.
func (b *huaweiBackup) toBackup(childErrors map[string][]string) toolkit.Backup {
	out := toolkit.Backup{
		ID:        b.ID,
		Name:      b.Name,
		RawStatus: b.Status,
		State:     toolkit.Normalise(huaweiCBRStates, b.Status),
		Start:     toolkit.ParseTime(huaweiStr(b.CreatedAt)),
		Expiry:    toolkit.ParseTime(huaweiStr(b.ExpiredAt)),
	}
	var failed []string
	if b.ID != "" {
		failed = append(failed, childErrors[b.ID]...)
	}
	if out.Name == "" {
		out.Name = b.ID
	}
	// A backup being restored from is complete.
	out.Complete = out.State == toolkit.StateRestoring
	for i := range b.Children {
		if b.Children[i].Status == "error" && !slices.Contains(failed, b.Children[i].childName()) {
			failed = append(failed, b.Children[i].childName())
		}
	}
	if len(failed) > 0 {
		// A part of the backup (a disk of a server backup) failed.
		out.Degraded = true
		out.Reason = "part of the backup in error: " + strings.Join(failed, ", ")
	}
	// protected_at is when the backup was taken; updated_at stands in for
	// a finished backup without it, but on a running one it is only the
	// last progress update. A successful backup whose API gives neither
	// (Huawei's own ShowBackup example: both null) ended at the latest at
	// its start: created_at (metrics.md, "Which backup is which").
	if out.State != toolkit.StateRunning && out.State != toolkit.StatePending {
		out.End = toolkit.ParseTime(huaweiStr(b.ProtectedAt))
		if out.End.IsZero() && (out.Succeeded() || out.State == toolkit.StateFailed) {
			out.End = toolkit.ParseTime(huaweiStr(b.UpdatedAt))
		}
		if out.End.IsZero() && out.Succeeded() {
			out.End = out.Start
		}
	}
	if b.ResourceSize != nil {
		out.Size = toolkit.Float(*b.ResourceSize * (1 << 30))
	}
	if b.ExtendInfo != nil && b.ExtendInfo.Progress != nil {
		out.Progress = toolkit.Float(*b.ExtendInfo.Progress / 100)
	}
	return out
}

func huaweiStr(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
