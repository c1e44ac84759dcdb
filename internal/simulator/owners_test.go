package simulator

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestHuaweiListVaults: the vault list of ListVault: declared vaults with
// their tags (a tag without value has no "value"), then the vaults the
// backups name, paged by limit and offset, filtered by id; limit outside
// 1 to 1000 is refused.
func TestHuaweiListVaults(t *testing.T) {
	sc := hwBackups(6)
	sc.Projects[0].Vaults = []HuaweiVault{{ID: "vault-b", Name: "servers", Tags: []HuaweiTag{{Key: "team", Value: ptr("payments")}, {Key: "flag"}}}}
	s, c := startHuawei(t, sc)
	base := "/v3/" + HuaweiDemoProject + "/vaults"
	auth := hwToken(HuaweiDemoToken)

	type vaultList struct {
		Vaults []struct {
			ID        string            `json:"id"`
			Name      string            `json:"name"`
			Tags      []json.RawMessage `json:"tags"`
			Resources []struct {
				ID string `json:"id"`
			} `json:"resources"`
		} `json:"vaults"`
		Count  int `json:"count"`
		Limit  int `json:"limit"`
		Offset int `json:"offset"`
	}
	var got []string
	for offset := 0; offset < 2; offset++ {
		resp, body := hwGet(t, c, s, fmt.Sprintf("%s?limit=1&offset=%d", base, offset), auth)
		if resp.StatusCode != 200 {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
		var l vaultList
		if err := json.Unmarshal(body, &l); err != nil {
			t.Fatal(err)
		}
		if l.Count != 2 || len(l.Vaults) != 1 || l.Limit != 1 || l.Offset != offset {
			t.Fatalf("offset %d: %s", offset, body)
		}
		v := l.Vaults[0]
		var tags []string
		for _, tag := range v.Tags {
			tags = append(tags, string(tag))
		}
		got = append(got, fmt.Sprintf("%s %s %d %s", v.ID, v.Name, len(v.Resources), strings.Join(tags, " ")))
	}
	want := []string{`vault-b servers 2 {"key":"team","value":"payments"} {"key":"flag"}`, `vault-a vault-vault-a 2 `}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("vaults\n got %q\nwant %q", got, want)
	}
	resp, body := hwGet(t, c, s, base+"?id=vault-a", auth)
	var l vaultList
	if err := json.Unmarshal(body, &l); err != nil || resp.StatusCode != 200 || l.Count != 1 || l.Vaults[0].ID != "vault-a" {
		t.Errorf("id filter: %d %s", resp.StatusCode, body)
	}
	for _, bad := range []string{"limit=0", "limit=1001", "offset=-1"} {
		resp, body := hwGet(t, c, s, base+"?"+bad, auth)
		hwError(t, resp, body, 400, "BackupService.0005", "Invalid parameter")
	}
	resp, body = hwGet(t, c, s, base, hwToken("wrong"))
	if resp.StatusCode != 401 {
		t.Errorf("a wrong token: %d %s", resp.StatusCode, body)
	}
}

// TestGeneratedOwners: the generated estates carry a team on most
// resources and none on every fifth; OwnerTags gives every resource n.
func TestGeneratedOwners(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	az := GenerateAzure(DefaultAzureSubscriptionID, 1, 10, 5, 1, now)
	rg := az.Subscriptions[0].ResourceGroups[0]
	vols := rg.NetAppAccounts[0].Pools[0].Volumes
	if vols[0].Tags["team"] == "" || vols[4].Tags != nil || rg.PostgresServers[0].Tags["team"] == "" || rg.PostgresServers[4].Tags != nil {
		t.Errorf("ANF/PG tags: %v %v %v %v", vols[0].Tags, vols[4].Tags, rg.PostgresServers[0].Tags, rg.PostgresServers[4].Tags)
	}
	astra := GenerateAstra("acc", 5, 1, now)
	if apps := astra.Accounts[0].Apps; len(apps[0].Labels) != 1 || apps[4].Labels != nil {
		t.Errorf("Astra labels: %v %v", apps[0].Labels, apps[4].Labels)
	}
	hw := GenerateHuawei(HuaweiDemoProject, 3, 1, now)
	if v := hw.Projects[0].Vaults; len(v) != 2 || len(v[0].Tags) != 2 || len(v[1].Tags) != 0 {
		t.Errorf("CBR vaults: %+v", v)
	}
	tp := GenerateTridentProtect(1, 5, 1, now)
	if apps := tp.Namespaces[1].Applications; apps[0].Labels["team"] == "" || apps[4].Labels != nil {
		t.Errorf("Trident labels: %v %v", apps[0].Labels, apps[4].Labels)
	}

	vel := GenerateVelero(50, 10, now)
	if ns := vel.Namespaces; ns[2].Labels["team"] == "" {
		t.Errorf("Velero namespace labels: %v", ns[2].Labels)
	}
	cnpg := GenerateCloudNativePG(1, 5, 1, now)
	if cs := cnpg.CRDs[cnpgSetName].(*CNPGData).Clusters; cs[0].Labels["team"] == "" || len(cs[4].Labels) != 1 || cs[4].Labels["team"] != "" {
		t.Errorf("CNPG labels: %v %v", cs[0].Labels, cs[4].Labels)
	}
	lh := GenerateLonghorn(10, 1, now)
	lhVols := lh.CRDs[LonghornCRDSet].(*LonghornData).Volumes
	if lhVols[0].Labels["team"] != "payments" || lhVols[0].Labels["recurring-job-group.longhorn.io/hourly"] != "enabled" || lhVols[4].Labels != nil || lhVols[8].Labels["team"] == "" {
		t.Errorf("Longhorn labels: %v %v %v", lhVols[0].Labels, lhVols[4].Labels, lhVols[8].Labels)
	}
	k8s := tp.Merge(vel).Merge(cnpg).Merge(lh)

	sc := &Scenario{Azure: az, Astra: astra, Huawei: hw, Kubernetes: k8s}
	OwnerTags(sc, 5)
	check := func(what string, n int) {
		if n != 5 {
			t.Errorf("%s: %d tags, want 5", what, n)
		}
	}
	for _, v := range rg.NetAppAccounts[0].Pools[0].Volumes {
		check("volume "+v.Name, len(v.Tags))
	}
	for _, s := range rg.PostgresServers {
		check("server "+s.Name, len(s.Tags))
	}
	for _, a := range astra.Accounts[0].Apps {
		check("app "+a.Name, len(a.Labels))
	}
	for _, v := range hw.Projects[0].Vaults {
		check("vault "+v.ID, len(v.Tags))
	}
	trident := 0
	for _, ns := range k8s.Namespaces {
		for _, a := range ns.Applications {
			check("application "+a.Name, len(a.Labels))
			trident++
		}
	}
	if trident != 5 {
		t.Errorf("%d Trident Applications", trident)
	}
	// Kubernetes objects whose own labels matter keep them: the owners'
	// five are added.
	owners := func(what string, labels map[string]string) {
		n := 0
		for _, k := range ownerKeys {
			if labels[k] != "" {
				n++
			}
		}
		check(what, n)
	}
	for _, ns := range k8s.Namespaces {
		owners("namespace "+ns.Name, ns.Labels)
		if ns.Name == "t10-app-00050" && ns.Labels["velero.io/exclude-from-backup"] != "true" {
			t.Errorf("%s lost its exclusion: %v", ns.Name, ns.Labels)
		}
	}
	for _, c := range k8s.CRDs[cnpgSetName].(*CNPGData).Clusters {
		owners("cluster "+c.Name, c.Labels)
	}
	for _, v := range k8s.CRDs[LonghornCRDSet].(*LonghornData).Volumes {
		owners("volume "+v.Name, v.Labels)
	}
	if v := k8s.CRDs[LonghornCRDSet].(*LonghornData).Volumes[0]; v.Labels["recurring-job-group.longhorn.io/hourly"] != "enabled" {
		t.Errorf("a Longhorn volume lost its recurring-job group: %v", v.Labels)
	}
}
