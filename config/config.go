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
	"slices"
	"strconv"
	"strings"

	"github.com/alecthomas/units"
	"gopkg.in/yaml.v3"
)

// Load reads and parses the configuration file at path, whose targets may
// be of the given kinds. Errors name the file, the line and the key at
// fault.
func Load(path string, kinds []TargetType) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read configuration: %w", err)
	}
	return Parse(data, path, kinds)
}

// Parse decodes data strictly (unknown keys are errors), expands ${ENV}
// references, applies defaults and validates the result. file is used in
// error messages only; kinds are the target types it may hold. Every error
// found is reported, one per line, sorted by line (a YAML syntax error
// stops the reading: nothing after it can be trusted).
func Parse(data []byte, file string, kinds []TargetType) (*Config, error) {
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

	p := &parser{file: file, keys: map[string]int{}, kinds: ks, targets: map[string]*yaml.Node{}, credentials: map[string]*yaml.Node{}, foreign: map[string][]string{},
		expanded: map[*yaml.Node]bool{}, fromEnv: map[string]bool{}, unexpanded: map[*yaml.Node]bool{}, bad: map[string]bool{}}
	if file != "<config>" {
		p.dir = filepath.Dir(file)
	}
	p.expandEnv(root)
	p.add(p.checkKeys(root, reflect.TypeFor[Config](), ""))
	cfg := &Config{File: file}
	if err := root.Decode(cfg); err != nil && len(p.errs) == 0 {
		// The keys were checked one by one: an error here is one they did
		// not catch. Once they have reported theirs, the partial decode
		// is enough to check the rest.
		return nil, fmt.Errorf("%s", locate(file, err))
	}
	p.decodeSpecs(cfg)
	p.applyDefaults(cfg)
	p.validate(cfg)
	if err := p.err(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// add records err (nil: nothing).
func (p *parser) add(err error) {
	if err != nil {
		p.errs = append(p.errs, err)
	}
}

// err is every recorded error, sorted by line (those without a line
// last), one per line; the error itself when there is one.
func (p *parser) err() error {
	switch len(p.errs) {
	case 0:
		return nil
	case 1:
		return p.errs[0]
	}
	slices.SortStableFunc(p.errs, func(a, b error) int {
		la, lb := p.lineOf(a), p.lineOf(b)
		switch {
		case la == lb:
			return 0
		case la == 0:
			return 1
		case lb == 0:
			return -1
		}
		return la - lb
	})
	return errors.Join(p.errs...)
}

// lineOf is the line an error message locates ("file:12: ..."), else 0.
func (p *parser) lineOf(err error) int {
	rest, ok := strings.CutPrefix(err.Error(), p.file+":")
	if !ok {
		return 0
	}
	digits, _, _ := strings.Cut(rest, ":")
	n, _ := strconv.Atoi(digits)
	return n
}

// drop empties the value n of the key at path, whose error is recorded,
// so that decoding the rest of the file does not stop at it, and marks its
// entry bad.
func (p *parser) drop(n *yaml.Node, path string) {
	*n = yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Line: n.Line, Column: n.Column}
	p.markBad(path)
}

// markBad records that the entry holding the key at path (global, a
// credential, a target, or a top-level list) has a key error: its own
// validation is skipped, since a key that could not be decoded would only
// add errors about its zero value.
func (p *parser) markBad(path string) {
	if i := strings.IndexByte(path, ']'); i >= 0 {
		path = path[:i+1]
	} else if i := strings.IndexByte(path, '.'); i >= 0 {
		path = path[:i]
	}
	p.bad[path] = true
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
	// credentials are the nodes of the credentials, by path
	// ("credentials[0]").
	credentials map[string]*yaml.Node
	// foreign lists, per target path, the keys that belong to another
	// type than the target's, in file order.
	foreign map[string][]string
	// expanded are the scalars that came from ${VAR}, and fromEnv the
	// paths of their keys: their values are never quoted in errors
	// (people paste secrets into the wrong key).
	expanded map[*yaml.Node]bool
	fromEnv  map[string]bool
	// unexpanded are the scalars whose ${VAR} could not be expanded.
	unexpanded map[*yaml.Node]bool
	// errs are the errors found so far; bad the entries (global,
	// credentials[i], targets[i], ...) with a key error.
	errs []error
	bad  map[string]bool
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
func (p *parser) expandEnv(n *yaml.Node) {
	if n.Kind == yaml.ScalarNode && strings.Contains(n.Value, "$") {
		v, err := expand(n.Value)
		if err != nil {
			p.add(fmt.Errorf("%s:%d: %w", p.file, n.Line, err))
			p.unexpanded[n] = true
			// Neither the reference nor a part of it is shown again.
			n.Value = ""
			return
		}
		if v != strings.ReplaceAll(n.Value, "$$", "$") {
			p.expanded[n] = true
		}
		n.Value = v
	}
	for _, c := range n.Content {
		p.expandEnv(c)
	}
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
			err := fmt.Errorf("%s:%d: %s must be a mapping", p.file, n.Line, describe(path))
			p.drop(n, path)
			return err
		}
		fields := yamlFields(t)
		isTarget := t == reflect.TypeFor[Target]()
		isCredential := t == reflect.TypeFor[Credential]()
		var spec map[string]reflect.Type
		if isTarget {
			p.targets[path] = n
			if st := p.kinds.specType(mappingValue(n, "type")); st != nil {
				spec = yamlFields(st)
			}
		}
		if isCredential {
			p.credentials[path] = n
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			key := join(path, k.Value)
			ft, ok := fields[k.Value]
			if !ok && isTarget {
				ft, ok = p.targetKey(path, k.Value, spec)
			}
			if !ok && isCredential {
				// The block of a credential type: its spec's keys.
				ft = p.kinds.credentialSpecType(k.Value)
				ok = ft != nil
			}
			if !ok {
				// Not decoded: the entry's other keys are still checked.
				p.add(fmt.Errorf("%s:%d: unknown key %q in %s", p.file, k.Line, k.Value, describe(path)))
				continue
			}
			p.keys[key] = k.Line
			if p.expanded[v] {
				p.fromEnv[key] = true
			}
			if p.unexpanded[v] {
				p.markBad(key)
			}
			p.add(p.checkKeys(v, ft, key))
		}
	case t.Kind() == reflect.Slice:
		if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
			return nil
		}
		if n.Kind != yaml.SequenceNode {
			err := fmt.Errorf("%s:%d: %s must be a list", p.file, n.Line, describe(path))
			p.drop(n, path)
			return err
		}
		for i, c := range n.Content {
			key := path + "[" + strconv.Itoa(i) + "]"
			p.keys[key] = c.Line
			p.add(p.checkKeys(c, t.Elem(), key))
		}
	default:
		if t.Kind() == reflect.Map && n.Kind == yaml.MappingNode {
			// The line of each key of a map (static_labels), for errors
			// about one of them.
			for i := 0; i+1 < len(n.Content); i += 2 {
				p.keys[join(path, n.Content[i].Value)] = n.Content[i].Line
			}
		}
		if err := p.checkNumber(n, t, path); err != nil {
			p.drop(n, path)
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
			err := fmt.Errorf("%s:%d: %s: %s", p.file, n.Line, path, msg)
			p.drop(n, path)
			return err
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

// decodeSpecs decodes each target's provider keys into its kind's spec,
// and each credential's block into its type's spec. Targets of an unknown
// type, and credentials without exactly one block, get none; validate
// reports them.
func (p *parser) decodeSpecs(c *Config) {
	for i := range c.Credentials {
		cr := &c.Credentials[i]
		path := fmt.Sprintf("credentials[%d]", i)
		n := p.credentials[path]
		if n == nil || p.bad[path] {
			continue
		}
		var blocks []int
		for j := 0; j+1 < len(n.Content); j += 2 {
			if _, ok := p.kinds.creds[n.Content[j].Value]; ok {
				blocks = append(blocks, j)
			}
		}
		if len(blocks) != 1 {
			continue
		}
		name, block := n.Content[blocks[0]].Value, n.Content[blocks[0]+1]
		cr.Type = name
		if block.Kind == yaml.ScalarNode && block.Tag == "!!null" {
			// Empty: valid for a type where empty means something.
			if p.kinds.creds[name].AllowEmpty {
				cr.Spec = p.kinds.creds[name].NewSpec()
			}
			continue
		}
		spec := p.kinds.creds[name].NewSpec()
		if err := block.Decode(spec); err != nil {
			if !p.bad[path] {
				p.add(fmt.Errorf("%s", locate(p.file, err)))
			}
			p.markBad(path)
			continue
		}
		cr.Spec = spec
	}
	for i := range c.Targets {
		t := &c.Targets[i]
		path := fmt.Sprintf("targets[%d]", i)
		kind, ok := p.kinds.byType[t.Type]
		n := p.targets[path]
		if !ok || n == nil {
			continue
		}
		spec := kind.NewSpec()
		if err := n.Decode(spec); err != nil {
			if !p.bad[path] {
				p.add(fmt.Errorf("%s", locate(p.file, err)))
			}
			p.markBad(path)
			continue
		}
		t.Spec = spec
	}
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
	if !p.has("global.max_pages_per_list") {
		c.Global.MaxPagesPerList = DefaultMaxPagesPerList
	}
	if !p.has("global.max_items_per_poll") {
		c.Global.MaxItemsPerPoll = DefaultMaxItemsPerPoll
	}
	for i := range c.Targets {
		t := &c.Targets[i]
		if t.ExpectedIntervalSet = p.has(fmt.Sprintf("targets[%d].expected_interval", i)); !t.ExpectedIntervalSet {
			t.ExpectedInterval = DefaultExpectedInterval
		}
		if !p.has(fmt.Sprintf("targets[%d].poll_timeout", i)) {
			t.PollTimeout = c.Global.PollTimeout
		}
		if !p.has(fmt.Sprintf("targets[%d].max_pages_per_list", i)) {
			t.MaxPagesPerList = c.Global.MaxPagesPerList
		}
		if !p.has(fmt.Sprintf("targets[%d].max_items_per_poll", i)) {
			t.MaxItemsPerPoll = c.Global.MaxItemsPerPoll
		}
		if !p.has(fmt.Sprintf("targets[%d].resource_labels_refresh", i)) {
			t.ResourceLabelsRefresh = DefaultResourceLabelsRefresh
		}
	}
	for i := range c.Credentials {
		cr := &c.Credentials[i]
		files := []*string{&cr.TLSConfig.CAFile}
		if f, ok := cr.Spec.(CredentialFiles); ok {
			files = append(files, f.Files()...)
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

// MarshalYAML writes the credential's name, its block and its
// tls_config, as the file has them.
func (c Credential) MarshalYAML() (any, error) {
	type common Credential // without this method
	var n yaml.Node
	if err := n.Encode(common(c)); err != nil {
		return nil, err
	}
	if c.Type != "" {
		s := yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null"}
		if c.Spec != nil {
			if err := s.Encode(c.Spec); err != nil {
				return nil, err
			}
		}
		// After the name, as people write it.
		key := &yaml.Node{Kind: yaml.ScalarNode, Value: c.Type}
		n.Content = append(n.Content[:2], append([]*yaml.Node{key, &s}, n.Content[2:]...)...)
	}
	return &n, nil
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
