package azure

import (
	"regexp"

	"github.com/backup-exporter/backup_exporter/config"
)

// Authentication modes of an azure: credential.
const (
	AuthClientSecret      = "client_secret"
	AuthClientCertificate = "client_certificate"
	AuthManagedIdentity   = "managed_identity"
	AuthWorkloadIdentity  = "workload_identity"
	AuthCLI               = "azure_cli"
	AuthDefault           = "default"
)

// Clouds of an azure: credential.
const (
	CloudPublic       = "public"
	CloudChina        = "china"
	CloudUSGovernment = "usgovernment"
	CloudCustom       = "custom"
)

// CredentialType is the azure: credential block, a Microsoft Entra
// credential for ARM.
var CredentialType = config.CredentialType{Name: "azure", NewSpec: func() config.CredentialSpec { return &Credential{} }}

// Credential is a Microsoft Entra credential for ARM.
type Credential struct {
	Auth     string `yaml:"auth"`
	TenantID string `yaml:"tenant_id,omitempty"`
	ClientID string `yaml:"client_id,omitempty"`
	// ClientSecret is used by auth client_secret.
	ClientSecret config.Secret `yaml:"client_secret,omitempty"`
	// ClientSecretFile holds the secret instead of ClientSecret; it is
	// read when the configuration is (re)loaded, so reload after rotating
	// it (the Astra and Huawei *_file secrets are read on every request).
	ClientSecretFile string `yaml:"client_secret_file,omitempty"`
	// CertificateFile is a PEM (or PKCS#12) file with the certificate and
	// its private key, used by auth client_certificate.
	CertificateFile string `yaml:"certificate_file,omitempty"`
	// CertificatePassword decrypts CertificateFile when it is encrypted.
	CertificatePassword config.Secret `yaml:"certificate_password,omitempty"`
	// TokenFile is the federated token for workload_identity (default: the
	// AZURE_FEDERATED_TOKEN_FILE environment variable).
	TokenFile string `yaml:"token_file,omitempty"`
	Cloud     string `yaml:"cloud,omitempty"`
	// AuthorityHost and ResourceManagerEndpoint are required with cloud
	// custom and rejected otherwise.
	AuthorityHost           string `yaml:"authority_host,omitempty"`
	ResourceManagerEndpoint string `yaml:"resource_manager_endpoint,omitempty"`
}

// reUUID is the form of Entra tenant and client IDs.
var reUUID = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// Files implements config.CredentialFiles.
func (a *Credential) Files() []*string {
	return []*string{&a.ClientSecretFile, &a.CertificateFile, &a.TokenFile}
}

// BuildFiles implements config.CredentialFiles: the secret and the
// certificate are read when the credential is built.
func (a *Credential) BuildFiles() []string { return []string{a.ClientSecretFile, a.CertificateFile} }

// Validate implements config.CredentialSpec; cloud defaults to public.
func (a *Credential) Validate(v *config.Validator) error {
	if a.Cloud == "" {
		a.Cloud = CloudPublic
	}
	uuid := func(key, value string) error {
		if value != "" && !reUUID.MatchString(value) {
			return v.UUID(key, value)
		}
		return nil
	}
	switch a.Auth {
	case AuthClientSecret, AuthClientCertificate:
		if err := config.First(v.UUID("tenant_id", a.TenantID), v.UUID("client_id", a.ClientID)); err != nil {
			return err
		}
		if a.Auth == AuthClientSecret {
			if err := v.Secret("client_secret", a.ClientSecret, a.ClientSecretFile); err != nil {
				return err
			}
			break
		}
		if a.CertificateFile == "" {
			return v.Errorf("", "auth client_certificate needs certificate_file")
		}
		if err := v.Readable("certificate_file", a.CertificateFile); err != nil {
			return err
		}
	case AuthManagedIdentity, AuthCLI, AuthDefault:
		if err := uuid("client_id", a.ClientID); err != nil {
			return err
		}
	case AuthWorkloadIdentity:
		if err := config.First(uuid("tenant_id", a.TenantID), uuid("client_id", a.ClientID)); err != nil {
			return err
		}
		if a.TokenFile != "" {
			if err := v.Readable("token_file", a.TokenFile); err != nil {
				return err
			}
		}
	case "":
		return v.Errorf("", "azure.auth is required (client_secret, client_certificate, managed_identity, workload_identity, azure_cli or default)")
	default:
		return v.Errorf("auth", "unknown azure.auth %s (want client_secret, client_certificate, managed_identity, workload_identity, azure_cli or default)", v.Shown("auth", a.Auth))
	}
	if a.Auth != AuthClientSecret && (a.ClientSecret != "" || a.ClientSecretFile != "") {
		return v.Errorf("", "client_secret is only used with auth client_secret")
	}
	switch a.Cloud {
	case CloudPublic, CloudChina, CloudUSGovernment:
		if a.AuthorityHost != "" || a.ResourceManagerEndpoint != "" {
			return v.Errorf("cloud", "authority_host and resource_manager_endpoint need cloud: custom")
		}
	case CloudCustom:
		return config.First(v.URL("authority_host", a.AuthorityHost), v.URL("resource_manager_endpoint", a.ResourceManagerEndpoint))
	default:
		return v.Errorf("cloud", "unknown cloud %s (want public, china, usgovernment or custom)", v.Shown("cloud", a.Cloud))
	}
	return nil
}
