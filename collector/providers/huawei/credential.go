// Package huawei is the huawei: credential of the configuration and how
// a request is authorized with it: AK/SK request signing
// (SDK-HMAC-SHA256), or a ready IAM token sent as X-Auth-Token.
package huawei

import (
	"fmt"
	"net/http"
	"time"

	"github.com/backup-exporter/backup_exporter/config"
	"github.com/backup-exporter/backup_exporter/internal/upstream"
)

// CredentialType is the huawei: credential block.
var CredentialType = config.CredentialType{Name: "huawei", NewSpec: func() config.CredentialSpec { return &Credential{} }}

// Credential is a Huawei Cloud credential: an AK/SK pair, or a ready IAM
// token.
type Credential struct {
	AccessKey     string        `yaml:"access_key,omitempty"`
	SecretKey     config.Secret `yaml:"secret_key,omitempty"`
	SecretKeyFile string        `yaml:"secret_key_file,omitempty"`
	AuthToken     config.Secret `yaml:"auth_token,omitempty"`
	AuthTokenFile string        `yaml:"auth_token_file,omitempty"`
}

// Files implements config.CredentialFiles.
func (h *Credential) Files() []*string { return []*string{&h.SecretKeyFile, &h.AuthTokenFile} }

// BuildFiles implements config.CredentialFiles: none, the files are read
// on every request.
func (h *Credential) BuildFiles() []string { return nil }

// Validate implements config.CredentialSpec.
func (h *Credential) Validate(v *config.Validator) error {
	sk := h.SecretKey != "" || h.SecretKeyFile != ""
	tok := h.AuthToken != "" || h.AuthTokenFile != ""
	switch {
	case sk && tok:
		return v.Errorf("", "give either access_key with secret_key(_file), or auth_token(_file), not both")
	case tok:
		if h.AccessKey != "" {
			return v.Errorf("access_key", "access_key is not used with auth_token")
		}
		return v.Secret("auth_token", h.AuthToken, h.AuthTokenFile)
	case h.AccessKey == "":
		return v.Errorf("", "huawei needs access_key and secret_key(_file), or auth_token(_file)")
	default:
		return v.Secret("secret_key", h.SecretKey, h.SecretKeyFile)
	}
}

// Authorizer signs each attempt with AK/SK for project, or sends the IAM
// token. Secret files are read per attempt: a rotated one is picked up,
// and a signature carries a fresh date on every retry.
func Authorizer(cred *config.Credential, project string) upstream.Authorizer {
	h := cred.Spec.(*Credential)
	if h.AccessKey != "" {
		ak := h.AccessKey
		return func(r *http.Request) error {
			sk, err := config.ResolveSecret(r.Context(), h.SecretKey, h.SecretKeyFile)
			if err != nil {
				return fmt.Errorf("huawei secret key: %w", err)
			}
			r.Header.Set(projectHeader, project)
			sign(r, nil, ak, sk, time.Now(), signedHeaders)
			return nil
		}
	}
	return func(r *http.Request) error {
		token, err := config.ResolveSecret(r.Context(), h.AuthToken, h.AuthTokenFile)
		if err != nil {
			return fmt.Errorf("huawei auth token: %w", err)
		}
		r.Header.Set("X-Auth-Token", token)
		return nil
	}
}
