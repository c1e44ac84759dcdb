package aws

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	tagging "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"

	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/internal/upstream"
)

// The Resource Groups Tagging API (service "tagging", AWS JSON 1.1,
// API version 2017-01-26): GetResources with a ResourceARNList of at most
// 100 ARNs, which takes no pagination parameter, and leaves out an ARN
// that does not exist instead of failing (botocore's service-2.json of
// resourcegroupstaggingapi; permission tag:GetResources).
//
// The SDK module is pinned at v1.41.12 in go.mod: v1.42.0 and later speak
// Smithy RPC v2 CBOR by default, a protocol the service's published model
// (and so the simulator, its judge here) does not describe.

// taggingProvider labels the request metrics of the tagging calls.
const taggingProvider = "aws_tagging"

// maxARN is the longest ResourceARN the API takes.
const maxARN = 1011

// Tagging returns the tag look-up of AWS resources by ARN in region, for
// the providers whose listings carry no tags (aws_backup). endpoint
// overrides the tagging endpoint ("" : the SDK's, from the region or the
// AWS_ENDPOINT_URL* settings).
func Tagging(env *toolkit.Env, region, endpoint string) (*toolkit.TagLookup, error) {
	cfg, secrets, err := Config(env, taggingProvider, region)
	if err != nil {
		return nil, err
	}
	client := tagging.NewFromConfig(cfg, func(o *tagging.Options) {
		if endpoint != "" {
			o.BaseEndpoint = awssdk.String(endpoint)
		}
	})
	return &toolkit.TagLookup{API: "the Resource Groups Tagging API", Lookup: func(ctx context.Context, arns []string) (map[string]map[string]string, error) {
		return lookupTags(ctx, client, secrets, arns)
	}}, nil
}

// lookupTags is one GetResources call for arns (at most 100).
func lookupTags(ctx context.Context, client *tagging.Client, secrets []string, arns []string) (map[string]map[string]string, error) {
	asked := make(map[string]bool, len(arns))
	list := make([]string, 0, len(arns))
	for _, a := range arns {
		if !strings.HasPrefix(a, "arn:") || len(a) > maxARN || asked[a] {
			continue
		}
		asked[a] = true
		list = append(list, a)
	}
	out := make(map[string]map[string]string, len(list))
	if len(list) == 0 {
		return out, nil
	}
	resp, err := client.GetResources(ctx, &tagging.GetResourcesInput{ResourceARNList: list})
	if err != nil {
		return nil, fmt.Errorf("GetResources: %s", upstream.RedactSecrets(Describe(err), secrets))
	}
	for _, m := range resp.ResourceTagMappingList {
		// The CLI's own example has a stray space before an ARN.
		arn := strings.TrimSpace(awssdk.ToString(m.ResourceARN))
		if !asked[arn] {
			continue
		}
		if _, seen := out[arn]; seen {
			continue
		}
		tags := make(map[string]string, len(m.Tags))
		for _, t := range m.Tags {
			if k := awssdk.ToString(t.Key); k != "" {
				// A value "can be empty or null".
				tags[k] = awssdk.ToString(t.Value)
			}
		}
		out[arn] = tags
	}
	return out, nil
}

// awsDomains are the DNS suffixes of AWS's own endpoints, in every
// partition.
var awsDomains = []string{"amazonaws.com", "amazonaws.com.cn", "api.aws", "c2s.ic.gov", "sc2s.sgov.gov", "cloud.adc-e.uk", "csp.hci.ic.gov", "amazonaws.eu"}

// TaggingEndpoint is the tagging endpoint of a target whose AWS Backup
// endpoint is endpoint: an endpoint on a host that is not AWS's (an
// emulator such as LocalStack, the simulator) serves every AWS API of the
// target, so the tagging calls go there too; an AWS endpoint of AWS
// Backup (FIPS, a VPC endpoint) says nothing of tagging's, which is the
// SDK's ("").
func TaggingEndpoint(endpoint string) string {
	u, err := url.Parse(endpoint)
	if endpoint == "" || err != nil || u.Hostname() == "" {
		return ""
	}
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	for _, d := range awsDomains {
		if host == d || strings.HasSuffix(host, "."+d) {
			return ""
		}
	}
	return endpoint
}
