package deploy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/backup-exporter/backup_exporter/collector"
	"github.com/backup-exporter/backup_exporter/collector/providers"
	"github.com/backup-exporter/backup_exporter/config"
	"github.com/backup-exporter/backup_exporter/internal/simulator"
	"github.com/backup-exporter/backup_exporter/internal/tooltest"
)

// The tests run in the deploy directory; paths below are relative to it.
const (
	rulesFile     = "prometheus/rules.yml"
	chartDir      = "helm/backup-exporter"
	baseDir       = "kubernetes/base"
	overlayDir    = "kubernetes/overlays/azure-workload-identity"
	tridentDir    = "kubernetes/overlays/trident-protect"
	cnpgDir       = "kubernetes/overlays/cloudnative-pg"
	longhornDir   = "kubernetes/overlays/longhorn"
	composeDir    = "compose"
	unitFile      = "systemd/backup_exporter.service"
	envFile       = "systemd/backup_exporter.default"
	configPath    = "/etc/backup_exporter/backup_exporter.yml"
	secretsDir    = "/etc/backup_exporter/secrets"
	port          = 9871
	wantRuleGroup = "backup_exporter.rules"
	wantAlertGrp  = "backup_exporter.alerts"
)

// ---------------------------------------------------------------- YAML helpers

type obj = map[string]any

// decodeDocs decodes every non-empty YAML document of data.
func decodeDocs(t *testing.T, data []byte) []obj {
	t.Helper()
	var docs []obj
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var d obj
		err := dec.Decode(&d)
		if errors.Is(err, io.EOF) {
			return docs
		}
		if err != nil {
			t.Fatalf("decoding YAML: %v\n%s", err, data)
		}
		if d != nil {
			docs = append(docs, d)
		}
	}
}

func readYAML(t *testing.T, path string) obj {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var d obj
	if err := yaml.Unmarshal(data, &d); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return d
}

// get walks keys (string) and list indexes (int) of a decoded document.
func get(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(obj)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func str(v any, path ...any) string {
	s, _ := get(v, path...).(string)
	return s
}

func list(v any, path ...any) []any {
	l, _ := get(v, path...).([]any)
	return l
}

// byName finds the element of a list of mappings with the given "name".
func byName(l []any, name string) obj {
	for _, e := range l {
		if m, ok := e.(obj); ok && m["name"] == name {
			return m
		}
	}
	return nil
}

func ofKind(docs []obj, kind string) []obj {
	var out []obj
	for _, d := range docs {
		if d["kind"] == kind {
			out = append(out, d)
		}
	}
	return out
}

func one(t *testing.T, docs []obj, kind string) obj {
	t.Helper()
	k := ofKind(docs, kind)
	if len(k) != 1 {
		t.Fatalf("want exactly one %s, got %d", kind, len(k))
	}
	return k[0]
}

// ---------------------------------------------------------------- rules

// ruleGroups returns the groups of deploy/prometheus/rules.yml, which
// another change maintains; without it the rule tests cannot run.
func ruleGroups(t *testing.T) []any {
	t.Helper()
	if _, err := os.Stat(rulesFile); err != nil {
		t.Fatalf("%s is missing: the PrometheusRule and the chart's files/rules.yml are generated from it", rulesFile)
	}
	g := list(readYAML(t, rulesFile), "groups")
	var names []string
	for _, e := range g {
		names = append(names, str(e, "name"))
	}
	for _, want := range []string{wantRuleGroup, wantAlertGrp} {
		if !slices.Contains(names, want) {
			t.Errorf("%s: no group %q (groups: %q)", rulesFile, want, names)
		}
	}
	return g
}

func checkPrometheusRule(t *testing.T, where string, pr obj, groups []any) {
	t.Helper()
	if pr["apiVersion"] != "monitoring.coreos.com/v1" {
		t.Errorf("%s: PrometheusRule apiVersion %v", where, pr["apiVersion"])
	}
	if got := list(pr, "spec", "groups"); !reflect.DeepEqual(got, groups) {
		t.Errorf("%s: PrometheusRule spec.groups differ from %s: run `go generate ./deploy`", where, rulesFile)
	}
	if spec, _ := pr["spec"].(obj); len(spec) != 1 {
		t.Errorf("%s: PrometheusRule spec has keys besides groups: %v", where, spec)
	}
}

// TestPrometheusRuleUpToDate checks that the kustomize base's
// PrometheusRule and the chart's copy of the rules are those of
// deploy/prometheus/rules.yml (regenerate with `go generate ./deploy`).
func TestPrometheusRuleUpToDate(t *testing.T) {
	groups := ruleGroups(t)
	docs := decodeDocs(t, mustRead(t, filepath.Join(baseDir, "prometheusrule.yaml")))
	checkPrometheusRule(t, baseDir+"/prometheusrule.yaml", one(t, docs, "PrometheusRule"), groups)

	rules := mustRead(t, rulesFile)
	if cp := mustRead(t, filepath.Join(chartDir, "files", "rules.yml")); !bytes.Equal(cp, rules) {
		t.Errorf("%s/files/rules.yml differs from %s: run `go generate ./deploy`", chartDir, rulesFile)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// ---------------------------------------------------------------- workload checks

// checkWorkload asserts what both the kustomize base and the Helm chart
// must give: a non-root, read-only, capability-less exporter on port 9871
// with its probes, configuration and secrets where the docs say.
func checkWorkload(t *testing.T, where string, docs []obj) (dep obj) {
	t.Helper()
	dep = one(t, docs, "Deployment")
	pod := get(dep, "spec", "template", "spec")
	psc := get(pod, "securityContext")
	if get(psc, "runAsNonRoot") != true {
		t.Errorf("%s: pod securityContext.runAsNonRoot is not true", where)
	}
	if str(psc, "seccompProfile", "type") != "RuntimeDefault" {
		t.Errorf("%s: pod seccompProfile is not RuntimeDefault", where)
	}
	// The token is mounted only where the exporter reads the Kubernetes
	// API (Trident protect, CloudNativePG, Longhorn), which a ClusterRole
	// or Roles then allow.
	if readsAPI := len(ofKind(docs, "ClusterRole"))+len(ofKind(docs, "Role")) > 0; get(pod, "automountServiceAccountToken") != readsAPI {
		t.Errorf("%s: automountServiceAccountToken = %v, want %v (a ClusterRole or Role is rendered: %v)", where, get(pod, "automountServiceAccountToken"), readsAPI, readsAPI)
	}
	containers := list(pod, "containers")
	if len(containers) != 1 {
		t.Fatalf("%s: want one container, got %d", where, len(containers))
	}
	c := containers[0]
	sc := get(c, "securityContext")
	for key, want := range map[string]any{
		"runAsNonRoot": true, "runAsUser": 65532, "readOnlyRootFilesystem": true,
		"allowPrivilegeEscalation": false,
	} {
		if got := get(sc, key); got != want {
			t.Errorf("%s: container securityContext.%s = %v, want %v", where, key, got, want)
		}
	}
	if drop := list(sc, "capabilities", "drop"); !slices.Contains(drop, any("ALL")) {
		t.Errorf("%s: capabilities.drop = %v, want ALL", where, drop)
	}
	if str(sc, "seccompProfile", "type") != "RuntimeDefault" {
		t.Errorf("%s: container seccompProfile is not RuntimeDefault", where)
	}
	if !strings.HasPrefix(str(c, "image"), "ghcr.io/backup-exporter/backup_exporter:") {
		t.Errorf("%s: image %q", where, str(c, "image"))
	}
	if get(c, "resources", "requests") == nil || get(c, "resources", "limits", "memory") == nil {
		t.Errorf("%s: resources without requests or memory limit: %v", where, get(c, "resources"))
	}

	ports := list(c, "ports")
	if p := byName(ports, "http-metrics"); p == nil || p["containerPort"] != port {
		t.Errorf("%s: container ports %v, want http-metrics %d", where, ports, port)
	}
	var args []string
	for _, a := range list(c, "args") {
		args = append(args, fmt.Sprint(a))
	}
	for _, want := range []string{"--config.file=" + configPath, fmt.Sprintf("--web.listen-address=:%d", port)} {
		if !slices.Contains(args, want) {
			t.Errorf("%s: args %q lack %q", where, args, want)
		}
	}
	for probe, path := range map[string]string{"livenessProbe": "/-/healthy", "readinessProbe": "/-/ready"} {
		hg := get(c, probe, "httpGet")
		if str(hg, "path") != path {
			t.Errorf("%s: %s path %q, want %q", where, probe, str(hg, "path"), path)
		}
		if pp := get(hg, "port"); pp != "http-metrics" && pp != port {
			t.Errorf("%s: %s port %v", where, probe, pp)
		}
	}

	// Mounts: the config file from the ConfigMap, the secrets directory
	// from the Secret, a writable /tmp and nothing else writable.
	volumes := list(pod, "volumes")
	mounts := map[string]obj{}
	for _, m := range list(c, "volumeMounts") {
		mounts[str(m, "mountPath")] = m.(obj)
	}
	cfg := mounts[configPath]
	if cfg == nil {
		t.Fatalf("%s: nothing mounted at %s: %v", where, configPath, mounts)
	}
	cm := str(byName(volumes, str(cfg, "name")), "configMap", "name")
	if cm == "" {
		t.Errorf("%s: %s is not mounted from a ConfigMap", where, configPath)
	} else if cmObj := findNamed(docs, "ConfigMap", cm); cmObj == nil {
		t.Errorf("%s: the Deployment mounts ConfigMap %q, which is not rendered", where, cm)
	} else if key := str(cfg, "subPath"); str(cmObj, "data", key) == "" {
		t.Errorf("%s: ConfigMap %q has no key %q", where, cm, key)
	}
	sec := mounts[secretsDir]
	if sec == nil {
		t.Errorf("%s: nothing mounted at %s", where, secretsDir)
	} else {
		if str(sec, "subPath") != "" {
			t.Errorf("%s: secrets mounted with subPath: rotated secrets would not reach the pod", where)
		}
		if str(byName(volumes, str(sec, "name")), "secret", "secretName") == "" {
			t.Errorf("%s: %s is not mounted from a Secret", where, secretsDir)
		}
	}
	for path, m := range mounts {
		if get(m, "readOnly") != true && path != "/tmp" {
			t.Errorf("%s: %s is mounted writable", where, path)
		}
	}

	// The Service and the pod agree on the port.
	svc := one(t, docs, "Service")
	sp := byName(list(svc, "spec", "ports"), "http-metrics")
	if sp == nil || sp["port"] != port {
		t.Errorf("%s: Service ports %v, want http-metrics %d", where, list(svc, "spec", "ports"), port)
	}
	if !selects(get(svc, "spec", "selector"), get(dep, "spec", "template", "metadata", "labels")) {
		t.Errorf("%s: the Service selector %v does not select the pod labels %v", where,
			get(svc, "spec", "selector"), get(dep, "spec", "template", "metadata", "labels"))
	}
	if !selects(get(dep, "spec", "selector", "matchLabels"), get(dep, "spec", "template", "metadata", "labels")) {
		t.Errorf("%s: the Deployment selector does not select its pods", where)
	}
	return dep
}

func findNamed(docs []obj, kind, name string) obj {
	for _, d := range ofKind(docs, kind) {
		if str(d, "metadata", "name") == name {
			return d
		}
	}
	return nil
}

// selects reports whether the label selector sel matches labels.
func selects(sel, labels any) bool {
	s, _ := sel.(obj)
	l, _ := labels.(obj)
	if len(s) == 0 {
		return false
	}
	for k, v := range s {
		if l[k] != v {
			return false
		}
	}
	return true
}

func checkServiceMonitor(t *testing.T, where string, docs []obj) {
	t.Helper()
	sm := one(t, docs, "ServiceMonitor")
	if sm["apiVersion"] != "monitoring.coreos.com/v1" {
		t.Errorf("%s: ServiceMonitor apiVersion %v", where, sm["apiVersion"])
	}
	svc := one(t, docs, "Service")
	if !selects(get(sm, "spec", "selector", "matchLabels"), get(svc, "metadata", "labels")) {
		t.Errorf("%s: the ServiceMonitor selector %v does not select the Service labels %v", where,
			get(sm, "spec", "selector", "matchLabels"), get(svc, "metadata", "labels"))
	}
	eps := list(sm, "spec", "endpoints")
	if len(eps) != 1 {
		t.Fatalf("%s: ServiceMonitor endpoints %v", where, eps)
	}
	ep := eps[0]
	if str(ep, "port") != "http-metrics" || str(ep, "path") != "/metrics" {
		t.Errorf("%s: ServiceMonitor endpoint %v", where, ep)
	}
	if str(ep, "interval") != "2m" || str(ep, "scrapeTimeout") != "60s" {
		t.Errorf("%s: ServiceMonitor interval %q timeout %q, want 2m and 60s", where, str(ep, "interval"), str(ep, "scrapeTimeout"))
	}
	// The rules select the exporter by job=~"backup_exporter.*".
	ok := false
	for _, r := range list(ep, "relabelings") {
		if str(r, "targetLabel") == "job" && strings.HasPrefix(str(r, "replacement"), "backup_exporter") {
			ok = true
		}
	}
	if !ok {
		t.Errorf("%s: the ServiceMonitor does not set job=backup_exporter, which the rules select", where)
	}
}

// ---------------------------------------------------------------- configs

var secretRef = regexp.MustCompile(regexp.QuoteMeta(secretsDir+"/") + `([A-Za-z0-9._-]+)`)

// checkConfig parses a backup_exporter.yml with the exporter's own loader,
// with the files under /etc/backup_exporter/secrets/ replaced by dummies.
// It returns the secret file names the configuration references.
func checkConfig(t *testing.T, where string, data []byte) []string {
	t.Helper()
	dir := t.TempDir()
	var names []string
	for _, m := range secretRef.FindAllSubmatch(data, -1) {
		names = append(names, string(m[1]))
		if err := os.WriteFile(filepath.Join(dir, string(m[1])), []byte("dummy"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	data = bytes.ReplaceAll(data, []byte(secretsDir+"/"), []byte(dir+"/"))
	if _, err := config.Parse(data, where, providers.All().Config()); err != nil {
		t.Errorf("%s is not a valid configuration: %v", where, err)
	}
	return names
}

// ---------------------------------------------------------------- kustomize

func kustomize(t *testing.T, dir string) []obj {
	t.Helper()
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	m, err := k.Run(filesys.MakeFsOnDisk(), abs)
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	out, err := m.AsYaml()
	if err != nil {
		t.Fatal(err)
	}
	return decodeDocs(t, out)
}

func TestKustomizeBase(t *testing.T) {
	docs := kustomize(t, baseDir)
	dep := checkWorkload(t, baseDir, docs)
	checkServiceMonitor(t, baseDir, docs)
	checkPrometheusRule(t, baseDir, one(t, docs, "PrometheusRule"), ruleGroups(t))

	if s := ofKind(docs, "Secret"); len(s) != 0 {
		t.Errorf("%s renders a Secret: credentials must be created by the user (secret.example.yaml)", baseDir)
	}
	checkNamespaced(t, docs)
	// The generated ConfigMap carries a content hash, so a config change
	// rolls the pod.
	cm := one(t, docs, "ConfigMap")
	name := str(cm, "metadata", "name")
	if !regexp.MustCompile(`^backup-exporter-config-[a-z0-9]{10}$`).MatchString(name) {
		t.Errorf("ConfigMap name %q has no content hash", name)
	}
	cfg := str(cm, "data", "backup_exporter.yml")
	if cfg != string(mustRead(t, filepath.Join(baseDir, "backup_exporter.yml"))) {
		t.Errorf("the ConfigMap is not backup_exporter.yml of the base")
	}
	names := checkConfig(t, baseDir+"/backup_exporter.yml", []byte(cfg))

	// Every secret file the configuration reads is a key of the example
	// Secret, whose name the Deployment mounts.
	ex := one(t, decodeDocs(t, mustRead(t, filepath.Join(baseDir, "secret.example.yaml"))), "Secret")
	for _, n := range names {
		if get(ex, "stringData", n) == nil {
			t.Errorf("secret.example.yaml has no key %q, which backup_exporter.yml reads", n)
		}
	}
	vol := byName(list(dep, "spec", "template", "spec", "volumes"), "secrets")
	if got, want := str(vol, "secret", "secretName"), str(ex, "metadata", "name"); got != want {
		t.Errorf("the Deployment mounts Secret %q, secret.example.yaml is %q", got, want)
	}
	kz := mustRead(t, filepath.Join(baseDir, "kustomization.yaml"))
	if bytes.Contains(kz, []byte("secret.example.yaml")) && !bytes.Contains(kz, []byte("(see secret.example.yaml)")) {
		t.Errorf("kustomization.yaml must not include secret.example.yaml")
	}
}

// checkNamespaced asserts that every object is in the namespace the docs
// name and carries the app's name label.
func checkNamespaced(t *testing.T, docs []obj) {
	t.Helper()
	for _, d := range docs {
		if ns := str(d, "metadata", "namespace"); ns != "monitoring" {
			t.Errorf("%s %s: namespace %q, want monitoring", d["kind"], str(d, "metadata", "name"), ns)
		}
		if l := str(d, "metadata", "labels", "app.kubernetes.io/name"); l != "backup-exporter" {
			t.Errorf("%s %s: label app.kubernetes.io/name %q", d["kind"], str(d, "metadata", "name"), l)
		}
	}
}

func TestKustomizeAzureWorkloadIdentity(t *testing.T) {
	docs := kustomize(t, overlayDir)
	dep := checkWorkload(t, overlayDir, docs)
	checkNamespaced(t, docs)
	sa := one(t, docs, "ServiceAccount")
	if str(sa, "metadata", "annotations", "azure.workload.identity/client-id") == "" {
		t.Errorf("the ServiceAccount lacks the azure.workload.identity/client-id annotation")
	}
	pod := get(dep, "spec", "template")
	if got := str(pod, "spec", "serviceAccountName"); got != str(sa, "metadata", "name") {
		t.Errorf("the pod runs as %q, not as the ServiceAccount %q", got, str(sa, "metadata", "name"))
	}
	if got := get(pod, "metadata", "labels", "azure.workload.identity/use"); got != "true" {
		t.Errorf(`pod label azure.workload.identity/use = %v, want "true"`, got)
	}
	cm := one(t, docs, "ConfigMap")
	cfg := str(cm, "data", "backup_exporter.yml")
	if !strings.Contains(cfg, "auth: workload_identity") {
		t.Errorf("the overlay's configuration does not use auth: workload_identity")
	}
	if names := checkConfig(t, overlayDir+"/backup_exporter.yml", []byte(cfg)); len(names) != 0 {
		t.Errorf("the workload identity configuration reads secret files %q", names)
	}
	vol := byName(list(pod, "spec", "volumes"), "secrets")
	if get(vol, "secret", "optional") != true {
		t.Errorf("the secrets volume is not optional: the pod would wait for a Secret it does not need")
	}
}

// checkTridentRBAC asserts that the docs give the pod's ServiceAccount
// get/list of Trident protect's applications, backups and schedules, and
// nothing else.
func checkTridentRBAC(t *testing.T, where string, docs []obj, dep obj) {
	t.Helper()
	role := one(t, docs, "ClusterRole")
	rules := list(role, "rules")
	if len(rules) != 1 {
		t.Fatalf("%s: ClusterRole has %d rules, want 1", where, len(rules))
	}
	r := rules[0]
	if fmt.Sprint(get(r, "apiGroups")) != "[protect.trident.netapp.io]" ||
		fmt.Sprint(get(r, "resources")) != "[applications backups schedules]" ||
		fmt.Sprint(get(r, "verbs")) != "[get list]" {
		t.Errorf("%s: ClusterRole rule %v, want get/list of applications, backups, schedules in protect.trident.netapp.io", where, r)
	}
	if strings.Contains(fmt.Sprint(role), "appvaults") || strings.Contains(fmt.Sprint(role), "*") {
		t.Errorf("%s: the ClusterRole reaches beyond the three resources: %v", where, role)
	}
	binding := one(t, docs, "ClusterRoleBinding")
	if str(binding, "roleRef", "name") != str(role, "metadata", "name") {
		t.Errorf("%s: the binding refers to %q, not the ClusterRole %q", where, str(binding, "roleRef", "name"), str(role, "metadata", "name"))
	}
	subjects := list(binding, "subjects")
	sa := str(dep, "spec", "template", "spec", "serviceAccountName")
	if len(subjects) != 1 || str(subjects[0], "kind") != "ServiceAccount" || str(subjects[0], "name") != sa || str(subjects[0], "namespace") != "monitoring" {
		t.Errorf("%s: the binding's subjects %v are not the pod's ServiceAccount %q in monitoring", where, subjects, sa)
	}
	if s := one(t, docs, "ServiceAccount"); get(s, "automountServiceAccountToken") != true {
		t.Errorf("%s: the ServiceAccount does not mount its token", where)
	}
}

func TestKustomizeTridentProtect(t *testing.T) {
	docs := kustomize(t, tridentDir)
	dep := checkWorkload(t, tridentDir, docs)
	checkTridentRBAC(t, tridentDir, docs, dep)
	cfg := str(one(t, docs, "ConfigMap"), "data", "backup_exporter.yml")
	if !strings.Contains(cfg, "type: trident_protect") {
		t.Error("the overlay's configuration has no trident_protect target")
	}
	if names := checkConfig(t, tridentDir+"/backup_exporter.yml", []byte(cfg)); len(names) != 0 {
		t.Errorf("the trident-protect configuration reads secret files %q", names)
	}
	for _, d := range docs {
		if d["kind"] == "ClusterRole" || d["kind"] == "ClusterRoleBinding" {
			continue
		}
		if ns := str(d, "metadata", "namespace"); ns != "monitoring" {
			t.Errorf("%s %s: namespace %q", d["kind"], str(d, "metadata", "name"), ns)
		}
	}
}

// cnpgRules are the read-only rules of config.md for cloudnative_pg.
const cnpgRules = "[map[apiGroups:[postgresql.cnpg.io] resources:[clusters backups scheduledbackups] verbs:[get list]] map[apiGroups:[barmancloud.cnpg.io] resources:[objectstores] verbs:[get list]]]"

// checkCloudNativePGRBAC asserts that the docs give the pod's
// ServiceAccount exactly the rules of config.md for cloudnative_pg, in a
// ClusterRole (namespaces empty) or in a Role of each namespace, each
// bound to it, and nothing else: never Secrets.
func checkCloudNativePGRBAC(t *testing.T, where string, docs []obj, dep obj, namespaces ...string) {
	t.Helper()
	roleKind, bindingKind := "ClusterRole", "ClusterRoleBinding"
	if len(namespaces) > 0 {
		roleKind, bindingKind = "Role", "RoleBinding"
		if n := len(ofKind(docs, "ClusterRole")) + len(ofKind(docs, "ClusterRoleBinding")); n != 0 {
			t.Errorf("%s: %d cluster-wide RBAC objects with namespaces %v", where, n, namespaces)
		}
	} else {
		namespaces = []string{""}
	}
	roles, bindings := ofKind(docs, roleKind), ofKind(docs, bindingKind)
	if len(roles) != len(namespaces) || len(bindings) != len(namespaces) {
		t.Fatalf("%s: %d %ss and %d %ss, want %d each", where, len(roles), roleKind, len(bindings), bindingKind, len(namespaces))
	}
	sa := str(dep, "spec", "template", "spec", "serviceAccountName")
	for i, ns := range namespaces {
		role, binding := roles[i], bindings[i]
		if got := str(role, "metadata", "namespace"); ns != "" && got != ns {
			t.Errorf("%s: %s in namespace %q, want %q", where, roleKind, got, ns)
		}
		if got := fmt.Sprint(get(role, "rules")); got != cnpgRules {
			t.Errorf("%s: %s rules\n got %s\nwant %s", where, roleKind, got, cnpgRules)
		}
		if strings.Contains(strings.ToLower(fmt.Sprint(role)), "secret") || strings.Contains(fmt.Sprint(role), "*") {
			t.Errorf("%s: the %s reaches beyond the four resources: %v", where, roleKind, role)
		}
		if str(binding, "roleRef", "name") != str(role, "metadata", "name") || str(binding, "roleRef", "kind") != roleKind ||
			str(binding, "metadata", "namespace") != str(role, "metadata", "namespace") {
			t.Errorf("%s: the binding %v does not bind the %s %q", where, get(binding, "roleRef"), roleKind, str(role, "metadata", "name"))
		}
		subjects := list(binding, "subjects")
		if len(subjects) != 1 || str(subjects[0], "kind") != "ServiceAccount" || str(subjects[0], "name") != sa || str(subjects[0], "namespace") != "monitoring" {
			t.Errorf("%s: the binding's subjects %v are not the pod's ServiceAccount %q in monitoring", where, subjects, sa)
		}
	}
	if s := one(t, docs, "ServiceAccount"); get(s, "automountServiceAccountToken") != true {
		t.Errorf("%s: the ServiceAccount does not mount its token", where)
	}
}

// TestKustomizeCloudNativePG: the overlay's ClusterRole is exactly the
// rules of config.md, bound to the exporter, and its configuration has a
// cloudnative_pg target that reads no secret file.
func TestKustomizeCloudNativePG(t *testing.T) {
	docs := kustomize(t, cnpgDir)
	dep := checkWorkload(t, cnpgDir, docs)
	checkCloudNativePGRBAC(t, cnpgDir, docs, dep)
	cfg := str(one(t, docs, "ConfigMap"), "data", "backup_exporter.yml")
	if !strings.Contains(cfg, "type: cloudnative_pg") {
		t.Error("the overlay's configuration has no cloudnative_pg target")
	}
	if names := checkConfig(t, cnpgDir+"/backup_exporter.yml", []byte(cfg)); len(names) != 0 {
		t.Errorf("the cloudnative-pg configuration reads secret files %q", names)
	}
}

// TestHelmCloudNativePG: cloudnativePG.enabled renders the ClusterRole of
// config.md and its binding and mounts the token; with namespaces, a Role
// and RoleBinding in each instead; by default there is none.
func TestHelmCloudNativePG(t *testing.T) {
	docs := helmTemplate(t, "--set", "cloudnativePG.enabled=true")
	dep := checkWorkload(t, "helm cloudnativePG", docs)
	checkCloudNativePGRBAC(t, "helm cloudnativePG", docs, dep)
	docs = helmTemplate(t, "--set", "cloudnativePG.enabled=true", "--set", "cloudnativePG.namespaces={payments,shop}")
	dep = checkWorkload(t, "helm cloudnativePG namespaces", docs)
	checkCloudNativePGRBAC(t, "helm cloudnativePG namespaces", docs, dep, "payments", "shop")
	for _, kind := range []string{"ClusterRole", "Role", "RoleBinding"} {
		if n := len(ofKind(helmTemplate(t, "--set", "cloudnativePG.namespaces={payments}"), kind)); n != 0 {
			t.Errorf("cloudnativePG not enabled: %d %s", n, kind)
		}
	}
}

// checkLonghornRBAC asserts that the docs give the pod's ServiceAccount
// (in monitoring) get/list of Longhorn's five resources in namespace ns,
// through a Role there, and nothing else: no ClusterRole, no Secrets.
func checkLonghornRBAC(t *testing.T, where, ns string, docs []obj, dep obj) {
	t.Helper()
	if n := len(ofKind(docs, "ClusterRole")) + len(ofKind(docs, "ClusterRoleBinding")); n != 0 {
		t.Errorf("%s: %d cluster-wide RBAC objects, want none", where, n)
	}
	role := one(t, docs, "Role")
	rules := list(role, "rules")
	if len(rules) != 1 {
		t.Fatalf("%s: Role has %d rules, want 1", where, len(rules))
	}
	r := rules[0]
	if fmt.Sprint(get(r, "apiGroups")) != "[longhorn.io]" ||
		fmt.Sprint(get(r, "resources")) != "[volumes backups backupvolumes recurringjobs backuptargets]" ||
		fmt.Sprint(get(r, "verbs")) != "[get list]" {
		t.Errorf("%s: Role rule %v, want get/list of volumes, backups, backupvolumes, recurringjobs, backuptargets in longhorn.io", where, r)
	}
	if strings.Contains(fmt.Sprint(role), "secrets") || strings.Contains(fmt.Sprint(role), "*") || get(r, "resourceNames") != nil {
		t.Errorf("%s: the Role reaches beyond the five resources: %v", where, role)
	}
	binding := one(t, docs, "RoleBinding")
	for _, o := range []obj{role, binding} {
		if got := str(o, "metadata", "namespace"); got != ns {
			t.Errorf("%s: %s in namespace %q, want %q", where, o["kind"], got, ns)
		}
	}
	if str(binding, "roleRef", "kind") != "Role" || str(binding, "roleRef", "name") != str(role, "metadata", "name") {
		t.Errorf("%s: the binding refers to %v, not the Role %q", where, get(binding, "roleRef"), str(role, "metadata", "name"))
	}
	subjects := list(binding, "subjects")
	sa := str(dep, "spec", "template", "spec", "serviceAccountName")
	if len(subjects) != 1 || str(subjects[0], "kind") != "ServiceAccount" || str(subjects[0], "name") != sa || str(subjects[0], "namespace") != "monitoring" {
		t.Errorf("%s: the binding's subjects %v are not the pod's ServiceAccount %q in monitoring", where, subjects, sa)
	}
	// Helm leaves the release's own objects without a namespace (they go
	// to the release's, monitoring).
	if s := one(t, docs, "ServiceAccount"); get(s, "automountServiceAccountToken") != true || !slices.Contains([]string{"", "monitoring"}, str(s, "metadata", "namespace")) {
		t.Errorf("%s: the ServiceAccount does not mount its token, or is not in monitoring: %v", where, s)
	}
}

func TestKustomizeLonghorn(t *testing.T) {
	docs := kustomize(t, longhornDir)
	dep := checkWorkload(t, longhornDir, docs)
	checkLonghornRBAC(t, longhornDir, "longhorn-system", docs, dep)
	cfg := str(one(t, docs, "ConfigMap"), "data", "backup_exporter.yml")
	if !strings.Contains(cfg, "type: longhorn") || !strings.Contains(cfg, "namespace: longhorn-system") {
		t.Error("the overlay's configuration has no longhorn target reading longhorn-system")
	}
	if names := checkConfig(t, longhornDir+"/backup_exporter.yml", []byte(cfg)); len(names) != 0 {
		t.Errorf("the longhorn configuration reads secret files %q", names)
	}
	for _, d := range docs {
		if d["kind"] == "Role" || d["kind"] == "RoleBinding" {
			continue
		}
		if ns := str(d, "metadata", "namespace"); ns != "monitoring" {
			t.Errorf("%s %s: namespace %q", d["kind"], str(d, "metadata", "name"), ns)
		}
	}
}

// ---------------------------------------------------------------- helm

var (
	helmOnce sync.Once
	helmPath string
	helmErr  error
)

// helm runs the helm of the module's tools (go tool helm), built once.
func helm(t *testing.T, args ...string) string {
	t.Helper()
	helmOnce.Do(func() {
		cmd := exec.Command("go", "tool", "-n", "helm")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			helmErr = fmt.Errorf("go tool -n helm: %v\n%s", err, stderr.Bytes())
			return
		}
		helmPath = strings.TrimSpace(string(out))
	})
	if helmErr != nil {
		tooltest.Unavailable(t, "helm", fmt.Sprintf("helm cannot run: %v", helmErr))
	}
	home := t.TempDir()
	cmd := exec.Command(helmPath, args...)
	cmd.Env = append(os.Environ(),
		"HELM_CONFIG_HOME="+filepath.Join(home, "config"),
		"HELM_CACHE_HOME="+filepath.Join(home, "cache"),
		"HELM_DATA_HOME="+filepath.Join(home, "data"),
	)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helm %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr.Bytes())
	}
	return string(out)
}

var allOn = []string{
	"--set", "serviceMonitor.enabled=true",
	"--set", "prometheusRule.enabled=true",
	"--set", "azureWorkloadIdentity.enabled=true",
	"--set", "azureWorkloadIdentity.clientId=00000000-0000-0000-0000-000000000001",
	"--set", "serviceMonitor.labels.release=kube-prometheus-stack",
	"--set", "cloudnativePG.enabled=true",
}

func TestHelmLint(t *testing.T) {
	for _, extra := range [][]string{nil, allOn} {
		out := helm(t, append([]string{"lint", "--strict", chartDir}, extra...)...)
		if !strings.Contains(out, "0 chart(s) failed") {
			t.Errorf("helm lint %q:\n%s", extra, out)
		}
	}
}

func helmTemplate(t *testing.T, args ...string) []obj {
	t.Helper()
	return decodeDocs(t, []byte(helm(t, append([]string{"template", "rel", chartDir, "--namespace", "monitoring"}, args...)...)))
}

func TestHelmTemplateDefaults(t *testing.T) {
	docs := helmTemplate(t)
	dep := checkWorkload(t, "helm defaults", docs)
	for _, kind := range []string{"ServiceMonitor", "PrometheusRule", "Secret"} {
		if len(ofKind(docs, kind)) != 0 {
			t.Errorf("helm defaults render a %s", kind)
		}
	}
	pod := get(dep, "spec", "template")
	if get(pod, "metadata", "labels", "azure.workload.identity/use") != nil {
		t.Errorf("workload identity label set by default")
	}
	if str(pod, "metadata", "annotations", "checksum/config") == "" {
		t.Errorf("no checksum/config pod annotation")
	}
	// The pod waits for the Secret the user creates.
	vol := byName(list(pod, "spec", "volumes"), "secrets")
	if str(vol, "secret", "secretName") != "rel-backup-exporter-secrets" || get(vol, "secret", "optional") == true {
		t.Errorf("secrets volume %v", vol)
	}
	cm := one(t, docs, "ConfigMap")
	checkConfig(t, "helm values.yaml config", []byte(str(cm, "data", "backup_exporter.yml")))
	// The default memory limit is the Go runtime's soft limit too.
	c := list(pod, "spec", "containers")[0].(obj)
	if ml := byName(list(c, "env"), "GOMEMLIMIT"); str(ml, "valueFrom", "resourceFieldRef", "resource") != "limits.memory" {
		t.Errorf("GOMEMLIMIT = %v, want the container's memory limit", ml)
	}
	if noLimit := one(t, helmTemplate(t, "--set", "resources.limits=null"), "Deployment"); strings.Contains(fmt.Sprint(noLimit), "GOMEMLIMIT") {
		t.Error("GOMEMLIMIT set without a memory limit")
	}
}

func TestHelmTemplateAllOn(t *testing.T) {
	docs := helmTemplate(t, append(allOn, "--set-string", "secret.data.astra-token=s3cr3t")...)
	dep := checkWorkload(t, "helm all on", docs)
	checkServiceMonitor(t, "helm all on", docs)
	checkPrometheusRule(t, "helm all on", one(t, docs, "PrometheusRule"), ruleGroups(t))
	if got := str(one(t, docs, "ServiceMonitor"), "metadata", "labels", "release"); got != "kube-prometheus-stack" {
		t.Errorf("serviceMonitor.labels not applied: release=%q", got)
	}

	sa := one(t, docs, "ServiceAccount")
	if got := str(sa, "metadata", "annotations", "azure.workload.identity/client-id"); got != "00000000-0000-0000-0000-000000000001" {
		t.Errorf("ServiceAccount client-id annotation %q", got)
	}
	pod := get(dep, "spec", "template")
	if got := get(pod, "metadata", "labels", "azure.workload.identity/use"); got != "true" {
		t.Errorf(`pod label azure.workload.identity/use = %v, want "true"`, got)
	}
	if str(pod, "spec", "serviceAccountName") != str(sa, "metadata", "name") {
		t.Errorf("the pod does not run as the chart's ServiceAccount")
	}
	sec := one(t, docs, "Secret")
	vol := byName(list(pod, "spec", "volumes"), "secrets")
	if str(vol, "secret", "secretName") != str(sec, "metadata", "name") {
		t.Errorf("the pod mounts Secret %q, the chart renders %q", str(vol, "secret", "secretName"), str(sec, "metadata", "name"))
	}
	if str(sec, "data", "astra-token") != "czNjcjN0" {
		t.Errorf("Secret data %v", get(sec, "data"))
	}
	// No hash of a secret value ends up in the pod template.
	if strings.Contains(fmt.Sprint(get(pod, "metadata", "annotations")), "secret") {
		t.Errorf("pod annotations mention the secret: %v", get(pod, "metadata", "annotations"))
	}
}

func TestHelmExistingSecretAndConfigChecksum(t *testing.T) {
	docs := helmTemplate(t, "--set", "secret.existingSecret=mine")
	if len(ofKind(docs, "Secret")) != 0 {
		t.Errorf("a Secret is rendered with secret.existingSecret")
	}
	dep := one(t, docs, "Deployment")
	pod := get(dep, "spec", "template")
	if got := str(byName(list(pod, "spec", "volumes"), "secrets"), "secret", "secretName"); got != "mine" {
		t.Errorf("secret volume uses %q, want mine", got)
	}
	// A config change changes the checksum, so the pod rolls.
	other := one(t, helmTemplate(t, "--set", "config.global.cache_ttl=1m"), "Deployment")
	a := str(pod, "metadata", "annotations", "checksum/config")
	b := str(other, "spec", "template", "metadata", "annotations", "checksum/config")
	if a == "" || a == b {
		t.Errorf("checksum/config does not follow the configuration: %q and %q", a, b)
	}
}

// TestHelmTridentProtect: one value renders the ClusterRole and binding
// and mounts the token; by default there is neither.
func TestHelmTridentProtect(t *testing.T) {
	docs := helmTemplate(t, "--set", "tridentProtect.enabled=true")
	dep := checkWorkload(t, "helm tridentProtect", docs)
	checkTridentRBAC(t, "helm tridentProtect", docs, dep)
	defaults := helmTemplate(t)
	for _, kind := range []string{"ClusterRole", "ClusterRoleBinding"} {
		if len(ofKind(defaults, kind)) != 0 {
			t.Errorf("helm defaults render a %s", kind)
		}
	}
}

// TestHelmLonghorn: one value renders the Role and binding in Longhorn's
// namespace (longhorn.namespace) and mounts the token; by default there is
// neither.
func TestHelmLonghorn(t *testing.T) {
	for ns, args := range map[string][]string{
		"longhorn-system": {"--set", "longhorn.enabled=true"},
		"storage":         {"--set", "longhorn.enabled=true", "--set", "longhorn.namespace=storage"},
	} {
		docs := helmTemplate(t, args...)
		dep := checkWorkload(t, "helm longhorn", docs)
		checkLonghornRBAC(t, "helm longhorn", ns, docs, dep)
	}
	for _, kind := range []string{"Role", "RoleBinding"} {
		if len(ofKind(helmTemplate(t), kind)) != 0 {
			t.Errorf("helm defaults render a %s", kind)
		}
	}
}

// TestChartNamesEveryProvider: the chart's description names every
// provider the exporter registers (by its Title, as the landing page
// does), so that a new provider cannot be left out of it.
func TestChartNamesEveryProvider(t *testing.T) {
	chart := readYAML(t, filepath.Join(chartDir, "Chart.yaml"))
	desc := str(chart, "description")
	for _, k := range providers.All() {
		if k.Title == "" || !strings.Contains(desc, k.Title) {
			t.Errorf("Chart.yaml's description does not name %s (%q): %q", k.Name, k.Title, desc)
		}
	}
}

// TestHelmSharding: with sharding on, a StatefulSet whose pods take their
// shard from their name and the total from the replica count.
func TestHelmSharding(t *testing.T) {
	docs := helmTemplate(t, "--set", "sharding.enabled=true", "--set", "replicas=3")
	if len(ofKind(docs, "Deployment")) != 0 {
		t.Error("a Deployment is rendered with sharding on")
	}
	sts := one(t, docs, "StatefulSet")
	if get(sts, "spec", "replicas") != 3.0 && get(sts, "spec", "replicas") != 3 {
		t.Errorf("replicas = %v", get(sts, "spec", "replicas"))
	}
	if str(sts, "spec", "serviceName") == "" {
		t.Error("the StatefulSet names no service")
	}
	c := list(sts, "spec", "template", "spec", "containers")[0].(obj)
	args := fmt.Sprint(get(c, "args"))
	for _, want := range []string{"--total-shards=3", "--pod=$(POD_NAME)"} {
		if !strings.Contains(args, want) {
			t.Errorf("args %s lack %s", args, want)
		}
	}
	env := byName(list(c, "env"), "POD_NAME")
	if str(env, "valueFrom", "fieldRef", "fieldPath") != "metadata.name" {
		t.Errorf("POD_NAME = %v, want the pod's name", env)
	}
	if ns := byName(list(c, "env"), "POD_NAMESPACE"); str(ns, "valueFrom", "fieldRef", "fieldPath") != "metadata.namespace" {
		t.Errorf("POD_NAMESPACE = %v, want the pod's namespace", ns)
	}
	if defaults := one(t, helmTemplate(t), "Deployment"); strings.Contains(fmt.Sprint(get(defaults, "spec", "template", "spec", "containers")), "total-shards") {
		t.Error("the default Deployment shards")
	}
}

// TestHelmShardingServices: the StatefulSet's serviceName is a headless
// Service of its pods, which the ServiceMonitor does not scrape a second
// time.
func TestHelmShardingServices(t *testing.T) {
	docs := helmTemplate(t, "--set", "sharding.enabled=true", "--set", "replicas=3", "--set", "serviceMonitor.enabled=true")
	sts := one(t, docs, "StatefulSet")
	name := str(sts, "spec", "serviceName")
	headless := findNamed(docs, "Service", name)
	if headless == nil {
		t.Fatalf("the StatefulSet's serviceName %q is not a rendered Service", name)
	}
	if str(headless, "spec", "clusterIP") != "None" {
		t.Errorf("Service %s is not headless (clusterIP %q)", name, str(headless, "spec", "clusterIP"))
	}
	if !selects(get(headless, "spec", "selector"), get(sts, "spec", "template", "metadata", "labels")) {
		t.Errorf("Service %s does not select the StatefulSet's pods", name)
	}
	sm := one(t, docs, "ServiceMonitor")
	var scraped []string
	for _, svc := range ofKind(docs, "Service") {
		if selects(get(sm, "spec", "selector", "matchLabels"), get(svc, "metadata", "labels")) {
			scraped = append(scraped, str(svc, "metadata", "name"))
		}
	}
	if len(scraped) != 1 || scraped[0] == name {
		t.Errorf("the ServiceMonitor selects the Services %v: want exactly one, not the headless %s (each pod would be scraped twice)", scraped, name)
	}
	if len(ofKind(helmTemplate(t), "Service")) != 1 {
		t.Error("without sharding, a second Service is rendered")
	}
}

// helmNotes renders the chart's NOTES.txt, which helm template leaves out
// (helm install --dry-run would need a cluster): a copy of the chart with
// the notes as an ordinary template.
func helmNotes(t *testing.T, args ...string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "backup-exporter")
	if err := os.CopyFS(dir, os.DirFS(chartDir)); err != nil {
		t.Fatal(err)
	}
	notes := mustRead(t, filepath.Join(chartDir, "templates", "NOTES.txt"))
	// Templates must render YAML: the notes go in as a named template
	// and come out as a block scalar.
	for name, text := range map[string]string{
		"_notes_test.tpl": `{{- define "notes.test" -}}` + "\n" + string(notes) + `{{- end -}}`,
		"notes_test.yaml": "notes: |\n{{ include \"notes.test\" . | indent 2 }}\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, "templates", name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := helm(t, append([]string{"template", "rel", dir, "--namespace", "monitoring", "--show-only", "templates/notes_test.yaml"}, args...)...)
	docs := decodeDocs(t, []byte(out))
	if len(docs) != 1 || str(docs[0], "notes") == "" {
		t.Fatalf("rendered notes: %s", out)
	}
	return str(docs[0], "notes")
}

// TestHelmNotes: the notes name the workload the chart renders, a
// Deployment or, with sharding, a StatefulSet.
func TestHelmNotes(t *testing.T) {
	if n := helmNotes(t); !strings.Contains(n, "logs deploy/rel-backup-exporter") || strings.Contains(n, "statefulset/") {
		t.Errorf("notes without sharding:\n%s", n)
	}
	if n := helmNotes(t, "--set", "sharding.enabled=true", "--set", "replicas=3"); !strings.Contains(n, "logs statefulset/rel-backup-exporter") || strings.Contains(n, "deploy/") {
		t.Errorf("notes with sharding:\n%s", n)
	}
}

// ---------------------------------------------------------------- systemd

func TestSystemdUnit(t *testing.T) {
	data := string(mustRead(t, unitFile))
	// key -> values, with continuation lines joined.
	keys := map[string][]string{}
	section := ""
	for line := range strings.Lines(strings.ReplaceAll(data, "\\\n", " ")) {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "["):
			section = strings.Trim(line, "[]")
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				t.Errorf("%s: bad line %q", unitFile, line)
				continue
			}
			keys[section+"."+k] = append(keys[section+"."+k], strings.Join(strings.Fields(v), " "))
		}
	}
	want := map[string]string{
		"Service.ExecStart":               "/usr/local/bin/backup_exporter --config.file=${CONFIG_FILE} --web.listen-address=${LISTEN_ADDRESS} $ARGS",
		"Service.EnvironmentFile":         "-/etc/default/backup_exporter",
		"Service.ExecReload":              "/bin/kill -HUP $MAINPID",
		"Service.Restart":                 "on-failure",
		"Service.DynamicUser":             "yes",
		"Service.NoNewPrivileges":         "yes",
		"Service.ProtectSystem":           "strict",
		"Service.ProtectHome":             "yes",
		"Service.PrivateTmp":              "yes",
		"Service.PrivateDevices":          "yes",
		"Service.CapabilityBoundingSet":   "",
		"Service.AmbientCapabilities":     "",
		"Service.RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
		"Service.SystemCallArchitectures": "native",
		"Service.SystemCallFilter@0":      "@system-service",
		"Install.WantedBy":                "multi-user.target",
		"Unit.After":                      "network-online.target",
	}
	// Runs as DynamicUser, never as a named (or root) user.
	if keys["Service.User"] != nil {
		t.Errorf("%s: User= is set with DynamicUser", unitFile)
	}
	for k, v := range want {
		idx := 0
		if name, n, ok := strings.Cut(k, "@"); ok {
			k, idx = name, int(n[0]-'0')
		}
		if got := keys[k]; len(got) <= idx || got[idx] != v {
			t.Errorf("%s: %s = %q, want %q", unitFile, k, got, v)
		}
	}

	// The environment file defines what ExecStart expands.
	env := string(mustRead(t, envFile))
	for _, v := range []string{"CONFIG_FILE=" + configPath, fmt.Sprintf("LISTEN_ADDRESS=:%d", port), "ARGS="} {
		if !strings.Contains(env, "\n"+v) {
			t.Errorf("%s does not set %s", envFile, v)
		}
	}

	// systemd's own check, where systemd is installed (not a CI
	// requirement: the unit's keys are checked above).
	sa, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Log("systemd-analyze not installed: unit syntax not verified by systemd")
		return
	}
	// verify wants ExecStart= to exist: point it at a binary that does.
	dir := t.TempDir()
	unit := filepath.Join(dir, filepath.Base(unitFile))
	if err := os.WriteFile(unit, []byte(strings.ReplaceAll(data, "/usr/local/bin/backup_exporter", "/bin/true")), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(sa, "verify", "--man=no", unit).CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) != 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// ---------------------------------------------------------------- compose

func TestCompose(t *testing.T) {
	c := readYAML(t, filepath.Join(composeDir, "compose.yaml"))
	services, _ := c["services"].(obj)
	for _, s := range []string{"simulator", "exporter", "prometheus", "alertmanager", "grafana"} {
		if services[s] == nil {
			t.Errorf("compose.yaml has no service %q", s)
		}
	}
	named := map[string]bool{}
	for v := range get(c, "volumes").(obj) {
		named[v] = true
	}
	// container path -> host path, per service
	mounts := map[string]map[string]string{}
	for name, s := range services {
		mounts[name] = map[string]string{}
		if b := get(s, "build"); b != nil {
			ctx := filepath.Join(composeDir, str(b, "context"))
			if fi, err := os.Stat(ctx); err != nil || !fi.IsDir() {
				t.Errorf("service %s: build context %s: %v", name, ctx, err)
			}
			if df := str(b, "dockerfile"); df != "" {
				if _, err := os.Stat(filepath.Join(ctx, df)); err != nil {
					t.Errorf("service %s: dockerfile: %v", name, err)
				}
			}
		}
		for _, v := range list(s, "volumes") {
			parts := strings.Split(v.(string), ":")
			if len(parts) < 2 {
				t.Errorf("service %s: volume %q", name, v)
				continue
			}
			src, dst := parts[0], parts[1]
			mounts[name][dst] = src
			if !strings.HasPrefix(src, ".") && !strings.HasPrefix(src, "/") {
				if !named[src] {
					t.Errorf("service %s: volume %q is not declared", name, src)
				}
				continue
			}
			host := filepath.Join(composeDir, src)
			if _, err := os.Stat(host); err != nil {
				t.Errorf("service %s mounts %s, which does not exist in the repository: %v", name, src, err)
			}
			if len(parts) < 3 || parts[2] != "ro" {
				t.Errorf("service %s mounts %s writable", name, src)
			}
		}
	}

	// The simulator image is built from cmd/backup_simulator.
	if df := string(mustRead(t, filepath.Join(composeDir, "Dockerfile.simulator"))); !strings.Contains(df, "./cmd/backup_simulator") {
		t.Errorf("Dockerfile.simulator does not build ./cmd/backup_simulator")
	}
	if _, err := os.Stat("../cmd/backup_simulator"); err != nil {
		t.Error(err)
	}

	// The exporter's configuration is valid and reaches the simulator.
	if got := mounts["exporter"][configPath]; got != "./backup_exporter.yml" {
		t.Errorf("exporter config mount %q", got)
	}
	cfg := mustRead(t, filepath.Join(composeDir, "backup_exporter.yml"))
	checkConfig(t, composeDir+"/backup_exporter.yml", cfg)
	if !bytes.Contains(cfg, []byte("https://simulator:9443")) {
		t.Errorf("the compose configuration does not point at https://simulator:9443")
	}

	// Prometheus: the shared rules, a backup_exporter job at exporter:9871,
	// Alertmanager.
	if got := mounts["prometheus"]["/etc/prometheus/rules.yml"]; got != "../prometheus/rules.yml" {
		t.Errorf("prometheus mounts %q as its rules, want ../prometheus/rules.yml", got)
	}
	prom := readYAML(t, filepath.Join(composeDir, "prometheus.yml"))
	if rf := list(prom, "rule_files"); len(rf) != 1 || rf[0] != "rules.yml" {
		t.Errorf("prometheus.yml rule_files %v", rf)
	}
	var job obj
	for _, sc := range list(prom, "scrape_configs") {
		if str(sc, "job_name") == "backup_exporter" {
			job = sc.(obj)
		}
	}
	if job == nil || !slices.Contains(list(job, "static_configs", 0, "targets"), any(fmt.Sprintf("exporter:%d", port))) {
		t.Errorf("prometheus.yml has no job backup_exporter scraping exporter:%d", port)
	}
	if am := list(prom, "alerting", "alertmanagers", 0, "static_configs", 0, "targets"); !slices.Contains(am, any("alertmanager:9093")) {
		t.Errorf("prometheus.yml does not send alerts to alertmanager:9093")
	}
	if got := mounts["alertmanager"]["/etc/alertmanager/alertmanager.yml"]; got != "./alertmanager.yml" {
		t.Errorf("alertmanager config mount %q", got)
	}

	// Grafana: the datasource and the repository's dashboards.
	if got := mounts["grafana"]["/var/lib/grafana/dashboards"]; got != "../../dashboards" {
		t.Errorf("grafana dashboards mount %q, want ../../dashboards", got)
	}
	dash, _ := filepath.Glob("../dashboards/*.json")
	if len(dash) == 0 {
		t.Errorf("no dashboards/*.json to provision")
	}
	prov := readYAML(t, filepath.Join(composeDir, "grafana/provisioning/dashboards/dashboards.yml"))
	if got := str(prov, "providers", 0, "options", "path"); got != "/var/lib/grafana/dashboards" {
		t.Errorf("dashboard provider path %q", got)
	}
	ds := readYAML(t, filepath.Join(composeDir, "grafana/provisioning/datasources/prometheus.yml"))
	if str(ds, "datasources", 0, "url") != "http://prometheus:9090" {
		t.Errorf("grafana datasource %v", get(ds, "datasources"))
	}
	if home := str(services["grafana"], "environment", "GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"); home != "" {
		if _, err := os.Stat(filepath.Join("../dashboards", filepath.Base(home))); err != nil {
			t.Errorf("grafana home dashboard: %v", err)
		}
	}
}

// TestComposeHealthchecks: every service of the stack has a healthcheck,
// and starts once what it depends on is healthy, not merely started.
func TestComposeHealthchecks(t *testing.T) {
	c := readYAML(t, filepath.Join(composeDir, "compose.yaml"))
	services, _ := c["services"].(obj)
	if len(services) < 5 {
		t.Fatalf("%d services", len(services))
	}
	for name, svc := range services {
		test := list(svc, "healthcheck", "test")
		if len(test) < 2 || test[0] != "CMD" {
			t.Errorf("service %s: healthcheck test %v, want [CMD, ...]", name, test)
		}
		deps, isMap := get(svc, "depends_on").(obj)
		if get(svc, "depends_on") != nil && !isMap {
			t.Errorf("service %s: depends_on %v is a list: it waits for the start only, not for health", name, get(svc, "depends_on"))
		}
		for dep, v := range deps {
			if services[dep] == nil || str(v, "condition") != "service_healthy" {
				t.Errorf("service %s: depends on %s with %v, want condition service_healthy", name, dep, v)
			}
		}
	}
	// The images built here are distroless: their checks are the binaries'
	// own healthcheck command, at the path the Dockerfiles copy them to.
	for svc, bin := range map[string]string{"exporter": "/bin/backup_exporter", "simulator": "/bin/backup_simulator"} {
		if test := list(services[svc], "healthcheck", "test"); len(test) < 3 || test[1] != bin || test[2] != "healthcheck" {
			t.Errorf("service %s: healthcheck %v, want %s healthcheck", svc, test, bin)
		}
	}
	for df, bin := range map[string]string{"../Dockerfile": "/bin/backup_exporter", filepath.Join(composeDir, "Dockerfile.simulator"): "/bin/backup_simulator"} {
		if !strings.Contains(string(mustRead(t, df)), "COPY --from=build /out/"+filepath.Base(bin)+" "+bin) {
			t.Errorf("%s does not install %s", df, bin)
		}
	}
}

// TestComposePrometheusMajor: the stack runs the Prometheus major whose
// promtool tests the rules in CI (Debian's prometheus package).
func TestComposePrometheusMajor(t *testing.T) {
	c := readYAML(t, filepath.Join(composeDir, "compose.yaml"))
	image := str(c, "services", "prometheus", "image")
	m := regexp.MustCompile(`^prom/prometheus:v(\d+)\.\d+\.\d+$`).FindStringSubmatch(image)
	if m == nil {
		t.Fatalf("prometheus image %q: want prom/prometheus:vX.Y.Z", image)
	}
	promtool := tooltest.Require(t, tooltest.Promtool)[0]
	out, err := exec.Command(promtool, "--version").CombinedOutput()
	if err != nil {
		t.Fatalf("promtool --version: %v\n%s", err, out)
	}
	v := regexp.MustCompile(`version (\d+)\.`).FindSubmatch(out)
	if v == nil {
		t.Fatalf("promtool --version: %s", out)
	}
	if string(v[1]) != m[1] {
		t.Errorf("compose runs Prometheus %s, the rules are tested with promtool %s.x (%s)", image, v[1], bytes.TrimSpace(out))
	}
}

// TestComposeReadsEveryProvider: the stack's exporter configuration has a
// target of every registered provider, and each of them reads the
// simulator with the stack's scenario (the simulator reached on loopback
// instead of as https://simulator:9443).
func TestComposeReadsEveryProvider(t *testing.T) {
	if testing.Short() {
		t.Skip("polls the simulator")
	}
	sc, err := simulator.LoadScenario("../examples/simulator/demo.yml")
	if err != nil {
		t.Fatal(err)
	}
	sim, err := simulator.Start(simulator.Options{Scenario: sc})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	yml := strings.ReplaceAll(string(mustRead(t, filepath.Join(composeDir, "backup_exporter.yml"))), "https://simulator:9443", sim.URL())
	cfg, err := config.Parse([]byte(yml), composeDir+"/backup_exporter.yml", providers.All().Config())
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, tg := range cfg.Targets {
		if !slices.Contains(types, tg.Type) {
			types = append(types, tg.Type)
		}
	}
	want := providers.All().Types()
	slices.Sort(types)
	slices.Sort(want)
	if !slices.Equal(types, want) {
		t.Errorf("the compose configuration has targets of %v, the exporter registers %v", types, want)
	}
	e, err := collector.New(cfg, collector.Options{Registry: providers.All()})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, r := range e.Collect(ctx, e.Targets()) {
		if r.Err != nil || len(r.Resources) == 0 {
			t.Errorf("target %s (%s): %d resources, error %v", r.Target.Name, r.Target.Type, len(r.Resources), r.Err)
		}
	}
}

// ---------------------------------------------------------------- README

func TestReadmeQuickStart(t *testing.T) {
	readme := string(mustRead(t, "README.md"))
	for _, want := range []string{
		"kubectl apply -k deploy/kubernetes/base",
		"kubectl apply -k deploy/kubernetes/overlays/azure-workload-identity",
		"helm install backup-exporter deploy/helm/backup-exporter",
		"docker compose -f deploy/compose/compose.yaml up --build",
		"http://localhost:3000", "http://localhost:9090", "http://localhost:9093", "http://localhost:9871",
	} {
		if !strings.Contains(readme, want) {
			t.Errorf("deploy/README.md lacks %q", want)
		}
	}
}

// TestRemoteBaseExists: the kustomize remote base of deploy/README.md is
// a path of this repository, at a ref that exists (main, or a tag).
func TestRemoteBaseExists(t *testing.T) {
	doc := string(mustRead(t, "README.md"))
	refs := regexp.MustCompile(`github\.com/backup-exporter/backup_exporter//([^?\s]+)\?ref=(\S+)`).FindAllStringSubmatch(doc, -1)
	if len(refs) == 0 {
		t.Fatal("deploy/README.md has no remote base")
	}
	for _, m := range refs {
		if fi, err := os.Stat(filepath.Join("..", m[1])); err != nil || !fi.IsDir() {
			t.Errorf("remote base %s: no such directory in the repository", m[1])
		}
		if m[2] == "main" {
			continue
		}
		out, err := exec.Command("git", "tag", "--list", m[2]).Output()
		if err != nil || strings.TrimSpace(string(out)) != m[2] {
			t.Errorf("remote base %s: ref %s is not main nor a tag of this repository", m[1], m[2])
		}
	}
}

// TestReadmeMixinExampleSelectsTheShippedJob: the README's mixin example
// overrides the exporter selector; copied as it is, it must select the
// job the shipped scrape configurations use, or BackupExporterDown fires
// (absent) for ever.
func TestReadmeMixinExampleSelectsTheShippedJob(t *testing.T) {
	readme := string(mustRead(t, "../README.md"))
	m := regexp.MustCompile(`exporterSelector: 'job="([^"]+)"'`).FindStringSubmatch(readme)
	if m == nil {
		t.Fatal("the README's mixin example sets no exporterSelector job")
	}
	var jobs []string
	for _, sc := range list(readYAML(t, "prometheus/prometheus.yml"), "scrape_configs") {
		jobs = append(jobs, str(sc, "job_name"))
	}
	values := readYAML(t, filepath.Join(chartDir, "values.yaml"))
	if !slices.Contains(jobs, m[1]) || str(values, "serviceMonitor", "jobName") != m[1] {
		t.Errorf("the README's mixin example selects job=%q; prometheus.yml has the jobs %v, the chart's ServiceMonitor %q", m[1], jobs, str(values, "serviceMonitor", "jobName"))
	}
}

// TestComposeConfigsCheck runs Prometheus' and Alertmanager's own checks on
// the compose stack's configurations (promtool and amtool come with the
// Debian packages prometheus and prometheus-alertmanager, which .ci/run
// installs).
func TestComposeConfigsCheck(t *testing.T) {
	t.Run("promtool", func(t *testing.T) {
		promtool := tooltest.Require(t, tooltest.Promtool)[0]
		// As mounted in the container: rules.yml beside prometheus.yml.
		dir := t.TempDir()
		for src, dst := range map[string]string{
			filepath.Join(composeDir, "prometheus.yml"): "prometheus.yml",
			rulesFile: "rules.yml",
		} {
			if err := os.WriteFile(filepath.Join(dir, dst), mustRead(t, src), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		out, err := exec.Command(promtool, "check", "config", filepath.Join(dir, "prometheus.yml")).CombinedOutput()
		if err != nil {
			t.Errorf("promtool check config %s/prometheus.yml: %v\n%s", composeDir, err, out)
		}
	})
	t.Run("amtool", func(t *testing.T) {
		amtool := tooltest.Require(t, tooltest.Amtool)[0]
		out, err := exec.Command(amtool, "check-config", filepath.Join(composeDir, "alertmanager.yml")).CombinedOutput()
		if err != nil {
			t.Errorf("amtool check-config %s/alertmanager.yml: %v\n%s", composeDir, err, out)
		}
	})
}
