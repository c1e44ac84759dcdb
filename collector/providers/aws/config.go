// Package aws is the aws: credential of the configuration and the AWS SDK
// configuration built from it: the SDK's default chain, a profile, static
// keys, or a role assumed with any of those, on the exporter's transport
// and its one retry engine.
package aws

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/config"
	"github.com/backup-exporter/backup_exporter/internal/upstream"
)

// roleSessionName names the exporter's sessions in CloudTrail.
const roleSessionName = "backup_exporter"

// noRetries leaves retrying to the exporter's one retry engine (the
// transport's retry layer), so that a request is never retried twice over.
func noRetries() awssdk.Retryer { return awssdk.NopRetryer{} }

// awsCredential is what the targets of one credential in one region
// share: the SDK configuration and its credential cache (an assumed role
// is assumed once, not once per target).
type awsCredential struct {
	cfg     awssdk.Config
	secrets []string
}

// Config returns the SDK configuration of the target's credential in
// region, for provider (the label of its request metrics), and the
// secrets to keep out of error texts. The SDK's calls (and STS
// AssumeRole's) go through the exporter's transport: request slots, body
// limit, retries and request metrics.
func Config(env *toolkit.Env, provider, region string) (awssdk.Config, []string, error) {
	c, err := toolkit.SharedValue(env, sharedConfig, provider+"/"+region, func() (*awsCredential, error) {
		return newAWSCredential(env, provider, region)
	})
	if err != nil {
		return awssdk.Config{}, nil, err
	}
	return c.cfg, c.secrets, nil
}

// sharedConfig is the SDK configuration of a credential, per provider and
// region.
var sharedConfig = toolkit.NewSharedKey[*awsCredential]("aws-config")

func newAWSCredential(env *toolkit.Env, provider, region string) (*awsCredential, error) {
	a := env.Credential.Spec.(*Credential)
	opts := []func(*awsconfig.LoadOptions) error{awsconfig.WithRegion(region)}
	var secrets []string
	switch {
	case a.AccessKeyID != "":
		if a.SecretAccessKey != "" {
			secrets = append(secrets, string(a.SecretAccessKey))
		}
		opts = append(opts, awsconfig.WithCredentialsProvider(staticKeys(a)))
	case a.Profile != "":
		opts = append(opts, awsconfig.WithSharedConfigProfile(a.Profile))
	}
	// Reads the environment and the shared files only; no request.
	cfg, err := awsconfig.LoadDefaultConfig(context.Background(), opts...)
	if err != nil {
		return nil, fmt.Errorf("AWS configuration: %w", err)
	}
	// The clients built from here on (AWS Backup, and STS for role_arn)
	// use the exporter's transport and its one retry engine. The default
	// chain's own providers (web identity, EKS Pod Identity, IMDS), built
	// above, keep the SDK's client: AWS_CA_BUNDLE and the SDK's retries
	// apply to them, and their credentials are cached.
	cfg.HTTPClient = nonEmpty{env.Pool.HTTPClient(provider, nil)}
	cfg.Retryer = noRetries
	if a.RoleARN != "" {
		client := sts.NewFromConfig(cfg, func(o *sts.Options) {
			if a.STSEndpoint != "" {
				o.BaseEndpoint = awssdk.String(a.STSEndpoint)
			}
		})
		cfg.Credentials = awssdk.NewCredentialsCache(stscreds.NewAssumeRoleProvider(client, a.RoleARN, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = roleSessionName
			if a.ExternalID != "" {
				o.ExternalID = awssdk.String(a.ExternalID)
			}
		}))
	}
	return &awsCredential{cfg: cfg, secrets: secrets}, nil
}

// staticKeys is the credential's access key; a secret_access_key_file is
// read on every request, so a rotated key is used without a reload.
func staticKeys(a *Credential) awssdk.CredentialsProvider {
	return awssdk.CredentialsProviderFunc(func(ctx context.Context) (awssdk.Credentials, error) {
		secret, err := config.ResolveSecret(ctx, a.SecretAccessKey, a.SecretAccessKeyFile)
		if err != nil {
			return awssdk.Credentials{}, fmt.Errorf("secret_access_key_file: %w", err)
		}
		return awssdk.Credentials{AccessKeyID: a.AccessKeyID, SecretAccessKey: secret, Source: "backup_exporter static keys"}, nil
	})
}

// nonEmpty refuses a successful answer without a body: every AWS Backup
// and STS answer the exporter asks for has one, and the SDK would read an
// empty one as an empty list.
type nonEmpty struct{ client *http.Client }

func (c nonEmpty) Do(req *http.Request) (*http.Response, error) {
	if err := rewindable(req); err != nil {
		return nil, err
	}
	resp, err := c.client.Do(req)
	if err != nil || resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp, err
	}
	br := bufio.NewReader(resp.Body)
	if _, err := br.Peek(1); err != nil {
		resp.Body.Close()
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s %s: HTTP %d with an empty body", req.Method, upstream.RedactURL(req.URL.String()), resp.StatusCode)
		}
		return nil, err
	}
	resp.Body = struct {
		io.Reader
		io.Closer
	}{br, resp.Body}
	return resp, nil
}

// maxRewindBody bounds a request body kept in memory to be sent again.
const maxRewindBody = 1 << 20

// rewindable gives a request with a body (the JSON protocols' POSTs, STS's
// form) a GetBody, which the SDK leaves unset: without it the exporter's
// retry layer could not send it again, and a throttled or failed call
// would not be retried. Bodies are small (an ARN list at most); a body
// over maxRewindBody is left as it is (sent once).
func rewindable(req *http.Request) error {
	if req.Body == nil || req.Body == http.NoBody || req.GetBody != nil {
		return nil
	}
	if req.ContentLength < 0 || req.ContentLength > maxRewindBody {
		return nil
	}
	body, err := io.ReadAll(io.LimitReader(req.Body, maxRewindBody+1))
	req.Body.Close()
	if err != nil {
		return fmt.Errorf("read the request body: %w", err)
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	return nil
}
