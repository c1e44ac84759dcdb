package simulator

import (
	"fmt"
	"maps"
	"slices"
)

// Owners in the generated estates: the resources carry a team (and a
// cost centre) as their tags or labels, the way backup_exporter's
// backup_resource_info reads them, except every fifth resource, which has
// none (an owner nobody recorded). OwnerTags gives every resource of a
// scenario the same number of tags instead, for load tests.

// generatedTeams are the teams of the generated resources.
var generatedTeams = []string{"storage", "payments", "search"}

// generatedOwner is the team of generated resource i (from 1), "" for
// every fifth.
func generatedOwner(i int) string {
	if i%5 == 0 {
		return ""
	}
	return generatedTeams[i%len(generatedTeams)]
}

// generatedTags are the tags of generated resource i: team and
// cost-center, none for every fifth.
func generatedTags(i int) map[string]string {
	team := generatedOwner(i)
	if team == "" {
		return nil
	}
	return map[string]string{"team": team, "cost-center": fmt.Sprintf("cc-%d", 100+i%4)}
}

// ownerKeys are the keys OwnerTags gives, in this order.
var ownerKeys = []string{"team", "owner", "cost-center", "environment", "application"}

// ownerTagValues are n tags (at most len(ownerKeys) named ones, then
// tag-6, tag-7, ...) of resource i.
func ownerTagValues(i, n int) map[string]string {
	m := make(map[string]string, n)
	for k := range n {
		key := fmt.Sprintf("tag-%d", k+1)
		if k < len(ownerKeys) {
			key = ownerKeys[k]
		}
		m[key] = fmt.Sprintf("%s-%d", key, i%7)
	}
	return m
}

// OwnerTags gives every ANF volume, PostgreSQL server, Astra app, Trident
// protect Application and CBR vault of sc n tags or labels (team, owner,
// cost-center, environment, application, then tag-6, ...), replacing
// theirs, and every Kubernetes namespace (Velero's resources),
// CloudNativePG Cluster and Longhorn Volume the same n labels beside
// theirs: the estate of a load test of backup_resource_info.
func OwnerTags(sc *Scenario, n int) {
	if n <= 0 {
		return
	}
	i := 0
	next := func() map[string]string { i++; return ownerTagValues(i, n) }
	if az := sc.Azure; az != nil {
		for s := range az.Subscriptions {
			for g := range az.Subscriptions[s].ResourceGroups {
				rg := &az.Subscriptions[s].ResourceGroups[g]
				for a := range rg.NetAppAccounts {
					for p := range rg.NetAppAccounts[a].Pools {
						pool := &rg.NetAppAccounts[a].Pools[p]
						for v := range pool.Volumes {
							pool.Volumes[v].Tags = next()
						}
					}
				}
				for v := range rg.PostgresServers {
					rg.PostgresServers[v].Tags = next()
				}
			}
		}
	}
	if as := sc.Astra; as != nil {
		for a := range as.Accounts {
			for p := range as.Accounts[a].Apps {
				app := &as.Accounts[a].Apps[p]
				app.Labels = nil
				tags := next()
				for _, k := range sortedKeys(tags) {
					app.Labels = append(app.Labels, AstraLabel{Name: k, Value: tags[k]})
				}
			}
		}
	}
	if k := sc.Kubernetes; k != nil {
		for ns := range k.Namespaces {
			for a := range k.Namespaces[ns].Applications {
				k.Namespaces[ns].Applications[a].Labels = next()
			}
		}
		// Velero's namespaces, CloudNativePG's Clusters and Longhorn's
		// Volumes keep their labels (Velero's exclusion, Longhorn's
		// recurring jobs say what is backed up): the owners' are added.
		for ns := range k.Namespaces {
			addLabels(&k.Namespaces[ns].Labels, next())
		}
		if d, ok := k.CRDs[cnpgSetName].(*CNPGData); ok && d != nil {
			for c := range d.Clusters {
				addLabels(&d.Clusters[c].Labels, next())
			}
		}
		if d, ok := k.CRDs[LonghornCRDSet].(*LonghornData); ok && d != nil {
			for v := range d.Volumes {
				addLabels(&d.Volumes[v].Labels, next())
			}
		}
	}
	if h := sc.Huawei; h != nil {
		for p := range h.Projects {
			project := &h.Projects[p]
			declared := map[string]bool{}
			for _, v := range project.Vaults {
				declared[v.ID] = true
			}
			for _, b := range project.Backups {
				if b.VaultID != "" && !declared[b.VaultID] {
					declared[b.VaultID] = true
					project.Vaults = append(project.Vaults, HuaweiVault{ID: b.VaultID})
				}
			}
			for v := range project.Vaults {
				project.Vaults[v].Tags = nil
				tags := next()
				for _, k := range sortedKeys(tags) {
					project.Vaults[v].Tags = append(project.Vaults[v].Tags, HuaweiTag{Key: k, Value: ptr(tags[k])})
				}
			}
		}
	}
}

// addLabels sets the labels of add on *labels (made when nil).
func addLabels(labels *map[string]string, add map[string]string) {
	if *labels == nil {
		*labels = make(map[string]string, len(add))
	}
	maps.Copy(*labels, add)
}

func sortedKeys(m map[string]string) []string { return slices.Sorted(maps.Keys(m)) }
