package azurenetappfiles

import (
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
)

// TestBackupKeysEqualExactlyWhenLoweredIDsAre: two vault backups get the
// same key exactly when their IDs are equal lowered, as when the lowered
// ID was the key (IDs in mixed case, with and without '/', non-ASCII and
// invalid UTF-8, listed from several vaults at once); no ID, no key; a
// key is much shorter than the ID.
func TestBackupKeysEqualExactlyWhenLoweredIDsAre(t *testing.T) {
	parts := []string{"/subscriptions/S1/resourceGroups/RG/providers/Microsoft.NetApp/netAppAccounts/a/backupVaults/",
		"/SUBSCRIPTIONS/s1/resourcegroups/rg/providers/microsoft.netapp/netappaccounts/A/backupvaults/",
		"v1/backups/", "V1/Backups/", "", "/", "//", "Ä/", "ä/", "\xff/", "\xfe/", "x\x00/", "\x00\x00\x00\x01"}
	names := []string{"", "b1", "B1", "daily-1", "DAILY-1", "Ä", "ä", "\xff", "\x00", "k/b1", "/", "\xc3"}
	rng := rand.New(rand.NewPCG(21, 3))
	ids := []string{""}
	for range 3000 {
		id := ""
		for range rng.IntN(4) {
			id += parts[rng.IntN(len(parts))]
		}
		ids = append(ids, id+names[rng.IntN(len(names))])
	}
	k := newBackupKeys()
	keys := make([]string, len(ids))
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(ids); i += 4 {
				keys[i] = k.key(ids[i])
			}
		}()
	}
	wg.Wait()
	byKey := map[string]string{}
	for i, id := range ids {
		lowered := strings.ToLower(id)
		if (keys[i] == "") != (lowered == "") {
			t.Fatalf("key(%q) = %q", id, keys[i])
		}
		if other, ok := byKey[keys[i]]; ok && other != lowered {
			t.Fatalf("%q and %q have the same key %q", other, lowered, keys[i])
		}
		byKey[keys[i]] = lowered
	}
	seen := map[string]string{}
	for i, id := range ids {
		lowered := strings.ToLower(id)
		if key, ok := seen[lowered]; ok && key != keys[i] {
			t.Fatalf("%q: keys %q and %q", id, key, keys[i])
		}
		seen[lowered] = keys[i]
	}
	long := "/subscriptions/S1/resourceGroups/RG/providers/Microsoft.NetApp/netAppAccounts/a/backupVaults/v1/backups/vol-001-daily-20261124"
	if key := k.key(long); len(key) != 4+len("vol-001-daily-20261124") {
		t.Errorf("key of %q is %q", long, key)
	}
}
