package longhorn

import (
	"strings"
	"testing"

	"github.com/backup-exporter/backup_exporter/config"
)

func parse(target string) (*config.Config, error) {
	return config.Parse([]byte(`credentials: [{name: k8s, kubernetes: {}}]
targets:
  - name: lh
    type: longhorn
    credential: k8s
`+target), "test.yml", kinds.Config())
}

// TestSpecDefaults: namespace longhorn-system and backup_targets true
// unless the target says otherwise.
func TestSpecDefaults(t *testing.T) {
	cfg, err := parse("")
	if err != nil {
		t.Fatal(err)
	}
	s := cfg.Targets[0].Spec.(*Spec)
	if s.Namespace != "longhorn-system" || s.BackupTargets == nil || !*s.BackupTargets {
		t.Errorf("defaults: %+v", s)
	}
	cfg, err = parse("    namespace: storage\n    backup_targets: false\n")
	if err != nil {
		t.Fatal(err)
	}
	if s := cfg.Targets[0].Spec.(*Spec); s.Namespace != "storage" || *s.BackupTargets {
		t.Errorf("set: %+v", s)
	}
}

// TestSpecErrors: a namespace that is no DNS-1123 label, and keys of the
// wrong type or unknown, are errors naming the file, line and key.
func TestSpecErrors(t *testing.T) {
	for target, want := range map[string]string{
		"    namespace: Longhorn_System\n":                 `test.yml:6: target "lh": namespace "Longhorn_System" is not a namespace name`,
		"    namespace: \"\"\n":                            `test.yml:6: target "lh": namespace "" is not a namespace name`,
		"    namespace: " + strings.Repeat("a", 64) + "\n": `test.yml:6: target "lh": namespace "aaaa`,
		"    namespace: -storage\n":                        `test.yml:6: target "lh": namespace "-storage" is not`,
		"    backup_targets: maybe\n":                      `test.yml:6`,
		"    namespaces: [a]\n":                            `test.yml:6`,
	} {
		_, err := parse(target)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want %q", target, err, want)
		}
	}
}
