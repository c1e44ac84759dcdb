package kubernetes

import (
	"context"
	"regexp"

	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/config"
)

// reNamespace is a namespace name: a DNS-1123 label of at most 63
// characters.
var reNamespace = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)

// ValidNamespace reports whether name is a namespace name (a DNS-1123
// label: lower-case letters, digits and '-', at most 63 characters).
func ValidNamespace(name string) bool { return reNamespace.MatchString(name) }

// CheckNamespaces is the validation of a target's list of namespaces
// (key): each a namespace name, none twice. Its error names the file,
// line and key.
func CheckNamespaces(v *config.Validator, key string, names []string) error {
	seen := make(map[string]bool, len(names))
	for i, ns := range names {
		if !ValidNamespace(ns) {
			return v.Errorf(key, "%s entry %d %s is not a namespace name (lower-case letters, digits and '-', at most 63)", key, i+1, v.Shown(key, ns))
		}
		if seen[ns] {
			return v.Errorf(key, "%s lists %q twice", key, ns)
		}
		seen[ns] = true
	}
	return nil
}

// ListIn reads a namespaced resource of the API group and version at
// prefix (/apis/group/version) in each of namespaces, one list each, or
// across the cluster in one list when namespaces is empty; every item is
// decoded as a T and checked (ListOf).
func ListIn[T any, PT interface {
	*T
	toolkit.Checked
}](ctx context.Context, c *Client, prefix, resource string, namespaces []string, opts ListOptions) ([]T, error) {
	if len(namespaces) == 0 {
		return ListOf[T, PT](ctx, c, resource, prefix+"/"+resource, opts)
	}
	var out []T
	for _, ns := range namespaces {
		items, err := ListOf[T, PT](ctx, c, resource, prefix+"/namespaces/"+ns+"/"+resource, opts)
		if err != nil {
			return nil, err
		}
		out = append(out, items...)
	}
	return out, nil
}
