// Package tooltest finds the programs some tests run besides Go
// (Prometheus, promtool, Alertmanager, amtool, helm). A missing one fails
// the test in CI (CI=true), where everything must run, and skips it
// elsewhere; either way the test and the tool are appended to the file
// named by $BACKUP_EXPORTER_SKIPPED_FILE, which `make test` sums up on its
// last line, so that no skip goes unnoticed without -v.
package tooltest

import (
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// SkippedFileEnv names the environment variable holding the file that
// skips are recorded in (set by the Makefile; unset, nothing is recorded).
const SkippedFileEnv = "BACKUP_EXPORTER_SKIPPED_FILE"

// Tool is a program a test runs.
type Tool struct {
	// Name is what the reports call it.
	Name string
	// Binaries are the names it is installed under, tried in order.
	Binaries []string
	// Install says how to get it.
	Install string
}

// The tools of the end-to-end, rules and configuration tests. Debian
// installs Alertmanager as prometheus-alertmanager; its upstream release
// and most other packagings call it alertmanager.
var (
	Prometheus   = Tool{Name: "prometheus", Binaries: []string{"prometheus"}, Install: "apt-get install prometheus"}
	Promtool     = Tool{Name: "promtool", Binaries: []string{"promtool"}, Install: "apt-get install prometheus"}
	Alertmanager = Tool{Name: "alertmanager", Binaries: []string{"alertmanager", "prometheus-alertmanager"}, Install: "apt-get install prometheus-alertmanager"}
	Amtool       = Tool{Name: "amtool", Binaries: []string{"amtool"}, Install: "apt-get install prometheus-alertmanager"}
)

// Look returns the path of the first of the tool's binaries on PATH.
func (tool Tool) Look() (string, error) {
	for _, b := range tool.Binaries {
		if p, err := exec.LookPath(b); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found (looked for %s on PATH; %s)", tool.Name, strings.Join(tool.Binaries, ", "), tool.Install)
}

// Require returns the paths of tools, in order. When any is missing, the
// test is skipped (failed in CI) naming every missing one.
func Require(t testing.TB, tools ...Tool) []string {
	t.Helper()
	paths := make([]string, len(tools))
	var missing, why []string
	for i, tool := range tools {
		p, err := tool.Look()
		if err != nil {
			missing = append(missing, tool.Name)
			why = append(why, err.Error())
			continue
		}
		paths[i] = p
	}
	if len(missing) > 0 {
		Unavailable(t, strings.Join(missing, ","), strings.Join(why, "; "))
		return nil
	}
	return paths
}

// Unavailable fails the test in CI and skips it elsewhere because tool
// (several: comma-separated) cannot run, for the reason why, and records
// it for make test's summary.
func Unavailable(t testing.TB, tool, why string) {
	t.Helper()
	ci := os.Getenv("CI") == "true"
	outcome := "skipped"
	if ci {
		outcome = "failed"
	}
	if err := record(tool, t.Name(), outcome); err != nil {
		t.Errorf("recording the missing tool for make test's summary: %v", err)
	}
	if ci {
		t.Fatalf("%s: in CI (CI=true) a missing tool fails the test, never skips it", why)
		return
	}
	t.Skipf("%s: skipped (CI=true fails instead)", why)
}

// record appends one line "tool<TAB>test<TAB>outcome" to the summary
// file, when there is one. Test binaries of several packages append at
// once: each line is one write to a file opened for appending.
func record(tool, test, outcome string) error {
	path := os.Getenv(SkippedFileEnv)
	if path == "" {
		return nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(f, "%s\t%s\t%s\n", tool, test, outcome)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Summary is make test's last line, from the contents of the summary
// file: which tools were missing and which tests were skipped (or, in CI,
// failed) for it.
func Summary(recorded string) string {
	var tools, skipped, failed []string
	seen := map[string]bool{}
	add := func(list *[]string, kind, v string) {
		if !seen[kind+"\x00"+v] {
			seen[kind+"\x00"+v] = true
			*list = append(*list, v)
		}
	}
	for line := range strings.Lines(recorded) {
		f := strings.Split(strings.TrimRight(line, "\n"), "\t")
		if len(f) != 3 {
			continue
		}
		for _, tool := range strings.Split(f[0], ",") {
			add(&tools, "tool", tool)
		}
		if f[2] == "failed" {
			add(&failed, "failed", f[1])
		} else {
			add(&skipped, "skipped", f[1])
		}
	}
	if len(tools) == 0 {
		return "make test: no tool was missing, no test was skipped for one."
	}
	slices.Sort(tools)
	slices.Sort(skipped)
	slices.Sort(failed)
	msg := "make test: missing tools: " + strings.Join(tools, ", ")
	if len(skipped) > 0 {
		msg += fmt.Sprintf("; %d tests skipped for them (CI=true fails them): %s", len(skipped), strings.Join(skipped, ", "))
	}
	if len(failed) > 0 {
		msg += fmt.Sprintf("; %d tests failed for them (CI=true): %s", len(failed), strings.Join(failed, ", "))
	}
	return msg + "."
}
