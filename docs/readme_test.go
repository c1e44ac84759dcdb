package docs

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestReadmeInstall: the README's install line names this module's
// command, and its Go version is go.mod's.
func TestReadmeInstall(t *testing.T) {
	gomod, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	module := regexp.MustCompile(`(?m)^module (\S+)$`).FindSubmatch(gomod)
	goLine := regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(gomod)
	if module == nil || goLine == nil {
		t.Fatalf("go.mod has no module or go line")
	}
	if want := "go install " + string(module[1]) + "/cmd/backup_exporter@latest"; !strings.Contains(string(readme), want) {
		t.Errorf("README lacks %q", want)
	}
	if want := "`go " + string(goLine[1]) + "`"; !strings.Contains(string(readme), want) {
		t.Errorf("README does not give go.mod's Go version (%s)", want)
	}
	for _, link := range []string{"(LICENSE)", "(CHANGELOG.md)", "(docs/metrics.md)"} {
		if !strings.Contains(string(readme), link) {
			t.Errorf("README does not link %s", link)
		}
	}
}
