package mixin

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/google/go-jsonnet"
	"gopkg.in/yaml.v3"
)

// The generated files, relative to the repository root.
const (
	RulesFile     = "deploy/prometheus/rules.yml"
	DashboardsDir = "dashboards"
)

// commentKey carries a hidden comment:: field of a group or rule into the
// evaluated JSON, where render turns it into a YAML comment.
const commentKey = "__comment__"

// snippet evaluates the mixin (plus an optional overlay, %s) into what the
// generator needs: the rules file header, the rule groups (recording rules
// first) with their comments, and the dashboards.
const snippet = `
local mixin = (import 'mixin.libsonnet') + (%s);
local withComment(o) = o + (if std.objectHasAll(o, 'comment') then { %s: o.comment } else {});
{
  header: (import 'lib/rules-file-comment.libsonnet')(mixin._config),
  groups: [
    withComment(g) + { rules: [withComment(r) for r in g.rules] }
    for g in mixin.prometheusRules.groups + mixin.prometheusAlerts.groups
  ],
  dashboards: mixin.grafanaDashboards,
}
`

// Output is the evaluated mixin.
type Output struct {
	// Header is the comment at the top of the rules file.
	Header string `json:"header"`
	// Groups are the rule groups as the rules file has them, each group
	// and rule with its comment (if any) under the key "__comment__".
	Groups []any `json:"groups"`
	// Dashboards maps a dashboard's file name to the dashboard.
	Dashboards map[string]any `json:"dashboards"`
}

// Evaluate evaluates mixin.libsonnet of dir (the mixin directory) with
// go-jsonnet. overlay, if not empty, is a Jsonnet object added to the mixin,
// such as `{ _config+:: { staleFactor: 2 } }`.
func Evaluate(dir, overlay string) (*Output, error) {
	if overlay == "" {
		overlay = "{}"
	}
	vm := jsonnet.MakeVM()
	vm.Importer(&jsonnet.FileImporter{JPaths: []string{dir}})
	js, err := vm.EvaluateAnonymousSnippet(filepath.Join(dir, "generate.jsonnet"), fmt.Sprintf(snippet, overlay, commentKey))
	if err != nil {
		return nil, err
	}
	var out Output
	if err := json.Unmarshal([]byte(js), &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Files evaluates the mixin of dir and returns the files generated from it,
// by path relative to the repository root (slash-separated): the rules file
// and one JSON file per dashboard.
func Files(dir string) (map[string][]byte, error) {
	out, err := Evaluate(dir, "")
	if err != nil {
		return nil, err
	}
	return out.Files()
}

// Files renders the generated files of o (see the function Files).
func (o *Output) Files() (map[string][]byte, error) {
	rules, err := RenderRules(o.Header, o.Groups)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", RulesFile, err)
	}
	files := map[string][]byte{RulesFile: rules}
	for name, d := range o.Dashboards {
		if path.Base(name) != name || !strings.HasSuffix(name, ".json") {
			return nil, fmt.Errorf("grafanaDashboards: %q is not a file name ending in .json", name)
		}
		b, err := RenderDashboard(d)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		files[DashboardsDir+"/"+name] = b
	}
	return files, nil
}

// RenderDashboard returns d as JSON indented by two spaces, keys sorted
// (Jsonnet keeps no field order), with a final newline. Numbers are printed
// in their shortest form (0.95, not Jsonnet's 0.94999999999999996).
func RenderDashboard(d any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(d); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// keyOrder is the order of the keys of a rules file: those of a group, a
// rule and the annotations as Prometheus's documentation lists them. Other
// keys (labels) follow in alphabetical order.
var keyOrder = []string{
	"name", "interval", "query_offset", "limit", "labels", "rules",
	"record", "alert", "expr", "for", "keep_firing_for",
	"summary", "description", "runbook_url",
}

// ruleKeyOrder puts a rule's labels after its for: (keyOrder has a group's
// labels before its rules).
var ruleKeyOrder = []string{"record", "alert", "expr", "for", "keep_firing_for", "labels", "annotations"}

// RenderRules returns the rules file of the groups: header as a comment,
// then the groups, each group and rule preceded by its comment (key
// "__comment__"), in the layout of a hand-written rules file: two-space
// indentation, block scalars for multi-line expressions, double-quoted
// annotations. It checks that the YAML decodes back to the groups.
func RenderRules(header string, groups []any) ([]byte, error) {
	var b bytes.Buffer
	comment(&b, 0, header)
	b.WriteString("groups:\n")
	for i, g := range groups {
		gm, ok := g.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("group %d is not an object", i)
		}
		if i > 0 {
			b.WriteString("\n")
		}
		if err := writeGroup(&b, gm); err != nil {
			return nil, fmt.Errorf("group %v: %w", gm["name"], err)
		}
	}

	// The YAML must say what the mixin says.
	var back, want any
	if err := yaml.Unmarshal(b.Bytes(), &back); err != nil {
		return nil, fmt.Errorf("the rendered YAML does not parse: %w", err)
	}
	if err := normalize(&back); err != nil {
		return nil, err
	}
	want = map[string]any{"groups": stripComments(groups)}
	if err := normalize(&want); err != nil {
		return nil, err
	}
	if !reflect.DeepEqual(back, want) {
		return nil, fmt.Errorf("the rendered YAML decodes to something else than the mixin's rules")
	}
	return b.Bytes(), nil
}

func writeGroup(b *bytes.Buffer, g map[string]any) error {
	if c, ok := g[commentKey].(string); ok {
		comment(b, 2, c)
	}
	for i, k := range orderedKeys(g, keyOrder) {
		lead := "    "
		if i == 0 {
			lead = "  - "
		}
		if k != "rules" {
			if err := writeEntry(b, lead, 4, k, g[k], false); err != nil {
				return err
			}
			continue
		}
		rules, ok := g[k].([]any)
		if !ok {
			return fmt.Errorf("rules is not a list")
		}
		if len(rules) == 0 {
			b.WriteString(lead + "rules: []\n")
			continue
		}
		b.WriteString(lead + "rules:\n")
		for j, r := range rules {
			rm, ok := r.(map[string]any)
			if !ok {
				return fmt.Errorf("rule %d is not an object", j)
			}
			c, commented := rm[commentKey].(string)
			if commented {
				if j > 0 {
					b.WriteString("\n")
				}
				comment(b, 6, c)
			}
			for n, rk := range orderedKeys(rm, ruleKeyOrder) {
				lead := "        "
				if n == 0 {
					lead = "      - "
				}
				if err := writeEntry(b, lead, 8, rk, rm[rk], rk == "annotations"); err != nil {
					return fmt.Errorf("rule %v%v: %w", rm["record"], rm["alert"], err)
				}
			}
		}
	}
	return nil
}

// writeEntry writes "key: value" after lead, the key at column indent;
// quote double-quotes the strings of a mapping value (the annotations).
func writeEntry(b *bytes.Buffer, lead string, indent int, key string, v any, quote bool) error {
	b.WriteString(lead)
	b.WriteString(scalarKey(key))
	b.WriteString(":")
	switch v := v.(type) {
	case map[string]any:
		if len(v) == 0 {
			b.WriteString(" {}\n")
			return nil
		}
		b.WriteString("\n")
		pad := strings.Repeat(" ", indent+2)
		for _, k := range orderedKeys(v, keyOrder) {
			if _, nested := v[k].(map[string]any); nested {
				return fmt.Errorf("%s.%s: nested mappings are not supported", key, k)
			}
			if err := writeEntry(b, pad, indent+2, k, v[k], quote); err != nil {
				return err
			}
		}
		return nil
	case []any:
		return fmt.Errorf("%s: lists are not supported", key)
	case string:
		b.WriteString(scalar(v, indent, quote))
	case float64:
		b.WriteString(" " + strconv.FormatFloat(v, 'f', -1, 64) + "\n")
	case bool:
		b.WriteString(" " + strconv.FormatBool(v) + "\n")
	case nil:
		b.WriteString(" null\n")
	default:
		return fmt.Errorf("%s: unexpected %T", key, v)
	}
	return nil
}

// scalar returns a string value as written after "key:" (including the
// separating space and the final newline): a literal block for a multi-line
// string, indented two columns deeper than the key; else double-quoted if
// quote is set or YAML would not read it back plain; else plain.
func scalar(s string, indent int, quote bool) string {
	if strings.Contains(s, "\n") && !strings.ContainsAny(s, "\r\t") {
		chomp := ""
		switch {
		case !strings.HasSuffix(s, "\n"):
			chomp = "-"
		case strings.HasSuffix(s, "\n\n"):
			chomp = "+"
		}
		indicator := ""
		if strings.HasPrefix(s, " ") || strings.HasPrefix(s, "\n") {
			indicator = "2"
		}
		var b strings.Builder
		b.WriteString(" |" + indicator + chomp + "\n")
		pad := strings.Repeat(" ", indent+2)
		for line := range strings.Lines(s) {
			line = strings.TrimSuffix(line, "\n")
			if line != "" {
				b.WriteString(pad + line)
			}
			b.WriteString("\n")
		}
		return b.String()
	}
	if quote || !plain(s) {
		return " " + strconv.Quote(s) + "\n"
	}
	return " " + s + "\n"
}

func scalarKey(k string) string {
	if plain(k) {
		return k
	}
	return strconv.Quote(k)
}

// plain reports whether YAML reads s back as the same string when written
// unquoted (what gopkg.in/yaml.v3 would write plain).
func plain(s string) bool {
	out, err := yaml.Marshal(s)
	return err == nil && string(out) == s+"\n"
}

// comment writes text as "# " lines at column indent.
func comment(b *bytes.Buffer, indent int, text string) {
	pad := strings.Repeat(" ", indent)
	for line := range strings.Lines(strings.TrimRight(text, "\n")) {
		line = strings.TrimRight(line, " \n")
		if line == "" {
			b.WriteString(pad + "#\n")
			continue
		}
		b.WriteString(pad + "# " + line + "\n")
	}
}

// orderedKeys returns the keys of m (but the comment) in the order of
// order, the others after them in alphabetical order.
func orderedKeys(m map[string]any, order []string) []string {
	var keys []string
	for k := range m {
		if k != commentKey {
			keys = append(keys, k)
		}
	}
	rank := func(k string) int {
		if i := slices.Index(order, k); i >= 0 {
			return i
		}
		return len(order)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if d := rank(a) - rank(b); d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
	return keys
}

// stripComments returns v without the comment keys.
func stripComments(v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := map[string]any{}
		for k, e := range v {
			if k != commentKey {
				m[k] = stripComments(e)
			}
		}
		return m
	case []any:
		l := make([]any, len(v))
		for i, e := range v {
			l[i] = stripComments(e)
		}
		return l
	}
	return v
}

// normalize round-trips *v through JSON, so that YAML's and JSON's decodings
// compare equal (integers as float64).
func normalize(v *any) error {
	b, err := json.Marshal(*v)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}
