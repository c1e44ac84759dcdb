package config

import (
	"context"
	"fmt"
	"strings"
)

// Secret is a configuration value that must never be shown: it prints,
// marshals and formats as <secret>. Use string(s) where the value is sent.
type Secret string

const redacted = "<secret>"

// String implements fmt.Stringer.
func (Secret) String() string { return redacted }

// GoString implements fmt.GoStringer so that %#v redacts too.
func (Secret) GoString() string { return redacted }

// Format implements fmt.Formatter: every verb prints <secret>.
func (Secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(redacted)) }

// MarshalYAML implements yaml.Marshaler.
func (s Secret) MarshalYAML() (any, error) {
	if s == "" {
		return "", nil
	}
	return redacted, nil
}

// MarshalJSON implements json.Marshaler.
func (s Secret) MarshalJSON() ([]byte, error) {
	if s == "" {
		return []byte(`""`), nil
	}
	return []byte(`"` + redacted + `"`), nil
}

// ResolveSecret returns inline, or the content of file read now (so that a
// rotated file is picked up without a reload), without trailing newline.
// The file is read as ReadFile does, within ctx: an authorizer passes its
// request's context, so a hung file fails the request, never the process.
func ResolveSecret(ctx context.Context, inline Secret, file string) (string, error) {
	if file == "" {
		return string(inline), nil
	}
	b, err := ReadFile(ctx, file)
	if err != nil {
		return "", fmt.Errorf("read secret file: %w", err)
	}
	s := strings.TrimRight(string(b), "\r\n\t ")
	if s == "" {
		return "", fmt.Errorf("secret file %s is empty", file)
	}
	return s, nil
}
