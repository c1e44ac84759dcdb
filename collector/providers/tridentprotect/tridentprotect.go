// Package tridentprotect reads NetApp Trident protect's custom resources
// (protect.trident.netapp.io/v1) from the Kubernetes API: Applications are
// the protected resources, their Backups the backups, and their Schedules
// say how often a backup is due.
package tridentprotect

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/backup-exporter/backup_exporter/collector/providers/kubernetes"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/config"
)

// Name is the target type and provider label.
const Name = "trident_protect"

// apiPrefix is the API group and version of Trident protect's resources.
const apiPrefix = "/apis/protect.trident.netapp.io/v1"

// pageSize is the limit of each list request.
const pageSize = 500

// reNamespace is a Kubernetes namespace name (an RFC 1123 label).
var reNamespace = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)

// Spec is the target's keys.
type Spec struct {
	// Namespaces to read; omitted, all namespaces (one list of each
	// resource for the whole cluster).
	Namespaces []string `yaml:"namespaces,omitempty"`
}

// Validate implements config.TargetSpec.
func (s *Spec) Validate(v *config.Validator) error {
	seen := map[string]bool{}
	for i, ns := range s.Namespaces {
		if !reNamespace.MatchString(ns) {
			return v.Errorf("namespaces", "namespaces entry %d %s is not a namespace name (lower-case letters, digits and '-', at most 63)", i+1, v.Shown("namespaces", ns))
		}
		if seen[ns] {
			return v.Errorf("namespaces", "namespaces lists %q twice", ns)
		}
		seen[ns] = true
	}
	return nil
}

// Type is the trident_protect provider.
var Type = toolkit.Type{
	TargetType: config.TargetType{
		Name:       Name,
		Credential: kubernetes.CredentialType,
		NewSpec:    func() config.TargetSpec { return &Spec{} },
	},
	Title: "NetApp Trident protect",
	States: []toolkit.StateTable{
		{Field: "Backup `status.state`", Table: states},
	},
	New: newProvider,
}

// states maps a Backup's status.state.
var states = map[string]toolkit.State{
	"Pending":   toolkit.StatePending,
	"Blocked":   toolkit.StatePending,
	"Running":   toolkit.StateRunning,
	"Completed": toolkit.StateSucceeded,
	"Failed":    toolkit.StateFailed,
	"Error":     toolkit.StateFailed,
	"Removed":   toolkit.StateRemoved,
}

// granularities are the intervals of a Schedule's granularity.
var granularities = map[string]time.Duration{
	"hourly":  time.Hour,
	"daily":   24 * time.Hour,
	"weekly":  7 * 24 * time.Hour,
	"monthly": 31 * 24 * time.Hour,
}

type provider struct {
	k8s        *kubernetes.Client
	namespaces []string
	owns       func(id string) bool
}

func newProvider(t *config.Target, env *toolkit.Env) (toolkit.Provider, error) {
	k8s, err := kubernetes.NewClient(env, Name)
	if err != nil {
		return nil, err
	}
	return &provider{k8s: k8s, namespaces: t.Spec.(*Spec).Namespaces, owns: env.Owns}, nil
}

// object is the metadata every resource has.
type object struct {
	Metadata struct {
		Name              string  `json:"name"`
		Namespace         string  `json:"namespace"`
		CreationTimestamp string  `json:"creationTimestamp"`
		DeletionTimestamp *string `json:"deletionTimestamp"`
	} `json:"metadata"`
}

type application struct {
	object
}

type backup struct {
	object
	Spec struct {
		ApplicationRef string `json:"applicationRef"`
	} `json:"spec"`
	Status map[string]json.RawMessage `json:"status"`
}

type schedule struct {
	object
	Spec struct {
		ApplicationRef  string          `json:"applicationRef"`
		Granularity     string          `json:"granularity"`
		RecurrenceRule  string          `json:"recurrenceRule"`
		BackupRetention json.RawMessage `json:"backupRetention"`
		Enabled         *bool           `json:"enabled"`
	} `json:"spec"`
}

// Collect implements Provider.
func (p *provider) Collect(ctx context.Context) ([]toolkit.Resource, error) {
	var (
		apps      []application
		backups   []backup
		schedules []schedule
	)
	g := toolkit.NewGroup(ctx, 0)
	g.Go(func(gctx context.Context) (err error) {
		apps, err = list[application](gctx, p, "applications")
		return err
	})
	g.Go(func(gctx context.Context) (err error) { backups, err = list[backup](gctx, p, "backups"); return err })
	g.Go(func(gctx context.Context) (err error) {
		schedules, err = list[schedule](gctx, p, "schedules")
		return err
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}

	byApp := map[string][]*backup{}
	for i := range backups {
		b := &backups[i]
		k := b.Metadata.Namespace + "/" + b.Spec.ApplicationRef
		byApp[k] = append(byApp[k], b)
	}
	schedulesOf := map[string][]*schedule{}
	for i := range schedules {
		s := &schedules[i]
		k := s.Metadata.Namespace + "/" + s.Spec.ApplicationRef
		schedulesOf[k] = append(schedulesOf[k], s)
	}
	sort.SliceStable(apps, func(i, j int) bool { return appID(&apps[i]) < appID(&apps[j]) })
	out := make([]toolkit.Resource, 0, len(apps))
	for i := range apps {
		a := &apps[i]
		id := appID(a)
		if !p.owns(id) {
			continue
		}
		out = append(out, resource(id, a.Metadata.Name, byApp[id], schedulesOf[id]))
	}
	return out, nil
}

func appID(a *application) string { return a.Metadata.Namespace + "/" + a.Metadata.Name }

// meta gives the metadata of every resource type (promoted through the
// embedded object).
func (o *object) meta() *object { return o }

// list reads one resource of every configured namespace (or of the
// cluster), decoding each item and checking that it names itself.
func list[T any, PT interface {
	*T
	meta() *object
}](ctx context.Context, p *provider, resource string) ([]T, error) {
	paths := []string{apiPrefix + "/" + resource}
	if len(p.namespaces) > 0 {
		paths = paths[:0]
		for _, ns := range p.namespaces {
			paths = append(paths, apiPrefix+"/namespaces/"+ns+"/"+resource)
		}
	}
	var out []T
	for _, path := range paths {
		items, err := p.k8s.List(ctx, path, pageSize)
		if err != nil {
			return nil, fmt.Errorf("%s (%s): %w", resource, p.k8s.Describe(), err)
		}
		for _, raw := range items {
			var v T
			if err := json.Unmarshal(raw, &v); err != nil {
				return nil, fmt.Errorf("%s item %d: decode: %w", resource, len(out), err)
			}
			m := PT(&v).meta().Metadata
			if err := toolkit.Require("metadata.name", m.Name, "metadata.namespace", m.Namespace); err != nil {
				return nil, fmt.Errorf("%s item %d: %w", resource, len(out), err)
			}
			out = append(out, v)
		}
	}
	return out, nil
}

// resource is one Application's record (docs/metrics.md, trident_protect).
func resource(id, name string, backups []*backup, schedules []*schedule) toolkit.Resource {
	converted := make([]toolkit.Backup, 0, len(backups))
	for _, b := range backups {
		converted = append(converted, b.toBackup())
	}
	interval, scheduled := backupInterval(schedules)
	r := toolkit.Summarize(id, name, converted, true)
	if len(converted) == 0 && scheduled {
		// A backup schedule but no backup yet: protected, never backed up.
		r.Protected, r.NoSuccessListed = true, true
		r.Counts = map[toolkit.State]int{}
	}
	r.ExpectedInterval = interval
	return r
}

func (b *backup) toBackup() toolkit.Backup {
	state := stringField(b.Status, "state")
	out := toolkit.Backup{
		ID:        b.Metadata.Namespace + "/" + b.Metadata.Name,
		Name:      b.Metadata.Name,
		RawStatus: state,
		State:     toolkit.Normalise(states, state),
		Start:     toolkit.ParseTime(b.Metadata.CreationTimestamp),
	}
	if b.Metadata.DeletionTimestamp != nil && *b.Metadata.DeletionTimestamp != "" {
		out.State = toolkit.StateDeleting
	}
	if out.Finished() {
		out.End = toolkit.ParseTime(stringField(b.Status, "completionTimestamp"))
	}
	hookFailures := hookFailures(b.Status)
	switch {
	case out.State == toolkit.StateFailed:
		msg := stringField(b.Status, "error")
		if msg == "" {
			msg = strings.Join(hookFailures, "; ")
		}
		out.Error = &toolkit.ErrorInfo{Code: "failed", Message: msg}
	case len(hookFailures) > 0:
		// Completed, but a hook failed: not application-consistent.
		out.Degraded = true
		out.Reason = "an execution hook of " + out.Name + " failed"
		out.Error = toolkit.HookFailed(strings.Join(hookFailures, "; "))
	}
	return out
}

func stringField(m map[string]json.RawMessage, key string) string {
	var s string
	if raw, ok := m[key]; ok {
		_ = json.Unmarshal(raw, &s)
	}
	return s
}

// hookFailures are the failures the Backup's hook run results list: every
// status field ending in "HooksRunResults" (pre/post snapshot and backup)
// is a list of runs, each with the failures it had.
func hookFailures(status map[string]json.RawMessage) []string {
	keys := make([]string, 0, len(status))
	for k := range status {
		if strings.HasSuffix(k, "HooksRunResults") {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var out []string
	for _, k := range keys {
		var runs []struct {
			ExecHookRef string `json:"execHookRef"`
			Failures    []struct {
				Error   string `json:"error"`
				Message string `json:"message"`
			} `json:"failures"`
		}
		if json.Unmarshal(status[k], &runs) != nil {
			continue
		}
		for _, run := range runs {
			for _, f := range run.Failures {
				msg := f.Error
				if msg == "" {
					msg = f.Message
				}
				if msg == "" {
					msg = "failed"
				}
				if run.ExecHookRef != "" {
					msg = run.ExecHookRef + ": " + msg
				}
				out = append(out, msg)
			}
		}
	}
	return out
}

// backupInterval is the shortest interval of the enabled schedules that
// keep backups (backupRetention above 0), and whether there is one; 0
// when none says (the target's expected_interval, default 24h, then
// applies).
func backupInterval(schedules []*schedule) (time.Duration, bool) {
	var shortest time.Duration
	found := false
	for _, s := range schedules {
		if s.Spec.Enabled != nil && !*s.Spec.Enabled {
			continue
		}
		if retention(s.Spec.BackupRetention) <= 0 {
			continue
		}
		found = true
		d := granularities[strings.ToLower(s.Spec.Granularity)]
		if strings.EqualFold(s.Spec.Granularity, "custom") {
			d = rruleInterval(s.Spec.RecurrenceRule)
		}
		if d > 0 && (shortest == 0 || d < shortest) {
			shortest = d
		}
	}
	return shortest, found
}

// retention reads backupRetention, a string ("7") or a number.
func retention(raw json.RawMessage) int {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		n, _ := strconv.Atoi(strings.TrimSpace(s))
		return n
	}
	var n int
	_ = json.Unmarshal(raw, &n)
	return n
}

// rruleFreqs are RFC 5545's FREQ values.
var rruleFreqs = map[string]time.Duration{
	"SECONDLY": time.Second,
	"MINUTELY": time.Minute,
	"HOURLY":   time.Hour,
	"DAILY":    24 * time.Hour,
	"WEEKLY":   7 * 24 * time.Hour,
	"MONTHLY":  31 * 24 * time.Hour,
	"YEARLY":   366 * 24 * time.Hour,
}

// rruleInterval is FREQ × INTERVAL of a recurrence rule ("DTSTART:...\n
// RRULE:FREQ=MINUTELY;INTERVAL=5", or the RRULE alone); 0 when unreadable.
func rruleInterval(rule string) time.Duration {
	for _, line := range strings.Split(rule, "\n") {
		line = strings.TrimSpace(line)
		if rest, ok := strings.CutPrefix(strings.ToUpper(line), "RRULE:"); ok {
			line = rest
		} else if !strings.HasPrefix(strings.ToUpper(line), "FREQ=") {
			continue
		}
		freq, interval := time.Duration(0), 1
		for _, part := range strings.Split(strings.ToUpper(line), ";") {
			k, v, _ := strings.Cut(part, "=")
			switch k {
			case "FREQ":
				freq = rruleFreqs[v]
			case "INTERVAL":
				if n, err := strconv.Atoi(v); err == nil && n > 0 {
					interval = n
				}
			}
		}
		return freq * time.Duration(interval)
	}
	return 0
}
