package awsbackup

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/backup-exporter/backup_exporter/collector"
	"github.com/backup-exporter/backup_exporter/internal/providertest"
)

// TestAWSBackupOfficialExamples: what the provider exposes for the AWS CLI's
// documented list-backup-jobs outputs (testdata/official/SOURCES), served
// to the SDK's own client and deserializer. AWS documents no example output
// of ListProtectedResources or ListRecoveryPointsByBackupVault: those calls
// are answered with empty lists of our own. Example 1's EC2 job is CREATED
// (no completed job in the window), so its recovery points are read from its
// job's vault; the EFS job COMPLETED.
func TestAWSBackupOfficialExamples(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return f
	}
	for _, tc := range []struct{ name, heading string }{
		{"official_list_backup_jobs_1", "**Example 1: To list all backup jobs**"},
		{"official_list_backup_jobs_2", "**Example 2: To list completed backup jobs**"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The heading's literal blocks: the command, then its Output.
			jobs := providertest.LiteralBlock(t, "official/list-backup-jobs.rst", tc.heading, 2)
			srv := providertest.AWSServer(t, map[string]string{
				"/resources":   write("resources.json", `{"Results":[]}`),
				"/backup-jobs": jobs,
				"/backup-vaults/Default/recovery-points?resourceArn=arn:aws:ec2:us-west-2:123456789012:instance/i-12345678901234567": write("points.json", `{"RecoveryPoints":[]}`),
			})
			e := providertest.NewExporter(t, srv.AWSConfig("name: aws"), kinds, collector.Options{})
			providertest.Golden(t, e, kinds, tc.name+".prom")
		})
	}
}
