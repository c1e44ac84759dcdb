package simulator

import (
	"encoding/json"
	"strings"
	"time"
)

// Resource Graph's RecoveryServicesResources table over the simulated
// estate: the Recovery Services vaults' protected items, protectable items
// and jobs, each the very ARM resource the vault's REST lists answer (the
// same functions build both), so that a target read through Resource Graph
// and one read through ARM see the same estate.
//
// Written from Microsoft Learn: "Azure Resource Graph table and resource
// type reference" (supported-tables-resources.md: the table's types,
// microsoft.recoveryservices/vaults/backupfabrics/protectioncontainers/
// protecteditems and /protectableitems, microsoft.recoveryservices/vaults/
// backupjobs, microsoft.dataprotection/backupvaults/backupinstances and
// /backupjobs) and "Query your backups using Azure Resource Graph"
// (query-backups-using-azure-resource-graph.md: "Backup/Restore jobs that
// are up to 14 days old are available in ARG"; rows carry id, name, type,
// subscriptionId, resourceGroup, location and the resource's properties).
// Resource Graph writes types in lower case; the simulator writes
// resourceGroup in lower case too, as it does for Resources. Backup
// vaults' instances and jobs are there too (dataProtectionRows).

// argJobRetention is how long Resource Graph keeps Backup and Restore
// jobs.
const argJobRetention = 14 * 24 * time.Hour

// argRecoveryRow is one row of RecoveryServicesResources.
func argRecoveryRow(sub, rg, location string, id, name, typ string, props any) (map[string]any, error) {
	b, err := json.Marshal(props)
	if err != nil {
		return nil, err
	}
	var p any
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, err
	}
	return map[string]any{
		"id": id, "name": name, "type": strings.ToLower(typ), "subscriptionId": sub,
		"resourceGroup": strings.ToLower(rg), "location": firstNonEmpty(location, DefaultAzureLocation),
		"tags": map[string]any{}, "properties": p,
	}, nil
}

// recoveryServicesRows are the rows of RecoveryServicesResources at now;
// the caller holds s.mu.
func (st *azureState) recoveryServicesRows(now time.Time) ([]map[string]any, error) {
	var rows []map[string]any
	add := func(sub, rg, location string, r rsResource) error {
		row, err := argRecoveryRow(sub, rg, location, r.ID, r.Name, r.Type, r.Properties)
		if err != nil {
			return err
		}
		rows = append(rows, row)
		return nil
	}
	for _, sb := range st.sc.Subscriptions {
		for _, g := range sb.ResourceGroups {
			for vi := range g.DataProtectionVaults {
				if err := st.dataProtectionRows(sb.ID, g.Name, &g.DataProtectionVaults[vi], now, func(r map[string]any) { rows = append(rows, r) }); err != nil {
					return nil, err
				}
			}
			for vi := range g.RecoveryServicesVaults {
				v := &g.RecoveryServicesVaults[vi]
				loc := rsVaultLocation(v)
				for i := range v.ProtectedItems {
					r, _ := rsProtectedItemResource(sb.ID, g.Name, v, &v.ProtectedItems[i])
					if err := add(sb.ID, g.Name, loc, r); err != nil {
						return nil, err
					}
				}
				for i := range v.ProtectableItems {
					r, _ := rsProtectableResource(sb.ID, g.Name, v, &v.ProtectableItems[i])
					if err := add(sb.ID, g.Name, loc, r); err != nil {
						return nil, err
					}
				}
				for i := range v.Jobs {
					jv := st.rsJobView(sb.ID, g.Name, v, i)
					if jv.start.IsZero() || now.Sub(jv.start) > argJobRetention {
						continue
					}
					if op := jv.operation; op != "Backup" && op != "Restore" {
						continue
					}
					if err := add(sb.ID, g.Name, loc, rsJobResource(sb.ID, g.Name, v, jv, false, now)); err != nil {
						return nil, err
					}
				}
			}
		}
	}
	return rows, nil
}

// dataProtectionRows adds a Backup vault's rows: its backup instances and
// its Backup and Restore jobs of the last 14 days, each the resource the
// vault's REST routes answer.
func (st *azureState) dataProtectionRows(sub, rg string, v *DPVault, now time.Time, add func(map[string]any)) error {
	loc := firstNonEmpty(v.Location, DefaultAzureLocation)
	resource := func(res any) error {
		b, err := json.Marshal(res)
		if err != nil {
			return err
		}
		var r struct {
			ID, Name, Type string
			Properties     any
		}
		if err := json.Unmarshal(b, &r); err != nil {
			return err
		}
		row, err := argRecoveryRow(sub, rg, loc, r.ID, r.Name, r.Type, r.Properties)
		if err != nil {
			return err
		}
		add(row)
		return nil
	}
	is := v.instances(sub, rg)
	for _, inst := range is.json {
		if err := resource(inst); err != nil {
			return err
		}
	}
	for k := range v.Jobs {
		j := &v.Jobs[k]
		start, err := time.Parse(time.RFC3339, j.StartTime)
		if err != nil || now.Sub(start) > argJobRetention {
			continue
		}
		if c := firstNonEmpty(j.OperationCategory, "Backup"); c != "Backup" && c != "Restore" {
			continue
		}
		inst := is.find(j.Instance)
		if inst == nil {
			continue
		}
		if err := resource(v.jobItem(sub, rg, inst, k, now, false)); err != nil {
			return err
		}
	}
	return nil
}
