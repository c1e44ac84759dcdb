package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/backup-exporter/backup_exporter/internal/tooltest"
)

// Docker cannot run in CI (nor is it needed to build the rest): these
// tests check the Dockerfile and `make image` statically, and build the
// binary with the Dockerfile's own -ldflags.

var (
	dockerArg     = regexp.MustCompile(`(?m)^ARG (\w+)`)
	dockerLdflags = regexp.MustCompile(`-ldflags "([^"]+)"`)
	shellVar      = regexp.MustCompile(`\$\{(\w+)(?::-[^}]*\))?\}`)
)

// TestDockerfileStampsTheBinary builds the exporter with the -ldflags of
// the Dockerfile, given the build arguments `make image` passes, and
// checks that --version reports them.
func TestDockerfileStampsTheBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	df := string(mustRead(t, "../Dockerfile"))
	m := dockerLdflags.FindStringSubmatch(df)
	if m == nil {
		t.Fatal("no -ldflags in the Dockerfile")
	}
	args := map[string]string{"VERSION": "9.8.7-test", "REVISION": "0123456789abcdef", "BRANCH": "release-9.8", "CREATED": "2026-01-02T03:04:05Z"}
	ldflags := shellVar.ReplaceAllStringFunc(m[1], func(v string) string {
		name := shellVar.FindStringSubmatch(v)[1]
		val, ok := args[name]
		if !ok {
			t.Errorf("the -ldflags use ${%s}, which make image does not pass", name)
		}
		return val
	})
	bin := filepath.Join(t.TempDir(), "backup_exporter")
	build := exec.Command("go", "build", "-trimpath", "-ldflags", ldflags, "-o", bin, "./cmd/backup_exporter")
	build.Dir = ".."
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build with the Dockerfile's -ldflags %q: %v\n%s", ldflags, err, out)
	}
	out, err := exec.Command(bin, "--version").CombinedOutput()
	if err != nil {
		t.Fatalf("--version: %v\n%s", err, out)
	}
	for _, want := range []string{"version 9.8.7-test", "branch: release-9.8", "revision: 0123456789abcdef", "build date:       2026-01-02T03:04:05Z"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("--version lacks %q:\n%s", want, out)
		}
	}
}

// TestMakeImage: `make image` passes every build argument the Dockerfile
// declares, with the repository's version and commit, and tags the image
// the chart and the kustomize base run; the image carries the OCI labels
// and a HEALTHCHECK.
func TestMakeImage(t *testing.T) {
	mk, err := exec.LookPath("make")
	if err != nil {
		tooltest.Unavailable(t, "make", "make is not installed")
	}
	cmd := exec.Command(mk, "-n", "image")
	cmd.Dir = ".."
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make -n image: %v\n%s", err, out)
	}
	recipe := string(out)
	df := string(mustRead(t, "../Dockerfile"))
	for _, m := range dockerArg.FindAllStringSubmatch(df, -1) {
		if !strings.Contains(recipe, "--build-arg "+m[1]+"=") {
			t.Errorf("make image does not pass the build argument %s:\n%s", m[1], recipe)
		}
	}
	version := strings.TrimSpace(string(mustRead(t, "../VERSION")))
	if !strings.Contains(recipe, "--build-arg VERSION="+version+" ") || !strings.Contains(recipe, "-t ghcr.io/backup-exporter/backup_exporter:"+version+" .") {
		t.Errorf("make image does not build ghcr.io/backup-exporter/backup_exporter:%s with VERSION %s:\n%s", version, version, recipe)
	}
	if rev, err := exec.Command("git", "rev-parse", "HEAD").Output(); err == nil {
		if want := "--build-arg REVISION=" + strings.TrimSpace(string(rev)) + " "; !strings.Contains(recipe, want) {
			t.Errorf("make image does not pass the commit (%s):\n%s", want, recipe)
		}
	}
	// The chart's appVersion and the kustomize base's tag are this version.
	if got := str(readYAML(t, filepath.Join(chartDir, "Chart.yaml")), "appVersion"); got != version {
		t.Errorf("Chart.yaml appVersion %q, VERSION %q", got, version)
	}
	if !strings.Contains(string(mustRead(t, filepath.Join(baseDir, "kustomization.yaml"))), "newTag: "+version) {
		t.Errorf("the kustomize base does not run the image of VERSION %s", version)
	}
	for _, label := range []string{"version", "revision", "created", "source", "licenses", "title", "description"} {
		if !regexp.MustCompile(`org\.opencontainers\.image\.` + label + `="[^"]+"`).MatchString(df) {
			t.Errorf("the Dockerfile has no OCI label org.opencontainers.image.%s", label)
		}
	}
	if !strings.Contains(df, `org.opencontainers.image.licenses="Apache-2.0"`) {
		t.Error("the licenses label is not Apache-2.0")
	}
	if !regexp.MustCompile(`(?m)^HEALTHCHECK .*\\\n\s+CMD \["/bin/backup_exporter", "healthcheck"\]`).MatchString(df) {
		t.Error("the Dockerfile has no HEALTHCHECK running backup_exporter healthcheck")
	}
}
