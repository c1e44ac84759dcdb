package awsbackup

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/backup-exporter/backup_exporter/collector"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/config"
	"github.com/backup-exporter/backup_exporter/internal/providertest"
)

var kinds = toolkit.Registry{Type}

func arn(kind, name string) string {
	return map[string]string{
		"DynamoDB": "arn:aws:dynamodb:eu-west-1:123456789012:table/",
		"S3":       "arn:aws:s3:::",
		"EC2":      "arn:aws:ec2:eu-west-1:123456789012:instance/",
		"EBS":      "arn:aws:ec2:eu-west-1:123456789012:volume/",
	}[kind] + name
}

// routes: resources and jobs across 3 pages, and the recovery points of
// the resources without a completed job.
func routes() map[string]string {
	rp := func(vault, kind, name string) string {
		return "/backup-vaults/" + vault + "/recovery-points?resourceArn=" + arn(kind, name)
	}
	return map[string]string{
		"/resources":                               "resources_page1.json",
		"/resources?nextToken=r2":                  "resources_page2.json",
		"/resources?nextToken=r3":                  "resources_page3.json",
		"/backup-jobs":                             "jobs_page1.json",
		"/backup-jobs?nextToken=j2":                "jobs_page2.json",
		"/backup-jobs?nextToken=j3":                "jobs_page3.json",
		rp("Default", "DynamoDB", "table-partial"): "rp_table_partial.json",
		rp("Default", "S3", "bucket-old"):          "rp_bucket_old_page1.json",
		"/backup-vaults/Default/recovery-points?nextToken=p2?resourceArn=" + arn("S3", "bucket-old"): "rp_bucket_old_page2.json",
		rp("Default", "EC2", "i-expired"):     "rp_i_expired.json",
		rp("Default", "EBS", "vol-pending"):   "rp_empty.json",
		rp("Default", "EC2", "i-aborting"):    "rp_empty.json",
		rp("Other", "EBS", "vol-other-vault"): "rp_empty.json",
	}
}

// TestAWSBackupGolden: every job state of docs/metrics.md's aws_backup table
// (COMPLETED, FAILED with MessageCategory, RUNNING with PercentDone,
// PARTIAL, ABORTED, EXPIRED, CREATED, PENDING, ABORTING), recovery points
// for resources without a completed job (COMPLETED, AVAILABLE with
// DeleteAt, EXPIRED, DELETING, PARTIAL; children skipped, 2 pages), child
// jobs skipped, a resource known only from its jobs and never backed up
// (protected 1, last success 0), a resource without a name (its ARN).
func TestAWSBackupGolden(t *testing.T) {
	for _, tc := range []struct{ name, extra string }{
		{"region", ""},
		{"vault_filter", "backup_vault: Other"},
		{"type_filter", "resource_type: S3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := providertest.AWSServer(t, routes())
			target := "name: aws"
			if tc.extra != "" {
				target += ", " + tc.extra
			}
			e := providertest.NewExporter(t, srv.AWSConfig(target), kinds, collector.Options{})
			providertest.Golden(t, e, kinds, tc.name+".prom")
		})
	}
}

func TestAWSBackupConfigErrors(t *testing.T) {
	srv := providertest.AWSServer(t, nil)
	for _, tc := range []struct{ target, want string }{
		{`name: a, region: "Europe West"`, `region "Europe West" must match`},
		{`name: a, backup_vault: "a b"`, "backup_vault"},
		{`name: a, resource_type: "E B S"`, "resource_type"},
		{`name: a, endpoint: "ftp://x"`, "endpoint must be an http(s) URL"},
	} {
		yml := srv.AWSConfig(tc.target)
		if strings.Contains(tc.target, "region") {
			yml = strings.Replace(yml, "region: "+providertest.AWSRegion+", ", "", 1)
		}
		if strings.Contains(tc.target, "endpoint") {
			yml = strings.Replace(yml, "endpoint: \""+srv.URL+"\", ", "", 1)
		}
		_, err := config.Parse([]byte(yml), "test.yml", kinds.Config())
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one with %q", tc.target, err, tc.want)
		}
	}
}

// TestAWSBackupRequests: lists are read 1,000 at a time; the jobs from
// 2 × expected_interval ago (2 to 30 days); the target's filters are sent;
// recovery points are read only for the resources without a completed
// job in the window.
func TestAWSBackupRequests(t *testing.T) {
	for _, tc := range []struct {
		extra  string
		window time.Duration
		query  map[string]string
	}{
		{"", 48 * time.Hour, nil},
		{"expected_interval: 7d", 14 * 24 * time.Hour, nil},
		{"expected_interval: 30d", 30 * 24 * time.Hour, nil},
		{"backup_vault: Other, resource_type: EBS", 48 * time.Hour, map[string]string{"backupVaultName": "Other", "resourceType": "EBS"}},
	} {
		srv := providertest.AWSServer(t, routes())
		target := "name: aws"
		if tc.extra != "" {
			target += ", " + tc.extra
		}
		e := providertest.NewExporter(t, srv.AWSConfig(target), kinds, collector.Options{})
		before := time.Now()
		providertest.Gather(t, e)
		var points []string
		for _, r := range srv.Requests() {
			u, err := url.Parse(r)
			if err != nil {
				t.Fatal(err)
			}
			q := u.Query()
			if q.Get("maxResults") != "1000" {
				t.Errorf("%s: maxResults %q", r, q.Get("maxResults"))
			}
			switch {
			case u.Path == "/backup-jobs":
				after, err := time.Parse(time.RFC3339, q.Get("createdAfter"))
				if err != nil {
					t.Fatalf("createdAfter %q: %v", q.Get("createdAfter"), err)
				}
				if d := before.Sub(after); d < tc.window-time.Second || d > tc.window+time.Minute {
					t.Errorf("%s: jobs from %v ago, want %v", tc.extra, d, tc.window)
				}
				for k, v := range tc.query {
					if q.Get(k) != v {
						t.Errorf("%s: %s = %q, want %q", tc.extra, k, q.Get(k), v)
					}
				}
			case strings.HasSuffix(u.Path, "/recovery-points"):
				points = append(points, q.Get("resourceArn"))
			}
		}
		for _, a := range points {
			for _, done := range []string{"vol-ok", "i-failed", "db-running", "fs-aborted"} {
				if strings.HasSuffix(a, "/"+done) {
					t.Errorf("recovery points read for %s, which completed a job in the window", done)
				}
			}
		}
		slices.Sort(points)
		if points = slices.Compact(points); tc.extra == "" && len(points) != 6 {
			t.Errorf("recovery points read for %d resources, want 6: %v", len(points), points)
		}
	}
}

// TestAWSBackupWrongCredentialsDown: a refused key takes the target down
// with AWS's code and message, and no secret in the error.
func TestAWSBackupWrongCredentialsDown(t *testing.T) {
	srv := providertest.AWSServer(t, routes())
	yml := strings.Replace(srv.AWSConfig("name: aws"), providertest.AWSAccessKeyID, "AKIAWRONGWRONGWRONG1", 1)
	e := providertest.NewExporter(t, yml, kinds, collector.Options{})
	res := e.Collect(context.Background(), e.Targets())[0]
	if res.Err == nil {
		t.Fatal("up with a key the server refuses")
	}
	msg := res.Err.Error()
	if !strings.Contains(msg, "UnrecognizedClientException") || !strings.Contains(msg, "ListProtectedResources") {
		t.Errorf("error does not say what was refused: %s", msg)
	}
	if strings.Contains(msg, providertest.AWSSecretAccessKey) || strings.Contains(msg, "RequestID") || strings.Contains(msg, "?") {
		t.Errorf("error has a secret, a request ID or a query: %s", msg)
	}
}

func TestDescribeSDKErrors(t *testing.T) {
	srv := providertest.AWSServer(t, nil)
	e := providertest.NewExporter(t, srv.AWSConfig("name: aws"), kinds, collector.Options{})
	res := e.Collect(context.Background(), e.Targets())[0]
	if res.Err == nil {
		t.Fatal("up without fixtures")
	}
	if got, want := res.Err.Error(), "ListProtectedResources: HTTP 404 ResourceNotFoundException: Resource not found"; got != want {
		t.Errorf("error %q, want %q", got, want)
	}
}
