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
	// Credential is the type of credential the target type needs
	// (CredentialAzure, ...).
	Credential string
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

// Validator reports errors in the keys of one target, located at the
// key's line and prefixed with the target's name.
type Validator struct {
	p      *parser
	path   string // e.g. "targets[2]"
	target string
	typ    string
}

// Errorf returns an error located at key (the target itself when key is
// ""), its message prefixed with `target "name": `.
func (v *Validator) Errorf(key, format string, args ...any) error {
	path := v.path
	if key != "" {
		path += "." + key
	}
	return v.p.errorf(path, "target %q: %s", v.target, fmt.Sprintf(format, args...))
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
	return v.p.httpsURL(v.path+"."+key, fmt.Sprintf("target %q: %s", v.target, key), value)
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
}

func newKinds(list []TargetType) (*kinds, error) {
	k := &kinds{byType: map[string]TargetType{}, keys: map[string][]string{}}
	for _, kind := range list {
		if _, dup := k.byType[kind.Name]; dup {
			return nil, fmt.Errorf("target type %q registered twice", kind.Name)
		}
		k.byType[kind.Name] = kind
		k.order = append(k.order, kind.Name)
		for key := range yamlFields(reflect.TypeOf(kind.NewSpec())) {
			k.keys[key] = append(k.keys[key], kind.Name)
		}
	}
	return k, nil
}

// list is "a, b or c", for error messages.
func (k *kinds) list() string {
	switch n := len(k.order); n {
	case 0:
		return "none registered"
	case 1:
		return k.order[0]
	default:
		return strings.Join(k.order[:n-1], ", ") + " or " + k.order[n-1]
	}
}

// specType is the spec struct type of typ, or nil.
func (k *kinds) specType(typ string) reflect.Type {
	kind, ok := k.byType[typ]
	if !ok {
		return nil
	}
	return reflect.TypeOf(kind.NewSpec())
}
