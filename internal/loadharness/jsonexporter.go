package main

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// The comparison with prometheus-community/json_exporter, the general
// tool people point at a JSON API: on the same simulated Astra account
// (1,000 apps, 20,000 backups), json_exporter probes the account's whole
// backup list (one request of every backup, the least work it can do)
// and exposes a series per backup; backup_exporter reads the apps and
// each app's backups (cache_ttl 0: every scrape polls) and exposes the
// resources' health. Both are measured per scrape: CPU and peak RSS.
//
// json_exporter is built from its source, outside this repository:
//
//	git clone https://github.com/prometheus-community/json_exporter /tmp/json_exporter
//	(cd /tmp/json_exporter && go build -o /tmp/json_exporter.bin .)
//	go run ./internal/loadharness --bin bin --json-exporter /tmp/json_exporter.bin

// jsonExporterConfig is a json_exporter module that turns each backup of
// the list into a series: its state and size, as a user would configure
// it for alerting on state.
const jsonExporterConfig = `modules:
  astra:
    http_client_config:
      authorization: {type: Bearer, credentials: %s}
      tls_config: {ca_file: %q}
    metrics:
      - name: astra_backup
        type: object
        path: '{.items[*]}'
        labels:
          id: '{.id}'
          name: '{.name}'
          state: '{.state}'
        values:
          percent_done: '{.percentDone}'
          total_bytes: '{.totalBytes}'
`

// jsonExporterRun measures json_exporter probing the account's backups
// five times (after one probe that warms the connections).
func (h *harness) jsonExporterRun(bin string) (a astraSync) {
	dir, err := os.MkdirTemp("", "loadharness")
	if err != nil {
		a.err = err
		return a
	}
	defer os.RemoveAll(dir)
	s, err := h.startSim(dir, "--generate.apps", "1000", "--generate.backups-per-app", "20")
	if err != nil {
		a.err = err
		return a
	}
	defer s.stop()
	cfg := filepath.Join(dir, "json_exporter.yml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(jsonExporterConfig, astraToken, s.ca)), 0o600); err != nil {
		a.err = err
		return a
	}
	addr, err := freeAddr()
	if err != nil {
		a.err = err
		return a
	}
	cmd := exec.Command(bin, "--config.file", cfg, "--web.listen-address", addr)
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		a.err = err
		return a
	}
	x := &exporter{cmd: cmd, addr: addr}
	defer x.stop()
	target := "https://" + s.addr + "/accounts/" + astraAccount + "/topology/v1/appBackups"
	probe := "http://" + addr + "/probe?module=astra&target=" + url.QueryEscape(target)
	get := func() (time.Duration, error) {
		start := time.Now()
		resp, err := scrapeClient.Get(probe)
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		n, err := io.Copy(io.Discard, resp.Body)
		if err == nil && (resp.StatusCode != http.StatusOK || n < 20000*50) {
			err = fmt.Errorf("json_exporter answered %d with %d bytes: not the 20,000 backups", resp.StatusCode, n)
		}
		return time.Since(start), err
	}
	if err := waitFor(func() bool { _, err := get(); return err == nil }, time.Minute); err != nil {
		a.err = fmt.Errorf("json_exporter: %w", err)
		return a
	}
	cpu0 := x.cpu()
	for range 5 {
		took, err := get()
		if err != nil {
			a.err = err
			return a
		}
		a.took = append(a.took, took)
	}
	a.cpuPerScrape = (x.cpu() - cpu0) / 5
	a.peakRSS = x.peakRSS()
	return a
}
