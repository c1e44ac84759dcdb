package awsbackup

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/backup"
	"github.com/aws/aws-sdk-go-v2/service/backup/types"

	awscred "github.com/backup-exporter/backup_exporter/collector/providers/aws"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/internal/upstream"
)

// pageSize is MaxResults of every list, the API's maximum.
const pageSize = 1000

// api is the part of the AWS Backup client the provider uses.
type api interface {
	backup.ListProtectedResourcesAPIClient
	backup.ListBackupJobsAPIClient
	backup.ListRecoveryPointsByBackupVaultAPIClient
}

// The items of the lists, as the SDK decodes them, with the checks of the
// fields the API reference marks as required: a record without them
// cannot say whose backup it is or in what state.
type (
	// protectedResource is an item of ListProtectedResources.
	protectedResource types.ProtectedResource
	// backupJob is an item of ListBackupJobs.
	backupJob types.BackupJob
	// recoveryPoint is an item of ListRecoveryPointsByBackupVault.
	recoveryPoint types.RecoveryPointByBackupVault
)

// Check implements toolkit.Checked.
func (r *protectedResource) Check() error {
	return toolkit.Require("ResourceArn", aws.ToString(r.ResourceArn))
}

// Check implements toolkit.Checked. A child job is only noted as a part
// of its parent (its fields are not read), so only a top-level job must
// say whose it is and in what state.
func (j *backupJob) Check() error {
	if j.child() {
		return nil
	}
	return toolkit.Require("ResourceArn", aws.ToString(j.ResourceArn), "State", string(j.State))
}

// child reports whether the job is a part of a composite backup (a
// CloudFormation stack's table, say).
func (j *backupJob) child() bool { return aws.ToString(j.ParentJobId) != "" }

// Check implements toolkit.Checked. A nested recovery point is a part of
// its parent's and is not read.
func (rp *recoveryPoint) Check() error {
	if rp.child() {
		return nil
	}
	return toolkit.Require("Status", string(rp.Status))
}

// child reports whether the recovery point is nested in a composite one.
func (rp *recoveryPoint) child() bool { return aws.ToString(rp.ParentRecoveryPointArn) != "" }

// paginator is the SDK's paginator of a list whose pages are O.
type paginator[O any] interface {
	HasMorePages() bool
	NextPage(context.Context, ...func(*backup.Options)) (*O, error)
}

// list walks the list op with its SDK paginator, within the poll's
// bounds, and returns the items of every page (as items gives them, with
// the page's next token), each checked.
func list[O, T any, PT interface {
	*T
	toolkit.Checked
}](ctx context.Context, p *provider, op string, pages paginator[O], items func(*O) ([]T, *string)) ([]T, error) {
	var out []T
	bounds := toolkit.NewPager(ctx, op)
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, p.wrap(op, err)
		}
		its, next := items(page)
		if err := bounds.Page(len(its), aws.ToString(next)); err != nil {
			return nil, err
		}
		for i := range its {
			if err := PT(&its[i]).Check(); err != nil {
				return nil, fmt.Errorf("%s: %w", op, err)
			}
		}
		out = append(out, its...)
	}
	return out, nil
}

// converted is items as the provider's own item type T (the same fields).
func converted[S ~[]E, E any, T any](items S, conv func(E) T) []T {
	out := make([]T, len(items))
	for i, it := range items {
		out[i] = conv(it)
	}
	return out
}

// protectedResources lists every protected resource of the region.
func (p *provider) protectedResources(ctx context.Context) ([]protectedResource, error) {
	pages := backup.NewListProtectedResourcesPaginator(p.client, &backup.ListProtectedResourcesInput{MaxResults: aws.Int32(pageSize)},
		func(o *backup.ListProtectedResourcesPaginatorOptions) { o.StopOnDuplicateToken = true })
	return list[backup.ListProtectedResourcesOutput, protectedResource](ctx, p, "ListProtectedResources", pages,
		func(page *backup.ListProtectedResourcesOutput) ([]protectedResource, *string) {
			return converted(page.Results, func(r types.ProtectedResource) protectedResource { return protectedResource(r) }), page.NextToken
		})
}

// backupJobs lists the jobs created in the window, with the target's
// filters sent (the server may ignore them: Collect applies them again).
func (p *provider) backupJobs(ctx context.Context) ([]backupJob, error) {
	in := &backup.ListBackupJobsInput{MaxResults: aws.Int32(pageSize), ByCreatedAfter: aws.Time(p.now().Add(-p.window))}
	if p.vault != "" {
		in.ByBackupVaultName = aws.String(p.vault)
	}
	if p.resourceType != "" {
		in.ByResourceType = aws.String(p.resourceType)
	}
	pages := backup.NewListBackupJobsPaginator(p.client, in, func(o *backup.ListBackupJobsPaginatorOptions) { o.StopOnDuplicateToken = true })
	return list[backup.ListBackupJobsOutput, backupJob](ctx, p, "ListBackupJobs", pages,
		func(page *backup.ListBackupJobsOutput) ([]backupJob, *string) {
			return converted(page.BackupJobs, func(j types.BackupJob) backupJob { return backupJob(j) }), page.NextToken
		})
}

// recoveryPoints lists the resource's recovery points in vault (nested
// ones included).
func (p *provider) recoveryPoints(ctx context.Context, vault, arn string) ([]recoveryPoint, error) {
	pages := backup.NewListRecoveryPointsByBackupVaultPaginator(p.client, &backup.ListRecoveryPointsByBackupVaultInput{
		BackupVaultName: aws.String(vault),
		ByResourceArn:   aws.String(arn),
		MaxResults:      aws.Int32(pageSize),
	}, func(o *backup.ListRecoveryPointsByBackupVaultPaginatorOptions) { o.StopOnDuplicateToken = true })
	return list[backup.ListRecoveryPointsByBackupVaultOutput, recoveryPoint](ctx, p, "ListRecoveryPointsByBackupVault "+vault, pages,
		func(page *backup.ListRecoveryPointsByBackupVaultOutput) ([]recoveryPoint, *string) {
			return converted(page.RecoveryPoints, func(rp types.RecoveryPointByBackupVault) recoveryPoint { return recoveryPoint(rp) }), page.NextToken
		})
}

// wrap turns an SDK error into one line: the operation, the HTTP status
// and the API's error code and message, without the request ID (which
// changes on every call) or the URL's query, and with no secret.
func (p *provider) wrap(op string, err error) error {
	return fmt.Errorf("%s: %s", op, upstream.RedactSecrets(awscred.Describe(err), p.secrets))
}

// ensure the interface is met by the SDK client.
var _ api = (*backup.Client)(nil)
