package toolkit

import (
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/backup-exporter/backup_exporter/config"
)

// backup_resource_info says who owns a resource (docs/metrics.md, "Who
// owns it"): the target's static labels, and the resource's own tags or
// Kubernetes labels that the target's allowlist (resource_labels) admits,
// named as kube-state-metrics names kube_<kind>_labels' labels and YACE
// its tag_* labels. The rules are the target's, built once (NewOwners);
// a poll's labels are made once, when it is rendered.

// Label is one label of a series.
type Label struct {
	Name, Value string
}

// Bounds of the labels made from a resource's tags, whatever an upstream
// returns: keys longer than maxTagKey bytes are left out (Azure's tag
// names, the longest of the clouds', stop at 512 characters), and so are
// the keys after the first maxTagLabels admitted (in key order; Azure and
// AWS allow 50 tags a resource).
const (
	maxTagKey    = 1024
	maxTagLabels = 100
)

// Owners are a target's rules for backup_resource_info. The zero value
// (and nil) has none; an Owners from NewOwners is read-only, safe for
// concurrent use.
type Owners struct {
	allowlist []string
	static    []Label
	// all admits every key (a "*" entry).
	all bool
	// exact maps each exact entry to itself; folded maps each in lower
	// case to the entry as written (first written wins), for tags whose
	// names compare without case.
	exact, folded map[string]string
	patterns      []pattern
}

// pattern is an allowlist entry with one "*": the keys that start with
// prefix and end with suffix (and are at least as long as both).
type pattern struct{ prefix, suffix string }

func (p pattern) match(key string) bool {
	return len(key) >= len(p.prefix)+len(p.suffix) && strings.HasPrefix(key, p.prefix) && strings.HasSuffix(key, p.suffix)
}

// NewOwners returns the rules of a target's resource_labels allowlist and
// static_labels (validated by the configuration: entries not empty, at
// most one "*" each); nil when the target sets neither, and then
// backup_resource_info is not exposed for it.
func NewOwners(allowlist []string, static map[string]string) *Owners {
	if len(allowlist) == 0 && len(static) == 0 {
		return nil
	}
	o := &Owners{allowlist: slices.Clone(allowlist), exact: map[string]string{}, folded: map[string]string{}}
	for name, value := range static {
		o.static = append(o.static, Label{Name: name, Value: value})
	}
	slices.SortFunc(o.static, func(a, b Label) int { return strings.Compare(a.Name, b.Name) })
	for _, entry := range allowlist {
		before, after, wildcard := strings.Cut(entry, "*")
		switch {
		case entry == "":
		case wildcard && before == "" && after == "":
			o.all = true
		case wildcard:
			o.patterns = append(o.patterns, pattern{prefix: before, suffix: after})
		default:
			o.exact[entry] = entry
			if _, dup := o.folded[strings.ToLower(entry)]; !dup {
				o.folded[strings.ToLower(entry)] = entry
			}
		}
	}
	return o
}

// WantsTags reports whether target t's backup_resource_info carries
// labels of the resources' own tags (it sets resource_labels): only then
// need a provider read or keep them.
func WantsTags(t *config.Target) bool { return len(t.ResourceLabels) > 0 }

// Keys are the allowlist as configured and the names of the static
// labels (sorted); nil for no rules.
func (o *Owners) Keys() (allowlist, static []string) {
	if o == nil {
		return nil, nil
	}
	for _, l := range o.static {
		static = append(static, l.Name)
	}
	return slices.Clone(o.allowlist), static
}

// AdmitsTags reports whether the allowlist admits any key: only then
// does a resource's backup_resource_info carry labels of its tags (with
// static labels alone, the tags need not be read).
func (o *Owners) AdmitsTags() bool {
	return o != nil && (o.all || len(o.exact) > 0 || len(o.patterns) > 0)
}

// AdmitsEveryKey reports a "*" entry: every tag or label of every
// resource becomes a label (high cardinality; the exporter warns).
func (o *Owners) AdmitsEveryKey() bool { return o != nil && o.all }

// Labels returns the owner labels of a resource with tags: the static
// labels, then a label for each key the allowlist admits, sorted by name
// (values as upstream gave them: the caller bounds them as any label
// value). skipped counts the keys left out for their length or number.
func (o *Owners) Labels(tags Tags) (labels []Label, skipped int) {
	if o == nil {
		return nil, 0
	}
	if !o.AdmitsTags() || len(tags.Values) == 0 {
		return slices.Clone(o.static), 0
	}
	keys := make([]string, 0, len(tags.Values))
	for k := range tags.Values {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	// The admitted keys in key order, each with the name its label is
	// made from: the entry as written for a case-insensitive match, else
	// the key as returned.
	type admitted struct{ name, key string }
	var picked []admitted
	used := map[string]bool{}
	for _, k := range keys {
		name, ok := o.admit(k, tags.CaseInsensitive)
		switch {
		case !ok:
			continue
		case k == "" || len(k) > maxTagKey || len(picked) == maxTagLabels:
			skipped++
			continue
		case used[name]:
			// Another spelling of a key already admitted (Azure: "Owner"
			// and "owner" on one resource): the first, in key order.
			continue
		}
		used[name] = true
		picked = append(picked, admitted{name: name, key: k})
	}
	names := make([]string, len(picked))
	for i, p := range picked {
		names[i] = labelName(tags.Kind, p.name)
	}
	resolveConflicts(names)
	labels = make([]Label, 0, len(o.static)+len(picked))
	labels = append(labels, o.static...)
	for i, p := range picked {
		labels = append(labels, Label{Name: names[i], Value: tags.Values[p.key]})
	}
	slices.SortFunc(labels, func(a, b Label) int { return strings.Compare(a.Name, b.Name) })
	return labels, skipped
}

// admit says whether the allowlist admits key, and the name of its label
// before the prefix: the entry as written when the key matched it without
// case, else the key.
func (o *Owners) admit(key string, caseInsensitive bool) (string, bool) {
	if o.all {
		return key, true
	}
	if _, ok := o.exact[key]; ok {
		return key, true
	}
	if caseInsensitive {
		if entry, ok := o.folded[strings.ToLower(key)]; ok {
			return entry, true
		}
	}
	for _, p := range o.patterns {
		if p.match(key) || (caseInsensitive && p.matchFold(key)) {
			return key, true
		}
	}
	return "", false
}

func (p pattern) matchFold(key string) bool {
	return len(key) >= len(p.prefix)+len(p.suffix) &&
		strings.EqualFold(key[:len(p.prefix)], p.prefix) && strings.EqualFold(key[len(key)-len(p.suffix):], p.suffix)
}

// labelName is the label of a key of tags of kind: tag_<key> (cloud
// tags, case kept, YACE's form), vault_tag_<key> (Huawei CBR vault tags)
// or label_<key> in snake_case lower case (Kubernetes labels,
// kube-state-metrics' form); every character outside [a-zA-Z0-9_]
// becomes "_".
func labelName(kind TagKind, key string) string {
	s := sanitise(key)
	switch kind {
	case KubernetesLabels:
		return "label_" + strings.ToLower(snakeCase(s))
	case VaultTags:
		return "vault_tag_" + s
	}
	return "tag_" + s
}

// sanitise replaces every character outside [a-zA-Z0-9_] with "_" (each
// byte of invalid UTF-8 counts as one character, as in a regexp).
func sanitise(s string) string {
	ok := true
	for i := 0; i < len(s); i++ {
		if !labelByte(s[i]) {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for len(s) > 0 {
		r, size := utf8.DecodeRuneInString(s)
		if r < utf8.RuneSelf && labelByte(byte(r)) {
			b.WriteByte(byte(r))
		} else {
			b.WriteByte('_')
		}
		s = s[size:]
	}
	return b.String()
}

func labelByte(c byte) bool {
	return c == '_' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9')
}

// snakeCase inserts "_" between a lower-case letter or digit and the
// upper-case letter after it, as kube-state-metrics' regexp
// ([a-z0-9])([A-Z]) → ${1}_${2} does (leftmost matches that do not
// overlap); s is sanitised, so ASCII.
func snakeCase(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 4)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if i+1 < len(s) && (('a' <= c && c <= 'z') || ('0' <= c && c <= '9')) && 'A' <= s[i+1] && s[i+1] <= 'Z' {
			b.WriteByte(c)
			b.WriteByte('_')
			b.WriteByte(s[i+1])
			i++
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// resolveConflicts renames, in place, the names (of keys in key order)
// that are the same: every one of a name given twice or more gets the
// suffix _conflict1, _conflict2, ... in that order (kube-state-metrics'
// rule), skipping a suffixed name already in use, by another key's name
// or an earlier suffix, so that no two labels of a series share a name.
func resolveConflicts(names []string) {
	count := make(map[string]int, len(names))
	for _, n := range names {
		count[n]++
	}
	inUse := make(map[string]bool, len(names))
	for _, n := range names {
		if count[n] == 1 {
			inUse[n] = true
		}
	}
	next := map[string]int{}
	for i, n := range names {
		if count[n] == 1 {
			continue
		}
		for {
			next[n]++
			candidate := n + "_conflict" + strconv.Itoa(next[n])
			if !inUse[candidate] {
				inUse[candidate] = true
				names[i] = candidate
				break
			}
		}
	}
}
