// Package toolkit is what a provider is written with: the resource
// records a provider returns (Resource, Backup and the rules of
// docs/metrics.md that fill them: Summarize, Normalise), the families of
// the exposition, the helpers every poll runs its calls through (Pager,
// Group, MapConcurrent, MapResources) and the provider type a package
// registers (Type, Env). The orchestrator (package collector) polls,
// caches and renders; a provider imports this package, not that one.
package toolkit

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	json "github.com/segmentio/encoding/json"
)

// State is a normalised backup state (docs/metrics.md, "Normalised states").
type State string

// The normalised states, in the order they are exposed.
const (
	StatePending   State = "pending"
	StateRunning   State = "running"
	StateSucceeded State = "succeeded"
	StateFailed    State = "failed"
	StateCancelled State = "cancelled"
	StateDeleting  State = "deleting"
	StateRestoring State = "restoring"
	StateRemoved   State = "removed"
	StateUnknown   State = "unknown"
)

// States lists every normalised state; each state set exposes all of them.
var States = []State{
	StatePending, StateRunning, StateSucceeded, StateFailed, StateCancelled,
	StateDeleting, StateRestoring, StateRemoved, StateUnknown,
}

// ErrorInfo is the error the latest backup of a resource reports: its
// code and message as backup_error_info shows them.
type ErrorInfo struct {
	Code    string
	Message string
	// Summary is the error as a person reads it (--once), in the
	// provider's words ("hooks failed: pre-snapshot hook exited 1"); ""
	// reads Message, else Code.
	Summary string
}

// HookFailed is the error of a backup that completed although hooks
// failed (it is not application-consistent): code hook_failed, message
// the hooks' own.
func HookFailed(message string) *ErrorInfo {
	summary := "hooks failed"
	if message != "" {
		summary += ": " + message
	}
	return &ErrorInfo{Code: "hook_failed", Message: message, Summary: summary}
}

// Read is the error as a person reads it: Summary, else Message, else
// Code.
func (e *ErrorInfo) Read() string {
	switch {
	case e.Summary != "":
		return e.Summary
	case e.Message != "":
		return e.Message
	}
	return e.Code
}

// Backup is one backup (or backup operation) of a resource as a provider
// read it. Optional numbers are nil when the API gave no value; optional
// times are the zero time.
type Backup struct {
	// ID identifies the backup among the resource's (its upstream ID);
	// a backup listed twice (a page boundary that moved, a buggy API)
	// counts once. "" when the API gives none: no deduplication.
	ID string
	// Name is the backup's name, or its ID when it has no name.
	Name string
	// RawStatus is the provider's own state string, shown in backup_info.
	RawStatus string
	State     State
	// Complete marks a backup that holds complete data although its state
	// is not succeeded (a CBR backup being restored from).
	Complete bool
	// Degraded marks a finished backup that must not count as healthy
	// although it completed: failed Astra hooks, CBR children in error.
	Degraded bool
	// Reason says, in a few words, why it is degraded ("disk data-01 in
	// error"), for --once.
	Reason string

	Start  time.Time
	End    time.Time
	Expiry time.Time

	Progress    *float64 // ratio 0–1
	Transferred *float64 // bytes
	Size        *float64 // bytes

	Error *ErrorInfo
}

// Succeeded reports whether the backup holds a good, complete copy.
func (b *Backup) Succeeded() bool { return b.State == StateSucceeded || b.Complete }

// Finished reports whether the backup has reached an outcome that decides
// the resource's health.
func (b *Backup) Finished() bool {
	return b.Succeeded() || b.State == StateFailed || b.State == StateCancelled
}

// Resource is one protected resource of a target and the state of its
// backups: what a Provider returns and what the metrics are made of.
type Resource struct {
	ID   string
	Name string
	// Err is set when this resource of a discovery target could not be
	// read (MapResources): it keeps its last good series for
	// max_staleness and is counted in backup_exporter_target_resource_errors.
	Err error
	// Protected is false for a discovered resource without any backup
	// configured; such a resource exposes only backup_protected 0.
	Protected bool

	// Latest is the backup with the newest start; nil when none is known.
	Latest *Backup
	// State overrides Latest.State when the provider knows the current
	// state otherwise (ANF: latestBackupStatus); "" means Latest's.
	State State
	// RawStatus overrides Latest.RawStatus for backup_info; "" means
	// Latest's.
	RawStatus string
	// Healthy is backup_healthy.
	Healthy bool
	// Notes are what a person should read about the resource besides its
	// error, in the provider's words ("mirror broken"), whether or not it
	// is healthy (--once).
	Notes []string

	// Reason says, in a few words, why the resource is not healthy when
	// neither its state nor its error says it (a degraded backup, a
	// provider's own health signal), for --once; "" when healthy.
	Reason string
	// Error overrides Latest.Error for backup_error_info when set.
	Error *ErrorInfo

	// LastSuccess is the end of the newest successful backup.
	LastSuccess time.Time
	// OldestSuccess is the end of the oldest successful backup still
	// listed: how far back the resource can be restored. Only where every
	// backup of the resource is listed (else zero: no sample).
	OldestSuccess time.Time
	// NoSuccessListed is true when every backup of the resource was listed
	// and none succeeded: backup_last_success_timestamp_seconds is then 0.
	NoSuccessListed bool
	LastFailure     time.Time

	// Counts is backup_backups by state; nil when the provider did not
	// list the resource's backups.
	Counts map[State]int

	// Tags are the resource's own tags or labels as the upstream returns
	// them (keys and values unchanged), for backup_resource_info; the
	// zero value has none. A provider whose lists carry no tags leaves
	// them empty and names the resource to look up in Tags.Lookup.
	Tags Tags

	// Extra are the series of the provider's own families (ANF's mirror
	// state, say); like every series but backup_protected, they are not
	// exposed for an unprotected resource.
	Extra []Sample

	// ExpectedRetention is the target's expected_retention (0: none);
	// set by the orchestrator.
	ExpectedRetention time.Duration

	// ExpectedInterval is how often a good backup is due: the target's
	// expected_interval when it sets one, else what the provider derived
	// (0: the default), filled in by the orchestrator.
	ExpectedInterval time.Duration
}

// CurrentState is the normalised state exposed in backup_state.
func (r *Resource) CurrentState() State {
	if r.State != "" {
		return r.State
	}
	if r.Latest != nil {
		return r.Latest.State
	}
	return ""
}

// CurrentRawStatus is the status label of backup_info.
func (r *Resource) CurrentRawStatus() string {
	if r.RawStatus != "" {
		return r.RawStatus
	}
	if r.Latest != nil {
		return r.Latest.RawStatus
	}
	return ""
}

// CurrentError is the error exposed in backup_error_info, if any.
func (r *Resource) CurrentError() *ErrorInfo {
	if r.Error != nil {
		return r.Error
	}
	if r.Latest != nil {
		return r.Latest.Error
	}
	return nil
}

// Unprotected returns the record of a discovered resource without backups.
func Unprotected(id, name string) Resource {
	return Resource{ID: id, Name: name}
}

// Summarize turns the backups a provider read for one resource into a
// Resource, applying the rules of docs/metrics.md ("Which backup is which",
// "Healthy"). listedAll says whether backups holds every backup of the
// resource (a list API) rather than a single one the target names; only
// then are backup_backups counts and a 0 last-success time meaningful.
func Summarize(id, name string, backups []Backup, listedAll bool) Resource {
	backups = uniqueBackups(backups)
	// Newest start first; a stable sort keeps the API's order among
	// backups that started at the same instant (or gave no start).
	sorted := make([]*Backup, len(backups))
	for i := range backups {
		sorted[i] = &backups[i]
	}
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Start.After(sorted[j].Start) })
	return SummarizeSorted(id, name, sorted, listedAll)
}

// SummarizeSorted is Summarize for backups that are already unique and
// sorted newest start first (as Summarize sorts them), given by pointer:
// a provider whose backups cover many resources each (Velero's cover
// namespaces) summarizes without copying them per resource. The backups
// are read, not kept: the record holds a copy of the latest.
func SummarizeSorted(id, name string, sorted []*Backup, listedAll bool) Resource {
	r := Resource{ID: id, Name: name, Protected: true, Healthy: true}
	if len(sorted) == 0 {
		if listedAll {
			r.Protected = false
		}
		return r
	}
	// A copy: the record does not keep the provider's whole list alive.
	latest := *sorted[0]
	r.Latest = &latest

	for _, b := range sorted {
		if b.Finished() {
			switch {
			case !b.Succeeded():
				r.Healthy = false
				r.Reason = "the newest finished backup " + backupName(b) + string(b.State)
			case b.Degraded:
				r.Healthy = false
				r.Reason = b.Reason
				if r.Reason == "" {
					r.Reason = "the newest finished backup " + backupName(b) + "is degraded"
				}
			}
			break
		}
	}
	// The newest (by start) successful and failed backups give the last
	// success and failure times: a success's end, a failure's end else
	// its start.
	var newestSuccess, newestFailure bool
	for _, b := range sorted {
		switch {
		case b.Succeeded() && !newestSuccess:
			newestSuccess = true
			r.LastSuccess = b.End
		case b.State == StateFailed && !newestFailure:
			newestFailure = true
			r.LastFailure = b.End
			if r.LastFailure.IsZero() {
				r.LastFailure = b.Start
			}
		}
	}
	if listedAll {
		r.Counts = make(map[State]int, len(States))
		anySuccess := false
		for _, b := range sorted {
			r.Counts[b.State]++
			anySuccess = anySuccess || b.Succeeded()
			if b.Succeeded() {
				end := b.End
				if end.IsZero() {
					end = b.Start
				}
				if !end.IsZero() && (r.OldestSuccess.IsZero() || end.Before(r.OldestSuccess)) {
					r.OldestSuccess = end
				}
			}
		}
		r.NoSuccessListed = !anySuccess
	}
	return r
}

// uniqueBackups drops the repeats of a backup ID, keeping the first (in
// the API's order); it copies only when there is one to drop.
func uniqueBackups(backups []Backup) []Backup {
	var seen map[string]bool
	for i := range backups {
		id := backups[i].ID
		if id == "" {
			continue
		}
		if seen == nil {
			seen = make(map[string]bool, len(backups))
		}
		if !seen[id] {
			seen[id] = true
			continue
		}
		out := slices.Clone(backups[:i])
		for _, b := range backups[i+1:] {
			if b.ID == "" || !seen[b.ID] {
				if b.ID != "" {
					seen[b.ID] = true
				}
				out = append(out, b)
			}
		}
		return out
	}
	return backups
}

// backupName is "NAME " for messages, or "" for a backup without a name.
func backupName(b *Backup) string {
	if b.Name == "" {
		return ""
	}
	return b.Name + " "
}

// Normalise maps a provider's raw state through table; anything not in the
// table is unknown.
func Normalise(table map[string]State, raw string) State {
	if s, ok := table[raw]; ok {
		return s
	}
	return StateUnknown
}

// timeLayouts are the forms upstream APIs use; the ones without a zone
// (Huawei CBR) are read as UTC.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999Z0700",
}

// ParseTime parses an upstream timestamp; absent or unreadable values give
// the zero time, which emits no sample.
func ParseTime(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// Float returns a pointer to v, for optional numeric fields.
func Float(v float64) *float64 { return &v }

// Require checks that an upstream record has the fields its API document
// makes required, given as name, value pairs, and names those that are
// empty. A record without them cannot say which backup it is or what
// state it is in, so the read fails (and only that resource or target
// goes down) rather than report a made-up state. Values are never quoted.
func Require(pairs ...string) error {
	var missing []string
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] == "" {
			missing = append(missing, pairs[i])
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return fmt.Errorf("the answer lacks the required field(s) %s", strings.Join(missing, ", "))
}

// Checked is an upstream record that says whether it has the fields its
// API document marks as required (with Require): the typed list helpers
// check every item they decode.
type Checked interface {
	Check() error
}

// Decode decodes one upstream item into a T and checks it.
func Decode[T any, PT interface {
	*T
	Checked
}](raw []byte) (T, error) {
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		return v, err
	}
	return v, PT(&v).Check()
}

// TagKind says what a resource's tags are, which names their labels on
// backup_resource_info: tag_<key> (cloud tags), label_<key> (Kubernetes
// labels, snake_case) or vault_tag_<key> (Huawei CBR vault tags).
type TagKind uint8

// The kinds of tags.
const (
	NoTags TagKind = iota
	CloudTags
	KubernetesLabels
	VaultTags
)

// Tags are a resource's tags or labels.
type Tags struct {
	Kind   TagKind
	Values map[string]string
	// Lookup is the ID under which the tags are looked up where the
	// listing carries none (an Azure Backup item's sourceResourceId, an
	// AWS Backup resource's ARN); "" when Values is all there is.
	Lookup string
	// CaseInsensitive marks tag names that compare without case (Azure's):
	// an allowlist entry admits the tag whatever its case, and names the
	// label as the entry is written.
	CaseInsensitive bool
}
