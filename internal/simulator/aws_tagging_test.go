package simulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func awsTaggingScenario() *AWSScenario {
	sc := DefaultAWSScenario()
	sc.Accounts[0].Resources = []AWSResource{
		{ARN: "arn:aws:ec2:eu-west-1:123456789012:volume/vol-1", Type: "EBS", Name: "a", Tags: map[string]string{"team": "payments", "Name": "a"}},
		{ARN: "arn:aws:ec2:eu-west-1:123456789012:volume/vol-2", Type: "EBS", Name: "b"},
		{ARN: "arn:aws:ec2:eu-west-1:123456789012:volume/vol-3", Type: "EBS", Name: "c", Tags: map[string]string{"team": "x"}, Gone: true},
	}
	return sc
}

func awsTaggingCall(t *testing.T, c *http.Client, s *Server, input any, service, target string) (*http.Response, map[string]any) {
	t.Helper()
	body, _ := json.Marshal(input)
	req, _ := http.NewRequest(http.MethodPost, s.URL()+"/", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", target)
	awsSignTest(req, body, awsDemoCreds, AWSDemoRegion, service, time.Now())
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%d, not JSON: %s", resp.StatusCode, raw)
	}
	return resp, m
}

const getResources = "ResourceGroupsTaggingAPI_20170126.GetResources"

func TestAWSTaggingGetResources(t *testing.T) {
	s, c := awsStart(t, awsTaggingScenario())
	arns := []string{"arn:aws:ec2:eu-west-1:123456789012:volume/vol-2", "arn:aws:ec2:eu-west-1:123456789012:volume/vol-1",
		"arn:aws:ec2:eu-west-1:123456789012:volume/vol-3", "arn:aws:ec2:eu-west-1:123456789012:volume/vol-nope"}
	resp, m := awsTaggingCall(t, c, s, map[string]any{"ResourceARNList": arns}, "tagging", getResources)
	if resp.StatusCode != 200 {
		t.Fatalf("%d %v", resp.StatusCode, m)
	}
	list := m["ResourceTagMappingList"].([]any)
	if len(list) != 2 {
		t.Fatalf("%d mappings, want 2 (the gone and the unknown ARN left out): %v", len(list), list)
	}
	untagged, tagged := list[0].(map[string]any), list[1].(map[string]any)
	if untagged["ResourceARN"] != arns[0] || len(untagged["Tags"].([]any)) != 0 {
		t.Errorf("untagged %v, want Tags []", untagged)
	}
	if fmt.Sprint(tagged["Tags"]) != "[map[Key:Name Value:a] map[Key:team Value:payments]]" {
		t.Errorf("tags %v", tagged["Tags"])
	}
	if s.Stats().APIs[AWSTaggingAPI] != 1 || s.Stats().APIs[AWSSTSAPI] != 0 {
		t.Errorf("counted as %v", s.Stats().APIs)
	}
}

func TestAWSTaggingRefusals(t *testing.T) {
	s, c := awsStart(t, awsTaggingScenario())
	many := make([]string, 101)
	for i := range many {
		many[i] = fmt.Sprintf("arn:aws:ec2:eu-west-1:123456789012:volume/vol-%d", i)
	}
	one := []string{"arn:aws:ec2:eu-west-1:123456789012:volume/vol-1"}
	for _, tc := range []struct {
		name, service, target string
		input                 map[string]any
		status                int
		typ                   string
	}{
		{"101 ARNs", "tagging", getResources, map[string]any{"ResourceARNList": many}, 400, "InvalidParameterException"},
		{"empty list", "tagging", getResources, map[string]any{"ResourceARNList": []string{}}, 400, "InvalidParameterException"},
		{"with a pagination token", "tagging", getResources, map[string]any{"ResourceARNList": one, "PaginationToken": ""}, 400, "InvalidParameterException"},
		{"with ResourcesPerPage", "tagging", getResources, map[string]any{"ResourceARNList": one, "ResourcesPerPage": 50}, 400, "InvalidParameterException"},
		{"with TagFilters", "tagging", getResources, map[string]any{"ResourceARNList": one, "TagFilters": []any{}}, 400, "InvalidParameterException"},
		{"signed for backup", "backup", getResources, map[string]any{"ResourceARNList": one}, 403, "InvalidSignatureException"},
		{"another operation", "tagging", "ResourceGroupsTaggingAPI_20170126.TagResources", map[string]any{"ResourceARNList": one}, 400, "UnknownOperationException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, m := awsTaggingCall(t, c, s, tc.input, tc.service, tc.target)
			if resp.StatusCode != tc.status || m["__type"] != tc.typ || resp.Header.Get("X-Amzn-ErrorType") != tc.typ {
				t.Errorf("%d %v, want %d %s", resp.StatusCode, m, tc.status, tc.typ)
			}
		})
	}
	// A CBOR request (the SDK's newer default protocol) is not JSON 1.1.
	req, _ := http.NewRequest(http.MethodPost, s.URL()+"/", strings.NewReader("\xa0"))
	req.Header.Set("Content-Type", "application/cbor")
	req.Header.Set("X-Amz-Target", getResources)
	awsSignTest(req, []byte("\xa0"), awsDemoCreds, AWSDemoRegion, "tagging", time.Now())
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Errorf("CBOR: %d, want 400", resp.StatusCode)
	}
}
