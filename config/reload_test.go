package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// testSpec is a minimal provider spec: these tests are about reloading,
// not about any provider's keys.
type testSpec struct {
	Endpoint  string `yaml:"endpoint"`
	AccountID string `yaml:"account_id"`
}

func (s *testSpec) Validate(v *Validator) error { return v.Required("account_id", s.AccountID) }

// testCredential is an astra: block with a token, as the test files have.
var testCredential = CredentialType{Name: "astra", NewSpec: func() CredentialSpec { return &testCredentialSpec{} }}

type testCredentialSpec struct {
	APIToken     Secret `yaml:"api_token,omitempty"`
	APITokenFile string `yaml:"api_token_file,omitempty"`
}

func (s *testCredentialSpec) Validate(v *Validator) error {
	return v.Secret("api_token", s.APIToken, s.APITokenFile)
}

var testKinds = []TargetType{{Name: "astra", Credential: testCredential, NewSpec: func() TargetSpec { return &testSpec{} }}}

const reloadGood = `
credentials: [{name: a, astra: {api_token: t}}]
targets: [{name: %s, type: astra, credential: a, endpoint: "https://x.example", account_id: acc}]
`

func TestReloadKeepsOldConfigOnError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "backup_exporter.yml")
	write := func(s string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	reg := prometheus.NewRegistry()
	var applied []string
	live := NewLive(path, testKinds, func(c *Config) error {
		applied = append(applied, c.Targets[0].Name)
		return nil
	}, reg)
	gauge := func(want string) {
		t.Helper()
		err := testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP backup_exporter_config_last_reload_successful Whether the last configuration (re)load succeeded.
# TYPE backup_exporter_config_last_reload_successful gauge
backup_exporter_config_last_reload_successful `+want+"\n"), "backup_exporter_config_last_reload_successful")
		if err != nil {
			t.Error(err)
		}
	}

	write(strings.Replace(reloadGood, "%s", "first", 1))
	if err := live.Reload(); err != nil {
		t.Fatal(err)
	}
	gauge("1")
	ts := testutil.ToFloat64(live.successTS)
	if ts <= 0 {
		t.Errorf("success timestamp = %v", ts)
	}

	write(reloadGood + "  bogus: 1\n")
	err := live.Reload()
	if err == nil || !strings.Contains(err.Error(), path+":") {
		t.Fatalf("bad reload: err = %v, want one naming %s", err, path)
	}
	gauge("0")
	if got := live.Config().Targets[0].Name; got != "first" {
		t.Errorf("running config replaced by a bad one: target %q", got)
	}
	if testutil.ToFloat64(live.successTS) != ts {
		t.Error("success timestamp moved on a failed reload")
	}

	write(strings.Replace(reloadGood, "%s", "second", 1))
	if err := live.Reload(); err != nil {
		t.Fatal(err)
	}
	gauge("1")
	if got := live.Config().Targets[0].Name; got != "second" {
		t.Errorf("good reload not applied: %q", got)
	}
	if strings.Join(applied, ",") != "first,second" {
		t.Errorf("apply calls: %v", applied)
	}
}

func TestReloadApplyErrorKeepsOld(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.yml")
	if err := os.WriteFile(path, []byte(strings.Replace(reloadGood, "%s", "x", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	fail := false
	live := NewLive(path, testKinds, func(*Config) error {
		if fail {
			return os.ErrInvalid
		}
		return nil
	}, nil)
	if err := live.Reload(); err != nil {
		t.Fatal(err)
	}
	old := live.Config()
	fail = true
	if err := live.Reload(); err == nil {
		t.Fatal("apply error not returned")
	}
	if live.Config() != old || testutil.ToFloat64(live.success) != 0 {
		t.Error("failed apply changed the running config or left the gauge at 1")
	}
}
