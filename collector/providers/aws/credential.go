package aws

import (
	"regexp"

	"github.com/backup-exporter/backup_exporter/config"
)

// CredentialType is the aws: credential block; empty, it is the AWS SDK's
// default chain.
var CredentialType = config.CredentialType{Name: "aws", NewSpec: func() config.CredentialSpec { return &Credential{} }, AllowEmpty: true}

// Credential is an AWS credential. Empty, the AWS SDK's default chain is
// used (environment, shared config and credentials files, IRSA web
// identity, EKS Pod Identity and ECS, EC2 instance metadata).
type Credential struct {
	// Profile is a profile of the shared config and credentials files.
	Profile string `yaml:"profile,omitempty"`
	// RoleARN is a role assumed (STS AssumeRole) with the credentials
	// found otherwise.
	RoleARN string `yaml:"role_arn,omitempty"`
	// ExternalID is the sts:ExternalId the role's trust policy asks for.
	ExternalID string `yaml:"external_id,omitempty"`
	// AccessKeyID and SecretAccessKey(File) are static keys.
	AccessKeyID         string        `yaml:"access_key_id,omitempty"`
	SecretAccessKey     config.Secret `yaml:"secret_access_key,omitempty"`
	SecretAccessKeyFile string        `yaml:"secret_access_key_file,omitempty"`
	// STSEndpoint overrides the STS endpoint used for role_arn (a VPC or
	// FIPS endpoint, or the simulator).
	STSEndpoint string `yaml:"sts_endpoint,omitempty"`
}

// AWS identifiers, from the IAM and STS API references.
var (
	reAccessKeyID = regexp.MustCompile(`^[A-Z0-9]{16,128}$`)
	reRoleARN     = regexp.MustCompile(`^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$`)
	reProfile     = regexp.MustCompile(`^[\w.@+-]{1,128}$`)
	reExternalID  = regexp.MustCompile(`^[\w+=,.@:/-]+$`)
)

// Files implements config.CredentialFiles.
func (a *Credential) Files() []*string { return []*string{&a.SecretAccessKeyFile} }

// BuildFiles implements config.CredentialFiles: none, the key file is
// read on every request.
func (a *Credential) BuildFiles() []string { return nil }

// Validate implements config.CredentialSpec.
func (a *Credential) Validate(v *config.Validator) error {
	if a.Profile != "" && !reProfile.MatchString(a.Profile) {
		return v.Errorf("profile", "profile %s is not a profile name (letters, digits and ._@+-)", v.Shown("profile", a.Profile))
	}
	if a.RoleARN != "" && !reRoleARN.MatchString(a.RoleARN) {
		return v.Errorf("role_arn", "role_arn %s is not an IAM role ARN (arn:aws:iam::123456789012:role/name)", v.Shown("role_arn", a.RoleARN))
	}
	if a.ExternalID != "" {
		if a.RoleARN == "" {
			return v.Errorf("external_id", "external_id needs role_arn")
		}
		if len(a.ExternalID) < 2 || len(a.ExternalID) > 1224 || !reExternalID.MatchString(a.ExternalID) {
			return v.Errorf("external_id", "external_id must be 2 to 1224 characters of letters, digits and +=,.@:/-")
		}
	}
	if a.STSEndpoint != "" {
		if a.RoleARN == "" {
			return v.Errorf("sts_endpoint", "sts_endpoint is used only with role_arn")
		}
		if err := v.URL("sts_endpoint", a.STSEndpoint); err != nil {
			return err
		}
	}
	static := a.SecretAccessKey != "" || a.SecretAccessKeyFile != ""
	switch {
	case a.AccessKeyID == "" && !static:
		return nil
	case a.AccessKeyID == "":
		return v.Errorf("", "secret_access_key(_file) needs access_key_id")
	case !reAccessKeyID.MatchString(a.AccessKeyID):
		return v.Errorf("access_key_id", "access_key_id must be 16 to 128 upper-case letters and digits, got %s", v.Shown("access_key_id", a.AccessKeyID))
	case a.Profile != "":
		return v.Errorf("profile", "give profile or static keys (access_key_id), not both")
	}
	return v.Secret("secret_access_key", a.SecretAccessKey, a.SecretAccessKeyFile)
}
