package huaweicbr

import (
	"strings"
	"testing"

	"github.com/backup-exporter/backup_exporter/collector"
	"github.com/backup-exporter/backup_exporter/internal/providertest"
)

// TestHuaweiCBROfficialExamples: what the provider exposes for each
// official example response (testdata/official/SOURCES): Huawei's
// ShowBackup, Open Telekom Cloud's ShowBackup and its ListBackups of 2023
// (times without zone, as Huawei Cloud writes them) and of 2025 (times with
// a zone).
func TestHuaweiCBROfficialExamples(t *testing.T) {
	const otcBackup = "6df2b54c-dd62-4059-a07c-1b8f24f2725d"
	for _, tc := range []struct {
		name, route, golden string
		body                func(t *testing.T) string
		extra               []string
	}{
		{"ShowBackup", cbrBackups + "/" + cbrDocID, "official_show_backup.prom",
			func(*testing.T) string { return "official/show_backup.json" }, []string{"backup_id: " + cbrDocID}},
		{"ShowBackup OTC 2025", cbrBackups + "/" + otcBackup, "official_show_backup_otc.prom",
			func(t *testing.T) string {
				return providertest.LiteralBlock(t, "official/querying_a_specified_backup@9a626321.rst", "Example Responses", 1)
			}, []string{"backup_id: " + otcBackup}},
		{"ListBackups 2023", cbrBackups, "official_list_backups_2023.prom",
			func(t *testing.T) string {
				return providertest.LiteralBlock(t, "official/querying_all_backups@7607f626.rst", "Example Responses", 1)
			}, nil},
		{"ListBackups 2025", cbrBackups, "official_list_backups_2025.prom",
			func(t *testing.T) string {
				return providertest.LiteralBlock(t, "official/querying_all_backups@9a626321.rst", "Example Responses", 1)
			}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := serveCBRFiles(t, map[string]string{tc.route: tc.body(t)})
			e := newTestExporter(t, cbrConfig(srv.URL, srv.CAFile, cbrTokenCred(cbrToken), tc.extra...), collector.Options{})
			providertest.Golden(t, e, kinds, tc.golden)
		})
	}
}

// TestHuaweiCBRAvailableWithoutEndTimesEndsAtStart: Huawei's ShowBackup
// example is an available backup with protected_at and updated_at null;
// its end, and the resource's last success, is its created_at
// (2019-05-10T07:59:12.084695, UTC), so that freshness alerts can fire.
func TestHuaweiCBRAvailableWithoutEndTimesEndsAtStart(t *testing.T) {
	srv := serveCBRFiles(t, map[string]string{cbrBackups + "/" + cbrDocID: "official/show_backup.json"})
	e := newTestExporter(t, cbrConfig(srv.URL, srv.CAFile, cbrTokenCred(cbrToken), "backup_id: "+cbrDocID), collector.Options{})
	got := providertest.ScrapeText(t, e, "backup_end_timestamp_seconds", "backup_last_success_timestamp_seconds")
	labels := `{provider="huawei_cbr",resource_id="94eba8b2-acc9-4d82-badc-127144cc5526",resource_name="ecs-1f0f-0002",target="cbr-test"}`
	for _, want := range []string{
		"backup_end_timestamp_seconds" + labels + " 1.557475152084695e+09",
		"backup_last_success_timestamp_seconds" + labels + " 1.557475152084695e+09",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %s in\n%s", want, got)
		}
	}
}
