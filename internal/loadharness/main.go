// Command loadharness is the load harness of `make bench`: it starts the
// simulator binary with generated estates and injected latency, runs the
// exporter binary against it, scrapes it as Prometheus does, and writes
// what it measured to docs/benchmarks.md. Everything runs on loopback.
package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

func main() {
	bin := flag.String("bin", "bin", "directory of backup_exporter and backup_simulator")
	out := flag.String("out", "docs/benchmarks.md", "report to write")
	quick := flag.Bool("quick", false, "small estates only (a smoke run)")
	only := flag.Int("only", 0, "measure one estate of this many resources at 0 ms and print its row (for profiling)")
	storm := flag.Duration("storm", 0, "run only the scrapers-and-reloads goal for this long and print it")
	astra := flag.Bool("astra", false, "run only the Astra cache_ttl 0 goal and print it")
	jsonExporter := flag.String("json-exporter", "", "a json_exporter binary (built from prometheus-community/json_exporter): compare it with the Astra cache_ttl 0 goal and print both")
	cloud := flag.Int("cloud", 0, "measure only an estate of this many Azure Backup items and as many AWS Backup resources and print its row")
	dataProtection := flag.Int("dataprotection", 0, "measure only an estate of this many Azure Backup vault instances (vaults of 500) and print its row")
	dpPageSize := flag.Int("dataprotection-page-size", armPageSize, "with --dataprotection: the simulator's ARM page size")
	k8s := flag.Bool("kubernetes", false, "measure only the Kubernetes backup family's cluster, each provider's part alone, and print its rows")
	cnpg := flag.Int("cnpg", 0, "measure only an estate of this many CloudNativePG Clusters and print its row")
	longhorn := flag.Int("longhorn", 0, "measure only a Longhorn target of this many volumes and print its row")
	full := flag.Bool("full", false, "with --json-exporter: the whole run, the comparison among its goals")
	owners := flag.Int("owners", 0, "with --only: every resource carries this many tags or labels (the simulator's --generate.owner-tags), all allowlisted in every target's resource_labels (backup_resource_info)")
	anf := flag.Bool("anf", false, "run only the goal of 1,000 ANF volumes at 50 ms, max_concurrency 32 (cold poll against the ideal) and print it")
	graph := flag.Int("resource-graph", 0, "measure only an Azure Backup estate of this many protected items over 200 subscriptions, once with a target per subscription (source arm), once with one Resource Graph target, and print both")
	flag.Parse()
	h := &harness{bin: *bin, jsonExporter: *jsonExporter, owners: *owners}
	if *storm > 0 {
		fmt.Printf("%+v\n", h.reloadStormRun(*storm))
		return
	}
	if *jsonExporter != "" && !*full {
		a, j := h.astraSyncRun(), h.jsonExporterRun(*jsonExporter)
		fmt.Printf("backup_exporter: err %v, CPU per scrape %s, scrape %s median, peak RSS %s\n", a.err, secs(a.cpuPerScrape), secs(median(a.took)), mib(a.peakRSS))
		fmt.Printf("json_exporter:   err %v, CPU per scrape %s, scrape %s median, peak RSS %s\n", j.err, secs(j.cpuPerScrape), secs(median(j.took)), mib(j.peakRSS))
		if a.cpuPerScrape > 0 && a.peakRSS > 0 {
			fmt.Printf("backup_exporter uses %.1fx less CPU and %.1fx less peak memory per scrape\n", float64(j.cpuPerScrape)/float64(a.cpuPerScrape), float64(j.peakRSS)/float64(a.peakRSS))
		}
		return
	}
	if *astra {
		a := h.astraSyncRun()
		fmt.Printf("astra cache_ttl 0: err %v, CPU per scrape %s, scrape %s median, peak RSS %s\n", a.err, secs(a.cpuPerScrape), secs(median(a.took)), mib(a.peakRSS))
		return
	}
	if *anf {
		a := h.anfFastRun()
		fmt.Printf("1,000 ANF volumes at 50 ms: err %v, cold poll %s, ideal %s (%d sequential pages), %.2f × ideal (goal ≤ 1.25)\n",
			a.err, secs(a.poll), secs(a.ideal), a.pages, float64(a.poll)/float64(a.ideal))
		return
	}
	if *k8s {
		for _, p := range k8sParts {
			r := h.kubernetesRun(p)
			fmt.Printf("%s (%d resources): %s\n", p.title, r.resources, r.summary())
		}
		return
	}
	if *cloud > 0 {
		r := h.cloudRun(*cloud, *cloud)
		fmt.Printf("%d resources: %s\n", r.resources, r.summary())
		return
	}
	if *graph > 0 {
		fmt.Println(h.graphModeRun(*graph, "arm"))
		fmt.Println(h.graphModeRun(*graph, "resource_graph"))
		return
	}
	if *dataProtection > 0 {
		r := h.dataProtectionRun(*dataProtection, *dpPageSize)
		fmt.Printf("%d Backup vault instances (page size %d): %s\n", r.resources, *dpPageSize, r.summary())
		return
	}
	if *cnpg > 0 {
		r := h.cnpgRun(*cnpg)
		fmt.Printf("%d CloudNativePG Clusters: %s\n", r.resources, r.summary())
		return
	}
	if *longhorn > 0 {
		r := h.longhornRun(*longhorn)
		fmt.Printf("%d Longhorn volumes: %s\n", r.resources, r.summary())
		return
	}
	if *only > 0 {
		r := h.matrixRun(*only, 0)
		fmt.Printf("%d resources (%d tags each): err %v, cold %s, warm plain %s / gzip %s, CPU %s, peak RSS %s, series %d, %s\n",
			r.resources, h.owners, r.err, secs(r.cold), secs(median(r.warmPlain)), secs(median(r.warmGzip)), secs(r.cpuPerScrape), mib(r.peakRSS), r.series, mib(int64(r.bytes)))
		return
	}
	report, err := h.run(*quick)
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadharness:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(*out, []byte(report), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "loadharness:", err)
		os.Exit(1)
	}
	fmt.Println("wrote", *out)
}

// harness runs the binaries of bin.
type harness struct {
	bin string
	// jsonExporter is a json_exporter binary to compare with on the Astra
	// estate ("": the comparison is not measured).
	jsonExporter string
	// owners above 0: every resource carries that many tags, all
	// allowlisted (backup_resource_info).
	owners int
}

// estate is the generated estate of n resources, in the proportions of
// the large-estate issue: half ANF volumes, a fifth PG servers, a fifth
// CBR resources, a twentieth Astra apps.
type estate struct {
	n                               int
	anfPools, pgServers, cbr, astra int
	astraBackups                    int
}

func newEstate(n int) estate {
	pools := max(n/2/50, 1)
	return estate{n: n, anfPools: pools, pgServers: max(n/5, 1), cbr: max(n/5, 1), astra: max(n/20, 1), astraBackups: 5}
}

func (e estate) resources() int { return e.anfPools*50 + e.pgServers + e.cbr + e.astra }

// sim is a running simulator.
type sim struct {
	cmd    *exec.Cmd
	addr   string
	ca     string
	exited chan error
}

func (h *harness) startSim(dir string, args ...string) (*sim, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	ca := filepath.Join(dir, "ca.pem")
	// The estates are larger than one subscription's hourly ARM read
	// budget (12,000): the simulator's count starts high enough that the
	// exporter's pacer is not what is measured (the pacer has its own test).
	cmd := exec.Command(filepath.Join(h.bin, "backup_simulator"), append([]string{"--listen", addr, "--ca-file", ca, "--log.level", "warn", "--azure.ratelimit-reads", "100000000"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	s := &sim{cmd: cmd, addr: addr, ca: ca, exited: exited}
	if err := waitFor(func() bool {
		select {
		case err := <-exited:
			exited <- err
			return true
		default:
		}
		_, err := os.Stat(ca)
		return err == nil && s.get("/_sim/stats") == nil
	}, 5*time.Minute); err != nil || s.get("/_sim/stats") != nil {
		s.stop()
		return nil, fmt.Errorf("simulator did not start: %v %s", err, strings.TrimSpace(stderr.String()))
	}
	return s, nil
}

func (s *sim) client() *http.Client {
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}, Timeout: time.Minute} //nolint:gosec // loopback test server
}

func (s *sim) get(path string) error {
	resp, err := s.client().Get("https://" + s.addr + path)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("%s: %s", path, resp.Status)
	}
	return nil
}

func (s *sim) latency(d time.Duration) error {
	if d == 0 {
		return nil
	}
	body := fmt.Sprintf(`{"latency": %q}`, d.String())
	resp, err := s.client().Post("https://"+s.addr+"/_sim/faults", "application/json", strings.NewReader(body))
	if err != nil {
		return err
	}
	resp.Body.Close()
	return nil
}

// stats returns the simulator's request counts per path.
func (s *sim) stats() (int, map[string]int, error) {
	resp, err := s.client().Get("https://" + s.addr + "/_sim/stats")
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	var st struct {
		Total    int            `json:"total"`
		Requests map[string]int `json:"requests"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return 0, nil, err
	}
	return st.Total, st.Requests, nil
}

func (s *sim) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	err := <-s.exited
	s.exited <- err
}

// exporter is a running backup_exporter.
type exporter struct {
	// started is when the process was started.
	started time.Time
	cmd     *exec.Cmd
	addr    string
	config  string
}

func (h *harness) startExporter(dir, config string) (*exporter, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "backup_exporter.yml")
	if err := os.WriteFile(path, []byte(config), 0o600); err != nil {
		return nil, err
	}
	args := []string{"--config.file", path, "--web.listen-address", addr, "--log.level", "warn"}
	profiles := os.Getenv("LOADHARNESS_PROFILE")
	if profiles != "" {
		args = append(args, "--debug.pprof")
	}
	cmd := exec.Command(filepath.Join(h.bin, "backup_exporter"), args...)
	cmd.Stderr = io.Discard
	if f := os.Getenv("LOADHARNESS_EXPORTER_STDERR"); f != "" {
		if w, err := os.Create(f); err == nil {
			cmd.Stderr = w
		}
	}
	started := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	e := &exporter{cmd: cmd, addr: addr, config: path, started: started}
	if profiles != "" {
		go e.profileHeap(profiles)
	}
	if err := waitFor(func() bool {
		resp, err := http.Get("http://" + addr + "/-/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	}, time.Minute); err != nil {
		e.stop()
		return nil, fmt.Errorf("exporter did not start: %w", err)
	}
	return e, nil
}

// profileHeap saves a heap profile of the exporter every second into dir
// (LOADHARNESS_PROFILE), heap-1.pb.gz and on, until it stops answering.
func (e *exporter) profileHeap(dir string) {
	for i := 1; ; i++ {
		time.Sleep(time.Second)
		resp, err := http.Get("http://" + e.addr + "/debug/pprof/heap")
		if err != nil {
			return
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			return
		}
		_ = os.WriteFile(filepath.Join(dir, fmt.Sprintf("heap-%d.pb.gz", i)), b, 0o644)
	}
}

func (e *exporter) stop() {
	_ = e.cmd.Process.Signal(syscall.SIGTERM)
	_ = e.cmd.Wait()
}

// scrapeResult is one scrape as Prometheus would make it.
type scrapeResult struct {
	took    time.Duration
	bytes   int // uncompressed
	wire    int
	up, all int // targets up, targets
	series  int
}

func (e *exporter) scrape(timeout time.Duration, gz bool) (scrapeResult, error) {
	req, _ := http.NewRequest(http.MethodGet, "http://"+e.addr+"/metrics", nil)
	req.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", strconv.FormatFloat(timeout.Seconds(), 'f', -1, 64))
	if gz {
		req.Header.Set("Accept-Encoding", "gzip")
	}
	// One keep-alive connection pool for all scrapes, as Prometheus
	// reuses its connections (a new pool per scrape would leave a
	// connection idle per scrape, up to --web.max-connections).
	ctx, cancel := context.WithTimeout(context.Background(), timeout+5*time.Second)
	defer cancel()
	req = req.WithContext(ctx)
	start := time.Now()
	resp, err := scrapeClient.Do(req)
	if err != nil {
		return scrapeResult{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	took := time.Since(start)
	if err != nil {
		return scrapeResult{}, err
	}
	body := raw
	if resp.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return scrapeResult{}, err
		}
		if body, err = io.ReadAll(zr); err != nil {
			return scrapeResult{}, err
		}
	}
	r := scrapeResult{took: took, bytes: len(body), wire: len(raw)}
	for _, line := range bytes.Split(body, []byte("\n")) {
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		r.series++
		if bytes.HasPrefix(line, []byte("backup_exporter_target_up{")) {
			r.all++
			if bytes.HasSuffix(line, []byte(" 1")) {
				r.up++
			}
		}
	}
	return r, nil
}

func (e *exporter) reload() error {
	resp, err := http.Post("http://"+e.addr+"/-/reload", "", nil)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("reload: %s", resp.Status)
	}
	return nil
}

// proc reads the exporter's CPU time and peak RSS from /proc.
func (e *exporter) cpu() time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", e.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond // USER_HZ 100
}

func (e *exporter) peakRSS() int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", e.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func waitFor(ok func() bool, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if ok() {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return errors.New("timed out")
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func maxOf(ds []time.Duration) time.Duration {
	var m time.Duration
	for _, d := range ds {
		m = max(m, d)
	}
	return m
}

// concurrently runs f n times at once and waits.
func concurrently(n int, f func(i int)) {
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { f(i) })
	}
	wg.Wait()
}

// scrapeClient is the harness's Prometheus: one connection pool.
var scrapeClient = &http.Client{Transport: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 32}}

// summary is a measured row on one line, as the single-estate modes print
// it.
func (r row) summary() string {
	return fmt.Sprintf("err %v, cold %s, requests %d, warm plain %s (max %s) / gzip %s, CPU %s, peak RSS %s, series %d",
		r.err, secs(r.cold), r.requests, secs(median(r.warmPlain)), secs(maxOf(r.warmPlain)), secs(median(r.warmGzip)), secs(r.cpuPerScrape), mib(r.peakRSS), r.series)
}
