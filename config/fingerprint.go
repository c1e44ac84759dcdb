package config

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"reflect"
)

// Fingerprint is a digest of everything in values that shapes what the
// exporter builds from them, secrets included (unlike String, which
// redacts them), so that a reload can tell an unchanged target or
// credential from a changed one. It never leaves the process.
func Fingerprint(values ...any) string {
	h := sha256.New()
	for _, v := range values {
		writeValue(h, reflect.ValueOf(v))
	}
	return hex.EncodeToString(h.Sum(nil))
}

func writeValue(h hash.Hash, v reflect.Value) {
	switch v.Kind() {
	case reflect.Invalid:
		fmt.Fprint(h, "nil;")
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			fmt.Fprint(h, "nil;")
			return
		}
		writeValue(h, v.Elem())
	case reflect.Struct:
		fmt.Fprintf(h, "%s{", v.Type())
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fmt.Fprintf(h, "%s:", v.Type().Field(i).Name)
				writeValue(h, v.Field(i))
			}
		}
		fmt.Fprint(h, "}")
	case reflect.Slice, reflect.Array:
		fmt.Fprintf(h, "[%d:", v.Len())
		for i := range v.Len() {
			writeValue(h, v.Index(i))
		}
		fmt.Fprint(h, "]")
	case reflect.String:
		// Raw, Secret included: %q of the underlying string.
		fmt.Fprintf(h, "%q;", v.String())
	default:
		fmt.Fprintf(h, "%v;", v.Interface())
	}
}

// Fingerprint of the credential: its settings, and the content of the
// files read when it is built (CredentialFiles.BuildFiles: an Azure client
// secret or certificate, a kubeconfig), so that rotating such a file and
// reloading rebuilds it. Files re-read on every request are not included.
// A file that cannot be read (ReadFile: not a regular file, too large, no
// answer within FileReadTimeout) counts as empty: building the credential
// then reports why.
func (c *Credential) Fingerprint() string {
	ctx, cancel := context.WithTimeout(context.Background(), FileReadTimeout)
	defer cancel()
	var files []string
	if spec, ok := c.Spec.(CredentialFiles); ok {
		for _, f := range spec.BuildFiles() {
			if f != "" {
				b, _ := ReadFile(ctx, f)
				files = append(files, string(b))
			}
		}
	}
	return Fingerprint(c, files)
}
