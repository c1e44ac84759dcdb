package awsbackup

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/backup"

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
