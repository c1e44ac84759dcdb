package toolkit

import (
	"fmt"
	"strings"
	"testing"
)

// render is labels as name="value" pairs, comma-separated.
func render(labels []Label) string {
	parts := make([]string, len(labels))
	for i, l := range labels {
		parts[i] = fmt.Sprintf("%s=%q", l.Name, l.Value)
	}
	return strings.Join(parts, ",")
}

func TestOwnersNoneWithoutKeys(t *testing.T) {
	if o := NewOwners(nil, nil); o != nil {
		t.Fatalf("NewOwners(nil, nil) = %+v, want nil: no backup_resource_info", o)
	}
	var o *Owners
	if labels, _ := o.Labels(Tags{Kind: CloudTags, Values: map[string]string{"a": "b"}}); labels != nil {
		t.Errorf("nil Owners gave %v", labels)
	}
}

// TestOwnerLabels: the naming rules of docs/metrics.md "Who owns it", as
// kube-state-metrics (label_, snake_case) and YACE (tag_, case kept) name
// them.
func TestOwnerLabels(t *testing.T) {
	static := map[string]string{"business_unit": "payments", "env": "prod"}
	tests := []struct {
		name      string
		allowlist []string
		static    map[string]string
		tags      Tags
		want      string
	}{
		{"static labels only", nil, static, Tags{Kind: CloudTags, Values: map[string]string{"owner": "x"}},
			`business_unit="payments",env="prod"`},
		{"static labels of a resource without tags", []string{"owner"}, static, Tags{},
			`business_unit="payments",env="prod"`},
		{"cloud tags keep their case, other characters become _", []string{"Owner", "cost-center", "missing"}, static,
			Tags{Kind: CloudTags, Values: map[string]string{"Owner": "alice", "cost-center": "cc-1", "other": "no"}},
			`business_unit="payments",env="prod",tag_Owner="alice",tag_cost_center="cc-1"`},
		{"AWS tag keys are case-sensitive", []string{"owner"}, nil,
			Tags{Kind: CloudTags, Values: map[string]string{"Owner": "alice"}}, ``},
		{"Azure tag names are not: the label is named after the entry", []string{"owner"}, nil,
			Tags{Kind: CloudTags, CaseInsensitive: true, Values: map[string]string{"OWNER": "alice"}}, `tag_owner="alice"`},
		{"Azure: two spellings on one resource give one label, the first key's", []string{"owner"}, nil,
			Tags{Kind: CloudTags, CaseInsensitive: true, Values: map[string]string{"owner": "b", "Owner": "a"}}, `tag_owner="a"`},
		{"Azure with *: the keys as returned", []string{"*"}, nil,
			Tags{Kind: CloudTags, CaseInsensitive: true, Values: map[string]string{"Owner": "a", "team": "t"}}, `tag_Owner="a",tag_team="t"`},
		{"Azure wildcard without case", []string{"team.example.com/*"}, nil,
			Tags{Kind: CloudTags, CaseInsensitive: true, Values: map[string]string{"Team.Example.com/Lead": "bob"}}, `tag_Team_Example_com_Lead="bob"`},
		{"Kubernetes labels: label_, snake_case, lower case", []string{"app.kubernetes.io/name", "teamName", "aBC", "x9Y"}, nil,
			Tags{Kind: KubernetesLabels, Values: map[string]string{"app.kubernetes.io/name": "shop", "teamName": "t", "aBC": "v", "x9Y": "w"}},
			`label_a_bc="v",label_app_kubernetes_io_name="shop",label_team_name="t",label_x9_y="w"`},
		{"Huawei vault tags", []string{"owner"}, nil,
			Tags{Kind: VaultTags, Values: map[string]string{"owner": "ops"}}, `vault_tag_owner="ops"`},
		{"one * per key", []string{"team.example.com/*"}, nil,
			Tags{Kind: KubernetesLabels, Values: map[string]string{"team.example.com/owner": "a", "team.example.com/": "empty suffix", "other/owner": "no"}},
			`label_team_example_com_="empty suffix",label_team_example_com_owner="a"`},
		{"a * in the middle", []string{"team-*-owner"}, nil,
			Tags{Kind: CloudTags, Values: map[string]string{"team-db-owner": "a", "team-owner": "too short", "team-db-owners": "no"}},
			`tag_team_db_owner="a"`},
		{"a lone * first admits every key", []string{"*", "ignored"}, nil,
			Tags{Kind: CloudTags, Values: map[string]string{"a": "1", "b": "2"}}, `tag_a="1",tag_b="2"`},
		{"a lone * anywhere admits every key", []string{"owner", "*"}, nil,
			Tags{Kind: CloudTags, Values: map[string]string{"a": "1"}}, `tag_a="1"`},
		{"an empty value is an empty label", []string{"owner"}, nil,
			Tags{Kind: CloudTags, Values: map[string]string{"owner": ""}}, `tag_owner=""`},
		{"conflicts: every label of the name gets a suffix, in key order", []string{"*"}, nil,
			Tags{Kind: CloudTags, Values: map[string]string{"a_b": "3", "a.b": "2", "a-b": "1", "c": "4"}},
			`tag_a_b_conflict1="1",tag_a_b_conflict2="2",tag_a_b_conflict3="3",tag_c="4"`},
		{"conflicts: a suffix in use is skipped", []string{"*"}, nil,
			Tags{Kind: CloudTags, Values: map[string]string{"a.b": "1", "a_b": "2", "a_b_conflict1": "taken"}},
			`tag_a_b_conflict1="taken",tag_a_b_conflict2="1",tag_a_b_conflict3="2"`},
		{"Kubernetes conflicts after snake_case", []string{"*"}, nil,
			Tags{Kind: KubernetesLabels, Values: map[string]string{"teamName": "a", "team_name": "b"}},
			`label_team_name_conflict1="a",label_team_name_conflict2="b"`},
		{"unicode and invalid UTF-8 become one _ each", []string{"*"}, nil,
			Tags{Kind: CloudTags, Values: map[string]string{"équipe": "a", "x\xffy": "b"}}, `tag__quipe="a",tag_x_y="b"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			labels, skipped := NewOwners(tt.allowlist, tt.static).Labels(tt.tags)
			if got := render(labels); got != tt.want {
				t.Errorf("labels\n got %s\nwant %s", got, tt.want)
			}
			if skipped != 0 {
				t.Errorf("%d keys skipped", skipped)
			}
		})
	}
}

// TestOwnerLabelsHostile: an upstream may return any number of tags, of
// any length: each resource keeps at most 100 labels of its tags and
// none of a key longer than 1,024 bytes; the rest is counted.
func TestOwnerLabelsHostile(t *testing.T) {
	values := map[string]string{strings.Repeat("k", 2000): "long", "": "empty key"}
	for i := range 150 {
		values[fmt.Sprintf("key-%03d", i)] = "v"
	}
	labels, skipped := NewOwners([]string{"*"}, map[string]string{"env": "prod"}).Labels(Tags{Kind: CloudTags, Values: values})
	if len(labels) != 1+maxTagLabels {
		t.Errorf("%d labels, want the static one and %d of the tags", len(labels), maxTagLabels)
	}
	if skipped != 52 {
		t.Errorf("skipped %d keys, want 52 (50 past the bound, the long key, the empty key)", skipped)
	}
	seen := map[string]bool{}
	for _, l := range labels {
		if seen[l.Name] {
			t.Errorf("label %s twice", l.Name)
		}
		seen[l.Name] = true
	}
	if !seen["tag_key_000"] || !seen["tag_key_099"] || seen["tag_key_100"] {
		t.Error("not the first 100 keys in key order")
	}
}

func TestOwnersKeys(t *testing.T) {
	allow, static := NewOwners([]string{"owner", "*"}, map[string]string{"z": "1", "a": "2"}).Keys()
	if fmt.Sprint(allow, static) != "[owner *] [a z]" {
		t.Errorf("Keys() = %v %v", allow, static)
	}
	if !NewOwners([]string{"owner", "*"}, nil).AdmitsEveryKey() || NewOwners([]string{"a*"}, nil).AdmitsEveryKey() {
		t.Error("AdmitsEveryKey wrong")
	}
	if NewOwners(nil, map[string]string{"a": "b"}).AdmitsTags() {
		t.Error("static labels alone admit no tag")
	}
}
