// Package awsbackup reads AWS Backup: the protected resources of a
// region, their recent backup jobs, and, for a resource without a
// completed job in the window, its recovery points.
package awsbackup

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/backup"
	"github.com/aws/aws-sdk-go-v2/service/backup/types"

	awscred "github.com/backup-exporter/backup_exporter/collector/providers/aws"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/config"
	"github.com/backup-exporter/backup_exporter/internal/upstream"
)

// Name is the target type and provider label.
const Name = "aws_backup"

// Job window bounds (docs/metrics.md: expected_interval × 2, at least 2 days;
// ListBackupJobs covers the last 30 days).
const (
	minJobWindow = 48 * time.Hour
	maxJobWindow = 30 * 24 * time.Hour
)

// pageSize is MaxResults of every list, the API's maximum.
const pageSize = 1000

// Patterns of the API reference.
var (
	reRegion       = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d{1,2}$`)
	reVaultName    = regexp.MustCompile(`^[a-zA-Z0-9\-_]{2,50}$`)
	reResourceType = regexp.MustCompile(`^[a-zA-Z0-9\-_.]{1,50}$`)
)

// Spec is the target's keys.
type Spec struct {
	Region string `yaml:"region,omitempty"`
	// BackupVault keeps the jobs of one backup vault, and the resources
	// last backed up to it.
	BackupVault string `yaml:"backup_vault,omitempty"`
	// ResourceType keeps one resource type (EBS, EC2, RDS, DynamoDB, EFS,
	// S3, ...).
	ResourceType string `yaml:"resource_type,omitempty"`
	// Endpoint overrides the AWS Backup endpoint (FIPS, VPC endpoints, the
	// simulator).
	Endpoint string `yaml:"endpoint,omitempty"`
}

// Validate implements config.TargetSpec.
func (s *Spec) Validate(v *config.Validator) error {
	return config.First(
		v.Required("region", s.Region),
		v.Match("region", s.Region, reRegion),
		v.Match("backup_vault", s.BackupVault, reVaultName),
		v.Match("resource_type", s.ResourceType, reResourceType),
		func() error {
			if s.Endpoint == "" {
				return nil
			}
			return v.URL("endpoint", s.Endpoint)
		}(),
	)
}

// Type is the aws_backup provider.
var Type = toolkit.Type{
	TargetType: config.TargetType{
		Name:       Name,
		Credential: awscred.CredentialType,
		NewSpec:    func() config.TargetSpec { return &Spec{} },
	},
	Title: "AWS Backup",
	States: []toolkit.StateTable{
		{Field: "Backup job `State`", Table: jobStates},
		{Field: "Recovery point `Status` (counts, when recovery points are read)", Table: recoveryPointStates},
	},
	New: newProvider,
}

// jobStates maps a backup job's State.
var jobStates = map[string]toolkit.State{
	"CREATED":   toolkit.StatePending,
	"PENDING":   toolkit.StatePending,
	"RUNNING":   toolkit.StateRunning,
	"ABORTING":  toolkit.StateRunning,
	"COMPLETED": toolkit.StateSucceeded,
	"FAILED":    toolkit.StateFailed,
	"EXPIRED":   toolkit.StateFailed,
	"PARTIAL":   toolkit.StateFailed,
	"ABORTED":   toolkit.StateCancelled,
}

// recoveryPointStates maps a recovery point's Status.
var recoveryPointStates = map[string]toolkit.State{
	"COMPLETED": toolkit.StateSucceeded,
	"AVAILABLE": toolkit.StateSucceeded,
	"CREATING":  toolkit.StateRunning,
	"DELETING":  toolkit.StateDeleting,
	"EXPIRED":   toolkit.StateRemoved,
	"PARTIAL":   toolkit.StateFailed,
	"STOPPED":   toolkit.StateUnknown,
}

// api is the part of the AWS Backup client the provider uses.
type api interface {
	backup.ListProtectedResourcesAPIClient
	backup.ListBackupJobsAPIClient
	backup.ListRecoveryPointsByBackupVaultAPIClient
}

type provider struct {
	client       api
	concurrency  int
	owns         func(id string) bool
	vault        string
	resourceType string
	window       time.Duration
	now          func() time.Time
	secrets      []string
}

func newProvider(t *config.Target, env *toolkit.Env) (toolkit.Provider, error) {
	s := t.Spec.(*Spec)
	cfg, secrets, err := awscred.Config(env, Name, s.Region)
	if err != nil {
		return nil, err
	}
	client := backup.NewFromConfig(cfg, func(o *backup.Options) {
		if s.Endpoint != "" {
			o.BaseEndpoint = aws.String(s.Endpoint)
		}
	})
	return &provider{
		client:       client,
		concurrency:  env.Pool.MaxConcurrency(),
		owns:         env.Owns,
		vault:        s.BackupVault,
		resourceType: s.ResourceType,
		window:       min(max(2*time.Duration(t.ExpectedInterval), minJobWindow), maxJobWindow),
		now:          time.Now,
		secrets:      secrets,
	}, nil
}

// resource is one protected resource as the lists give it.
type resource struct {
	arn, name  string
	lastVault  string // name of the vault of its newest recovery point
	lastBackup time.Time
	jobs       []types.BackupJob
}

// Collect implements Provider.
func (p *provider) Collect(ctx context.Context) ([]toolkit.Resource, error) {
	byARN := map[string]*resource{}
	var order []string
	add := func(arn, name string) *resource {
		if r, ok := byARN[arn]; ok {
			if r.name == "" {
				r.name = name
			}
			return r
		}
		r := &resource{arn: arn, name: name}
		byARN[arn] = r
		order = append(order, arn)
		return r
	}

	protected := backup.NewListProtectedResourcesPaginator(p.client, &backup.ListProtectedResourcesInput{MaxResults: aws.Int32(pageSize)},
		func(o *backup.ListProtectedResourcesPaginatorOptions) { o.StopOnDuplicateToken = true })
	pages := toolkit.NewPager(ctx, "ListProtectedResources")
	for protected.HasMorePages() {
		page, err := protected.NextPage(ctx)
		if err != nil {
			return nil, p.wrap("ListProtectedResources", err)
		}
		if err := pages.Page(len(page.Results), aws.ToString(page.NextToken)); err != nil {
			return nil, err
		}
		for _, pr := range page.Results {
			arn := aws.ToString(pr.ResourceArn)
			if err := toolkit.Require("ResourceArn", arn); err != nil {
				return nil, fmt.Errorf("ListProtectedResources: %w", err)
			}
			vault := vaultName(aws.ToString(pr.LastBackupVaultArn))
			if !p.wanted(aws.ToString(pr.ResourceType)) || (p.vault != "" && vault != p.vault) {
				continue
			}
			r := add(arn, aws.ToString(pr.ResourceName))
			r.lastVault = vault
			r.lastBackup = aws.ToTime(pr.LastBackupTime)
		}
	}

	// The jobs of the window: a resource selected by a plan that has never
	// completed a backup is listed here only.
	in := &backup.ListBackupJobsInput{MaxResults: aws.Int32(pageSize), ByCreatedAfter: aws.Time(p.now().Add(-p.window))}
	if p.vault != "" {
		in.ByBackupVaultName = aws.String(p.vault)
	}
	if p.resourceType != "" {
		in.ByResourceType = aws.String(p.resourceType)
	}
	// Resources backed up only as parts of a composite backup (a
	// CloudFormation stack's table, say) are parts of their parent.
	children, parents := map[string]bool{}, map[string]bool{}
	jobs := backup.NewListBackupJobsPaginator(p.client, in, func(o *backup.ListBackupJobsPaginatorOptions) { o.StopOnDuplicateToken = true })
	jobPages := toolkit.NewPager(ctx, "ListBackupJobs")
	for jobs.HasMorePages() {
		page, err := jobs.NextPage(ctx)
		if err != nil {
			return nil, p.wrap("ListBackupJobs", err)
		}
		if err := jobPages.Page(len(page.BackupJobs), aws.ToString(page.NextToken)); err != nil {
			return nil, err
		}
		for _, j := range page.BackupJobs {
			arn := aws.ToString(j.ResourceArn)
			if aws.ToString(j.ParentJobId) != "" {
				// A child job is a part of its parent's backup.
				children[arn] = true
				continue
			}
			parents[arn] = true
			if err := toolkit.Require("ResourceArn", arn, "State", string(j.State)); err != nil {
				return nil, fmt.Errorf("ListBackupJobs: %w", err)
			}
			// The filters were sent; they are applied here too, so that a
			// resource's jobs are those of the target whatever the server
			// did with them.
			if !p.wanted(aws.ToString(j.ResourceType)) || (p.vault != "" && aws.ToString(j.BackupVaultName) != p.vault) {
				continue
			}
			r := add(arn, aws.ToString(j.ResourceName))
			r.jobs = append(r.jobs, j)
		}
	}

	resources := make([]*resource, 0, len(order))
	for _, arn := range order {
		if children[arn] && !parents[arn] {
			continue
		}
		if p.owns(arn) {
			resources = append(resources, byARN[arn])
		}
	}
	return toolkit.MapResources(ctx, p.concurrency, resources, (*resource).identity, p.resource), nil
}

func (p *provider) wanted(typ string) bool {
	return p.resourceType == "" || strings.EqualFold(p.resourceType, typ)
}

func (r *resource) identity() (string, string) {
	if r.name == "" {
		return r.arn, r.arn
	}
	return r.arn, r.name
}

// resource builds one record: from its jobs when one completed in the
// window, else also from its recovery points (the last success may be
// older than the window, or never).
func (p *provider) resource(ctx context.Context, r *resource) (toolkit.Resource, error) {
	id, name := r.identity()
	backups := make([]toolkit.Backup, len(r.jobs))
	completed := false
	for i := range r.jobs {
		backups[i] = jobBackup(&r.jobs[i])
		completed = completed || backups[i].Succeeded()
	}
	if completed {
		r := toolkit.Summarize(id, name, backups, true)
		// The jobs are a window's, not every recovery point kept.
		r.OldestSuccess = time.Time{}
		return r, nil
	}

	vault := r.lastVault
	if vault == "" && len(r.jobs) > 0 {
		vault = aws.ToString(newestJob(r.jobs).BackupVaultName)
	}
	var points []toolkit.Backup
	if vault != "" {
		var err error
		if points, err = p.recoveryPoints(ctx, vault, r.arn); err != nil {
			return toolkit.Resource{}, err
		}
	}
	var out toolkit.Resource
	if len(backups) > 0 {
		out = toolkit.Summarize(id, name, backups, true)
		fromPoints := toolkit.Summarize(id, name, points, true)
		out.LastSuccess, out.NoSuccessListed = fromPoints.LastSuccess, fromPoints.LastSuccess.IsZero()
		// The vault's recovery points of the resource are all it keeps.
		out.OldestSuccess = fromPoints.OldestSuccess
	} else {
		out = toolkit.Summarize(id, name, points, true)
	}
	if vault == "" && !r.lastBackup.IsZero() {
		// No vault to look in: the protected resource's own last backup.
		out.LastSuccess, out.NoSuccessListed = r.lastBackup, false
	}
	// Listed by AWS Backup, so selected by a plan: protected, even with
	// no recovery point yet (last success 0).
	out.Protected = true
	return out, nil
}

// recoveryPoints lists the resource's top-level recovery points in vault.
func (p *provider) recoveryPoints(ctx context.Context, vault, arn string) ([]toolkit.Backup, error) {
	var out []toolkit.Backup
	points := backup.NewListRecoveryPointsByBackupVaultPaginator(p.client, &backup.ListRecoveryPointsByBackupVaultInput{
		BackupVaultName: aws.String(vault),
		ByResourceArn:   aws.String(arn),
		MaxResults:      aws.Int32(pageSize),
	}, func(o *backup.ListRecoveryPointsByBackupVaultPaginatorOptions) { o.StopOnDuplicateToken = true })
	pages := toolkit.NewPager(ctx, "ListRecoveryPointsByBackupVault "+vault)
	for points.HasMorePages() {
		page, err := points.NextPage(ctx)
		if err != nil {
			return nil, p.wrap(fmt.Sprintf("ListRecoveryPointsByBackupVault %s", vault), err)
		}
		if err := pages.Page(len(page.RecoveryPoints), aws.ToString(page.NextToken)); err != nil {
			return nil, err
		}
		for i := range page.RecoveryPoints {
			rp := &page.RecoveryPoints[i]
			if aws.ToString(rp.ParentRecoveryPointArn) != "" {
				continue
			}
			if err := toolkit.Require("Status", string(rp.Status)); err != nil {
				return nil, fmt.Errorf("ListRecoveryPointsByBackupVault %s: %w", vault, err)
			}
			out = append(out, pointBackup(rp))
		}
	}
	return out, nil
}

func newestJob(jobs []types.BackupJob) *types.BackupJob {
	newest := &jobs[0]
	for i := range jobs[1:] {
		if j := &jobs[i+1]; aws.ToTime(j.CreationDate).After(aws.ToTime(newest.CreationDate)) {
			newest = j
		}
	}
	return newest
}

func jobBackup(j *types.BackupJob) toolkit.Backup {
	state := string(j.State)
	b := toolkit.Backup{
		ID:        aws.ToString(j.BackupJobId),
		Name:      aws.ToString(j.BackupJobId),
		RawStatus: state,
		State:     toolkit.Normalise(jobStates, state),
		Start:     aws.ToTime(j.CreationDate),
		End:       aws.ToTime(j.CompletionDate),
	}
	if pd := aws.ToString(j.PercentDone); pd != "" {
		if v, err := strconv.ParseFloat(pd, 64); err == nil {
			b.Progress = toolkit.Float(v / 100)
		}
	}
	if j.BytesTransferred != nil {
		b.Transferred = toolkit.Float(float64(*j.BytesTransferred))
	}
	if j.BackupSizeInBytes != nil {
		b.Size = toolkit.Float(float64(*j.BackupSizeInBytes))
	}
	if state != "COMPLETED" && (aws.ToString(j.MessageCategory) != "" || aws.ToString(j.StatusMessage) != "") {
		b.Error = &toolkit.ErrorInfo{Code: aws.ToString(j.MessageCategory), Message: aws.ToString(j.StatusMessage)}
	}
	return b
}

func pointBackup(rp *types.RecoveryPointByBackupVault) toolkit.Backup {
	status := string(rp.Status)
	b := toolkit.Backup{
		ID:        aws.ToString(rp.RecoveryPointArn),
		Name:      aws.ToString(rp.RecoveryPointArn),
		RawStatus: status,
		State:     toolkit.Normalise(recoveryPointStates, status),
		Start:     aws.ToTime(rp.CreationDate),
		End:       aws.ToTime(rp.CompletionDate),
	}
	if rp.BackupSizeInBytes != nil {
		b.Size = toolkit.Float(float64(*rp.BackupSizeInBytes))
	}
	if rp.CalculatedLifecycle != nil {
		b.Expiry = aws.ToTime(rp.CalculatedLifecycle.DeleteAt)
	}
	return b
}

// vaultName is the name in a backup vault ARN
// (arn:aws:backup:region:account:backup-vault:name).
func vaultName(arn string) string {
	if i := strings.LastIndex(arn, ":backup-vault:"); i >= 0 {
		return arn[i+len(":backup-vault:"):]
	}
	return ""
}

// wrap turns an SDK error into one line: the operation, the HTTP status
// and the API's error code and message, without the request ID (which
// changes on every call) or the URL's query, and with no secret.
func (p *provider) wrap(op string, err error) error {
	return fmt.Errorf("%s: %s", op, upstream.RedactSecrets(describe(err), p.secrets))
}

var reRequestID = regexp.MustCompile(`,? ?RequestID: [^,]*,?`)

func describe(err error) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return "no answer within the deadline: " + err.Error()
	}
	var apiErr interface {
		ErrorCode() string
		ErrorMessage() string
	}
	var status interface{ HTTPStatusCode() int }
	if errors.As(err, &apiErr) && apiErr.ErrorCode() != "" {
		code := ""
		if errors.As(err, &status) {
			code = fmt.Sprintf("HTTP %d ", status.HTTPStatusCode())
		}
		return code + apiErr.ErrorCode() + ": " + apiErr.ErrorMessage()
	}
	msg := err.Error()
	// The SDK's "operation error Backup: X, ..." prefix says what op says.
	if _, rest, ok := strings.Cut(msg, ", "); ok && strings.HasPrefix(msg, "operation error") {
		msg = rest
	}
	if errors.As(err, &status) {
		// "https response error StatusCode: 502, RequestID: ..., <cause>"
		if i := strings.Index(msg, "StatusCode: "); i >= 0 {
			if j := strings.IndexAny(msg[i+len("StatusCode: "):], ", "); j >= 0 {
				msg = msg[i+len("StatusCode: ")+j:]
			}
		}
		msg = fmt.Sprintf("HTTP %d: %s", status.HTTPStatusCode(), strings.TrimLeft(reRequestID.ReplaceAllString(msg, " "), ", "))
	}
	msg = reRequestID.ReplaceAllString(msg, " ")
	if i := strings.Index(msg, "?"); i >= 0 {
		// A URL's query (a page token): cut up to the closing quote.
		if j := strings.IndexByte(msg[i:], '"'); j >= 0 {
			msg = msg[:i] + msg[i+j:]
		}
	}
	return strings.Join(strings.Fields(msg), " ")
}

// ensure the interface is met by the SDK client.
var _ api = (*backup.Client)(nil)
