package config

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// reUUID is the form of a UUID (Validator.UUID).
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
	var blocks []string
	for _, name := range p.kinds.credOrder {
		if p.has(path + "." + name) {
			blocks = append(blocks, name)
		}
	}
	if len(blocks) != 1 {
		return p.errorf(path, "credential %q: exactly one of %s must be set", cr.Name, joinOr(p.kinds.credOrder))
	}
	if cr.Spec == nil {
		return p.errorf(path+"."+blocks[0], "credential %q: %s: is empty; see the configuration reference for its keys", cr.Name, blocks[0])
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
	return cr.Spec.Validate(&Validator{p: p, path: path + "." + cr.Type, what: fmt.Sprintf("credential %q", cr.Name), typ: cr.Type})
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Path, pe.Err)
	}
	return err
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
	if cr.Type != kind.Credential.Name && !badCreds[t.Credential] {
		return p.errorf(path+".credential", "%s: type %s needs a %s: credential; %q is not one", where, t.Type, kind.Credential.Name, t.Credential)
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
	if err := p.validateOwners(t, path, where); err != nil {
		return err
	}
	return t.Spec.Validate(&Validator{p: p, path: path, what: where, typ: t.Type})
}

// identityLabels are the labels of every per-resource series, which a
// static label must not take.
var identityLabels = []string{"provider", "target", "resource_id", "resource_name"}

// reLabelName is the form of a Prometheus label name.
var reLabelName = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// ownerPrefixes are the prefixes of the labels backup_resource_info makes
// of tags (and Prometheus' own): a static label must not look like one.
var ownerPrefixes = []string{"tag_", "vault_tag_", "label_", "__"}

// validateOwners checks the keys of backup_resource_info (config.md):
// allowlist entries not empty and with at most one "*", static label names
// valid, none an identity label or with a prefix of the tag labels, and a
// refresh above 0. Errors name the entry or label name, never a value.
func (p *parser) validateOwners(t *Target, path, where string) error {
	for i, entry := range t.ResourceLabels {
		key := fmt.Sprintf("%s.resource_labels[%d]", path, i)
		switch n := strings.Count(entry, "*"); {
		case entry == "":
			return p.errorf(key, "%s: resource_labels[%d] is empty: give a tag or label key, or a key with one *", where, i)
		case n > 1:
			return p.errorf(key, "%s: resource_labels[%d] holds %d *: at most one is allowed (team.example.com/*)", where, i, n)
		}
	}
	names := make([]string, 0, len(t.StaticLabels))
	for name := range t.StaticLabels {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		key := path + ".static_labels." + name
		if !reLabelName.MatchString(name) {
			return p.errorf(key, "%s: static_labels: %s is not a label name (%s)", where, strconv.Quote(name), reLabelName)
		}
		if slices.Contains(identityLabels, name) {
			return p.errorf(key, "%s: static_labels: %s is an identity label of every series; choose another name", where, name)
		}
		for _, prefix := range ownerPrefixes {
			if strings.HasPrefix(name, prefix) {
				return p.errorf(key, "%s: static_labels: %s must not start with %s (tag_, vault_tag_ and label_ are the resources' own tags and labels, __ is Prometheus')", where, name, prefix)
			}
		}
	}
	if p.has(path+".resource_labels_refresh") && t.ResourceLabelsRefresh <= 0 {
		return p.errorf(path+".resource_labels_refresh", "%s: resource_labels_refresh must be greater than 0", where)
	}
	return nil
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
