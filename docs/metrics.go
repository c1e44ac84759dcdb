package docs

import (
	"bytes"
	_ "embed"
	"fmt"
	"slices"
	"strings"
	"text/template"

	"github.com/backup-exporter/backup_exporter/collector"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
)

//go:embed metrics.md.tmpl
var metricsTemplate string

// identityLabels are the labels of every per-resource family, listed once
// in the reference rather than in every row.
var identityLabels = []string{"provider", "target", "resource_id", "resource_name"}

// everyProvider marks a family filled for every provider alike (by the
// shared rules, or from the target's configuration).
const everyProvider = "*"

// filledBy says which providers give a value for each per-resource
// family; a provider not listed emits no sample of it (never a made-up
// 0). TestFilledByMatchesGoldens checks it against the providers' golden
// expositions and the catalog.
var filledBy = map[string][]string{
	"backup_healthy":                          {everyProvider},
	"backup_protected":                        {everyProvider},
	"backup_state":                            {everyProvider},
	"backup_info":                             {everyProvider},
	"backup_error_info":                       {"astra", "aws_backup", "azure_backup", "azure_netapp_files", "azure_postgresql_ltr", "trident_protect", "velero", "cloudnative_pg", "longhorn", "azure_dataprotection"},
	"backup_progress_ratio":                   {"astra", "aws_backup", "azure_backup", "azure_postgresql_ltr", "huawei_cbr", "velero", "longhorn"},
	"backup_transferred_bytes":                {"astra", "aws_backup", "azure_netapp_files", "azure_postgresql_ltr", "velero", "longhorn", "azure_dataprotection"},
	"backup_size_bytes":                       {"astra", "aws_backup", "azure_netapp_files", "azure_postgresql_ltr", "huawei_cbr", "velero", "longhorn"},
	"backup_start_timestamp_seconds":          {everyProvider},
	"backup_end_timestamp_seconds":            {everyProvider},
	"backup_last_success_timestamp_seconds":   {everyProvider},
	"backup_last_failure_timestamp_seconds":   {everyProvider},
	"backup_expected_interval_seconds":        {everyProvider},
	"backup_expiry_timestamp_seconds":         {"aws_backup", "huawei_cbr", "velero", "azure_dataprotection"},
	"backup_backups":                          {everyProvider},
	"backup_oldest_success_timestamp_seconds": {"astra", "aws_backup", "azure_netapp_files", "azure_postgresql_ltr", "huawei_cbr", "trident_protect", "velero", "cloudnative_pg", "longhorn", "azure_dataprotection"},
	"backup_expected_retention_seconds":       {everyProvider},
	"backup_resource_info":                    {everyProvider},
}

// ownerLabels are the labels of a family whose labels after the identity
// labels are each target's owner labels (backup_resource_info), as the
// reference names them.
var ownerLabels = []string{"<static_labels>", "tag_*", "vault_tag_*", "label_*"}

type family struct {
	Name, Type, Help string
	// Labels are the family's own labels (after the identity labels for a
	// per-resource family).
	Labels   []string
	FilledBy []string
}

type stateRow struct {
	State toolkit.State
	Raw   []string
}

type stateTable struct {
	Field string
	Rows  []stateRow
}

type provider struct {
	Type, Title string
	Tables      []stateTable
}

type reference struct {
	Providers []provider
	Resource  []family
	Self      []family
	States    []toolkit.State
}

// MetricsReference renders docs/metrics.md for the providers of r.
func MetricsReference(r toolkit.Registry) ([]byte, error) {
	ref := reference{States: toolkit.States}
	own := map[string]string{} // provider-declared family -> its provider
	for _, k := range r {
		p := provider{Type: k.Name, Title: k.Title}
		for _, st := range k.States {
			t := stateTable{Field: st.Field}
			for _, s := range toolkit.States {
				var raw []string
				for v, n := range st.Table {
					if n == s {
						raw = append(raw, v)
					}
				}
				if len(raw) > 0 {
					slices.Sort(raw)
					t.Rows = append(t.Rows, stateRow{State: s, Raw: raw})
				}
			}
			p.Tables = append(p.Tables, t)
		}
		ref.Providers = append(ref.Providers, p)
		for _, f := range k.Families {
			own[f.Name] = k.Name
		}
	}
	owners := map[string]bool{}
	for _, f := range toolkit.Families() {
		owners[f.Name] = f.OwnerLabels()
	}
	for _, m := range collector.Catalog(r) {
		f := family{Name: m.Name, Type: m.Type, Help: m.Help, Labels: m.Labels}
		if strings.HasPrefix(m.Name, "backup_exporter_") {
			ref.Self = append(ref.Self, f)
			continue
		}
		if !slices.Equal(m.Labels[:min(len(m.Labels), len(identityLabels))], identityLabels) {
			return nil, fmt.Errorf("%s: labels %v do not start with the identity labels", m.Name, m.Labels)
		}
		f.Labels = m.Labels[len(identityLabels):]
		if owners[m.Name] {
			f.Labels = ownerLabels
		}
		switch {
		case own[m.Name] != "":
			f.FilledBy = []string{own[m.Name]}
		case filledBy[m.Name] != nil:
			f.FilledBy = filledBy[m.Name]
		default:
			return nil, fmt.Errorf("%s: docs/metrics.go does not say which providers fill it (filledBy)", m.Name)
		}
		ref.Resource = append(ref.Resource, f)
	}
	t, err := template.New("metrics.md").Funcs(template.FuncMap{
		"code":   code,
		"cell":   cell,
		"filled": filledText,
	}).Parse(metricsTemplate)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := t.Execute(&b, ref); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// code writes each value as inline code, comma-separated, an empty value
// as `""` (a raw state that is the empty string); "" for none.
func code(values []string) string {
	out := make([]string, len(values))
	for i, v := range values {
		if v == "" {
			v = `""`
		}
		out[i] = "`" + v + "`"
	}
	return strings.Join(out, ", ")
}

// cell makes s safe in a Markdown table cell.
func cell(s string) string {
	return strings.ReplaceAll(s, "|", `\|`)
}

func filledText(providers []string) string {
	if slices.Equal(providers, []string{everyProvider}) {
		return "every provider"
	}
	return code(providers)
}
