package tooltest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeT records what Unavailable does to a test, without stopping this
// one.
type fakeT struct {
	testing.TB
	name         string
	fatal, skip  string
	errs         []string
	helperCalled bool
}

func (f *fakeT) Helper()                        { f.helperCalled = true }
func (f *fakeT) Name() string                   { return f.name }
func (f *fakeT) Fatalf(format string, a ...any) { f.fatal = fmt.Sprintf(format, a...) }
func (f *fakeT) Skipf(format string, a ...any)  { f.skip = fmt.Sprintf(format, a...) }
func (f *fakeT) Errorf(format string, a ...any) { f.errs = append(f.errs, fmt.Sprintf(format, a...)) }

// missing is a tool that is on no PATH.
var missing = Tool{Name: "no-such-tool", Binaries: []string{"backup-exporter-no-such-tool"}, Install: "nowhere"}

func TestRequireSkipsAndRecordsOutsideCI(t *testing.T) {
	file := filepath.Join(t.TempDir(), "skipped")
	t.Setenv(SkippedFileEnv, file)
	t.Setenv("CI", "")
	ft := &fakeT{name: "TestSomething/sub"}
	if paths := Require(ft, missing); paths != nil {
		t.Errorf("paths %v for a missing tool", paths)
	}
	if ft.fatal != "" || !strings.Contains(ft.skip, "no-such-tool not found") || !strings.Contains(ft.skip, "CI=true fails instead") {
		t.Errorf("fatal %q, skip %q: want a skip naming the tool", ft.fatal, ft.skip)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(b); got != "no-such-tool\tTestSomething/sub\tskipped\n" {
		t.Errorf("recorded %q", got)
	}
	if got := Summary(string(b)); got != "make test: missing tools: no-such-tool; 1 tests skipped for them (CI=true fails them): TestSomething/sub." {
		t.Errorf("summary %q", got)
	}
}

func TestRequireFailsInCI(t *testing.T) {
	file := filepath.Join(t.TempDir(), "skipped")
	t.Setenv(SkippedFileEnv, file)
	t.Setenv("CI", "true")
	ft := &fakeT{name: "TestE2E"}
	Require(ft, missing)
	if ft.skip != "" || !strings.Contains(ft.fatal, "no-such-tool not found") {
		t.Errorf("fatal %q, skip %q: want a failure in CI", ft.fatal, ft.skip)
	}
	b, _ := os.ReadFile(file)
	if got := Summary(string(b)); !strings.Contains(got, "1 tests failed for them (CI=true): TestE2E") {
		t.Errorf("summary %q", got)
	}
}

// TestRequireFindsEitherName: Alertmanager is found under its Debian
// name as under its own.
func TestRequireFindsEitherName(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("PATH", dir)
	for _, name := range []string{"prometheus-alertmanager", "alertmanager"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		ft := &fakeT{name: "T"}
		paths := Require(ft, Alertmanager)
		if ft.skip != "" || ft.fatal != "" || len(paths) != 1 || filepath.Base(paths[0]) != name {
			t.Errorf("with %s on PATH: paths %v, skip %q, fatal %q", name, paths, ft.skip, ft.fatal)
		}
	}
}

func TestSummary(t *testing.T) {
	for _, tc := range []struct{ recorded, want string }{
		{"", "make test: no tool was missing, no test was skipped for one."},
		{"promtool\tTestPromtoolCheckRules\tskipped\n" +
			"prometheus,alertmanager\tTestE2E\tskipped\n" +
			"promtool\tTestPromtoolTestRules\tskipped\n" +
			"promtool\tTestPromtoolCheckRules\tskipped\n",
			"make test: missing tools: alertmanager, prometheus, promtool; 3 tests skipped for them (CI=true fails them): TestE2E, TestPromtoolCheckRules, TestPromtoolTestRules."},
	} {
		if got := Summary(tc.recorded); got != tc.want {
			t.Errorf("Summary(%q)\n got %s\nwant %s", tc.recorded, got, tc.want)
		}
	}
}
