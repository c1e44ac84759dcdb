package deploy

import (
	"fmt"
	"strings"
	"testing"
)

const veleroDir = "kubernetes/overlays/velero"

// checkVeleroRBAC asserts that the docs give the pod's ServiceAccount
// exactly config.md's velero RBAC: a Role in Velero's namespace with
// get/list of backups, schedules, backupstoragelocations,
// podvolumebackups and datauploads of velero.io, a ClusterRole with list
// of namespaces, each bound to it, and nothing else (never Secrets).
func checkVeleroRBAC(t *testing.T, where string, docs []obj, dep obj, veleroNS string) {
	t.Helper()
	rule := func(kind string) obj {
		t.Helper()
		r := one(t, docs, kind)
		rules := list(r, "rules")
		if len(rules) != 1 {
			t.Fatalf("%s: %s has %d rules, want 1", where, kind, len(rules))
		}
		return rules[0].(obj)
	}
	if r := rule("Role"); fmt.Sprint(get(r, "apiGroups")) != "[velero.io]" ||
		fmt.Sprint(get(r, "resources")) != "[backups schedules backupstoragelocations podvolumebackups datauploads]" ||
		fmt.Sprint(get(r, "verbs")) != "[get list]" {
		t.Errorf("%s: Role rule %v", where, r)
	}
	if r := rule("ClusterRole"); fmt.Sprint(get(r, "resources")) != "[namespaces]" || fmt.Sprint(get(r, "verbs")) != "[list]" {
		t.Errorf("%s: ClusterRole rule %v", where, r)
	}
	if g := list(rule("ClusterRole"), "apiGroups"); len(g) != 1 || g[0] != "" {
		t.Errorf("%s: ClusterRole apiGroups %v, want the core group", where, g)
	}
	role, clusterRole := one(t, docs, "Role"), one(t, docs, "ClusterRole")
	if ns := str(role, "metadata", "namespace"); ns != veleroNS {
		t.Errorf("%s: the Role is in %q, not Velero's namespace %q", where, ns, veleroNS)
	}
	for _, d := range docs {
		if s := fmt.Sprint(d); strings.Contains(d["kind"].(string), "Role") && (strings.Contains(s, "secrets") || strings.Contains(s, "*")) {
			t.Errorf("%s: %s %s reaches beyond config.md's rules: %v", where, d["kind"], str(d, "metadata", "name"), d)
		}
	}
	sa := str(dep, "spec", "template", "spec", "serviceAccountName")
	for kind, ref := range map[string]obj{"RoleBinding": role, "ClusterRoleBinding": clusterRole} {
		b := one(t, docs, kind)
		if str(b, "roleRef", "name") != str(ref, "metadata", "name") || str(b, "roleRef", "kind") != ref["kind"] {
			t.Errorf("%s: the %s refers to %v, not %s %q", where, kind, get(b, "roleRef"), ref["kind"], str(ref, "metadata", "name"))
		}
		subjects := list(b, "subjects")
		if len(subjects) != 1 || str(subjects[0], "kind") != "ServiceAccount" || str(subjects[0], "name") != sa || str(subjects[0], "namespace") != "monitoring" {
			t.Errorf("%s: the %s's subjects %v are not the pod's ServiceAccount %q in monitoring", where, kind, subjects, sa)
		}
	}
	if rb := one(t, docs, "RoleBinding"); str(rb, "metadata", "namespace") != veleroNS {
		t.Errorf("%s: the RoleBinding is in %q, not %q", where, str(rb, "metadata", "namespace"), veleroNS)
	}
	if s := one(t, docs, "ServiceAccount"); get(s, "automountServiceAccountToken") != true {
		t.Errorf("%s: the ServiceAccount does not mount its token", where)
	}
}

// TestHelmVelero: velero.enabled renders exactly config.md's RBAC, in
// velero.namespace, and mounts the token; by default there is none.
func TestHelmVelero(t *testing.T) {
	for _, ns := range []string{"velero", "openshift-adp"} {
		docs := helmTemplate(t, "--set", "velero.enabled=true", "--set", "velero.namespace="+ns)
		dep := checkWorkload(t, "helm velero", docs)
		checkVeleroRBAC(t, "helm velero "+ns, docs, dep, ns)
	}
	for _, kind := range []string{"Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding"} {
		if len(ofKind(helmTemplate(t), kind)) != 0 {
			t.Errorf("helm defaults render a %s", kind)
		}
	}
}

func TestKustomizeVelero(t *testing.T) {
	docs := kustomize(t, veleroDir)
	dep := checkWorkload(t, veleroDir, docs)
	checkVeleroRBAC(t, veleroDir, docs, dep, "velero")
	cfg := str(one(t, docs, "ConfigMap"), "data", "backup_exporter.yml")
	if !strings.Contains(cfg, "type: velero") || !strings.Contains(cfg, "namespace: velero") {
		t.Error("the overlay's configuration has no velero target reading the velero namespace")
	}
	if names := checkConfig(t, veleroDir+"/backup_exporter.yml", []byte(cfg)); len(names) != 0 {
		t.Errorf("the velero configuration reads secret files %q", names)
	}
	for _, d := range docs {
		switch d["kind"] {
		case "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding":
			continue
		}
		if ns := str(d, "metadata", "namespace"); ns != "monitoring" {
			t.Errorf("%s %s: namespace %q", d["kind"], str(d, "metadata", "name"), ns)
		}
	}
}
