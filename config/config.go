// Package config reads, validates and reloads the backup_exporter
// configuration file described in the configuration contract.
package config

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"

	"github.com/alecthomas/units"
	"gopkg.in/yaml.v3"
)

// Load reads and parses the configuration file at path, whose targets may
// be of the given kinds. Errors name the file, the line and the key at
// fault.
func Load(path string, kinds []Kind) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read configuration: %w", err)
	}
	return Parse(data, path, kinds)
}

// Parse decodes data strictly (unknown keys are errors), expands ${ENV}
// references, applies defaults and validates the result. file is used in
// error messages only; kinds are the target types it may hold.
func Parse(data []byte, file string, kinds []Kind) (*Config, error) {
	if file == "" {
		file = "<config>"
	}
	ks, err := newKinds(kinds)
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: the file is empty; it needs at least one target", file)
		}
		return nil, fmt.Errorf("%s", locate(file, err))
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}

	p := &parser{file: file, keys: map[string]int{}, kinds: ks, targets: map[string]*yaml.Node{}, foreign: map[string][]string{},
		expanded: map[*yaml.Node]bool{}, fromEnv: map[string]bool{}}
	if file != "<config>" {
		p.dir = filepath.Dir(file)
	}
	if err := p.expandEnv(root); err != nil {
		return nil, err
	}
	if err := p.checkKeys(root, reflect.TypeFor[Config](), ""); err != nil {
		return nil, err
	}
	cfg := &Config{File: file}
	if err := root.Decode(cfg); err != nil {
		return nil, fmt.Errorf("%s", locate(file, err))
	}
	if err := p.decodeSpecs(cfg); err != nil {
		return nil, err
	}
	p.applyDefaults(cfg)
	if err := p.validate(cfg); err != nil {
		return nil, err
	}
	return cfg, nil
}

// locate rewrites yaml's "yaml: line N: msg" as "file:N: msg".
func locate(file string, err error) string {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	// Several errors ("unmarshal errors:\n  line 18: ..."): the first.
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if n, m, ok := strings.Cut(rest, ": "); ok {
			if _, err := strconv.Atoi(n); err == nil {
				return file + ":" + n + ": " + m
			}
		}
	}
	return file + ": " + msg
}

// parser carries what error messages need: the file name and the line of
// every key seen, by its path (e.g. "targets[1].volume").
type parser struct {
	file  string
	dir   string // resolves relative *_file paths
	keys  map[string]int
	kinds *kinds
	// targets are the nodes of the targets, by path ("targets[1]").
	targets map[string]*yaml.Node
	// foreign lists, per target path, the keys that belong to another
	// type than the target's, in file order.
	foreign map[string][]string
	// expanded are the scalars that came from ${VAR}, and fromEnv the
	// paths of their keys: their values are never quoted in errors
	// (people paste secrets into the wrong key).
	expanded map[*yaml.Node]bool
	fromEnv  map[string]bool
	// files bounds the reading of the files the validation checks (see
	// validate).
	files context.Context
}

// shown is v as an error message may show it: quoted, unless it came from
// an environment variable.
func (p *parser) shown(path, v string) string {
	if p.fromEnv[path] {
		return "a value from the environment (not shown)"
	}
	return strconv.Quote(v)
}

// errorf formats an error located at the key path, or at the closest
// enclosing key that has a line.
func (p *parser) errorf(path, format string, args ...any) error {
	line := p.line(path)
	msg := fmt.Sprintf(format, args...)
	if line > 0 {
		return fmt.Errorf("%s:%d: %s", p.file, line, msg)
	}
	return fmt.Errorf("%s: %s", p.file, msg)
}

func (p *parser) line(path string) int {
	for path != "" {
		if l, ok := p.keys[path]; ok {
			return l
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return 0
}

func (p *parser) has(path string) bool {
	_, ok := p.keys[path]
	return ok
}

// expandEnv replaces ${NAME} in every scalar value with the environment
// variable's value; "$$" stands for a literal "$". An unset variable is an
// error rather than an empty secret.
func (p *parser) expandEnv(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode && strings.Contains(n.Value, "$") {
		v, err := expand(n.Value)
		if err != nil {
			return fmt.Errorf("%s:%d: %w", p.file, n.Line, err)
		}
		if v != strings.ReplaceAll(n.Value, "$$", "$") {
			p.expanded[n] = true
		}
		n.Value = v
	}
	for _, c := range n.Content {
		if err := p.expandEnv(c); err != nil {
			return err
		}
	}
	return nil
}

func expand(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i++
		case '{':
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				return "", fmt.Errorf("unterminated ${ (the value is not shown: it may be a secret)")
			}
			name := s[i+2 : i+end]
			v, ok := os.LookupEnv(name)
			if !ok || name == "" {
				return "", fmt.Errorf("environment variable %q is not set", name)
			}
			b.WriteString(v)
			i += end
		default:
			b.WriteByte('$')
		}
	}
	return b.String(), nil
}

// checkKeys walks the YAML tree along the Go type, rejecting keys that the
// type does not have (yaml.v3 cannot do this for a decoded yaml.Node) and
// recording the line of every key for later messages.
func (p *parser) checkKeys(n *yaml.Node, t reflect.Type, path string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	switch {
	case t.Kind() == reflect.Struct && !isScalarType(t):
		if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
			return nil
		}
		if n.Kind != yaml.MappingNode {
			return fmt.Errorf("%s:%d: %s must be a mapping", p.file, n.Line, describe(path))
		}
		fields := yamlFields(t)
		isTarget := t == reflect.TypeFor[Target]()
		var spec map[string]reflect.Type
		if isTarget {
			p.targets[path] = n
			if st := p.kinds.specType(mappingValue(n, "type")); st != nil {
				spec = yamlFields(st)
			}
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			key := join(path, k.Value)
			ft, ok := fields[k.Value]
			if !ok && isTarget {
				ft, ok = p.targetKey(path, k.Value, spec)
			}
			if !ok {
				return fmt.Errorf("%s:%d: unknown key %q in %s", p.file, k.Line, k.Value, describe(path))
			}
			p.keys[key] = k.Line
			if p.expanded[v] {
				p.fromEnv[key] = true
			}
			if err := p.checkKeys(v, ft, key); err != nil {
				return err
			}
		}
	case t.Kind() == reflect.Slice:
		if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
			return nil
		}
		if n.Kind != yaml.SequenceNode {
			return fmt.Errorf("%s:%d: %s must be a list", p.file, n.Line, describe(path))
		}
		for i, c := range n.Content {
			key := path + "[" + strconv.Itoa(i) + "]"
			p.keys[key] = c.Line
			if err := p.checkKeys(c, t.Elem(), key); err != nil {
				return err
			}
		}
	default:
		if err := p.checkNumber(n, t, path); err != nil {
			return err
		}
		// Decode each leaf on its own so that a bad value is reported with
		// its line and key (model.Duration's errors carry neither).
		if err := n.Decode(reflect.New(t).Interface()); err != nil {
			msg := strings.TrimPrefix(err.Error(), "yaml: ")
			if te, ok := err.(*yaml.TypeError); ok && len(te.Errors) > 0 {
				msg = te.Errors[0]
				if _, rest, ok := strings.Cut(msg, ": "); ok && strings.HasPrefix(msg, "line ") {
					msg = rest
				}
			}
			return fmt.Errorf("%s:%d: %s: %s", p.file, n.Line, path, msg)
		}
	}
	return nil
}

// targetKey finds a provider key of the target at path: one of its own
// type's spec, or one that another type accepts (an error of the target's,
// reported once the configuration is decoded). spec is nil when the
// target's type is unknown: any type's key is then accepted here.
func (p *parser) targetKey(path, key string, spec map[string]reflect.Type) (reflect.Type, bool) {
	if ft, ok := spec[key]; ok {
		return ft, true
	}
	types := p.kinds.keys[key]
	if len(types) == 0 {
		return nil, false
	}
	if spec != nil {
		p.foreign[path] = append(p.foreign[path], key)
	}
	return yamlFields(p.kinds.specType(types[0]))[key], true
}

// mappingValue is the scalar value of key in mapping n, or "".
func mappingValue(n *yaml.Node, key string) string {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key && n.Content[i+1].Kind == yaml.ScalarNode {
			return n.Content[i+1].Value
		}
	}
	return ""
}

// decodeSpecs decodes each target's provider keys into its kind's spec.
// Targets of an unknown type get none; validate reports them.
func (p *parser) decodeSpecs(c *Config) error {
	for i := range c.Targets {
		t := &c.Targets[i]
		kind, ok := p.kinds.byType[t.Type]
		n := p.targets[fmt.Sprintf("targets[%d]", i)]
		if !ok || n == nil {
			continue
		}
		spec := kind.NewSpec()
		if err := n.Decode(spec); err != nil {
			return fmt.Errorf("%s", locate(p.file, err))
		}
		t.Spec = spec
	}
	return nil
}

// checkNumber refuses what yaml.v3 would quietly change: a fraction for
// an integer key (1.5 would become 1), and a size without a unit.
func (p *parser) checkNumber(n *yaml.Node, t reflect.Type, path string) error {
	if n.Kind != yaml.ScalarNode {
		return nil
	}
	if t == reflect.TypeFor[units.Base2Bytes]() {
		if _, err := strconv.ParseFloat(n.Value, 64); err == nil {
			return fmt.Errorf("%s:%d: %s: a size needs a unit, such as 32MiB or 512KiB", p.file, n.Line, path)
		}
		return nil
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if n.ShortTag() == "!!float" {
			return fmt.Errorf("%s:%d: %s must be a whole number", p.file, n.Line, path)
		}
	}
	return nil
}

// isScalarType reports struct types decoded from a scalar.
func isScalarType(t reflect.Type) bool {
	return reflect.PointerTo(t).Implements(reflect.TypeFor[interface{ UnmarshalText([]byte) error }]())
}

// yamlFields maps the YAML keys of struct type t (or a pointer to one) to
// their field types, flattening fields tagged `,inline`.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	m := make(map[string]reflect.Type, t.NumField())
	for f := range t.Fields() {
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if strings.Contains(","+opts+",", ",inline,") {
			maps.Copy(m, yamlFields(f.Type))
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		m[name] = f.Type
	}
	return m
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func describe(path string) string {
	if path == "" {
		return "the top level"
	}
	return path
}

func (p *parser) applyDefaults(c *Config) {
	if !p.has("global.scrape_timeout") {
		c.Global.ScrapeTimeout = DefaultScrapeTimeout
	}
	if !p.has("global.cache_ttl") {
		c.Global.CacheTTL = DefaultCacheTTL
	}
	if !p.has("global.poll_timeout") {
		c.Global.PollTimeout = DefaultPollTimeout
	}
	if !p.has("global.max_staleness") {
		c.Global.MaxStaleness = 3 * c.Global.CacheTTL
	}
	if !p.has("global.max_concurrency") {
		c.Global.MaxConcurrency = DefaultMaxConcurrency
	}
	if !p.has("global.body_size_limit") {
		c.Global.BodySizeLimit = DefaultBodySizeLimit
	}
	for i := range c.Targets {
		t := &c.Targets[i]
		if t.ExpectedIntervalSet = p.has(fmt.Sprintf("targets[%d].expected_interval", i)); !t.ExpectedIntervalSet {
			t.ExpectedInterval = DefaultExpectedInterval
		}
		if !p.has(fmt.Sprintf("targets[%d].poll_timeout", i)) {
			t.PollTimeout = c.Global.PollTimeout
		}
	}
	for i := range c.Credentials {
		cr := &c.Credentials[i]
		if a := cr.Azure; a != nil && a.Cloud == "" {
			a.Cloud = AzureCloudPublic
		}
		files := []*string{&cr.TLSConfig.CAFile}
		if a := cr.Azure; a != nil {
			files = append(files, &a.ClientSecretFile, &a.CertificateFile, &a.TokenFile)
		}
		if h := cr.Huawei; h != nil {
			files = append(files, &h.SecretKeyFile, &h.AuthTokenFile)
		}
		if a := cr.Astra; a != nil {
			files = append(files, &a.APITokenFile)
		}
		if a := cr.AWS; a != nil {
			files = append(files, &a.SecretAccessKeyFile)
		}
		if k := cr.Kubernetes; k != nil {
			files = append(files, &k.Kubeconfig, &k.BearerTokenFile)
		}
		for _, f := range files {
			*f = p.resolvePath(*f)
		}
	}
}

// resolvePath makes a relative file name relative to the configuration
// file's directory, as Prometheus does, so the exporter's working directory
// does not matter.
func (p *parser) resolvePath(f string) string {
	if f == "" || filepath.IsAbs(f) || p.dir == "" {
		return f
	}
	return filepath.Join(p.dir, f)
}

// String returns the configuration as YAML with every secret redacted, as
// shown by --config.check and logs.
func (c *Config) String() string {
	b, err := yaml.Marshal(c)
	if err != nil {
		return fmt.Sprintf("<config: %v>", err)
	}
	return string(b)
}

// MarshalYAML writes the target's common keys and its spec's keys as one
// mapping, as the file has them.
func (t Target) MarshalYAML() (any, error) {
	type common Target // without this method
	var n yaml.Node
	if err := n.Encode(common(t)); err != nil {
		return nil, err
	}
	if t.Spec != nil {
		var s yaml.Node
		if err := s.Encode(t.Spec); err != nil {
			return nil, err
		}
		n.Content = append(n.Content, s.Content...)
	}
	return &n, nil
}
