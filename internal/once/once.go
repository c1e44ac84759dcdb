// Package once implements --once: poll the targets one time and report
// what was found, as a table for people (colours on a terminal only) or as
// JSON for scripts.
//
// The exit code says what a script needs to know: 0 every target was read
// and every resource is fine; 1 a target could not be read; 2 every target
// was read but a resource needs attention (unhealthy, never backed up,
// overdue, without backup, or not readable itself). The command adds 64
// for a usage error, which must never read as a finding.
package once

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/backup-exporter/backup_exporter/collector"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
)

// Exit codes of --once.
const (
	ExitOK             = 0
	ExitTargetFailed   = 1
	ExitNeedsAttention = 2
)

// Formats of --once.format.
const (
	FormatText = "text"
	FormatJSON = "json"
)

// Options says how to report.
type Options struct {
	// Format is FormatText (default) or FormatJSON.
	Format string
	// Color colours the table (only for a terminal, and not with NO_COLOR).
	Color bool
	// Now is the time ages are counted from.
	Now time.Time
	// Dropped lists, after the resources, the listed items each target
	// left out and why (the results must carry them:
	// collector.Options.RecordDropped).
	Dropped bool
}

// Run collects targets under ctx and reports them to w; it returns the
// exit code.
func Run(ctx context.Context, e *collector.Exporter, targets []*collector.Target, w io.Writer, opts Options) int {
	return Report(e.Collect(ctx, targets), w, opts)
}

// Report writes the results as opts says and returns the exit code.
func Report(results []collector.Result, w io.Writer, opts Options) int {
	rep := build(results, opts.Now)
	if opts.Dropped {
		rep.addDropped(results)
	}
	var err error
	if opts.Format == FormatJSON {
		var b []byte
		if b, err = json.MarshalIndent(rep, "", "  "); err == nil {
			_, err = w.Write(escapeJSONControls(append(b, '\n')))
		}
	} else {
		err = rep.table(w, opts.Color)
		if err == nil && opts.Dropped {
			err = rep.droppedTable(w)
		}
	}
	if err != nil {
		return ExitTargetFailed
	}
	return rep.ExitCode
}

// report is what --once found; its JSON form is --once.format=json.
type report struct {
	Targets  []targetReport `json:"targets"`
	ExitCode int            `json:"exit_code"`
}

type targetReport struct {
	Name      string           `json:"name"`
	Provider  string           `json:"provider"`
	Up        bool             `json:"up"`
	Error     string           `json:"error,omitempty"`
	Resources []resourceReport `json:"resources"`
	// Dropped are the listed items the target left out (--once.dropped).
	Dropped []droppedReport `json:"dropped,omitempty"`
}

// droppedReport is a listed item left out of a target's poll, and why.
type droppedReport struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

// addDropped adds to each target the items its poll left out, in the
// order of the reasons, then of the IDs.
func (rep *report) addDropped(results []collector.Result) {
	for i, r := range results {
		items := slices.Clone(r.DroppedItems)
		sort.SliceStable(items, func(a, b int) bool {
			ra, rb := slices.Index(toolkit.DropReasons, items[a].Reason), slices.Index(toolkit.DropReasons, items[b].Reason)
			if ra != rb {
				return ra < rb
			}
			return items[a].ID < items[b].ID
		})
		for _, d := range items {
			rep.Targets[i].Dropped = append(rep.Targets[i].Dropped, droppedReport{ID: d.ID, Name: d.Name, Reason: d.Reason})
		}
	}
}

// droppedTable writes the items left out, after a blank line: a row per
// item, or a line saying there were none.
func (rep *report) droppedTable(w io.Writer) error {
	rows := [][]cell{{{"TARGET", ""}, {"LEFT OUT", ""}, {"ID", ""}, {"WHY", ""}}}
	for _, t := range rep.Targets {
		for _, d := range t.Dropped {
			rows = append(rows, []cell{{t.Name, ""}, {d.Name, ""}, {d.ID, ""}, {d.Reason, ""}})
		}
	}
	if len(rows) == 1 {
		_, err := io.WriteString(w, "\nNo listed item was left out.\n")
		return err
	}
	if _, err := io.WriteString(w, "\n"); err != nil {
		return err
	}
	return writeRows(w, rows, false)
}

type resourceReport struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Protected bool   `json:"protected"`
	State     string `json:"state,omitempty"`
	Healthy   *bool  `json:"healthy,omitempty"`
	// LastSuccess is RFC 3339; absent when unknown, "never" not being a
	// time (NeverSucceeded says so).
	LastSuccess           string  `json:"last_success,omitempty"`
	LastSuccessAgeSeconds float64 `json:"last_success_age_seconds,omitempty"`
	NeverSucceeded        bool    `json:"never_succeeded,omitempty"`
	// Reason says why the resource needs attention; empty when it does not.
	Reason string `json:"reason,omitempty"`
	// Owner are the labels of the resource's backup_resource_info after
	// the identity labels (static_labels, tag_*, label_*, vault_tag_*);
	// absent for a target that sets neither resource_labels nor
	// static_labels.
	Owner map[string]string `json:"owner,omitempty"`

	age   string // for the table
	owner string // for the table: name=value, ...
}

// ownerText is the owner labels as the table shows them: name=value
// pairs (empty values left out), comma-separated; "-" when none.
func ownerText(labels []toolkit.Label) string {
	var parts []string
	for _, l := range labels {
		if l.Value != "" {
			parts = append(parts, l.Name+"="+l.Value)
		}
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ", ")
}

func build(results []collector.Result, now time.Time) report {
	rep := report{Targets: []targetReport{}}
	attention := false
	for _, r := range results {
		t := targetReport{Name: r.Target.Name, Provider: r.Target.Type, Up: r.Err == nil, Resources: []resourceReport{}}
		if r.Err != nil {
			t.Error = r.Err.Error()
			rep.ExitCode = ExitTargetFailed
		}
		// A copy: the resources may be shared with other scrapes.
		resources := slices.Clone(r.Resources)
		owners := make(map[*toolkit.Resource][]toolkit.Label, len(resources))
		order := make([]int, len(resources))
		for i := range resources {
			order[i] = i
			if labels := r.OwnerLabels(i); labels != nil {
				owners[&resources[i]] = labels
			}
		}
		sort.SliceStable(order, func(a, b int) bool { return resources[order[a]].Name < resources[order[b]].Name })
		for _, i := range order {
			res := resourceOf(&resources[i], now)
			if labels, ok := owners[&resources[i]]; ok {
				res.Owner = make(map[string]string, len(labels))
				for _, l := range labels {
					res.Owner[l.Name] = l.Value
				}
				res.owner = ownerText(labels)
			}
			attention = attention || res.Reason != ""
			t.Resources = append(t.Resources, res)
		}
		rep.Targets = append(rep.Targets, t)
	}
	if rep.ExitCode == ExitOK && attention {
		rep.ExitCode = ExitNeedsAttention
	}
	return rep
}

func resourceOf(r *toolkit.Resource, now time.Time) resourceReport {
	out := resourceReport{ID: r.ID, Name: r.Name, Protected: r.Protected, age: "-"}
	if r.Err != nil {
		out.Reason = "not read: " + r.Err.Error()
		return out
	}
	if !r.Protected {
		out.State, out.Reason = "unprotected", "no backup configured"
		return out
	}
	out.State = string(r.CurrentState())
	healthy := r.Healthy
	out.Healthy = &healthy
	switch {
	case !r.LastSuccess.IsZero():
		out.LastSuccess = r.LastSuccess.UTC().Format(time.RFC3339)
		// A success in the future (a skewed clock, a wrong year upstream)
		// is not stale: age 0. time.Sub saturates, so a year 9999 or 0001
		// gives a long age, never an overflow.
		age := max(now.Sub(r.LastSuccess), 0)
		out.LastSuccessAgeSeconds = age.Round(time.Second).Seconds()
		out.age = Age(age)
		if r.LastSuccess.After(now) {
			out.age = "in the future"
		}
	case r.NoSuccessListed:
		out.NeverSucceeded, out.age = true, "never"
	}
	out.Reason = reason(r, now)
	return out
}

// reason says why a read resource needs attention, or "".
func reason(r *toolkit.Resource, now time.Time) string {
	var parts []string
	if e := r.CurrentError(); e != nil && (!r.Healthy || r.CurrentState() == toolkit.StateFailed) {
		parts = append(parts, e.Read())
	}
	parts = append(parts, r.Notes...)
	if len(parts) == 0 && !r.Healthy {
		switch st := r.CurrentState(); st {
		case toolkit.StateFailed, toolkit.StateCancelled:
			parts = append(parts, "the latest backup "+string(st))
		default:
			// The provider's or the rules' own words, when they have some.
			why := r.Reason
			if why == "" {
				why = "unhealthy"
			}
			parts = append(parts, why)
		}
	}
	switch {
	case r.NoSuccessListed && r.LastSuccess.IsZero():
		parts = append(parts, "never succeeded")
	case !r.LastSuccess.IsZero() && r.ExpectedInterval > 0 && overdue(now.Sub(r.LastSuccess), r.ExpectedInterval):
		parts = append(parts, fmt.Sprintf("overdue: a good backup is due every %s", Age(r.ExpectedInterval)))
	}
	return strings.Join(parts, "; ")
}

// overdue reports age > 1.5 × interval (interval > 0) without the
// overflow of interval*3 for a huge interval.
func overdue(age, interval time.Duration) bool {
	return age > interval && age-interval > interval/2
}

// Age writes d as people read backup ages: the two largest of days,
// hours, minutes and seconds ("1d2h", "3h5m", "45m", "30s"); a negative d
// is "in ..." (the most negative Duration, which has no opposite, reads
// as the largest one).
func Age(d time.Duration) string {
	if d < 0 {
		if d == math.MinInt64 {
			return "in " + Age(math.MaxInt64)
		}
		return "in " + Age(-d)
	}
	d = d.Round(time.Second)
	units := []struct {
		unit time.Duration
		name string
	}{{24 * time.Hour, "d"}, {time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}}
	var b strings.Builder
	n := 0
	for _, u := range units {
		if v := d / u.unit; v > 0 || (n > 0 && n < 2) {
			if v > 0 {
				fmt.Fprintf(&b, "%d%s", v, u.name)
			}
			d -= v * u.unit
			n++
		}
		if n == 2 {
			break
		}
	}
	if b.Len() == 0 {
		return "0s"
	}
	return b.String()
}

// ANSI colours of the table.
const (
	red    = "\x1b[31m"
	yellow = "\x1b[33m"
	green  = "\x1b[32m"
	reset  = "\x1b[0m"
)

type cell struct {
	text, color string
}

// table writes the resources as a table; with an OWNER column (before
// REASON) when a target has owner labels.
func (rep *report) table(w io.Writer, color bool) error {
	owners := false
	for _, t := range rep.Targets {
		for _, r := range t.Resources {
			owners = owners || r.Owner != nil
		}
	}
	// row is the cells of a row, with the owner's when the column is
	// there.
	row := func(owner string, cells ...cell) []cell {
		if !owners {
			return cells
		}
		if owner == "" {
			owner = "-"
		}
		return append(cells[:len(cells)-1:len(cells)-1], cell{owner, ""}, cells[len(cells)-1])
	}
	rows := [][]cell{row("OWNER", cell{"TARGET", ""}, cell{"PROVIDER", ""}, cell{"RESOURCE", ""}, cell{"STATE", ""}, cell{"HEALTHY", ""}, cell{"LAST SUCCESS AGE", ""}, cell{"REASON", ""})}
	for _, t := range rep.Targets {
		if !t.Up {
			rows = append(rows, row("-", cell{t.Name, ""}, cell{t.Provider, ""}, cell{"-", ""}, cell{"TARGET DOWN", red}, cell{"-", ""}, cell{"-", ""}, cell{oneLine(t.Error), red}))
			continue
		}
		if len(t.Resources) == 0 {
			rows = append(rows, row("-", cell{t.Name, ""}, cell{t.Provider, ""}, cell{"(no resources)", ""}, cell{"-", ""}, cell{"-", ""}, cell{"-", ""}, cell{"", ""}))
		}
		for _, r := range t.Resources {
			h := cell{"-", ""}
			if r.Healthy != nil {
				h = cell{"yes", green}
				if !*r.Healthy {
					h = cell{"NO", red}
				}
			}
			state := r.State
			if state == "" {
				state = "-"
			}
			rows = append(rows, row(r.owner, cell{t.Name, ""}, cell{t.Provider, ""}, cell{r.Name, ""}, cell{state, ""}, h, cell{r.age, ""}, cell{oneLine(r.Reason), yellow}))
		}
	}
	return writeRows(w, rows, color)
}

// writeRows writes rows as aligned columns, each cell escaped.
func writeRows(w io.Writer, rows [][]cell, color bool) error {
	widths := make([]int, len(rows[0]))
	for _, row := range rows {
		for i := range row {
			row[i].text = escapeCell(row[i].text)
			widths[i] = max(widths[i], utf8.RuneCountInString(row[i].text))
		}
	}
	var b strings.Builder
	for _, row := range rows {
		for i, c := range row {
			text := c.text
			if color && c.color != "" && text != "" && text != "-" {
				text = c.color + text + reset
			}
			b.WriteString(text)
			if i < len(row)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c.text)+2))
			}
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, trimLines(b.String()))
	return err
}

// trimLines drops the padding at the end of each line.
func trimLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n")
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
