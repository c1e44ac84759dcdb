package simulator

// What the routes of the two kinds of Azure Backup vaults share: the
// Recovery Services vaults (azure_backup.go) and the Backup vaults
// (azure_dataprotection.go), both under a resource group.

import (
	"fmt"
	"net/http"
	"strings"
)

// armVault is a vault of Azure Backup: a Recovery Services vault or a
// Backup vault.
type armVault interface {
	*RSVault | *DPVault
	// location is the vault's location, DefaultAzureLocation by default.
	location() string
}

func (v *RSVault) location() string { return rsVaultLocation(v) }

func (v *DPVault) location() string { return firstNonEmpty(v.Location, DefaultAzureLocation) }

// armVaultLookup checks the api-version (one of versions for the resource
// type typ, at v's location or else the default one), the subscription,
// the resource group and the vault v found for p["vault"] (nil: none).
// With list, a missing vault is ParentResourceNotFound, else
// ResourceNotFound of vaultType/{vault}.
func armVaultLookup[V armVault](st *azureState, r *http.Request, p armParams, v V, typ string, versions []string, vaultType string, list bool) (V, int, any) {
	loc := DefaultAzureLocation
	if v != nil {
		loc = v.location()
	}
	if s, b, ok := rsAPIVersion(r, typ, loc, versions); !ok {
		return nil, s, b
	}
	if s, b, ok := armParent(st, p); !ok {
		return nil, s, b
	}
	if v == nil {
		if list {
			s, b := parentNotFound(p["vault"])
			return nil, s, b
		}
		s, b := resourceNotFound(p["rg"], vaultType+"/"+p["vault"])
		return nil, s, b
	}
	return v, 0, nil
}

// armListGroupVaults lists the vaults of the resource group p["rg"] (vaults
// picks them, item makes one) after checking the api-version (one of
// versions for the resource type typ, at the default location), the
// subscription and the resource group.
func armListGroupVaults[T, R any](st *azureState, r *http.Request, p armParams, typ string, versions []string,
	vaults func(*AzureResourceGroup) []T, item func(sub, rg string, v *T) R) (int, any) {
	if s, b, ok := rsAPIVersion(r, typ, DefaultAzureLocation, versions); !ok {
		return s, b
	}
	if s, b, ok := armParent(st, p); !ok {
		return s, b
	}
	g := st.rg(p["sub"], p["rg"])
	return http.StatusOK, armItems(vaults(g), func(v *T) any { return item(p["sub"], g.Name, v) })
}

// validateVaults checks the vaults of every resource group of sc: vaults
// picks them (key is their YAML key), check gives a vault's name and its
// error.
func validateVaults[T any](sc *AzureScenario, key string, vaults func(*AzureResourceGroup) []T,
	check func(sub, rg string, v *T) (string, error)) error {
	for _, sb := range sc.Subscriptions {
		for gi := range sb.ResourceGroups {
			g := &sb.ResourceGroups[gi]
			vs := vaults(g)
			for vi := range vs {
				if name, err := check(sb.ID, g.Name, &vs[vi]); err != nil {
					return fmt.Errorf("azure: %s/%s: %s[%d] %s: %w", sb.ID, g.Name, key, vi, name, err)
				}
			}
		}
	}
	return nil
}

// validateJobs checks the n jobs of a vault: check gives the i-th's
// errors (nil ones are none), and its name (name(i)) must be no other's,
// without case. The first error is returned, as "jobs[i]: ...".
func validateJobs(n int, name func(i int) string, check func(i int) []error) error {
	seen := map[string]bool{}
	for i := 0; i < n; i++ {
		errs := check(i)
		key := strings.ToLower(name(i))
		if seen[key] {
			errs = append(errs, fmt.Errorf("duplicate name %s", key))
		}
		seen[key] = true
		if err := firstErr(errs); err != nil {
			return fmt.Errorf("jobs[%d]: %w", i, err)
		}
	}
	return nil
}

// firstErr is the first error of errs that is not nil, or nil.
func firstErr(errs []error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
