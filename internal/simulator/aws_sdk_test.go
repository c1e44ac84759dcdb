package simulator

// These tests drive the simulator with the real AWS SDK for Go v2, to
// prove that SDK-signed requests are accepted and that the SDK decodes
// the answers (and errors) as it does AWS's. The simulator itself imports
// no SDK.

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/backup"
	"github.com/aws/aws-sdk-go-v2/service/backup/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// awsSDKConfig is an SDK configuration that only talks to s: static
// credentials (no environment, files or instance metadata), no retries.
func awsSDKConfig(s *Server, c awsTestCreds) aws.Config {
	return aws.Config{
		Region:           AWSDemoRegion,
		Credentials:      credentials.NewStaticCredentialsProvider(c.id, c.secret, c.token),
		HTTPClient:       s.Client(),
		RetryMaxAttempts: 1,
	}
}

func awsSDKBackup(s *Server, cfg aws.Config) *backup.Client {
	return backup.NewFromConfig(cfg, func(o *backup.Options) { o.BaseEndpoint = aws.String(s.URL()) })
}

func awsSDKSTS(s *Server, cfg aws.Config) *sts.Client {
	return sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = aws.String(s.URL()) })
}

func awsAPICode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func TestAWSSDKBackup(t *testing.T) {
	now := time.Now()
	s, _ := awsStart(t, awsTestScenario(now))
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	ctx := context.Background()
	client := awsSDKBackup(s, awsSDKConfig(s, awsDemoCreds))

	// ListBackupJobs, paged by the SDK's paginator.
	var ids []string
	pages := 0
	p := backup.NewListBackupJobsPaginator(client, &backup.ListBackupJobsInput{MaxResults: aws.Int32(3)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, j := range out.BackupJobs {
			ids = append(ids, aws.ToString(j.BackupJobId))
		}
	}
	if pages != 3 || strings.Join(ids, ",") != "j6,j5,j4,j3,j3a,j3b,j2,j1" {
		t.Fatalf("%d pages: %v", pages, ids)
	}

	// Filters as the SDK sends them (timestamps in ISO 8601).
	out, err := client.ListBackupJobs(ctx, &backup.ListBackupJobsInput{ByState: types.BackupJobStateRunning})
	if err != nil || len(out.BackupJobs) != 1 {
		t.Fatalf("ByState: %v %+v", err, out)
	}
	j := out.BackupJobs[0]
	if aws.ToString(j.PercentDone) != "42.0" || j.CompletionDate != nil || j.CreationDate.Sub(now.Add(-3*time.Hour)).Abs() > 2*time.Second ||
		aws.ToString(j.ResourceType) != "RDS" || aws.ToString(j.AccountId) != AWSDemoAccountID || j.State != types.BackupJobStateRunning {
		t.Errorf("running job %+v", j)
	}
	out, err = client.ListBackupJobs(ctx, &backup.ListBackupJobsInput{ByParentJobId: aws.String("j3")})
	if err != nil || len(out.BackupJobs) != 2 || aws.ToString(out.BackupJobs[1].ParentJobId) != "j3" || out.BackupJobs[1].State != types.BackupJobStateFailed {
		t.Fatalf("ByParentJobId: %v %+v", err, out)
	}
	out, err = client.ListBackupJobs(ctx, &backup.ListBackupJobsInput{
		ByCreatedAfter:    aws.Time(now.Add(-5*time.Hour - time.Minute)),
		ByCreatedBefore:   aws.Time(now.Add(-3*time.Hour - time.Minute)),
		ByResourceArn:     aws.String("arn:aws:ec2:eu-west-1:123456789012:volume/vol-b"),
		ByBackupVaultName: aws.String("Default"),
		ByAccountId:       aws.String(AWSDemoAccountID),
		ByResourceType:    aws.String("EBS"),
		ByCompleteAfter:   aws.Time(now.Add(-5 * time.Hour)),
		ByCompleteBefore:  aws.Time(now),
		ByMessageCategory: aws.String("AccessDenied"),
	})
	if err != nil || len(out.BackupJobs) != 1 || aws.ToString(out.BackupJobs[0].BackupJobId) != "j2" || aws.ToString(out.BackupJobs[0].StatusMessage) != "Access denied" {
		t.Fatalf("all filters: %v %+v", err, out)
	}
	parent, err := client.ListBackupJobs(ctx, &backup.ListBackupJobsInput{ByState: types.BackupJobStatePartial})
	if err != nil || len(parent.BackupJobs) != 1 || !parent.BackupJobs[0].IsParent {
		t.Fatalf("parent job: %v %+v", err, parent)
	}

	// ListRecoveryPointsByBackupVault.
	rps, err := client.ListRecoveryPointsByBackupVault(ctx, &backup.ListRecoveryPointsByBackupVaultInput{
		BackupVaultName: aws.String("Default"), ByParentRecoveryPointArn: aws.String("rp-p"),
	})
	if err != nil || len(rps.RecoveryPoints) != 2 || rps.RecoveryPoints[1].Status != types.RecoveryPointStatusDeleting ||
		aws.ToString(rps.RecoveryPoints[0].ParentRecoveryPointArn) != "rp-p" || rps.RecoveryPoints[0].IsParent {
		t.Fatalf("ByParentRecoveryPointArn: %v %+v", err, rps)
	}
	rps, err = client.ListRecoveryPointsByBackupVault(ctx, &backup.ListRecoveryPointsByBackupVaultInput{
		BackupVaultName: aws.String("Default"), ByResourceArn: aws.String("arn:aws:ec2:eu-west-1:123456789012:volume/vol-b"),
		ByResourceType: aws.String("EBS"), ByCreatedBefore: aws.Time(now.Add(-24 * time.Hour)), ByCreatedAfter: aws.Time(now.Add(-60 * 24 * time.Hour)),
	})
	if err != nil || len(rps.RecoveryPoints) != 1 {
		t.Fatalf("recovery point filters: %v %+v", err, rps)
	}
	rp := rps.RecoveryPoints[0]
	if aws.ToString(rp.RecoveryPointArn) != "rp-b1" || rp.Status != types.RecoveryPointStatusExpired || rp.CalculatedLifecycle == nil ||
		rp.CalculatedLifecycle.DeleteAt.Sub(now.Add(-10*24*time.Hour)).Abs() > 2*time.Second || aws.ToString(rp.BackupVaultName) != "Default" {
		t.Errorf("recovery point %+v", rp)
	}
	rpp := backup.NewListRecoveryPointsByBackupVaultPaginator(client, &backup.ListRecoveryPointsByBackupVaultInput{BackupVaultName: aws.String("Default"), MaxResults: aws.Int32(4)})
	n := 0
	for rpp.HasMorePages() {
		page, err := rpp.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n += len(page.RecoveryPoints)
	}
	if n != 6 {
		t.Errorf("%d recovery points paged", n)
	}

	// ListProtectedResources and ListBackupVaults.
	prp := backup.NewListProtectedResourcesPaginator(client, &backup.ListProtectedResourcesInput{MaxResults: aws.Int32(2)})
	var res []types.ProtectedResource
	for prp.HasMorePages() {
		page, err := prp.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		res = append(res, page.Results...)
	}
	if len(res) != 3 || aws.ToString(res[0].LastRecoveryPointArn) != "rp-c1" || aws.ToString(res[0].ResourceType) != "EBS" ||
		res[0].LastBackupTime.Sub(now.Add(-2*time.Hour)).Abs() > 2*time.Second || aws.ToString(res[2].LastBackupVaultArn) != "arn:aws:backup:eu-west-1:123456789012:backup-vault:other-vault" {
		t.Errorf("protected resources %+v", res)
	}
	vaults, err := client.ListBackupVaults(ctx, &backup.ListBackupVaultsInput{})
	if err != nil || len(vaults.BackupVaultList) != 2 || vaults.BackupVaultList[0].NumberOfRecoveryPoints != 6 ||
		vaults.BackupVaultList[1].VaultType != types.VaultTypeLogicallyAirGappedBackupVault {
		t.Fatalf("vaults: %v %+v", err, vaults)
	}

	// Errors, as the SDK types them.
	_, err = client.ListRecoveryPointsByBackupVault(ctx, &backup.ListRecoveryPointsByBackupVaultInput{BackupVaultName: aws.String("nope")})
	var notFound *types.ResourceNotFoundException
	if !errors.As(err, &notFound) || !strings.Contains(aws.ToString(notFound.Message), "nope") {
		t.Errorf("unknown vault: %v", err)
	}
	_, err = client.ListBackupJobs(ctx, &backup.ListBackupJobsInput{MaxResults: aws.Int32(5000)})
	var invalid *types.InvalidParameterValueException
	if !errors.As(err, &invalid) || !strings.Contains(invalid.ErrorMessage(), "maxResults") {
		t.Errorf("maxResults 5000: %v", err)
	}
	_, err = client.ListBackupJobs(ctx, &backup.ListBackupJobsInput{NextToken: aws.String("bogus")})
	if !errors.As(err, &invalid) {
		t.Errorf("bad NextToken: %v", err)
	}
	s.AddFault(Fault{API: AWSBackupAPI, Status: 503, Times: 1})
	_, err = client.ListBackupVaults(ctx, &backup.ListBackupVaultsInput{})
	var unavailable *types.ServiceUnavailableException
	if !errors.As(err, &unavailable) {
		t.Errorf("503 fault: %v", err)
	}
	s.AddFault(Fault{API: AWSBackupAPI, Status: 429, Times: 1})
	if _, err = client.ListBackupVaults(ctx, &backup.ListBackupVaultsInput{}); awsAPICode(err) != "ThrottlingException" {
		t.Errorf("429 fault: %v", err)
	}
	for _, tc := range []struct {
		cfg  aws.Config
		code string
	}{
		{awsSDKConfig(s, awsTestCreds{AWSDemoAccessKeyID, "wrong", ""}), "InvalidSignatureException"},
		{awsSDKConfig(s, awsTestCreds{"AKIANOBODY0000000000", "x", ""}), "UnrecognizedClientException"},
		{func() aws.Config { c := awsSDKConfig(s, awsDemoCreds); c.Region = "us-west-2"; return c }(), "InvalidSignatureException"},
	} {
		if _, err := awsSDKBackup(s, tc.cfg).ListBackupVaults(ctx, &backup.ListBackupVaultsInput{}); awsAPICode(err) != tc.code {
			t.Errorf("want %s: %v", tc.code, err)
		}
	}
}

func TestAWSSDKAssumeRole(t *testing.T) {
	s, _ := awsStart(t, awsSTSScenario(time.Now()))
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	ctx := context.Background()
	base := awsSDKConfig(s, awsDemoCreds)
	stsClient := awsSDKSTS(s, base)

	id, err := stsClient.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(id.Account) != AWSDemoAccountID {
		t.Fatalf("GetCallerIdentity: %v %+v", err, id)
	}

	// role_arn with an external ID: the SDK's provider calls AssumeRole,
	// and the Backup client signs with the session token.
	cfg := base
	cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(stsClient, awsCrossRole, func(o *stscreds.AssumeRoleOptions) {
		o.ExternalID = aws.String("ext-123")
		o.RoleSessionName = "backup-exporter"
	}))
	out, err := awsSDKBackup(s, cfg).ListBackupJobs(ctx, &backup.ListBackupJobsInput{})
	if err != nil || len(out.BackupJobs) != 1 || aws.ToString(out.BackupJobs[0].BackupJobId) != "other-job" {
		t.Fatalf("ListBackupJobs with the assumed role: %v %+v", err, out)
	}
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil || !strings.HasPrefix(creds.AccessKeyID, "ASIA") || creds.SessionToken == "" || !creds.CanExpire || creds.Expires.Before(time.Now().Add(10*time.Minute)) || creds.AccountID != "210987654321" {
		t.Fatalf("assumed credentials %+v %v", creds, err)
	}
	roleID, err := awsSDKSTS(s, cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(roleID.Arn) != "arn:aws:sts::210987654321:assumed-role/CrossAccountBackupRead/backup-exporter" {
		t.Fatalf("GetCallerIdentity as the role: %v %+v", err, roleID)
	}

	// Without the external ID: AccessDenied, as the SDK reports it.
	bad := base
	bad.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(stsClient, awsCrossRole))
	if _, err := awsSDKBackup(s, bad).ListBackupVaults(ctx, &backup.ListBackupVaultsInput{}); !strings.Contains(err.Error(), "AccessDenied") {
		t.Errorf("without the external ID: %v", err)
	}

	// Expired temporary credentials.
	s.ExpireAWSCredentials()
	static := base
	static.Credentials = credentials.NewStaticCredentialsProvider(creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken)
	if _, err := awsSDKBackup(s, static).ListBackupVaults(ctx, &backup.ListBackupVaultsInput{}); awsAPICode(err) != "ExpiredTokenException" {
		t.Errorf("expired: %v", err)
	}

	// web_identity_token_file: AssumeRoleWithWebIdentity, unsigned.
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte(AWSDemoWebIdentityToken), 0o600); err != nil {
		t.Fatal(err)
	}
	anon := base
	anon.Credentials = aws.AnonymousCredentials{}
	web := base
	web.Credentials = aws.NewCredentialsCache(stscreds.NewWebIdentityRoleProvider(awsSDKSTS(s, anon), AWSDemoRoleARN, stscreds.IdentityTokenFile(tokenFile)))
	vaults, err := awsSDKBackup(s, web).ListBackupVaults(ctx, &backup.ListBackupVaultsInput{})
	if err != nil || len(vaults.BackupVaultList) != 2 {
		t.Fatalf("web identity: %v %+v", err, vaults)
	}
}
