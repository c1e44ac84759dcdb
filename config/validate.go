package config

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
)

// Path-parameter patterns, from the API documents, so that a bad name is a
// configuration error rather than an odd URL.
var (
	reUUID          = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	reResourceGroup = regexp.MustCompile(`^[-\w._()]{1,90}$`)
	reANFAccount    = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9\-_]{0,127}$`)
	reANFPool       = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9\-_]{0,63}$`)
	reANFVolume     = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9\-_]{0,63}$`)
	rePGName        = regexp.MustCompile(`^[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*$`)
	reCBRID         = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9\-]{0,63}$`)
	reAstraID       = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9\-]{0,127}$`)
	reAPIVersion    = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}(-preview)?$`)
	reRegion        = regexp.MustCompile(`^[a-z]{2,}(-[a-z0-9]+)+$`)
)

// targetKeys lists, per type, the type-specific keys a target may have and
// which of them are required. name, type, credential and expected_interval
// apply to every type.
var targetKeys = map[string]struct{ allowed, required []string }{
	TypeAzureNetAppFiles: {
		allowed:  []string{"subscription_id", "resource_group", "account", "pool", "volume", "backup_vault", "api_version"},
		required: []string{"subscription_id", "resource_group", "account"},
	},
	TypeAzurePostgreSQLLTR: {
		allowed:  []string{"subscription_id", "resource_group", "server", "backup", "api_version"},
		required: []string{"subscription_id", "resource_group"},
	},
	TypeHuaweiCBR: {
		allowed:  []string{"endpoint", "region", "project_id", "backup_id", "vault_id", "resource_id"},
		required: []string{"project_id"},
	},
	TypeAstra: {
		allowed:  []string{"endpoint", "account_id", "app_id", "backup_id"},
		required: []string{"endpoint", "account_id"},
	},
}

var commonTargetKeys = []string{"name", "type", "credential", "expected_interval"}

func (p *parser) validate(c *Config) error {
	g := c.Global
	if g.ScrapeTimeout <= 0 {
		return p.errorf("global.scrape_timeout", "global.scrape_timeout must be greater than 0")
	}
	if g.CacheTTL < 0 {
		return p.errorf("global.cache_ttl", "global.cache_ttl must not be negative")
	}
	if g.MaxConcurrency < 1 {
		return p.errorf("global.max_concurrency", "global.max_concurrency must be at least 1, got %d", g.MaxConcurrency)
	}
	if g.BodySizeLimit < 1024 {
		return p.errorf("global.body_size_limit", "global.body_size_limit must be at least 1KiB, got %s", g.BodySizeLimit)
	}

	creds := make(map[string]*Credential, len(c.Credentials))
	for i := range c.Credentials {
		cr := &c.Credentials[i]
		path := fmt.Sprintf("credentials[%d]", i)
		if cr.Name == "" {
			return p.errorf(path, "%s: name is required", path)
		}
		if _, dup := creds[cr.Name]; dup {
			return p.errorf(path+".name", "%s: duplicate credential name %q", path, cr.Name)
		}
		creds[cr.Name] = cr
		if err := p.validateCredential(cr, path); err != nil {
			return err
		}
	}

	if len(c.Targets) == 0 {
		return p.errorf("targets", "no targets: the file needs at least one entry under targets")
	}
	names := make(map[string]bool, len(c.Targets))
	for i := range c.Targets {
		t := &c.Targets[i]
		path := fmt.Sprintf("targets[%d]", i)
		if t.Name == "" {
			return p.errorf(path, "%s: name is required", path)
		}
		if names[t.Name] {
			return p.errorf(path+".name", "%s: duplicate target name %q", path, t.Name)
		}
		names[t.Name] = true
		if err := p.validateTarget(t, path, creds); err != nil {
			return err
		}
	}
	return nil
}

func (p *parser) validateCredential(cr *Credential, path string) error {
	kinds := 0
	for _, set := range []bool{cr.Azure != nil, cr.Huawei != nil, cr.Astra != nil} {
		if set {
			kinds++
		}
	}
	if kinds != 1 {
		for _, kind := range []string{"azure", "huawei", "astra"} {
			if kinds == 0 && p.has(path+"."+kind) {
				return p.errorf(path+"."+kind, "credential %q: %s: is empty; see the configuration reference for its keys", cr.Name, kind)
			}
		}
		return p.errorf(path, "credential %q: exactly one of azure, huawei or astra must be set", cr.Name)
	}
	if f := cr.TLSConfig.CAFile; f != "" {
		pem, err := os.ReadFile(f)
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
	default:
		return p.secretSource(cr.Name, path+".astra", "api_token", cr.Astra.APIToken, cr.Astra.APITokenFile)
	}
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

// readable checks that a credential file can be read and is not empty,
// so that --config.check catches what would fail every scrape.
func (p *parser) readable(path, cred, key, file string) error {
	b, err := os.ReadFile(file)
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
			return p.errorf(path+".tenant_id", "credential %q: tenant_id must be a UUID, got %q", name, a.TenantID)
		}
		if !reUUID.MatchString(a.ClientID) {
			return p.errorf(path+".client_id", "credential %q: client_id must be a UUID, got %q", name, a.ClientID)
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
			return p.errorf(path+".client_id", "credential %q: client_id must be a UUID, got %q", name, a.ClientID)
		}
	case AzureAuthWorkloadIdentity:
		if a.TenantID != "" && !reUUID.MatchString(a.TenantID) {
			return p.errorf(path+".tenant_id", "credential %q: tenant_id must be a UUID, got %q", name, a.TenantID)
		}
		if a.ClientID != "" && !reUUID.MatchString(a.ClientID) {
			return p.errorf(path+".client_id", "credential %q: client_id must be a UUID, got %q", name, a.ClientID)
		}
		if a.TokenFile != "" {
			if err := p.readable(path+".token_file", name, "token_file", a.TokenFile); err != nil {
				return err
			}
		}
	case "":
		return p.errorf(path, "credential %q: azure.auth is required (client_secret, client_certificate, managed_identity, workload_identity, azure_cli or default)", name)
	default:
		return p.errorf(path+".auth", "credential %q: unknown azure.auth %q (want client_secret, client_certificate, managed_identity, workload_identity, azure_cli or default)", name, a.Auth)
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
		return p.errorf(path+".cloud", "credential %q: unknown cloud %q (want public, china, usgovernment or custom)", name, a.Cloud)
	}
	return nil
}

func (p *parser) httpsURL(path, what, v string) error {
	if v == "" {
		return p.errorf(path, "%s is required", what)
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return p.errorf(path, "%s must be an http(s) URL, got %q", what, v)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return p.errorf(path, "%s must not have a query or fragment", what)
	}
	return nil
}

func (p *parser) validateTarget(t *Target, path string, creds map[string]*Credential) error {
	where := fmt.Sprintf("target %q", t.Name)
	keys, ok := targetKeys[t.Type]
	if !ok {
		if t.Type == "" {
			return p.errorf(path, "%s: type is required (azure_netapp_files, azure_postgresql_ltr, huawei_cbr or astra)", where)
		}
		return p.errorf(path+".type", "%s: unknown type %q (want azure_netapp_files, azure_postgresql_ltr, huawei_cbr or astra)", where, t.Type)
	}
	for key := range p.keys {
		rest, ok := strings.CutPrefix(key, path+".")
		if !ok || strings.ContainsAny(rest, ".[") {
			continue
		}
		if !slices.Contains(keys.allowed, rest) && !slices.Contains(commonTargetKeys, rest) {
			return p.errorf(key, "%s: key %q does not apply to type %s", where, rest, t.Type)
		}
	}
	for _, key := range keys.required {
		if !p.has(path+"."+key) || targetValue(t, key) == "" {
			return p.errorf(path, "%s: %s is required for type %s", where, key, t.Type)
		}
	}
	if t.Credential == "" {
		return p.errorf(path, "%s: credential is required", where)
	}
	cr, ok := creds[t.Credential]
	if !ok {
		return p.errorf(path+".credential", "%s: credential %q is not defined under credentials", where, t.Credential)
	}
	want := map[string]bool{
		TypeAzureNetAppFiles:   cr.Azure != nil,
		TypeAzurePostgreSQLLTR: cr.Azure != nil,
		TypeHuaweiCBR:          cr.Huawei != nil,
		TypeAstra:              cr.Astra != nil,
	}
	if !want[t.Type] {
		return p.errorf(path+".credential", "%s: type %s needs a %s: credential; %q is not one", where, t.Type, credentialKind(t.Type), t.Credential)
	}
	if p.has(path+".expected_interval") && t.ExpectedInterval <= 0 {
		return p.errorf(path+".expected_interval", "%s: expected_interval must be greater than 0", where)
	}

	check := func(key, v string, re *regexp.Regexp) error {
		if v != "" && !re.MatchString(v) {
			return p.errorf(path+"."+key, "%s: %s %q must match %s", where, key, v, re)
		}
		return nil
	}
	var checks []error
	switch t.Type {
	case TypeAzureNetAppFiles, TypeAzurePostgreSQLLTR:
		if !reUUID.MatchString(t.SubscriptionID) {
			return p.errorf(path+".subscription_id", "%s: subscription_id must be a UUID, got %q", where, t.SubscriptionID)
		}
		checks = append(checks,
			check("resource_group", t.ResourceGroup, reResourceGroup),
			check("api_version", t.APIVersion, reAPIVersion),
			check("account", t.Account, reANFAccount),
			check("pool", t.Pool, reANFPool),
			check("backup_vault", t.BackupVault, reANFPool),
			check("volume", t.Volume, reANFVolume),
			check("backup", t.Backup, rePGName),
		)
		if t.Server != "" && (len(t.Server) < 3 || len(t.Server) > 63 || !rePGName.MatchString(t.Server)) {
			return p.errorf(path+".server", "%s: server %q must be 3 to 63 characters matching %s", where, t.Server, rePGName)
		}
		if t.Volume != "" && t.Pool == "" {
			return p.errorf(path+".volume", "%s: volume needs pool", where)
		}
		if t.Backup != "" && t.Server == "" {
			return p.errorf(path+".backup", "%s: backup needs server", where)
		}
	case TypeHuaweiCBR, TypeAstra:
		if t.Type == TypeHuaweiCBR && t.Region != "" {
			if !reRegion.MatchString(t.Region) {
				return p.errorf(path+".region", "%s: region %q must look like cn-north-4", where, t.Region)
			}
			if p.has(path + ".endpoint") {
				return p.errorf(path+".endpoint", "%s: give endpoint or region, not both", where)
			}
		}
		if t.Type == TypeHuaweiCBR && t.Endpoint == "" {
			return p.errorf(path, "%s: endpoint or region is required for type huawei_cbr", where)
		}
		if err := p.httpsURL(path+".endpoint", where+": endpoint", t.Endpoint); err != nil {
			return err
		}
		checks = append(checks,
			check("project_id", t.ProjectID, reCBRID),
			check("backup_id", t.BackupID, reAstraID),
			check("vault_id", t.VaultID, reCBRID),
			check("resource_id", t.ResourceID, reCBRID),
			check("account_id", t.AccountID, reAstraID),
			check("app_id", t.AppID, reAstraID),
		)
	}
	return firstNonNil(checks)
}

func firstNonNil(errs []error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func credentialKind(typ string) string {
	switch typ {
	case TypeHuaweiCBR:
		return "huawei"
	case TypeAstra:
		return "astra"
	}
	return "azure"
}

func targetValue(t *Target, key string) string {
	switch key {
	case "subscription_id":
		return t.SubscriptionID
	case "resource_group":
		return t.ResourceGroup
	case "account":
		return t.Account
	case "endpoint":
		return t.Endpoint
	case "project_id":
		return t.ProjectID
	case "account_id":
		return t.AccountID
	}
	return "set"
}
