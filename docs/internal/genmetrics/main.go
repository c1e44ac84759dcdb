// Command genmetrics writes docs/metrics.md (go generate ./docs).
package main

import (
	"fmt"
	"os"

	"github.com/backup-exporter/backup_exporter/collector/providers"
	"github.com/backup-exporter/backup_exporter/docs"
)

func main() {
	b, err := docs.MetricsReference(providers.All())
	if err == nil {
		// go generate runs in the package's directory, docs/.
		err = os.WriteFile("metrics.md", b, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "genmetrics:", err)
		os.Exit(1)
	}
}
