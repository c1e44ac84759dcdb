package tridentprotect

import (
	"sort"
	"strings"

	json "github.com/segmentio/encoding/json"

	"github.com/backup-exporter/backup_exporter/collector/toolkit"
)

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
