// Command gen writes the artefacts generated from the backup_exporter
// mixin: deploy/prometheus/rules.yml and dashboards/<name>.json, then runs
// deploy/internal/genrules so that the kustomize base's PrometheusRule and
// the Helm chart's files/rules.yml follow rules.yml. Run it with
//
//	go generate ./mixin/...
//
// from anywhere in the repository (it finds the root by its go.mod).
// Dashboards in dashboards/ that the mixin does not produce are removed.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"

	"github.com/backup-exporter/backup_exporter/mixin"
)

func main() {
	root := flag.String("root", "", "the repository root (default: the directory of the go.mod above the working directory)")
	flag.Parse()
	if err := run(*root); err != nil {
		fmt.Fprintln(os.Stderr, "mixin/gen:", err)
		os.Exit(1)
	}
}

func run(root string) error {
	if root == "" {
		var err error
		if root, err = moduleRoot(); err != nil {
			return err
		}
	}
	files, err := mixin.Files(filepath.Join(root, "mixin"))
	if err != nil {
		return err
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if err := os.WriteFile(filepath.Join(root, filepath.FromSlash(name)), files[name], 0o644); err != nil {
			return err
		}
	}
	old, err := filepath.Glob(filepath.Join(root, mixin.DashboardsDir, "*.json"))
	if err != nil {
		return err
	}
	for _, f := range old {
		if _, ok := files[mixin.DashboardsDir+"/"+filepath.Base(f)]; !ok {
			fmt.Fprintf(os.Stderr, "mixin/gen: removing %s (not in grafanaDashboards)\n", f)
			if err := os.Remove(f); err != nil {
				return err
			}
		}
	}

	// The PrometheusRule and the chart's copy of the rules.
	cmd := exec.Command("go", "run", "./deploy/internal/genrules", "-dir", "deploy")
	cmd.Dir = root
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go run ./deploy/internal/genrules: %w", err)
	}
	return nil
}

// moduleRoot returns the nearest directory at or above the working
// directory that holds a go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory: pass -root")
		}
		dir = parent
	}
}
