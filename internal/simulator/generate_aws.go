package simulator

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"time"
)

// GenerateAWS returns a deterministic AWS Backup scenario in
// AWSDemoRegion: account accountID, with the demo access key and the
// demo role (AWSDemoRoleName), two vaults ("Default" and "daily-35d"),
// and resources resources each with jobsPerResource daily backup jobs,
// the newest created at 03:00 UTC (plus up to 10 minutes) on or before
// now. Resource i (from 1) is, by (i-1)%6, an EBS volume, EC2 instance,
// RDS database, DynamoDB table, EFS file system or S3 bucket named
// "<type>-%03d", except that resources 9, 19, 29, ... are CloudFormation
// stacks whose jobs and recovery points are composite (two children
// each: a DynamoDB table and an S3 bucket). Each completed job has a
// recovery point (odd resources in "Default", even ones in "daily-35d",
// with a DeleteAt 35 days on). About 4% of jobs fail; the newest job of
// resources 3, 13, 23, ... is RUNNING (PercentDone, a CREATING recovery
// point); the newest job of each stack is PARTIAL (one child FAILED);
// resources 11, 31, 51, ... had their backups 40 days earlier (no job in
// the last 30 days, older recovery points); resources 17, 37, 57, ...
// never had a successful backup (every job FAILED, no recovery point).
func GenerateAWS(accountID string, resources, jobsPerResource int, now time.Time) *AWSScenario {
	h := fnv.New64a()
	h.Write([]byte(accountID))
	rng := rand.New(rand.NewPCG(0x415753, h.Sum64()))
	now = now.UTC()
	newest := time.Date(now.Year(), now.Month(), now.Day(), 3, 0, 0, 0, time.UTC)
	if newest.After(now) {
		newest = newest.AddDate(0, 0, -1)
	}
	region := AWSDemoRegion
	acc := AWSAccount{
		ID:         accountID,
		AccessKeys: []AWSAccessKey{{AccessKeyID: AWSDemoAccessKeyID, SecretAccessKey: AWSDemoSecretAccessKey}},
		Roles:      []AWSRole{{Name: AWSDemoRoleName, WebIdentityTokens: []string{AWSDemoWebIdentityToken}}},
		Vaults: []AWSVault{
			{Name: "Default", CreationDate: newest.AddDate(-1, 0, 0).Format(AWSTimeLayout)},
			{Name: "daily-35d", CreationDate: newest.AddDate(-1, 0, 0).Format(AWSTimeLayout),
				EncryptionKeyArn: "arn:aws:kms:" + region + ":" + accountID + ":key/" + huaweiUUID("kms:"+accountID)},
		},
	}
	acc.BackupJobs = make([]AWSBackupJob, 0, resources*jobsPerResource)
	acc.Resources = make([]AWSResource, 0, resources+resources/5)
	for v := range acc.Vaults {
		acc.Vaults[v].RecoveryPoints = make([]AWSRecoveryPoint, 0, resources*jobsPerResource/2+1)
	}
	plan := &AWSCreatedBy{
		BackupPlanID:      huaweiUUID("plan:" + accountID),
		BackupPlanArn:     "arn:aws:backup:" + region + ":" + accountID + ":backup-plan:" + huaweiUUID("plan:"+accountID),
		BackupPlanVersion: "NjQ3ZTljMWUtZGI0Yi00YWM0LWI1MzAtZWRhNjE3MjQ5NjUz",
		BackupRuleID:      huaweiUUID("rule:" + accountID),
	}
	types := []string{"EBS", "EC2", "RDS", "DynamoDB", "EFS", "S3"}
	arnOf := func(typ, name string) string {
		x := fmt.Sprintf("%017x", rng.Uint64()>>4)
		switch typ {
		case "EBS":
			return "arn:aws:ec2:" + region + ":" + accountID + ":volume/vol-" + x
		case "EC2":
			return "arn:aws:ec2:" + region + ":" + accountID + ":instance/i-" + x
		case "RDS":
			return "arn:aws:rds:" + region + ":" + accountID + ":db:" + name
		case "DynamoDB":
			return "arn:aws:dynamodb:" + region + ":" + accountID + ":table/" + name
		case "EFS":
			return "arn:aws:elasticfilesystem:" + region + ":" + accountID + ":file-system/fs-" + x
		case "S3":
			return "arn:aws:s3:::" + name
		}
		return "arn:aws:cloudformation:" + region + ":" + accountID + ":stack/" + name + "/" + huaweiUUID("stack:"+name)
	}
	pointARN := func(typ, seed string) string {
		if typ == "EBS" {
			return fmt.Sprintf("arn:aws:ec2:%s::snapshot/snap-%017x", region, rng.Uint64()>>4)
		}
		return "arn:aws:backup:" + region + ":" + accountID + ":recovery-point:" + awsUUID(seed)
	}
	ts := func(t time.Time) string { return t.Format(AWSTimeLayout) }
	i64 := func(v int64) *int64 { return &v }

	for i := 1; i <= resources; i++ {
		typ := types[(i-1)%len(types)]
		stack := i%10 == 9
		if stack {
			typ = "CloudFormation"
		}
		name := fmt.Sprintf("%s-%03d", map[string]string{"EBS": "vol", "EC2": "ec2", "RDS": "db", "DynamoDB": "table",
			"EFS": "efs", "S3": fmt.Sprintf("bucket-%s", accountID), "CloudFormation": "stack"}[typ], i)
		res := AWSResource{ARN: arnOf(typ, name), Type: typ, Name: name, Tags: awsGeneratedTags(i, name), Gone: i%25 == 13}
		acc.Resources = append(acc.Resources, res)
		var kids []AWSResource
		if stack {
			for _, k := range []struct{ typ, name string }{{"DynamoDB", name + "-table"}, {"S3", fmt.Sprintf("bucket-%s-%03d-assets", accountID, i)}} {
				kids = append(kids, AWSResource{ARN: arnOf(k.typ, k.name), Type: k.typ, Name: k.name})
			}
			acc.Resources = append(acc.Resources, kids...)
		}
		vault := "daily-35d"
		if i%2 == 1 {
			vault = "Default"
		}
		stale := i%20 == 11
		never := i%20 == 17
		size := int64(1+rng.IntN(500)) << 30
		for j := jobsPerResource - 1; j >= 0; j-- { // oldest first
			day := newest.AddDate(0, 0, -j)
			if stale {
				day = day.AddDate(0, 0, -40)
			}
			start := day.Add(time.Duration(rng.IntN(600)) * time.Second)
			if start.After(now) {
				start = now
			}
			dur := time.Duration(2+rng.IntN(58))*time.Minute + time.Duration(rng.IntN(1000))*time.Millisecond
			jsize := size + rng.Int64N(size/20+1)
			seed := fmt.Sprintf("gen:%s:%d:%d", accountID, i, j)
			job := AWSBackupJob{
				ID:                awsUUID("job:" + seed),
				BackupVaultName:   vault,
				ResourceArn:       res.ARN,
				State:             "COMPLETED",
				PercentDone:       "100.0",
				BytesTransferred:  i64(jsize),
				BackupSizeInBytes: i64(jsize),
				CreationDate:      ts(start),
				StartByDate:       ts(day.Add(8 * time.Hour)),
				InitiationDate:    ts(start),
				CompletionDate:    ts(start.Add(dur)),
				CreatedBy:         plan,
			}
			roll := rng.Float64()
			running := j == 0 && i%10 == 3 && !stale && !never
			partial := j == 0 && stack && !stale && !never
			switch {
			case running:
				pct := 5 + rng.IntN(90)
				job.State, job.PercentDone, job.CompletionDate = "RUNNING", fmt.Sprintf("%d.0", pct), ""
				job.BytesTransferred = i64(jsize * int64(pct) / 100)
				job.BackupSizeInBytes = nil
				job.ExpectedCompletionDate = ts(start.Add(2 * dur))
			case partial:
				job.State = "PARTIAL"
				job.StatusMessage = "The backup completed but 1 of 2 nested resources failed to back up."
				job.MessageCategory = "PartialSuccess"
			case never || roll < 0.04:
				job.State, job.PercentDone = "FAILED", "0.0"
				job.StatusMessage = "An internal error occurred: the backup of the resource could not be started. Retry the backup."
				job.MessageCategory = "InternalError"
				job.BytesTransferred, job.BackupSizeInBytes = i64(0), nil
			}
			if job.State != "FAILED" {
				job.RecoveryPointArn = pointARN(typ, seed)
				rp := AWSRecoveryPoint{
					ARN:               job.RecoveryPointArn,
					ResourceArn:       res.ARN,
					Status:            "COMPLETED",
					CreationDate:      job.CreationDate,
					CompletionDate:    job.CompletionDate,
					BackupSizeInBytes: job.BackupSizeInBytes,
					CreatedBy:         plan,
				}
				if vault == "daily-35d" {
					rp.DeleteAt = ts(start.AddDate(0, 0, 35))
					rp.DeleteAfterDays = i64(35)
				}
				switch job.State {
				case "RUNNING":
					rp.Status = "CREATING"
				case "PARTIAL":
					rp.Status = "PARTIAL"
				}
				for k, kid := range kids {
					kseed := fmt.Sprintf("%s:%d", seed, k)
					child := AWSBackupJob{
						ID:                awsUUID("job:" + kseed),
						ResourceArn:       kid.ARN,
						State:             job.State,
						PercentDone:       job.PercentDone,
						BytesTransferred:  i64(jsize / 4),
						BackupSizeInBytes: i64(jsize / 4),
						CompletionDate:    job.CompletionDate,
					}
					if partial && k == 1 {
						child.State, child.PercentDone, child.BackupSizeInBytes = "FAILED", "0.0", nil
						child.StatusMessage = "Access denied: the backup role cannot read the bucket's objects."
						child.MessageCategory = "AccessDenied"
					} else {
						if partial {
							child.State = "COMPLETED"
						}
						child.RecoveryPointArn = pointARN(kid.Type, kseed)
						rp.Children = append(rp.Children, AWSRecoveryPoint{
							ARN: child.RecoveryPointArn, ResourceArn: kid.ARN, Status: map[bool]string{true: "CREATING", false: "COMPLETED"}[running],
							CompletionDate: job.CompletionDate, BackupSizeInBytes: child.BackupSizeInBytes,
							CompositeMemberIdentifier: kid.Name, DeleteAt: rp.DeleteAt,
						})
					}
					job.Children = append(job.Children, child)
				}
				for v := range acc.Vaults {
					if acc.Vaults[v].Name == vault {
						acc.Vaults[v].RecoveryPoints = append(acc.Vaults[v].RecoveryPoints, rp)
					}
				}
			} else {
				for k, kid := range kids {
					job.Children = append(job.Children, AWSBackupJob{
						ID: awsUUID(fmt.Sprintf("job:%s:%d", seed, k)), ResourceArn: kid.ARN, State: "FAILED", PercentDone: "0.0",
						StatusMessage: job.StatusMessage, MessageCategory: job.MessageCategory,
					})
				}
			}
			acc.BackupJobs = append(acc.BackupJobs, job)
		}
	}
	return &AWSScenario{Region: region, Accounts: []AWSAccount{acc}}
}

// awsGeneratedTags are the tags of the i-th generated resource: a team
// ("payments", "search" or "platform") and a Name on three of four, none
// on the fourth.
func awsGeneratedTags(i int, name string) map[string]string {
	if i%4 == 0 {
		return nil
	}
	return map[string]string{"team": []string{"payments", "search", "platform"}[i%3], "Name": name, "cost-center": fmt.Sprintf("cc-%d", i%5)}
}
