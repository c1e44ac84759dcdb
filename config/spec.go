package config

import (
	"fmt"
	"reflect"
	"regexp"
	"strings"
)

// TargetType is a target type as the configuration knows it: its name,
// the credential type it needs and its own keys. The set of target types
// is passed to Load and Parse (by main, from the provider registry), so
// this package knows nothing of collection.
type TargetType struct {
	// Name is the `type` of the target and its `provider` label.
	Name string
	// Credential is the type of credential the target type needs.
	Credential CredentialType
	// NewSpec returns a pointer to an empty spec struct whose yaml tags
	// are the type's own keys (embedded structs tagged `,inline` share
	// keys between types).
	NewSpec func() TargetSpec
}

// TargetSpec is the provider's part of a target: the keys it accepts as
// yaml-tagged fields, and its own validation.
type TargetSpec interface {
	// Validate checks the keys (required ones, path-parameter patterns)
	// and applies their defaults. Its errors come from v, which names
	// the file, the line and the key.
	Validate(v *Validator) error
}

// CredentialType is a credential type as the configuration knows it: the
// key of its block (azure:, aws:, ...) and its keys. A cloud's package
// owns its credential type, as a provider package owns its target type;
// the target types that need one carry it, so this package names no
// cloud.
type CredentialType struct {
	// Name is the key of the credential's block.
	Name string
	// NewSpec returns a pointer to an empty spec struct whose yaml tags
	// are the block's keys.
	NewSpec func() CredentialSpec
	// AllowEmpty: an empty block is valid and means something (the AWS
	// SDK's default chain, the in-cluster service account); otherwise an
	// empty block is an error.
	AllowEmpty bool
}

// CredentialSpec is the cloud's part of a credential: the keys it accepts
// as yaml-tagged fields, and its own validation. It may also implement
// CredentialFiles.
type CredentialSpec interface {
	// Validate checks the keys and applies their defaults; its errors
	// come from v, which names the file, the line and the key.
	Validate(v *Validator) error
}

// CredentialFiles is a credential spec that names files.
type CredentialFiles interface {
	// Files are the spec's file paths, resolved against the
	// configuration file's directory when relative.
	Files() []*string
	// BuildFiles are the files read when the credential is built (not on
	// every request): their content is part of the credential's
	// fingerprint, so that a reload rebuilds it when they change.
	BuildFiles() []string
}

// Validator reports errors in the keys of one target or credential,
// located at the key's line and prefixed with what it is (`target
// "name"`, `credential "name"`).
type Validator struct {
	p    *parser
	path string // e.g. "targets[2]", "credentials[0].azure"
	what string // `target "name"`
	typ  string
}

// Errorf returns an error located at key (the target or block itself
// when key is ""), its message prefixed with `target "name": ` or
// `credential "name": `.
func (v *Validator) Errorf(key, format string, args ...any) error {
	path := v.path
	if key != "" {
		path += "." + key
	}
	return v.p.errorf(path, "%s: %s", v.what, fmt.Sprintf(format, args...))
}

// Secret checks that a secret is given exactly once, as key inline (or
// ${ENV}) or as key_file, a readable file.
func (v *Validator) Secret(key string, inline Secret, file string) error {
	switch {
	case inline != "" && file != "":
		return v.Errorf(key, "give %s or %s_file, not both", key, key)
	case inline == "" && file == "":
		return v.Errorf("", "%s or %s_file is required", key, key)
	case file != "":
		return v.Readable(key+"_file", file)
	}
	return nil
}

// Readable checks that the file of key can be read (a regular file of at
// most 1 MiB, read in time: ReadFile) and is not empty, so that
// --config.check catches what would fail every poll.
func (v *Validator) Readable(key, file string) error {
	b, err := ReadFile(v.p.files, file)
	if err != nil {
		return v.Errorf(key, "%s: %v", key, unwrapPath(err))
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		return v.Errorf(key, "%s %s is empty", key, file)
	}
	return nil
}

// Shown is value of key as an error may show it: quoted, unless it came
// from an environment variable (then described, never quoted).
func (v *Validator) Shown(key, value string) string { return v.p.shown(v.path+"."+key, value) }

// Has reports whether key is written in the target.
func (v *Validator) Has(key string) bool { return v.p.has(v.path + "." + key) }

// Required fails when key is absent or empty.
func (v *Validator) Required(key, value string) error {
	if !v.Has(key) || value == "" {
		return v.Errorf("", "%s is required for type %s", key, v.typ)
	}
	return nil
}

// Match fails when value is set and does not match re.
func (v *Validator) Match(key, value string, re *regexp.Regexp) error {
	if value != "" && !re.MatchString(value) {
		return v.Errorf(key, "%s %s must match %s", key, v.p.shown(v.path+"."+key, value), re)
	}
	return nil
}

// UUID fails unless value is a UUID.
func (v *Validator) UUID(key, value string) error {
	if !reUUID.MatchString(value) {
		return v.Errorf(key, "%s must be a UUID, got %s", key, v.p.shown(v.path+"."+key, value))
	}
	return nil
}

// URL fails unless value is an http(s) URL without query or fragment.
func (v *Validator) URL(key, value string) error {
	return v.p.httpsURL(v.path+"."+key, v.what+": "+key, value)
}

// First returns the first non-nil error, so that a spec can list its
// checks in order.
func First(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// kinds indexes the kinds given to Parse.
type kinds struct {
	byType map[string]TargetType
	order  []string
	// keys maps each provider key to the types that accept it.
	keys map[string][]string
	// creds are the credential types the target types need, by name, in
	// the order first needed.
	creds     map[string]CredentialType
	credOrder []string
}

func newKinds(list []TargetType) (*kinds, error) {
	k := &kinds{byType: map[string]TargetType{}, keys: map[string][]string{}, creds: map[string]CredentialType{}}
	for _, kind := range list {
		if _, dup := k.byType[kind.Name]; dup {
			return nil, fmt.Errorf("target type %q registered twice", kind.Name)
		}
		k.byType[kind.Name] = kind
		k.order = append(k.order, kind.Name)
		for key := range yamlFields(reflect.TypeOf(kind.NewSpec())) {
			k.keys[key] = append(k.keys[key], kind.Name)
		}
		if c := kind.Credential; c.Name != "" {
			if _, seen := k.creds[c.Name]; !seen {
				k.creds[c.Name] = c
				k.credOrder = append(k.credOrder, c.Name)
			}
		}
	}
	return k, nil
}

// list is "a, b or c" of the target types, for error messages.
func (k *kinds) list() string { return joinOr(k.order) }

// joinOr is "a, b or c".
func joinOr(items []string) string {
	switch n := len(items); n {
	case 0:
		return "none registered"
	case 1:
		return items[0]
	default:
		return strings.Join(items[:n-1], ", ") + " or " + items[n-1]
	}
}

// credentialSpecType is the spec struct type of credential type name, or
// nil.
func (k *kinds) credentialSpecType(name string) reflect.Type {
	c, ok := k.creds[name]
	if !ok {
		return nil
	}
	return reflect.TypeOf(c.NewSpec())
}

// specType is the spec struct type of typ, or nil.
func (k *kinds) specType(typ string) reflect.Type {
	kind, ok := k.byType[typ]
	if !ok {
		return nil
	}
	return reflect.TypeOf(kind.NewSpec())
}
