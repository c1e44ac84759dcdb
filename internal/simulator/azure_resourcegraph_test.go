package simulator

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// argScenario is one subscription with three VMs, one tagged, and a small
// Resource Graph page and quota.
func argScenario(pageSize, quota int, window time.Duration) *AzureScenario {
	return &AzureScenario{
		ResourceGraph: &AzureResourceGraph{PageSize: pageSize, Quota: quota, QuotaWindow: Duration(window)},
		Tenants:       []AzureTenant{{ID: DefaultAzureTenantID, Clients: []AzureClient{{ClientID: DefaultAzureClientID, ClientSecret: DefaultAzureClientSecret}}}},
		Subscriptions: []AzureSubscription{{ID: DefaultAzureSubscriptionID, ResourceGroups: []AzureResourceGroup{{Name: "Demo-RG", Resources: []AzureResource{
			{Type: "Microsoft.Compute/virtualMachines", Name: "vm-a", Tags: map[string]string{"team": "payments", "Owner": "ann"}},
			{Type: "Microsoft.Compute/virtualMachines", Name: "vm-b"},
			{Type: "Microsoft.Storage/storageAccounts", Name: "sa1", Tags: map[string]string{"team": "storage"}},
		}}}}},
	}
}

func argPost(t *testing.T, c *http.Client, s *Server, token string, body any) (*http.Response, map[string]any) {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, s.URL()+"/providers/Microsoft.ResourceGraph/resources?api-version=2024-04-01", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
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

func argIDs(m map[string]any) []string {
	var ids []string
	data, _ := m["data"].([]any)
	for _, row := range data {
		ids = append(ids, row.(map[string]any)["id"].(string))
	}
	return ids
}

func TestResourceGraphTagQuery(t *testing.T) {
	s, c := azStart(t, argScenario(0, -1, 0))
	tok := azToken(t, c, s)
	vmA := AzureResourceID(DefaultAzureSubscriptionID, "Demo-RG", "Microsoft.Compute/virtualMachines", "vm-a")
	q := "Resources | where id in~ ('" + strings.ToUpper(vmA) + "', '/subscriptions/" + DefaultAzureSubscriptionID + "/resourceGroups/demo-rg/providers/Microsoft.Compute/virtualMachines/vm-gone') | project id, tags"
	resp, m := argPost(t, c, s, tok, map[string]any{"subscriptions": []string{DefaultAzureSubscriptionID}, "query": q, "options": map[string]any{"resultFormat": "objectArray"}})
	if resp.StatusCode != 200 {
		t.Fatalf("%d %v", resp.StatusCode, m)
	}
	if m["resultTruncated"] != "false" || m["totalRecords"] != 1.0 || m["count"] != 1.0 {
		t.Errorf("envelope %v: resultTruncated is the string \"false\"", m)
	}
	row := m["data"].([]any)[0].(map[string]any)
	if row["id"] != vmA || len(row) != 2 {
		t.Errorf("row %v: want only id and tags, id as created", row)
	}
	if tags := row["tags"].(map[string]any); tags["team"] != "payments" || tags["Owner"] != "ann" {
		t.Errorf("tags %v", tags)
	}
	for _, h := range []string{"x-ms-user-quota-remaining", "x-ms-user-quota-resets-after"} {
		if resp.Header.Get(h) == "" {
			t.Errorf("no %s header", h)
		}
	}
	// Another subscription in scope: nothing.
	_, m = argPost(t, c, s, tok, map[string]any{"subscriptions": []string{"11111111-1111-1111-1111-111111111111"}, "query": q})
	if ids := argIDs(m); len(ids) != 0 {
		t.Errorf("out of scope: %v", ids)
	}
	// An untagged resource has {} tags.
	_, m = argPost(t, c, s, tok, map[string]any{"query": "Resources | where id in~ ('" + strings.Replace(vmA, "vm-a", "vm-b", 1) + "') | project id, tags"})
	if row := m["data"].([]any)[0].(map[string]any); row["tags"] == nil || len(row["tags"].(map[string]any)) != 0 {
		t.Errorf("untagged row %v", row)
	}
}

// TestResourceGraphQuotedLiteralsStayLiterals: a quote escaped in a
// literal is part of it; one not escaped is a parse error, never a
// different query.
func TestResourceGraphQuotedLiteralsStayLiterals(t *testing.T) {
	s, c := azStart(t, argScenario(0, -1, 0))
	tok := azToken(t, c, s)
	for _, q := range []string{
		`Resources | where id in~ ('x\') or id !in~ (\'') | project id, tags`,
		`Resources | where id in~ (@'x'') or id !in~ (''') | project id, tags`,
		`Resources | where id in~ ("x\") | where id !in~ (\"") | project id`,
	} {
		resp, m := argPost(t, c, s, tok, map[string]any{"query": q})
		if resp.StatusCode != 200 || len(argIDs(m)) != 0 {
			t.Errorf("%s: %d %v, want no row", q, resp.StatusCode, m)
		}
	}
	// Written without the escapes, the same text is another query: every
	// row (so the escaped ones above were literals, not operators).
	resp, m := argPost(t, c, s, tok, map[string]any{"query": `Resources | where id in~ ('x') or id !in~ ('') | project id`})
	if resp.StatusCode != 200 || len(argIDs(m)) == 0 {
		t.Errorf("the unescaped query: %d %v, want every row", resp.StatusCode, m)
	}
	resp, m = argPost(t, c, s, tok, map[string]any{"query": `Resources | where id in~ ('x') | summarize count()`})
	azErrCode(t, resp, m, 400, "BadRequest")
	details := m["error"].(map[string]any)["details"].([]any)
	if len(details) != 2 || details[0].(map[string]any)["code"] != "InvalidQuery" || details[1].(map[string]any)["code"] != "ParserFailure" ||
		details[1].(map[string]any)["characterPositionInLine"] != 33.0 || details[1].(map[string]any)["token"] != "summarize" {
		t.Errorf("parse error details %v", details)
	}
	for _, q := range []string{"Resources | extend x", "Resources | where id in~ ('a'", "Nope | project id", "Resources | where id in~ ('a\\q')", "Resources | project"} {
		resp, m := argPost(t, c, s, tok, map[string]any{"query": q})
		if resp.StatusCode != 400 {
			t.Errorf("%s: %d %v, want 400", q, resp.StatusCode, m)
		}
	}
}

func TestResourceGraphPaging(t *testing.T) {
	s, c := azStart(t, argScenario(2, -1, 0))
	tok := azToken(t, c, s)
	q := "Resources | project id, tags"
	var ids []string
	req := map[string]any{"query": q, "options": map[string]any{"$top": 1000}}
	for pages := 0; ; pages++ {
		resp, m := argPost(t, c, s, tok, req)
		if resp.StatusCode != 200 || pages > 5 {
			t.Fatalf("%d %v", resp.StatusCode, m)
		}
		ids = append(ids, argIDs(m)...)
		next, _ := m["$skipToken"].(string)
		if next == "" {
			break
		}
		req = map[string]any{"query": q, "options": map[string]any{"$skipToken": next}}
		// The token is the query's: another query with it is refused.
		resp, m = argPost(t, c, s, tok, map[string]any{"query": q + ", id", "options": map[string]any{"$skipToken": next}})
		azErrCode(t, resp, m, 400, "BadRequest")
	}
	if len(ids) != 3 || !(ids[0] < ids[1] && ids[1] < ids[2]) {
		t.Errorf("pages held %v, want the 3 resources sorted by id", ids)
	}
	resp, m := argPost(t, c, s, tok, map[string]any{"query": q, "options": map[string]any{"$top": 1001}})
	azErrCode(t, resp, m, 400, "BadRequest")
}

func TestResourceGraphQuota(t *testing.T) {
	s, c := azStart(t, argScenario(0, 2, 2*time.Second))
	tok := azToken(t, c, s)
	q := map[string]any{"query": "Resources | project id"}
	for i, want := range []string{"1", "0"} {
		resp, _ := argPost(t, c, s, tok, q)
		if resp.StatusCode != 200 || resp.Header.Get("x-ms-user-quota-remaining") != want {
			t.Fatalf("query %d: %d, remaining %q, want %s", i+1, resp.StatusCode, resp.Header.Get("x-ms-user-quota-remaining"), want)
		}
	}
	resp, m := argPost(t, c, s, tok, q)
	azErrCode(t, resp, m, 429, "RateLimiting")
	if resp.Header.Get("x-ms-user-quota-remaining") != "0" || !strings.HasPrefix(resp.Header.Get("x-ms-user-quota-resets-after"), "00:00:0") {
		t.Errorf("429 headers %v", resp.Header)
	}
	time.Sleep(2100 * time.Millisecond)
	if resp, _ := argPost(t, c, s, tok, q); resp.StatusCode != 200 || resp.Header.Get("x-ms-user-quota-remaining") != "1" {
		t.Errorf("after the window: %d, remaining %s", resp.StatusCode, resp.Header.Get("x-ms-user-quota-remaining"))
	}
}

func TestResourceGraphNeedsABearerToken(t *testing.T) {
	s, c := azStart(t, argScenario(0, -1, 0))
	resp, m := argPost(t, c, s, "", map[string]any{"query": "Resources | project id"})
	azErrCode(t, resp, m, 401, "InvalidAuthenticationToken")
	resp, m = argPost(t, c, s, "forged", map[string]any{"query": "Resources | project id"})
	azErrCode(t, resp, m, 401, "InvalidAuthenticationToken")
}

func TestGeneratedAzureBackupEstateHasTaggedSources(t *testing.T) {
	sc := GenerateAzureBackup(DefaultAzureSubscriptionID, 1, 50, 1, time.Now())
	rg := sc.Subscriptions[0].ResourceGroups[0]
	byName := map[string]AzureResource{}
	for _, r := range rg.Resources {
		byName[r.Name] = r
	}
	if _, ok := byName["vm-0012"]; ok {
		t.Error("the VM of the item scheduled for deferred delete exists")
	}
	if byName["vm-0001"].Tags["team"] == "" || byName["vm-0004"].Tags != nil || byName["sa01"].Tags["team"] != "storage" {
		t.Errorf("tags %v %v %v", byName["vm-0001"].Tags, byName["vm-0004"].Tags, byName["sa01"].Tags)
	}
}
