package astra

import (
	"net/http"

	"github.com/backup-exporter/backup_exporter/config"
	"github.com/backup-exporter/backup_exporter/internal/upstream"
)

// CredentialType is the astra: credential block.
var CredentialType = config.CredentialType{Name: "astra", NewSpec: func() config.CredentialSpec { return &Credential{} }}

// Credential is a NetApp Astra Control API token, sent as a Bearer token.
type Credential struct {
	APIToken     config.Secret `yaml:"api_token,omitempty"`
	APITokenFile string        `yaml:"api_token_file,omitempty"`
}

// Files implements config.CredentialFiles.
func (a *Credential) Files() []*string { return []*string{&a.APITokenFile} }

// BuildFiles implements config.CredentialFiles: none, the token file is
// read on every request.
func (a *Credential) BuildFiles() []string { return nil }

// Validate implements config.CredentialSpec.
func (a *Credential) Validate(v *config.Validator) error {
	return v.Secret("api_token", a.APIToken, a.APITokenFile)
}

// bearer authorizes each attempt with the token, re-read every time so
// that a rotated api_token_file is picked up without a reload.
func bearer(cred *config.Credential) upstream.Authorizer {
	a := cred.Spec.(*Credential)
	return func(r *http.Request) error {
		token, err := config.ResolveSecret(r.Context(), a.APIToken, a.APITokenFile)
		if err != nil {
			return err
		}
		r.Header.Set("Authorization", "Bearer "+token)
		return nil
	}
}
