package simulator

import (
	"bytes"
	"encoding/json"
	"net/url"
	"testing"
	"time"
)

func TestGenerateAWS(t *testing.T) {
	now := time.Now().UTC()
	a := GenerateAWS(AWSDemoAccountID, 40, 35, now)
	b := GenerateAWS(AWSDemoAccountID, 40, 35, now)
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if !bytes.Equal(ja, jb) {
		t.Fatal("not deterministic")
	}
	acc := a.Accounts[0]
	// 40 resources, and two children for each of the 4 stacks.
	if len(acc.Resources) != 48 || len(acc.BackupJobs) != 40*35 {
		t.Fatalf("%d resources, %d jobs", len(acc.Resources), len(acc.BackupJobs))
	}
	types := map[string]int{}
	for _, r := range acc.Resources {
		types[r.Type]++
	}
	for _, typ := range []string{"EBS", "EC2", "RDS", "DynamoDB", "EFS", "S3", "CloudFormation"} {
		if types[typ] == 0 {
			t.Errorf("no %s resource: %v", typ, types)
		}
	}
	for _, j := range acc.BackupJobs {
		if j.CreationDate > now.Format(AWSTimeLayout) {
			t.Errorf("job in the future: %s", j.CreationDate)
		}
	}

	s, c := awsStart(t, a)
	o := awsReq{creds: &awsDemoCreds}
	// Every job of the last 30 days, paged by 1000.
	states := map[string]int{}
	next, pages := "", 0
	for {
		q := "?maxResults=1000"
		if next != "" {
			q += "&nextToken=" + url.QueryEscape(next)
		}
		resp, body := awsGet(t, c, s, "/backup-jobs/"+q, o)
		var items []map[string]any
		items, next = awsList(t, resp, body, "BackupJobs")
		pages++
		for _, j := range items {
			states[j["State"].(string)]++
			if created := time.Unix(int64(j["CreationDate"].(float64)), 0); now.Sub(created) > 30*24*time.Hour {
				t.Fatalf("job older than 30 days: %v", j)
			}
		}
		if next == "" {
			break
		}
	}
	// 4 running (3, 13, 23, 33), 4 partial stacks; children fail too.
	if pages < 2 || states["RUNNING"] != 4 || states["PARTIAL"] != 4 || states["FAILED"] < 4+30*2 || states["COMPLETED"] < 500 {
		t.Errorf("%d pages, states %v", pages, states)
	}

	// Protected resources: not the never-backed-up 17 and 37.
	resp, body := awsGet(t, c, s, "/resources/", o)
	res, _ := awsList(t, resp, body, "Results")
	names := map[string]map[string]any{}
	for _, r := range res {
		names[r["ResourceName"].(string)] = r
	}
	if len(res) != 46 || names["efs-017"] != nil || names["vol-037"] != nil {
		t.Errorf("%d protected resources", len(res))
	}
	// Resource 11 (stale): recovery points, no job in the last 30 days.
	stale := names["efs-011"]
	if stale == nil {
		t.Fatalf("no efs-011 in %v", names)
	}
	if last := time.Unix(int64(stale["LastBackupTime"].(float64)), 0); now.Sub(last) < 39*24*time.Hour {
		t.Errorf("efs-011 last backup %s", last)
	}
	resp, body = awsGet(t, c, s, "/backup-jobs/?resourceArn="+url.QueryEscape(stale["ResourceArn"].(string)), o)
	if jobs, _ := awsList(t, resp, body, "BackupJobs"); len(jobs) != 0 {
		t.Errorf("efs-011 has %d jobs in the last 30 days", len(jobs))
	}
	// The composite stack 9: newest recovery point PARTIAL with one child.
	stack := names["stack-009"]
	resp, body = awsGet(t, c, s, "/backup-vaults/Default/recovery-points/?parentRecoveryPointArn="+url.QueryEscape(stack["LastRecoveryPointArn"].(string)), o)
	if kids, _ := awsList(t, resp, body, "RecoveryPoints"); len(kids) != 1 || kids[0]["ResourceType"] != "DynamoDB" {
		t.Errorf("stack children: %s", body)
	}
	// The running resource 3 has a CREATING recovery point.
	resp, body = awsGet(t, c, s, "/backup-vaults/Default/recovery-points/?maxResults=1&resourceArn="+url.QueryEscape(names["db-003"]["ResourceArn"].(string)), o)
	if rps, _ := awsList(t, resp, body, "RecoveryPoints"); rps[0]["Status"] != "CREATING" {
		t.Errorf("db-003: %s", body)
	}
}

func BenchmarkAWSListBackupJobs(b *testing.B) {
	sc := GenerateAWS(AWSDemoAccountID, 2000, 30, time.Now())
	s, err := Start(Options{Scenario: &Scenario{AWS: sc}})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	c := s.Client()
	defer c.CloseIdleConnections()
	b.ResetTimer()
	for range b.N {
		resp, body := awsGet(b, c, s, "/backup-jobs/?maxResults=1000", awsReq{creds: &awsDemoCreds})
		if resp.StatusCode != 200 || len(body) == 0 {
			b.Fatal(resp.StatusCode)
		}
	}
}
