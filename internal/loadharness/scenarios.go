package main

import (
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// coldLimit bounds the wait for an estate's first polls.
const coldLimit = 4 * time.Minute

// armPageSize is the simulator's ARM list page size: 1,000, as ARM's
// larger lists page.
const armPageSize = 1000

// Demo credentials of the simulator (internal/simulator).
const (
	astraToken   = "astra-demo-token"
	azureTenant  = "00000000-0000-0000-0000-0000000000aa"
	azureClient  = "00000000-0000-0000-0000-0000000000bb"
	azureSecret  = "demo-client-secret"
	azureSub     = "00000000-0000-0000-0000-0000000000cc"
	huaweiAK     = "DEMOACCESSKEY0000001"
	huaweiSK     = "demo-secret-key"
	huaweiProj   = "4229d7a45436489f8c3dc2b1d35d4987"
	astraAccount = "demo-account"
	awsKeyID     = "AKIADEMOSIMULATOR001"
	awsSecret    = "demoSecretAccessKeyForTheSimulator000000"
	k8sToken     = "demo-k8s-backup-exporter-token"
)

// start starts the simulator with simArgs and latency, then the exporter
// with global and targets; stop ends both and removes their files.
func (h *harness) start(simArgs []string, latency time.Duration, global string, targets ...string) (*sim, *exporter, func(), error) {
	dir, err := os.MkdirTemp("", "loadharness")
	if err != nil {
		return nil, nil, nil, err
	}
	if h.owners > 0 {
		simArgs = append(simArgs, "--generate.owner-tags", strconv.Itoa(h.owners))
	}
	s, err := h.startSim(dir, simArgs...)
	if err != nil {
		os.RemoveAll(dir)
		return nil, nil, nil, err
	}
	stopSim := func() { s.stop(); os.RemoveAll(dir) }
	if err := s.latency(latency); err != nil {
		stopSim()
		return nil, nil, nil, err
	}
	x, err := h.startExporter(dir, withOwners(exporterConfig(s, global, targets...), h.owners))
	if err != nil {
		stopSim()
		return nil, nil, nil, err
	}
	return s, x, func() { x.stop(); stopSim() }, nil
}

func exporterConfig(s *sim, global string, targets ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "global: {%s}\ncredentials:\n", global)
	u := "https://" + s.addr
	fmt.Fprintf(&b, "  - {name: astra, astra: {api_token: %s}, tls_config: {ca_file: %q}}\n", astraToken, s.ca)
	fmt.Fprintf(&b, "  - {name: azure, azure: {auth: client_secret, tenant_id: %s, client_id: %s, client_secret: %s, cloud: custom, authority_host: %s, resource_manager_endpoint: %s}, tls_config: {ca_file: %q}}\n",
		azureTenant, azureClient, azureSecret, u, u, s.ca)
	fmt.Fprintf(&b, "  - {name: huawei, huawei: {access_key: %s, secret_key: %s}, tls_config: {ca_file: %q}}\n", huaweiAK, huaweiSK, s.ca)
	fmt.Fprintf(&b, "  - {name: aws, aws: {access_key_id: %s, secret_access_key: %s}, tls_config: {ca_file: %q}}\n", awsKeyID, awsSecret, s.ca)
	b.WriteString(k8sCredentials(u, s.ca))
	fmt.Fprintf(&b, "  - {name: k8s, kubernetes: {server: %q, bearer_token: %s}, tls_config: {ca_file: %q}}\n", u, k8sToken, s.ca)
	b.WriteString("targets:\n")
	for _, t := range targets {
		switch {
		case k8sTarget(t) != "":
			b.WriteString(k8sTarget(t))
		case strings.HasPrefix(t, "astra"):
			fmt.Fprintf(&b, "  - {name: %s, type: astra, credential: astra, endpoint: %q, account_id: %s}\n", t, u, astraAccount)
		case strings.HasPrefix(t, "anf"):
			fmt.Fprintf(&b, "  - {name: %s, type: azure_netapp_files, credential: azure, subscription_id: %s, resource_group: demo-rg, account: demo-account}\n", t, azureSub)
		case strings.HasPrefix(t, "pg"):
			fmt.Fprintf(&b, "  - {name: %s, type: azure_postgresql_ltr, credential: azure, subscription_id: %s, resource_group: demo-rg}\n", t, azureSub)
		case strings.HasPrefix(t, "ab:"), t == "abgraph":
			b.WriteString(graphTarget(t))
		case t == "ab":
			fmt.Fprintf(&b, "  - {name: %s, type: azure_backup, credential: azure, subscription_id: %s, resource_group: demo-rg}\n", t, azureSub)
		case t == "dp":
			fmt.Fprintf(&b, "  - {name: %s, type: azure_dataprotection, credential: azure, subscription_id: %s, resource_group: demo-rg}\n", t, azureSub)
		case t == "longhorn":
			fmt.Fprintf(&b, "  - {name: %s, type: longhorn, credential: k8s}\n", t)
		case t == "aws":
			fmt.Fprintf(&b, "  - {name: %s, type: aws_backup, credential: aws, region: eu-west-1, endpoint: %q}\n", t, u)
		case t == "cnpg":
			fmt.Fprintf(&b, "  - {name: %s, type: cloudnative_pg, credential: k8s}\n", t)
		case strings.HasPrefix(t, "cbr"):
			fmt.Fprintf(&b, "  - {name: %s, type: huawei_cbr, credential: huawei, endpoint: %q, project_id: %s%s}\n", t, u, huaweiProj, strings.TrimPrefix(t, "cbr"))
		}
	}
	return b.String()
}

// withOwners gives every target of cfg a resource_labels allowlist of
// the n keys the simulator's --generate.owner-tags n gives every
// resource (none for n 0).
func withOwners(cfg string, n int) string {
	if n <= 0 {
		return cfg
	}
	keys := []string{"team", "owner", "cost-center", "environment", "application"}
	for i := len(keys); i < n; i++ {
		keys = append(keys, fmt.Sprintf("tag-%d", i+1))
	}
	allow := ", resource_labels: [" + strings.Join(keys[:n], ", ") + "]}\n"
	var b strings.Builder
	for _, l := range strings.SplitAfter(cfg, "\n") {
		if strings.HasPrefix(l, "  - {name: ") && strings.Contains(l, " type: ") {
			l = strings.TrimSuffix(l, "}\n") + allow
		}
		b.WriteString(l)
	}
	return b.String()
}

func (e estate) simArgs() []string {
	return []string{
		"--generate.apps", strconv.Itoa(e.astra), "--generate.backups-per-app", strconv.Itoa(e.astraBackups),
		"--generate.azure.pools", strconv.Itoa(e.anfPools), "--generate.azure.volumes-per-pool", "50",
		"--generate.azure.servers", strconv.Itoa(e.pgServers), "--generate.azure.ops-per-server", "4",
		"--generate.huawei.resources", strconv.Itoa(e.cbr), "--generate.huawei.backups-per-resource", "5",
		"--azure.page-size", strconv.Itoa(armPageSize),
	}
}

// row is one run of the matrix.
type row struct {
	resources     int
	latency       time.Duration
	cold          time.Duration
	requests      int
	warmPlain     []time.Duration
	warmGzip      []time.Duration
	cpuPerScrape  time.Duration
	peakRSS       int64
	series, bytes int
	wire          int
	err           error
}

func (h *harness) matrixRun(n int, latency time.Duration) (r row) {
	e := newEstate(n)
	return h.estateRun(e.resources(), latency, e.simArgs(), "astra", "anf", "pg", "cbr")
}

// CloudNativePG's estate: its share of "a cluster of 5,000 namespaces":
// Clusters two per namespace, each with 14 daily-or-so Backups (some
// Clusters have none, some are unprotected), a ScheduledBackup, and an
// ObjectStore per namespace for the plugin Clusters' windows.
const (
	cnpgClustersPerNamespace = 2
	cnpgBackupsPerCluster    = 14
)

// cnpgRun measures an estate of clusters CloudNativePG Clusters, as
// matrixRun does.
func (h *harness) cnpgRun(clusters int) row {
	return h.estateRun(clusters, 0, cnpgArgs(clusters), "cnpg")
}

// cnpgArgs are the simulator's flags of an estate of clusters
// CloudNativePG Clusters.
func cnpgArgs(clusters int) []string {
	return []string{
		"--generate.cnpg.namespaces", strconv.Itoa(max(clusters/cnpgClustersPerNamespace, 1)),
		"--generate.cnpg.clusters-per-namespace", strconv.Itoa(cnpgClustersPerNamespace),
		"--generate.cnpg.backups-per-cluster", strconv.Itoa(cnpgBackupsPerCluster),
	}
}

// Cloud backup services' estate: Azure Backup vaults of 500 items with 7
// days of jobs, and AWS Backup resources with 10 daily jobs each.
const (
	cloudVaultItems = 500
	cloudAWSJobs    = 10
)

// cloudRun measures an estate of azureItems Azure Backup items and
// awsResources AWS Backup resources, as matrixRun does.
func (h *harness) cloudRun(azureItems, awsResources int) row {
	args := []string{
		"--generate.azure.backup-vaults", strconv.Itoa(max(azureItems/cloudVaultItems, 1)),
		"--generate.azure.backup-items-per-vault", strconv.Itoa(cloudVaultItems),
		"--generate.azure.backup-job-days", "7",
		"--generate.aws.resources", strconv.Itoa(awsResources),
		"--generate.aws.jobs-per-resource", strconv.Itoa(cloudAWSJobs),
		"--azure.page-size", strconv.Itoa(armPageSize),
	}
	return h.estateRun(azureItems+awsResources, 0, args, "ab", "aws")
}

// dpVaultInstances is the size of the Backup vaults of dataProtectionRun.
const dpVaultInstances = 500

// dataProtectionRun measures an estate of instances Backup vault
// instances (vaults of 500, 7 days of jobs each), as matrixRun does, the
// simulator's ARM lists paged by pageSize.
func (h *harness) dataProtectionRun(instances, pageSize int) row {
	vaults := max(instances/dpVaultInstances, 1)
	args := []string{
		"--generate.azure.dp-vaults", strconv.Itoa(vaults),
		"--generate.azure.dp-instances-per-vault", strconv.Itoa(min(instances, dpVaultInstances)),
		"--generate.azure.dp-job-days", "7",
		"--azure.page-size", strconv.Itoa(pageSize),
	}
	return h.estateRun(instances, 0, args, "dp")
}

func (h *harness) estateRun(resources int, latency time.Duration, simArgs []string, targets ...string) (r row) {
	r.resources, r.latency = resources, latency
	s, x, stop, err := h.start(simArgs, latency, "scrape_timeout: 15m, cache_ttl: 1h, poll_timeout: 15m, max_concurrency: 32", targets...)
	if err != nil {
		r.err = err
		return r
	}
	defer stop()
	start := x.started
	first, err := x.scrape(coldLimit, false)
	if err != nil {
		r.err = err
		return r
	}
	r.cold = time.Since(start)
	if first.up != first.all || first.all != len(targets) {
		r.err = fmt.Errorf("not measured: %d of %d targets had completed their first poll after %v", first.up, first.all, coldLimit)
		return r
	}
	r.requests, _, _ = s.stats()
	cpu0 := x.cpu()
	for _, gz := range []bool{false, true} {
		for range 10 {
			res, err := x.scrape(time.Minute, gz)
			if err != nil {
				r.err = err
				return r
			}
			if gz {
				r.warmGzip = append(r.warmGzip, res.took)
				r.wire = res.wire
			} else {
				r.warmPlain = append(r.warmPlain, res.took)
				r.series, r.bytes = res.series, res.bytes
			}
		}
	}
	r.cpuPerScrape = (x.cpu() - cpu0) / 20
	r.peakRSS = x.peakRSS()
	return r
}

// anfSlow is the 200 ms ANF scenario: scrapes every second with a 10 s
// budget while the first poll of 1,000 volumes runs.
type anfSlow struct {
	scrapes          []scrapeResult
	pollDone         int // index of the first scrape that saw the target up
	overDeadline     int
	firstPoll, limit time.Duration
	err              error
}

func (h *harness) anfSlowRun() (a anfSlow) {
	a.limit = 10 * time.Second
	_, x, stop, err := h.start([]string{"--generate.azure.pools", "20", "--generate.azure.volumes-per-pool", "50", "--azure.page-size", strconv.Itoa(armPageSize)}, 200*time.Millisecond, "scrape_timeout: 10s, cache_ttl: 10m, max_concurrency: 32", "anf")
	if err != nil {
		a.err = err
		return a
	}
	defer stop()
	start := x.started
	a.pollDone = -1
	for i := 0; i < 120 && (a.pollDone < 0 || i < a.pollDone+3); i++ {
		tick := time.Now()
		res, err := x.scrape(a.limit, false)
		if err != nil {
			a.err = err
			return a
		}
		a.scrapes = append(a.scrapes, res)
		if res.took > a.limit {
			a.overDeadline++
		}
		if res.up == 1 && a.pollDone < 0 {
			a.pollDone = i
			a.firstPoll = time.Since(start)
		}
		time.Sleep(max(0, time.Second-time.Since(tick)))
	}
	return a
}

// astraSync is the cache_ttl 0 Astra scenario: 20,000 backups over 1,000
// apps, a full poll per scrape.
type astraSync struct {
	cpuPerScrape time.Duration
	took         []time.Duration
	peakRSS      int64
	err          error
}

func (h *harness) astraSyncRun() (a astraSync) {
	_, x, stop, err := h.start([]string{"--generate.apps", "1000", "--generate.backups-per-app", "20"}, 0, "scrape_timeout: 2m, cache_ttl: 0, max_concurrency: 32", "astra")
	if err != nil {
		a.err = err
		return a
	}
	defer stop()
	if _, err := x.scrape(2*time.Minute, false); err != nil { // warm the connections
		a.err = err
		return a
	}
	cpu0 := x.cpu()
	for range 5 {
		res, err := x.scrape(2*time.Minute, true)
		if err != nil {
			a.err = err
			return a
		}
		if res.up != 1 {
			a.err = fmt.Errorf("astra target down")
			return a
		}
		a.took = append(a.took, res.took)
	}
	a.cpuPerScrape = (x.cpu() - cpu0) / 5
	a.peakRSS = x.peakRSS()
	return a
}

// reloadStorm is 10 concurrent scrapers and a reload every 10 s for a
// minute, with one target (cbr) changed by each reload.
type reloadStorm struct {
	scrapes, failed int
	slowest         time.Duration
	maxPerResource  int // most upstream calls of one unchanged resource
	resources       int
	changedPolls    int
	err             error
}

var perResourcePath = regexp.MustCompile(`(/appBackups$|/latestBackupStatus/current$|/ltrBackupOperations$)`)

func (h *harness) reloadStormRun(d time.Duration) (rs reloadStorm) {
	global := "scrape_timeout: 30s, cache_ttl: 5m, max_concurrency: 32"
	s, x, stop, err := h.start(newEstate(1000).simArgs(), 0, global, "astra", "anf", "pg", "cbr")
	if err != nil {
		rs.err = err
		return rs
	}
	defer stop()
	if _, err := x.scrape(time.Minute, false); err != nil {
		rs.err = err
		return rs
	}
	until := time.Now().Add(d)
	var mu = make(chan struct{}, 1)
	mu <- struct{}{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 1; time.Now().Before(until); i++ {
			time.Sleep(10 * time.Second)
			// The CBR target changes (its expected_interval), the others not.
			cfg := exporterConfig(s, global, "astra", "anf", "pg", "cbr") + fmt.Sprintf("    # reload %d\n", i)
			cfg = strings.Replace(cfg, "type: huawei_cbr,", fmt.Sprintf("type: huawei_cbr, expected_interval: %dh,", 24+i), 1)
			t0 := time.Now()
			err := os.WriteFile(x.config, []byte(cfg), 0o600)
			if err == nil {
				err = x.reload()
			}
			if os.Getenv("LOADHARNESS_DEBUG") != "" {
				fmt.Println("reload", i, time.Since(t0), err)
			}
			if err != nil {
				<-mu
				rs.failed++
				mu <- struct{}{}
			}
			rs.changedPolls++
		}
	}()
	concurrently(10, func(int) {
		for time.Now().Before(until) {
			res, err := x.scrape(30*time.Second, true)
			<-mu
			rs.scrapes++
			if err != nil || res.up != res.all {
				rs.failed++
				if os.Getenv("LOADHARNESS_DEBUG") != "" {
					fmt.Println("scrape failed", err, res.up, res.all, res.took)
				}
			}
			rs.slowest = max(rs.slowest, res.took)
			mu <- struct{}{}
		}
	})
	<-done
	_, paths, err := s.stats()
	if err != nil {
		rs.err = err
		return rs
	}
	for p, n := range paths {
		if perResourcePath.MatchString(p) {
			rs.resources++
			rs.maxPerResource = max(rs.maxPerResource, n)
		}
	}
	return rs
}

// anfFast is the cold poll of 1,000 ANF volumes at 50 ms with
// max_concurrency 32, against the ideal.
type anfFast struct {
	poll, ideal time.Duration
	pages       int
	err         error
}

func (h *harness) anfFastRun() (a anfFast) {
	s, x, stop, err := h.start([]string{"--generate.azure.pools", "20", "--generate.azure.volumes-per-pool", "50", "--azure.page-size", strconv.Itoa(armPageSize)}, 50*time.Millisecond, "scrape_timeout: 5m, cache_ttl: 1h, max_concurrency: 32", "anf")
	if err != nil {
		a.err = err
		return a
	}
	defer stop()
	if _, err := x.scrape(5*time.Minute, false); err != nil {
		a.err = err
		return a
	}
	a.poll, err = x.pollDuration("anf")
	if err != nil {
		a.err = err
		return a
	}
	_, paths, _ := s.stats()
	// The pages that must follow one another: Entra's OpenID document and
	// token, then the longer of (pools, volumes of a pool) and (vaults,
	// the vault's backup pages), the status reads starting after both.
	vaultPages := 0
	for p, n := range paths {
		if strings.HasSuffix(p, "/backups") {
			vaultPages += n
		}
	}
	a.pages = 2 + max(2, 1+vaultPages)
	a.ideal = time.Duration(math.Ceil(1000.0/32))*50*time.Millisecond + time.Duration(a.pages)*50*time.Millisecond
	return a
}

func (e *exporter) pollDuration(target string) (time.Duration, error) {
	res, err := e.scrapeText()
	if err != nil {
		return 0, err
	}
	re := regexp.MustCompile(`backup_exporter_target_poll_duration_seconds\{provider="[^"]+",target="` + target + `"\} (\S+)`)
	m := re.FindStringSubmatch(res)
	if m == nil {
		return 0, fmt.Errorf("no poll duration of %s", target)
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	return time.Duration(v * float64(time.Second)), nil
}

func (e *exporter) scrapeText() (string, error) {
	resp, err := http.Get("http://" + e.addr + "/metrics")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

func machine() string {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "model name"); ok {
				cpu = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	return fmt.Sprintf("%d CPUs (%s), %s %s/%s", runtime.NumCPU(), cpu, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
