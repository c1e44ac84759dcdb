package awsbackup

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"go.uber.org/goleak"

	"github.com/backup-exporter/backup_exporter/collector"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/internal/providertest"
)

// compositeRoutes: a CloudFormation stack backed up as a composite
// backup (its job COMPLETED, with two child jobs): the stack's table,
// which ListProtectedResources lists too, and a bucket that only the
// child job names.
func compositeRoutes(t *testing.T) map[string]string {
	dir := t.TempDir()
	write := func(name, body string) string {
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return f
	}
	const vault = `"BackupVaultName":"Default","BackupVaultArn":"arn:aws:backup:eu-west-1:123456789012:backup-vault:Default"`
	return map[string]string{
		"/resources": write("resources.json", `{"Results":[
 {"ResourceArn":"arn:aws:cloudformation:eu-west-1:123456789012:stack/shop/1","ResourceType":"CloudFormation","ResourceName":"shop",
  "LastBackupVaultArn":"arn:aws:backup:eu-west-1:123456789012:backup-vault:Default","LastBackupTime":1796169600},
 {"ResourceArn":"arn:aws:dynamodb:eu-west-1:123456789012:table/orders","ResourceType":"DynamoDB","ResourceName":"orders",
  "LastBackupVaultArn":"arn:aws:backup:eu-west-1:123456789012:backup-vault:Default","LastBackupTime":1796169600}]}`),
		"/backup-jobs": write("jobs.json", `{"BackupJobs":[
 {"BackupJobId":"job-1","IsParent":true,`+vault+`,"ResourceArn":"arn:aws:cloudformation:eu-west-1:123456789012:stack/shop/1",
  "ResourceType":"CloudFormation","ResourceName":"shop","State":"COMPLETED","CreationDate":1796248800,"CompletionDate":1796249100},
 {"BackupJobId":"job-1a","ParentJobId":"job-1",`+vault+`,"ResourceArn":"arn:aws:dynamodb:eu-west-1:123456789012:table/orders",
  "ResourceType":"DynamoDB","ResourceName":"orders","State":"COMPLETED","CreationDate":1796248800,"CompletionDate":1796249100},
 {"BackupJobId":"job-1b","ParentJobId":"job-1",`+vault+`,"ResourceArn":"arn:aws:s3:::shop-assets",
  "ResourceType":"S3","ResourceName":"shop-assets","State":"COMPLETED","CreationDate":1796248800,"CompletionDate":1796249100}]}`),
	}
}

// TestAWSBackupDropsSayWhy: a resource the target's filters leave out is
// dropped as filtered, and one backed up only as a part of a composite
// backup as a child (whatever the filters say: a part is never a
// resource), each once; they are counted by reason in
// backup_exporter_target_resources_dropped and listed (RecordDropped).
// A resource that another item keeps is not dropped.
func TestAWSBackupDropsSayWhy(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // runs last, after the servers have closed
	filtered := func(kind, name string) toolkit.Dropped {
		return toolkit.Dropped{ID: arn(kind, name), Name: name, Reason: toolkit.DropFiltered}
	}
	child := func(id, name string) toolkit.Dropped {
		return toolkit.Dropped{ID: id, Name: name, Reason: toolkit.DropChild}
	}
	const (
		stack = "arn:aws:cloudformation:eu-west-1:123456789012:stack/shop/1"
		table = "arn:aws:dynamodb:eu-west-1:123456789012:table/orders"
	)
	for _, tc := range []struct {
		name, extra string
		routes      func(*testing.T) map[string]string
		kept        []string
		dropped     []toolkit.Dropped
	}{
		{name: "region", routes: func(*testing.T) map[string]string { return routes() }, kept: []string{
			arn("EBS", "vol-ok"), "arn:aws:ec2:eu-west-1:123456789012:instance/i-failed", "arn:aws:rds:eu-west-1:123456789012:db:db-running",
			arn("DynamoDB", "table-partial"), "arn:aws:elasticfilesystem:eu-west-1:123456789012:file-system/fs-aborted", arn("S3", "bucket-old"),
			arn("EC2", "i-expired"), arn("EBS", "vol-other-vault"), arn("EBS", "vol-pending"), arn("EC2", "i-aborting"),
		}},
		// The protected resources of other vaults, and the jobs of
		// resources in other vaults (the fixture server does not filter):
		// the bucket has no name, so its ARN is its name.
		{name: "vault_filter", extra: "backup_vault: Other", routes: func(*testing.T) map[string]string { return routes() },
			kept: []string{arn("EBS", "vol-other-vault")},
			dropped: []toolkit.Dropped{
				filtered("EBS", "vol-ok"),
				{ID: "arn:aws:ec2:eu-west-1:123456789012:instance/i-failed", Name: "i-failed", Reason: toolkit.DropFiltered},
				{ID: "arn:aws:rds:eu-west-1:123456789012:db:db-running", Name: "db-running", Reason: toolkit.DropFiltered},
				filtered("DynamoDB", "table-partial"),
				{ID: "arn:aws:elasticfilesystem:eu-west-1:123456789012:file-system/fs-aborted", Name: "fs-aborted", Reason: toolkit.DropFiltered},
				{ID: arn("S3", "bucket-old"), Name: arn("S3", "bucket-old"), Reason: toolkit.DropFiltered},
				filtered("EC2", "i-expired"),
				filtered("EBS", "vol-pending"),
				filtered("EC2", "i-aborting"),
			}},
		{name: "composite", routes: compositeRoutes, kept: []string{stack},
			dropped: []toolkit.Dropped{child(table, "orders"), child("arn:aws:s3:::shop-assets", "shop-assets")}},
		{name: "composite_type_filter", extra: "resource_type: CloudFormation", routes: compositeRoutes, kept: []string{stack},
			dropped: []toolkit.Dropped{child(table, "orders"), child("arn:aws:s3:::shop-assets", "shop-assets")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := providertest.AWSServer(t, tc.routes(t))
			target := "name: aws"
			if tc.extra != "" {
				target += ", " + tc.extra
			}
			e := providertest.NewExporter(t, srv.AWSConfig(target), kinds, collector.Options{RecordDropped: true})
			res := e.Collect(context.Background(), e.Targets())[0]
			if res.Err != nil {
				t.Fatal(res.Err)
			}
			var kept []string
			for _, r := range res.Resources {
				if r.Err != nil {
					t.Errorf("%s: %v", r.ID, r.Err)
				}
				kept = append(kept, r.ID)
			}
			slices.Sort(kept)
			want := slices.Sorted(slices.Values(tc.kept))
			if !slices.Equal(kept, want) {
				t.Errorf("resources\n %v\nwant\n %v", kept, want)
			}
			if !slices.Equal(res.DroppedItems, tc.dropped) {
				t.Errorf("dropped\n %+v\nwant\n %+v", res.DroppedItems, tc.dropped)
			}
			counts := map[string]int{}
			for _, d := range tc.dropped {
				counts[d.Reason]++
			}
			for _, reason := range toolkit.DropReasons {
				got, ok := providertest.ResourceValue(t, e, "backup_exporter_target_resources_dropped", map[string]string{"target": "aws", "reason": reason})
				if !ok || got != float64(counts[reason]) {
					t.Errorf("backup_exporter_target_resources_dropped{reason=%q} = %v (found %v), want %d", reason, got, ok, counts[reason])
				}
			}
		})
	}
}
