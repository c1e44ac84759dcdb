package kubernetes

import (
	"github.com/backup-exporter/backup_exporter/config"
)

// CredentialType is the kubernetes: credential block; empty, it is the
// in-cluster service account.
var CredentialType = config.CredentialType{Name: "kubernetes", NewSpec: func() config.CredentialSpec { return &Credential{} }, AllowEmpty: true}

// Credential is how the exporter reaches a Kubernetes API server. Empty,
// the in-cluster service account (its token re-read on every request, as
// the kubelet rotates it, and the cluster CA), resolved when a target is
// polled, not at load: a configuration checked outside the cluster is
// still valid; or a kubeconfig file and context; or a server URL and a
// bearer token (with tls_config.ca_file).
type Credential struct {
	Kubeconfig      string        `yaml:"kubeconfig,omitempty"`
	Context         string        `yaml:"context,omitempty"`
	Server          string        `yaml:"server,omitempty"`
	BearerToken     config.Secret `yaml:"bearer_token,omitempty"`
	BearerTokenFile string        `yaml:"bearer_token_file,omitempty"`
}

// Files implements config.CredentialFiles.
func (k *Credential) Files() []*string { return []*string{&k.Kubeconfig, &k.BearerTokenFile} }

// BuildFiles implements config.CredentialFiles: the kubeconfig is read
// when the client is built.
func (k *Credential) BuildFiles() []string { return []string{k.Kubeconfig} }

// Validate implements config.CredentialSpec.
func (k *Credential) Validate(v *config.Validator) error {
	token := k.BearerToken != "" || k.BearerTokenFile != ""
	switch {
	case k.Kubeconfig != "" && (k.Server != "" || token):
		return v.Errorf("kubeconfig", "give kubeconfig, or server with bearer_token(_file), not both")
	case k.Kubeconfig != "":
		return v.Readable("kubeconfig", k.Kubeconfig)
	case k.Context != "":
		return v.Errorf("context", "context needs kubeconfig")
	case k.Server != "":
		if err := v.URL("server", k.Server); err != nil {
			return err
		}
		return v.Secret("bearer_token", k.BearerToken, k.BearerTokenFile)
	case token:
		return v.Errorf("", "bearer_token(_file) needs server")
	}
	return nil
}
