package once

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/backup-exporter/backup_exporter/collector"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func TestAge(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                               "0s",
		30 * time.Second:                "30s",
		45*time.Minute + 10*time.Second: "45m10s",
		3*time.Hour + 5*time.Minute:     "3h5m",
		26 * time.Hour:                  "1d2h",
		386*time.Hour + 19*time.Minute:  "16d2h",
		48 * time.Hour:                  "2d",
		time.Hour + 30*time.Second:      "1h",
		-90 * time.Minute:               "in 1h30m",
	} {
		if got := Age(d); got != want {
			t.Errorf("Age(%v) = %q, want %q", d, got, want)
		}
	}
}

var now = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// results has one row of each kind the report tells apart.
func results() []collector.Result {
	mirror := toolkit.NewFamily("backup_mirror_state", "Mirror state.", prometheus.GaugeValue, "state")
	day := 24 * time.Hour
	ok := toolkit.Resource{ID: "/vols/ok", Name: "vol-ok", Protected: true, Healthy: true, State: toolkit.StateSucceeded, LastSuccess: now.Add(-26 * time.Hour), ExpectedInterval: 7 * day}
	return []collector.Result{
		{Target: &collector.Target{Name: "anf", Type: "azure_netapp_files"}, Resources: []toolkit.Resource{
			ok,
			{ID: "/vols/broken", Name: "vol-broken", Protected: true, Healthy: true, State: toolkit.StateSucceeded, LastSuccess: now.Add(-2 * time.Hour), ExpectedInterval: day,
				Extra: mirror.StateSet([]string{"Uninitialized", "Mirrored", "Broken"}, "Broken"), Notes: []string{"mirror broken"}},
			{ID: "/vols/none", Name: "vol-none"},
			{ID: "/vols/err", Name: "vol-err", Err: errors.New("get latest backup status: HTTP 500")},
		}, DroppedItems: []toolkit.Dropped{
			{ID: "/vols/z", Name: "vol-z", Reason: toolkit.DropNotOwned},
			{ID: "/vols/ok", Name: "vol-ok", Reason: toolkit.DropDuplicate},
			{ID: "/vols/a", Name: "vol-a", Reason: toolkit.DropNotOwned},
		}},
		{Target: &collector.Target{Name: "astra", Type: "astra"}, Resources: []toolkit.Resource{
			{ID: "app-1", Name: "shop", Protected: true, Latest: &toolkit.Backup{Name: "b1", State: toolkit.StateFailed, Error: &toolkit.ErrorInfo{Code: "failed", Message: "Volume snapshot timed out"}},
				LastSuccess: now.Add(-50 * time.Hour), ExpectedInterval: day},
			{ID: "app-2", Name: "ledger", Protected: true, Latest: &toolkit.Backup{Name: "b2", State: toolkit.StateSucceeded, Error: toolkit.HookFailed("pre-snapshot hook exited 1")},
				LastSuccess: now.Add(-3 * time.Hour), ExpectedInterval: day},
			{ID: "app-3", Name: "new-app", Protected: true, Healthy: true, Latest: &toolkit.Backup{State: toolkit.StateRunning}, NoSuccessListed: true, ExpectedInterval: day},
		}},
		{Target: &collector.Target{Name: "cbr", Type: "huawei_cbr"}, Err: errors.New("list CBR backups: HTTP 401 Unauthorized:\n token expired")},
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (go test -update to rewrite, then review):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func TestReportGoldens(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts Options
	}{
		{"table.golden", Options{Now: now}},
		{"terminal.golden", Options{Now: now, Color: true}},
		{"json.golden", Options{Now: now, Format: FormatJSON}},
		{"dropped.golden", Options{Now: now, Dropped: true}},
		{"dropped.json.golden", Options{Now: now, Format: FormatJSON, Dropped: true}},
	} {
		var b bytes.Buffer
		if code := Report(results(), &b, tc.opts); code != ExitTargetFailed {
			t.Errorf("%s: exit %d with a target down, want %d", tc.name, code, ExitTargetFailed)
		}
		golden(t, tc.name, b.Bytes())
	}
}

func TestExitCodes(t *testing.T) {
	all := results()
	healthyOnly := []collector.Result{{Target: all[0].Target, Resources: all[0].Resources[:1]}}
	attention := all[:2]
	for _, tc := range []struct {
		name    string
		results []collector.Result
		want    int
	}{
		{"every resource fine", healthyOnly, ExitOK},
		{"a resource needs attention", attention, ExitNeedsAttention},
		{"a target down", all, ExitTargetFailed},
	} {
		if got := Report(tc.results, &bytes.Buffer{}, Options{Now: now, Format: FormatJSON}); got != tc.want {
			t.Errorf("%s: exit %d, want %d", tc.name, got, tc.want)
		}
	}
}

// TestFutureAndAncientTimes: a last success in year 9999 (an upstream's
// bad clock or a hostile answer) made --once overflow its stack (Age of
// the most negative Duration called itself for ever) and exit 2. A future
// time is not stale: age 0, "in the future", exit 0. Ancient times and a
// huge expected interval saturate instead of overflowing.
func TestFutureAndAncientTimes(t *testing.T) {
	day := 24 * time.Hour
	target := &collector.Target{Name: "t", Type: "astra"}
	for _, tc := range []struct {
		name     string
		res      toolkit.Resource
		age      string // the table's LAST SUCCESS AGE
		ageSecs  float64
		wantCode int
	}{
		{"year 9999", toolkit.Resource{LastSuccess: time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC), ExpectedInterval: day},
			"in the future", 0, ExitOK},
		{"a minute ahead", toolkit.Resource{LastSuccess: now.Add(time.Minute), ExpectedInterval: day},
			"in the future", 0, ExitOK},
		{"year 2", toolkit.Resource{LastSuccess: time.Date(2, 1, 1, 0, 0, 0, 0, time.UTC), ExpectedInterval: day},
			"106751d23h", math.MaxInt64 / 1e9, ExitNeedsAttention},
		{"interval of 250 years", toolkit.Resource{LastSuccess: now.Add(-time.Hour), ExpectedInterval: 250 * 365 * day},
			"1h", 3600, ExitOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := tc.res
			res.ID, res.Name, res.Protected, res.Healthy, res.State = "id", "app", true, true, toolkit.StateSucceeded
			results := []collector.Result{{Target: target, Resources: []toolkit.Resource{res}}}
			var table, js bytes.Buffer
			if code := Report(results, &table, Options{Now: now}); code != tc.wantCode {
				t.Errorf("exit %d, want %d:\n%s", code, tc.wantCode, table.String())
			}
			if code := Report(results, &js, Options{Now: now, Format: FormatJSON}); code != tc.wantCode {
				t.Errorf("json: exit %d, want %d", code, tc.wantCode)
			}
			lines := strings.Split(strings.TrimSuffix(table.String(), "\n"), "\n")
			if len(lines) != 2 || !strings.Contains(lines[1], "  "+tc.age) {
				t.Errorf("want the age %q:\n%s", tc.age, table.String())
			}
			var rep struct {
				Targets []struct {
					Resources []struct {
						LastSuccess string  `json:"last_success"`
						AgeSeconds  float64 `json:"last_success_age_seconds"`
					} `json:"resources"`
				} `json:"targets"`
			}
			if err := json.Unmarshal(js.Bytes(), &rep); err != nil {
				t.Fatal(err)
			}
			r := rep.Targets[0].Resources[0]
			if r.LastSuccess != tc.res.LastSuccess.UTC().Format(time.RFC3339) || math.Abs(r.AgeSeconds-tc.ageSecs) > 1 {
				t.Errorf("json: last_success %q, age %v s; want %v s", r.LastSuccess, r.AgeSeconds, tc.ageSecs)
			}
		})
	}
	if got, want := Age(math.MinInt64), "in 106751d23h"; got != want {
		t.Errorf("Age(MinInt64) = %q, want %q", got, want)
	}
}

// hostile holds names, IDs, reasons and a target error with terminal
// control sequences, C1 controls, DEL, a bidi override and invalid UTF-8.
func hostile() []collector.Result {
	return []collector.Result{
		{Target: &collector.Target{Name: "t", Type: "astra"}, Resources: []toolkit.Resource{
			{ID: "id\x00\n", Name: "evil\x1b[2K\rgood\x07", Protected: true, Healthy: false, State: toolkit.StateFailed, LastSuccess: now.Add(-time.Hour),
				Latest: &toolkit.Backup{State: toolkit.StateFailed, Error: &toolkit.ErrorInfo{Code: "failed", Message: "csi \u009b31m del \x7f bidi \u202etxt.exe\x1b]0;pwned\x07"}}},
			{ID: "id2", Name: "two\nlines\xff\xfe", Protected: true, Healthy: true, State: toolkit.StateSucceeded, LastSuccess: now.Add(-time.Hour)},
		}},
		{Target: &collector.Target{Name: "down", Type: "huawei_cbr"}, Err: errors.New("HTTP 500: \x1b[31mred\x1b[0m\x00 \u0085next")},
	}
}

// TestControlCharactersEscaped: upstream strings with ESC, CR, BEL, NUL,
// newline, DEL, C1 controls and invalid UTF-8 reached the terminal raw
// (an escape sequence could erase the row of a failing resource, as in
// kubectl's CVE-2021-25743). Every table cell is escaped, one row per
// line; the JSON carries no raw control byte and decodes to the values.
func TestControlCharactersEscaped(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts Options
	}{
		{"hostile.golden", Options{Now: now}},
		{"hostile-terminal.golden", Options{Now: now, Color: true}},
		{"hostile.json.golden", Options{Now: now, Format: FormatJSON}},
	} {
		var b bytes.Buffer
		if code := Report(hostile(), &b, tc.opts); code != ExitTargetFailed {
			t.Errorf("%s: exit %d, want %d", tc.name, code, ExitTargetFailed)
		}
		golden(t, tc.name, b.Bytes())
		out := b.String()
		if !utf8.ValidString(out) {
			t.Errorf("%s: invalid UTF-8 in the output: %q", tc.name, out)
		}
		// Colours are the table's own SGR sequences; nothing else is a
		// control character (C0, DEL, C1) or otherwise not graphic.
		plain := strings.NewReplacer(red, "", yellow, "", green, "", reset, "").Replace(out)
		for i, r := range plain {
			if r != '\n' && !unicode.IsGraphic(r) {
				t.Errorf("%s: raw control character %U at byte %d: %q", tc.name, r, i, out)
				break
			}
		}
		if tc.opts.Format == FormatJSON {
			var rep report
			if err := json.Unmarshal(b.Bytes(), &rep); err != nil {
				t.Fatalf("json: %v", err)
			}
			if got, want := rep.Targets[0].Resources[0].Name, "evil\x1b[2K\rgood\x07"; got != want {
				t.Errorf("json name %q, want %q", got, want)
			}
			if got, want := rep.Targets[0].Resources[1].Name, "two\nlines\ufffd\ufffd"; got != want {
				t.Errorf("json name %q, want %q", got, want)
			}
			continue
		}
		if lines := strings.Count(out, "\n"); lines != 4 {
			t.Errorf("%s: %d lines for a header and 3 rows:\n%s", tc.name, lines, out)
		}
		for _, want := range []string{`evil\x1b[2K\rgood\x07`, `two\nlines\xff\xfe`, `csi \u009b31m del \x7f bidi \u202etxt.exe\x1b]0;pwned\x07`, `HTTP 500: \x1b[31mred\x1b[0m\x00 next`} {
			if !strings.Contains(out, want) {
				t.Errorf("%s lacks %s:\n%s", tc.name, want, out)
			}
		}
	}
}

// TestOwners: --once shows each resource's owner labels (those of
// backup_resource_info): in the JSON as "owner", in the table as an OWNER
// column before REASON, only when a target has them.
func TestOwners(t *testing.T) {
	kube := func(team string) toolkit.Tags {
		return toolkit.Tags{Kind: toolkit.KubernetesLabels, Values: map[string]string{"team": team}}
	}
	res := []collector.Result{
		{Target: &collector.Target{Name: "tp", Type: "trident_protect", Owners: toolkit.NewOwners([]string{"team"}, map[string]string{"env": "prod"})},
			Resources: []toolkit.Resource{
				{ID: "ns/b", Name: "b", Tags: kube("payments")},
				{ID: "ns/a", Name: "a", Protected: true, Healthy: true, NoSuccessListed: true, Tags: kube("")},
			}},
		{Target: &collector.Target{Name: "astra", Type: "astra"}, Resources: []toolkit.Resource{{ID: "x", Name: "x", Tags: kube("search")}}},
	}
	var text bytes.Buffer
	Report(res, &text, Options{Now: now})
	want := `TARGET  PROVIDER         RESOURCE  STATE        HEALTHY  LAST SUCCESS AGE  OWNER                          REASON
tp      trident_protect  a         -            yes      never             env=prod                       never succeeded
tp      trident_protect  b         unprotected  -        -                 env=prod, label_team=payments  no backup configured
astra   astra            x         unprotected  -        -                 -                              no backup configured
`
	if text.String() != want {
		t.Errorf("table:\n%s\nwant:\n%s", text.String(), want)
	}
	var js bytes.Buffer
	Report(res, &js, Options{Format: FormatJSON, Now: now})
	var rep struct {
		Targets []struct {
			Resources []struct {
				Name  string            `json:"name"`
				Owner map[string]string `json:"owner"`
			} `json:"resources"`
		} `json:"targets"`
	}
	if err := json.Unmarshal(js.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(rep.Targets[0].Resources, rep.Targets[1].Resources)
	if want := "[{a map[env:prod label_team:]} {b map[env:prod label_team:payments]}] [{x map[]}]"; got != want {
		t.Errorf("JSON owners %s, want %s", got, want)
	}
}
