package simulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// The AWS Resource Groups Tagging API (service "tagging", AWS JSON 1.1,
// API version 2017-01-26): GetResources with a ResourceARNList, answered
// from the tags of the scenario's resources. Written from the published
// service model (boto/botocore
// botocore/data/resourcegroupstaggingapi/2017-01-26/service-2.json:
// protocol json 1.1, targetPrefix ResourceGroupsTaggingAPI_20170126,
// signing name "tagging"; GetResourcesInput, whose ResourceARNList holds 1
// to 100 ARNs and "can't" go with the pagination parameters
// (PaginationToken, ResourcesPerPage, TagsPerPage), TagFilters or
// ResourceTypeFilters; an ARN that does not exist is left out of the
// answer; an untagged resource comes with "Tags": []; the errors
// InvalidParameterException, ThrottledException, InternalServiceException,
// PaginationTokenExpiredException) and the AWS CLI's get-resources
// example (aws/aws-cli awscli/examples/resourcegroupstaggingapi/get-resources.rst).
// Requests are signed with Signature Version 4 (VerifySigV4) for the
// service "tagging" in the scenario's region.
//
// The simulator's own choices: GetResources without a ResourceARNList
// (the tag-filter search) and the other operations are not simulated
// (400 UnknownOperationException); the answer lists the ARNs in the
// order asked.

// AWSTaggingAPI is the Resource Groups Tagging API name used in faults and
// stats.
const AWSTaggingAPI = "aws_tagging"

const (
	awsTaggingTargetPrefix = "ResourceGroupsTaggingAPI_20170126."
	awsTaggingMaxARNs      = 100
	awsTaggingMaxARN       = 1011
)

// awsTaggingError writes a JSON 1.1 error: X-Amzn-ErrorType and
// {"__type", "Message"}.
func awsTaggingError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("X-Amzn-ErrorType", typ)
	w.Header().Set("X-Amzn-RequestId", awsRequestID())
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	b, _ := json.Marshal(map[string]string{"__type": typ, "Message": msg})
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// awsTaggingFaultError answers injected faults as the tagging API does:
// throttling (400 or 429) is ThrottledException, 5xx
// InternalServiceException, 401 and 403 UnrecognizedClientException and
// AccessDeniedException, other 4xx InvalidParameterException.
func awsTaggingFaultError(w http.ResponseWriter, status int, title, detail string) {
	var typ, msg string
	switch {
	case status == http.StatusBadRequest || status == http.StatusTooManyRequests:
		typ, msg = "ThrottledException", "Rate exceeded"
	case status == http.StatusUnauthorized:
		typ, msg = "UnrecognizedClientException", "The security token included in the request is invalid."
	case status == http.StatusForbidden:
		typ, msg = "AccessDeniedException", "User is not authorized to perform: tag:GetResources"
	case status >= 500:
		typ, msg = "InternalServiceException", "The request processing failed because of an unknown error, exception, or failure."
	default:
		typ, msg = "InvalidParameterException", title
	}
	awsTaggingError(w, status, typ, msg+". "+detail)
}

// awsTaggingInput is GetResourcesInput.
type awsTaggingInput struct {
	ResourceARNList     []string          `json:"ResourceARNList"`
	PaginationToken     *string           `json:"PaginationToken"`
	ResourcesPerPage    *int              `json:"ResourcesPerPage"`
	TagsPerPage         *int              `json:"TagsPerPage"`
	TagFilters          []json.RawMessage `json:"TagFilters"`
	ResourceTypeFilters []string          `json:"ResourceTypeFilters"`
}

type awsTagJSON struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

type awsTagMappingJSON struct {
	ResourceARN string       `json:"ResourceARN"`
	Tags        []awsTagJSON `json:"Tags"`
}

// awsTagging answers the tagging API's operations (GetResources).
func (s *Server) awsTagging(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	d := s.aws.data
	s.mu.Unlock()
	body, err := readSigV4Body(r)
	if err != nil {
		awsTaggingError(w, http.StatusBadRequest, "SerializationException", "Cannot read the request body: "+err.Error())
		return
	}
	auth, err := VerifySigV4(r, body, SigV4Params{Service: "tagging", Regions: []string{d.region}, Lookup: s.awsLookup(d), Now: time.Now()})
	if err != nil {
		w.Header().Set("X-Amzn-RequestId", awsRequestID())
		var typ string
		if se, ok := err.(*SigV4Error); ok {
			typ = map[SigV4Failure]string{
				SigV4Missing: "MissingAuthenticationTokenException", SigV4Incomplete: "IncompleteSignatureException",
				SigV4BadScope: "InvalidSignatureException", SigV4Skewed: "InvalidSignatureException",
				SigV4UnknownKey: "UnrecognizedClientException", SigV4BadToken: "UnrecognizedClientException",
				SigV4TokenExpired: "ExpiredTokenException", SigV4Mismatch: "InvalidSignatureException",
			}[se.Failure]
		}
		awsTaggingError(w, http.StatusForbidden, firstNonEmpty(typ, "IncompleteSignatureException"), err.Error())
		return
	}
	p, ok := s.awsPrincipal(d, auth.AccessKeyID)
	acct := d.accounts[p.account]
	if !ok || acct == nil {
		awsTaggingError(w, http.StatusForbidden, "UnrecognizedClientException", "The security token included in the request is invalid.")
		return
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-amz-json-1.1") {
		awsTaggingError(w, http.StatusBadRequest, "SerializationException", "Content-Type "+fmt.Sprintf("%q", ct)+" is not application/x-amz-json-1.1")
		return
	}
	op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), awsTaggingTargetPrefix)
	if op != "GetResources" {
		awsTaggingError(w, http.StatusBadRequest, "UnknownOperationException", "The simulator serves only GetResources, not "+op+".")
		return
	}
	var in awsTaggingInput
	if err := json.Unmarshal(body, &in); err != nil {
		awsTaggingError(w, http.StatusBadRequest, "SerializationException", "Cannot read GetResourcesInput: "+err.Error())
		return
	}
	switch {
	case in.ResourceARNList == nil:
		awsTaggingError(w, http.StatusBadRequest, "UnknownOperationException", "The simulator serves GetResources only with a ResourceARNList.")
		return
	case len(in.ResourceARNList) < 1 || len(in.ResourceARNList) > awsTaggingMaxARNs:
		awsTaggingError(w, http.StatusBadRequest, "InvalidParameterException", awsValidation(fmt.Sprint(len(in.ResourceARNList))+" ARNs", "resourceARNList",
			"Member must have length less than or equal to 100 and greater than or equal to 1"))
		return
	case in.PaginationToken != nil || in.ResourcesPerPage != nil || in.TagsPerPage != nil:
		awsTaggingError(w, http.StatusBadRequest, "InvalidParameterException", "You can't specify ResourceARNList with any of the pagination parameters (ResourcesPerPage, TagsPerPage, PaginationToken).")
		return
	case in.TagFilters != nil || in.ResourceTypeFilters != nil:
		awsTaggingError(w, http.StatusBadRequest, "InvalidParameterException", "You can't specify ResourceARNList with TagFilters or ResourceTypeFilters.")
		return
	}
	out := []awsTagMappingJSON{}
	seen := map[string]bool{}
	for i, arn := range in.ResourceARNList {
		if len(arn) < 1 || len(arn) > awsTaggingMaxARN {
			awsTaggingError(w, http.StatusBadRequest, "InvalidParameterException", awsValidation(arn, fmt.Sprintf("resourceARNList.%d.member", i+1),
				"Member must have length less than or equal to 1011"))
			return
		}
		tags, exists := acct.tags[arn]
		if !exists || seen[arn] {
			continue
		}
		seen[arn] = true
		m := awsTagMappingJSON{ResourceARN: arn, Tags: []awsTagJSON{}}
		for _, k := range sortedKeys(tags) {
			m.Tags = append(m.Tags, awsTagJSON{Key: k, Value: tags[k]})
		}
		out = append(out, m)
	}
	b, _ := json.Marshal(map[string]any{"PaginationToken": "", "ResourceTagMappingList": out})
	w.Header().Set("X-Amzn-RequestId", awsRequestID())
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Write(append(b, '\n'))
}
