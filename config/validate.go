package config

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// reUUID is the form of Azure tenant, client and subscription IDs.
var reUUID = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// validate records every error of the decoded configuration: the global
// settings, each credential and each target (its first error each), but
// not of an entry whose keys already failed to decode.
func (p *parser) validate(c *Config) {
	// One deadline for every file the validation reads: a hung mount
	// fails the load within FileReadTimeout, whatever the number of files.
	ctx, cancel := context.WithTimeout(context.Background(), FileReadTimeout)
	defer cancel()
	p.files = ctx
	g := c.Global
	if !p.bad["global"] {
		if g.ScrapeTimeout <= 0 {
			p.add(p.errorf("global.scrape_timeout", "global.scrape_timeout must be greater than 0"))
		}
		if g.CacheTTL < 0 {
			p.add(p.errorf("global.cache_ttl", "global.cache_ttl must not be negative"))
		}
		if g.PollTimeout <= 0 {
			p.add(p.errorf("global.poll_timeout", "global.poll_timeout must be greater than 0"))
		}
		if g.MaxConcurrency < 1 {
			p.add(p.errorf("global.max_concurrency", "global.max_concurrency must be at least 1, got %d", g.MaxConcurrency))
		}
		if g.MaxPagesPerList < 1 {
			p.add(p.errorf("global.max_pages_per_list", "global.max_pages_per_list must be at least 1, got %d", g.MaxPagesPerList))
		}
		if g.MaxItemsPerPoll < 1 {
			p.add(p.errorf("global.max_items_per_poll", "global.max_items_per_poll must be at least 1, got %d", g.MaxItemsPerPoll))
		}
		if g.BodySizeLimit < 1024 {
			p.add(p.errorf("global.body_size_limit", "global.body_size_limit must be at least 1KiB, got %s", g.BodySizeLimit))
		}
	}

	creds := make(map[string]*Credential, len(c.Credentials))
	// badCreds have errors of their own: targets naming them are not also
	// told that their kind is wrong.
	badCreds := map[string]bool{}
	for i := range c.Credentials {
		cr := &c.Credentials[i]
		path := fmt.Sprintf("credentials[%d]", i)
		if p.bad[path] {
			if _, dup := creds[cr.Name]; cr.Name != "" && !dup {
				creds[cr.Name] = cr
				badCreds[cr.Name] = true
			}
			continue
		}
		if cr.Name == "" {
			p.add(p.errorf(path, "%s: name is required", path))
			continue
		}
		if _, dup := creds[cr.Name]; dup {
			p.add(p.errorf(path+".name", "%s: duplicate credential name %q", path, cr.Name))
			continue
		}
		creds[cr.Name] = cr
		if err := p.validateCredential(cr, path); err != nil {
			p.add(err)
			badCreds[cr.Name] = true
		}
	}

	if len(c.Targets) == 0 {
		if !p.bad["targets"] {
			p.add(p.errorf("targets", "no targets: the file needs at least one entry under targets"))
		}
		return
	}
	names := make(map[string]bool, len(c.Targets))
	for i := range c.Targets {
		t := &c.Targets[i]
		path := fmt.Sprintf("targets[%d]", i)
		if p.bad[path] {
			names[t.Name] = true
			continue
		}
		if t.Name == "" {
			p.add(p.errorf(path, "%s: name is required", path))
			continue
		}
		if err := checkTargetName(t.Name); err != nil {
			p.add(p.errorf(path+".name", "%s: name %v", path, err))
			continue
		}
		if names[t.Name] {
			p.add(p.errorf(path+".name", "%s: duplicate target name %q", path, t.Name))
			continue
		}
		names[t.Name] = true
		p.add(p.validateTarget(t, path, creds, badCreds))
	}
}

func (p *parser) validateCredential(cr *Credential, path string) error {
	kinds := 0
	for _, set := range []bool{cr.Azure != nil, cr.Huawei != nil, cr.Astra != nil, cr.AWS != nil, cr.Kubernetes != nil} {
		if set {
			kinds++
		}
	}
	if kinds == 0 && p.has(path+".aws") {
		// An empty aws: block is the AWS SDK's default chain.
		cr.AWS = &AWS{}
		kinds = 1
	}
	if kinds == 0 && p.has(path+".kubernetes") {
		// An empty kubernetes: block is the in-cluster service account.
		cr.Kubernetes = &Kubernetes{}
		kinds = 1
	}
	if kinds != 1 {
		for _, kind := range []string{"azure", "huawei", "astra", "aws", "kubernetes"} {
			if kinds == 0 && p.has(path+"."+kind) {
				return p.errorf(path+"."+kind, "credential %q: %s: is empty; see the configuration reference for its keys", cr.Name, kind)
			}
		}
		return p.errorf(path, "credential %q: exactly one of azure, huawei, astra, aws or kubernetes must be set", cr.Name)
	}
	if f := cr.TLSConfig.CAFile; f != "" {
		pem, err := ReadFile(p.files, f)
		if err != nil {
			return p.errorf(path+".tls_config.ca_file", "credential %q: tls_config.ca_file: %v", cr.Name, unwrapPath(err))
		}
		if !x509.NewCertPool().AppendCertsFromPEM(pem) {
			return p.errorf(path+".tls_config.ca_file", "credential %q: tls_config.ca_file %s holds no PEM certificate", cr.Name, f)
		}
	}
	switch {
	case cr.Azure != nil:
		return p.validateAzure(cr.Name, cr.Azure, path+".azure")
	case cr.Huawei != nil:
		h := cr.Huawei
		path += ".huawei"
		sk := h.SecretKey != "" || h.SecretKeyFile != ""
		tok := h.AuthToken != "" || h.AuthTokenFile != ""
		switch {
		case sk && tok:
			return p.errorf(path, "credential %q: give either access_key with secret_key(_file), or auth_token(_file), not both", cr.Name)
		case tok:
			if h.AccessKey != "" {
				return p.errorf(path+".access_key", "credential %q: access_key is not used with auth_token", cr.Name)
			}
			return p.secretSource(cr.Name, path, "auth_token", h.AuthToken, h.AuthTokenFile)
		case h.AccessKey == "":
			return p.errorf(path, "credential %q: huawei needs access_key and secret_key(_file), or auth_token(_file)", cr.Name)
		default:
			return p.secretSource(cr.Name, path, "secret_key", h.SecretKey, h.SecretKeyFile)
		}
	case cr.AWS != nil:
		return p.validateAWS(cr.Name, cr.AWS, path+".aws")
	case cr.Kubernetes != nil:
		return p.validateKubernetes(cr.Name, cr.Kubernetes, path+".kubernetes")
	default:
		return p.secretSource(cr.Name, path+".astra", "api_token", cr.Astra.APIToken, cr.Astra.APITokenFile)
	}
}

func (p *parser) validateKubernetes(name string, k *Kubernetes, path string) error {
	token := k.BearerToken != "" || k.BearerTokenFile != ""
	switch {
	case k.Kubeconfig != "" && (k.Server != "" || token):
		return p.errorf(path+".kubeconfig", "credential %q: give kubeconfig, or server with bearer_token(_file), not both", name)
	case k.Kubeconfig != "":
		return p.readable(path+".kubeconfig", name, "kubeconfig", k.Kubeconfig)
	case k.Context != "":
		return p.errorf(path+".context", "credential %q: context needs kubeconfig", name)
	case k.Server != "":
		if err := p.httpsURL(path+".server", fmt.Sprintf("credential %q: server", name), k.Server); err != nil {
			return err
		}
		return p.secretSource(name, path, "bearer_token", k.BearerToken, k.BearerTokenFile)
	case token:
		return p.errorf(path, "credential %q: bearer_token(_file) needs server", name)
	}
	return nil
}

// AWS identifiers, from the IAM and STS API references.
var (
	reAWSAccessKeyID = regexp.MustCompile(`^[A-Z0-9]{16,128}$`)
	reAWSRoleARN     = regexp.MustCompile(`^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$`)
	reAWSProfile     = regexp.MustCompile(`^[\w.@+-]{1,128}$`)
	reAWSExternalID  = regexp.MustCompile(`^[\w+=,.@:/-]+$`)
)

func (p *parser) validateAWS(name string, a *AWS, path string) error {
	if a.Profile != "" && !reAWSProfile.MatchString(a.Profile) {
		return p.errorf(path+".profile", "credential %q: profile %s is not a profile name (letters, digits and ._@+-)", name, p.shown(path+".profile", a.Profile))
	}
	if a.RoleARN != "" && !reAWSRoleARN.MatchString(a.RoleARN) {
		return p.errorf(path+".role_arn", "credential %q: role_arn %s is not an IAM role ARN (arn:aws:iam::123456789012:role/name)", name, p.shown(path+".role_arn", a.RoleARN))
	}
	if a.ExternalID != "" {
		if a.RoleARN == "" {
			return p.errorf(path+".external_id", "credential %q: external_id needs role_arn", name)
		}
		if len(a.ExternalID) < 2 || len(a.ExternalID) > 1224 || !reAWSExternalID.MatchString(a.ExternalID) {
			return p.errorf(path+".external_id", "credential %q: external_id must be 2 to 1224 characters of letters, digits and +=,.@:/-", name)
		}
	}
	if a.STSEndpoint != "" {
		if a.RoleARN == "" {
			return p.errorf(path+".sts_endpoint", "credential %q: sts_endpoint is used only with role_arn", name)
		}
		if err := p.httpsURL(path+".sts_endpoint", fmt.Sprintf("credential %q: sts_endpoint", name), a.STSEndpoint); err != nil {
			return err
		}
	}
	static := a.SecretAccessKey != "" || a.SecretAccessKeyFile != ""
	switch {
	case a.AccessKeyID == "" && !static:
		return nil
	case a.AccessKeyID == "":
		return p.errorf(path, "credential %q: secret_access_key(_file) needs access_key_id", name)
	case !reAWSAccessKeyID.MatchString(a.AccessKeyID):
		return p.errorf(path+".access_key_id", "credential %q: access_key_id must be 16 to 128 upper-case letters and digits, got %s", name, p.shown(path+".access_key_id", a.AccessKeyID))
	case a.Profile != "":
		return p.errorf(path+".profile", "credential %q: give profile or static keys (access_key_id), not both", name)
	}
	return p.secretSource(name, path, "secret_access_key", a.SecretAccessKey, a.SecretAccessKeyFile)
}

// secretSource checks that a secret is given exactly once, inline or as a
// readable file.
func (p *parser) secretSource(cred, path, key string, inline Secret, file string) error {
	switch {
	case inline != "" && file != "":
		return p.errorf(path+"."+key, "credential %q: give %s or %s_file, not both", cred, key, key)
	case inline == "" && file == "":
		return p.errorf(path, "credential %q: %s or %s_file is required", cred, key, key)
	case file != "":
		return p.readable(path+"."+key+"_file", cred, key+"_file", file)
	}
	return nil
}

// readable checks that a credential file can be read (a regular file of at
// most 1 MiB, read in time: ReadFile) and is not empty, so that
// --config.check catches what would fail every scrape.
func (p *parser) readable(path, cred, key, file string) error {
	b, err := ReadFile(p.files, file)
	if err != nil {
		return p.errorf(path, "credential %q: %s: %v", cred, key, unwrapPath(err))
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		return p.errorf(path, "credential %q: %s %s is empty", cred, key, file)
	}
	return nil
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Path, pe.Err)
	}
	return err
}

func (p *parser) validateAzure(name string, a *Azure, path string) error {
	needIDs := func() error {
		if !reUUID.MatchString(a.TenantID) {
			return p.errorf(path+".tenant_id", "credential %q: tenant_id must be a UUID, got %s", name, p.shown(path+".tenant_id", a.TenantID))
		}
		if !reUUID.MatchString(a.ClientID) {
			return p.errorf(path+".client_id", "credential %q: client_id must be a UUID, got %s", name, p.shown(path+".client_id", a.ClientID))
		}
		return nil
	}
	switch a.Auth {
	case AzureAuthClientSecret:
		if err := needIDs(); err != nil {
			return err
		}
		if err := p.secretSource(name, path, "client_secret", a.ClientSecret, a.ClientSecretFile); err != nil {
			return err
		}
	case AzureAuthClientCertificate:
		if err := needIDs(); err != nil {
			return err
		}
		if a.CertificateFile == "" {
			return p.errorf(path, "credential %q: auth client_certificate needs certificate_file", name)
		}
		if err := p.readable(path+".certificate_file", name, "certificate_file", a.CertificateFile); err != nil {
			return err
		}
	case AzureAuthManagedIdentity, AzureAuthCLI, AzureAuthDefault:
		if a.ClientID != "" && !reUUID.MatchString(a.ClientID) {
			return p.errorf(path+".client_id", "credential %q: client_id must be a UUID, got %s", name, p.shown(path+".client_id", a.ClientID))
		}
	case AzureAuthWorkloadIdentity:
		if a.TenantID != "" && !reUUID.MatchString(a.TenantID) {
			return p.errorf(path+".tenant_id", "credential %q: tenant_id must be a UUID, got %s", name, p.shown(path+".tenant_id", a.TenantID))
		}
		if a.ClientID != "" && !reUUID.MatchString(a.ClientID) {
			return p.errorf(path+".client_id", "credential %q: client_id must be a UUID, got %s", name, p.shown(path+".client_id", a.ClientID))
		}
		if a.TokenFile != "" {
			if err := p.readable(path+".token_file", name, "token_file", a.TokenFile); err != nil {
				return err
			}
		}
	case "":
		return p.errorf(path, "credential %q: azure.auth is required (client_secret, client_certificate, managed_identity, workload_identity, azure_cli or default)", name)
	default:
		return p.errorf(path+".auth", "credential %q: unknown azure.auth %s (want client_secret, client_certificate, managed_identity, workload_identity, azure_cli or default)", name, p.shown(path+".auth", a.Auth))
	}
	if a.Auth != AzureAuthClientSecret && (a.ClientSecret != "" || a.ClientSecretFile != "") {
		return p.errorf(path, "credential %q: client_secret is only used with auth client_secret", name)
	}
	switch a.Cloud {
	case AzureCloudPublic, AzureCloudChina, AzureCloudUSGovernment:
		if a.AuthorityHost != "" || a.ResourceManagerEndpoint != "" {
			return p.errorf(path+".cloud", "credential %q: authority_host and resource_manager_endpoint need cloud: custom", name)
		}
	case AzureCloudCustom:
		for key, v := range map[string]string{"authority_host": a.AuthorityHost, "resource_manager_endpoint": a.ResourceManagerEndpoint} {
			if err := p.httpsURL(path+"."+key, fmt.Sprintf("credential %q: %s", name, key), v); err != nil {
				return err
			}
		}
	default:
		return p.errorf(path+".cloud", "credential %q: unknown cloud %s (want public, china, usgovernment or custom)", name, p.shown(path+".cloud", a.Cloud))
	}
	return nil
}

func (p *parser) httpsURL(path, what, v string) error {
	if v == "" {
		return p.errorf(path, "%s is required", what)
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return p.errorf(path, "%s must be an http(s) URL, got %s", what, p.shown(path, v))
	}
	if u.User != nil {
		return p.errorf(path, "%s must not carry a user name or password: give credentials under credentials", what)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return p.errorf(path, "%s must not have a query or fragment", what)
	}
	return nil
}

func (p *parser) validateTarget(t *Target, path string, creds map[string]*Credential, badCreds map[string]bool) error {
	where := fmt.Sprintf("target %q", t.Name)
	kind, ok := p.kinds.byType[t.Type]
	if !ok {
		if t.Type == "" {
			return p.errorf(path, "%s: type is required (%s)", where, p.kinds.list())
		}
		return p.errorf(path+".type", "%s: unknown type %q (want %s)", where, t.Type, p.kinds.list())
	}
	if keys := p.foreign[path]; len(keys) > 0 {
		return p.errorf(path+"."+keys[0], "%s: key %q does not apply to type %s", where, keys[0], t.Type)
	}
	if t.Credential == "" {
		return p.errorf(path, "%s: credential is required", where)
	}
	cr, ok := creds[t.Credential]
	if !ok {
		return p.errorf(path+".credential", "%s: credential %q is not defined under credentials", where, t.Credential)
	}
	if cr.Kind() != kind.Credential && !badCreds[t.Credential] {
		return p.errorf(path+".credential", "%s: type %s needs a %s: credential; %q is not one", where, t.Type, kind.Credential, t.Credential)
	}
	if p.has(path+".expected_retention") && t.ExpectedRetention <= 0 {
		return p.errorf(path+".expected_retention", "target %q: expected_retention must be greater than 0", t.Name)
	}
	if p.has(path+".expected_interval") && t.ExpectedInterval <= 0 {
		return p.errorf(path+".expected_interval", "%s: expected_interval must be greater than 0", where)
	}
	if p.has(path+".poll_timeout") && t.PollTimeout <= 0 {
		return p.errorf(path+".poll_timeout", "%s: poll_timeout must be greater than 0", where)
	}
	if p.has(path+".max_pages_per_list") && t.MaxPagesPerList < 1 {
		return p.errorf(path+".max_pages_per_list", "%s: max_pages_per_list must be at least 1, got %d", where, t.MaxPagesPerList)
	}
	if p.has(path+".max_items_per_poll") && t.MaxItemsPerPoll < 1 {
		return p.errorf(path+".max_items_per_poll", "%s: max_items_per_poll must be at least 1, got %d", where, t.MaxItemsPerPoll)
	}
	return t.Spec.Validate(&Validator{p: p, path: path, target: t.Name, typ: t.Type})
}

// maxTargetName bounds a target's name, a label value of every series.
const maxTargetName = 128

// checkTargetName allows printable names of 1 to 128 characters, so that
// the name is a sane label value, log field and --once row.
func checkTargetName(name string) error {
	if !utf8.ValidString(name) {
		return errors.New("is not valid UTF-8")
	}
	if n := utf8.RuneCountInString(name); n > maxTargetName {
		return fmt.Errorf("has %d characters, at most %d are allowed", n, maxTargetName)
	}
	for _, r := range name {
		if !unicode.IsPrint(r) {
			return fmt.Errorf("holds the unprintable character %U; use printable characters only", r)
		}
	}
	return nil
}
