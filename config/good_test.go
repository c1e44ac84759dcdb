package config_test

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	. "github.com/backup-exporter/backup_exporter/config"
)

// yamlKeys are the YAML keys of struct type t, with `,inline` fields
// flattened.
func yamlKeys(t reflect.Type) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var keys []string
	for f := range t.Fields() {
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		switch {
		case name == "-" || !f.IsExported():
		case strings.Contains(","+opts+",", ",inline,"):
			keys = append(keys, yamlKeys(f.Type)...)
		default:
			keys = append(keys, name)
		}
	}
	return keys
}

// mapping returns the keys and values of a YAML mapping node.
func mapping(n *yaml.Node) map[string]*yaml.Node {
	m := map[string]*yaml.Node{}
	for i := 0; n != nil && n.Kind == yaml.MappingNode && i+1 < len(n.Content); i += 2 {
		m[n.Content[i].Value] = n.Content[i+1]
	}
	return m
}

// TestGoodUsesEveryKey: testdata/good.yml, which TestLoadGood loads, uses
// every key of the file: the global ones, those of every credential kind,
// the common target keys, and each provider's own keys in a target of its
// type. A key added to a provider or a credential without a line there
// fails this test.
func TestGoodUsesEveryKey(t *testing.T) {
	b, err := os.ReadFile("testdata/good.yml")
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	root := mapping(doc.Content[0])
	used := map[string]bool{} // "section.key"
	for k := range mapping(root["global"]) {
		used["global."+k] = true
	}
	for _, c := range root["credentials"].Content {
		for k, v := range mapping(c) {
			used["credential."+k] = true
			for kk := range mapping(v) {
				used[k+"."+kk] = true
			}
		}
	}
	for _, tg := range root["targets"].Content {
		m := mapping(tg)
		for k := range m {
			used["target."+k] = true
			used[m["type"].Value+"."+k] = true
		}
	}

	want := map[string]reflect.Type{
		"global":     reflect.TypeFor[Global](),
		"credential": reflect.TypeFor[Credential](),
		"tls_config": reflect.TypeFor[TLSConfig](),
		"target":     reflect.TypeFor[Target](),
	}
	// Every credential type the target types need: its block and its keys.
	for _, kind := range kinds {
		c := kind.Credential
		want[c.Name] = reflect.TypeOf(c.NewSpec())
		if !used["credential."+c.Name] {
			t.Errorf("good.yml has no %s: credential", c.Name)
		}
	}
	for section, typ := range want {
		for _, k := range yamlKeys(typ) {
			if !used[section+"."+k] {
				t.Errorf("good.yml does not use %s key %q", section, k)
			}
		}
	}
	for _, kind := range kinds {
		if !used["target.type"] || !used[kind.Name+".type"] {
			t.Errorf("good.yml has no target of type %s", kind.Name)
			continue
		}
		for _, k := range yamlKeys(reflect.TypeOf(kind.NewSpec())) {
			if !used[kind.Name+"."+k] {
				t.Errorf("good.yml has no %s target with its key %q", kind.Name, k)
			}
		}
	}
}
