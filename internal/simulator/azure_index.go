package simulator

// The index of the Azure data: every resource by its parent and its name
// (ARM names are case-insensitive: foldKey), and, built on first use, the
// items of a collection by name and the answers of its filters. It is
// rebuilt on the first read after a change (azureState.gen), so that a
// lookup is a map read and a list page costs its own items, however many
// resources the scenario holds.

// azChild names a resource by its parent and the foldKey of its name.
type azChild[P any] struct {
	parent *P
	name   string
}

type azIndex struct {
	subs     map[string]*AzureSubscription
	rgs      map[azChild[AzureSubscription]]*AzureResourceGroup
	accounts map[azChild[AzureResourceGroup]]*ANFAccount
	pools    map[azChild[ANFAccount]]*ANFPool
	volumes  map[azChild[ANFPool]]*ANFVolume
	vaults   map[azChild[ANFAccount]]*ANFBackupVault
	servers  map[azChild[AzureResourceGroup]]*PGServer
	rsVaults map[azChild[AzureResourceGroup]]*RSVault

	// Built on first use.
	anfVaults map[*ANFBackupVault]*anfVaultIndex
	pgServers map[*PGServer]map[string]int
	rsVaultIx map[*RSVault]*rsVaultIndex
}

// anfVaultIndex indexes the backups of a NetApp backup vault.
type anfVaultIndex struct {
	// byName is the first backup of each name.
	byName map[string]int
	// byVolume are the backups of each volume (the foldKey of its
	// resource ID), in the vault's order; nil until a list filters by
	// volume.
	byVolume map[string][]int
}

// rsVaultIndex indexes a Recovery Services vault.
type rsVaultIndex struct {
	// items is the first protected item of each name.
	items map[string]int
	// jobs is the first job of each name; nil until a job is read.
	jobs map[string]int
	// filtered are the answers of the lists' filters, keyed by list and
	// filter.
	filtered filterCache
}

// changed records a change of the data: the index is rebuilt on the next
// read. The caller holds s.mu.
func (st *azureState) changed() { st.gen++ }

// index returns the index of the data, rebuilding it after a change. The
// caller holds s.mu.
func (st *azureState) index() *azIndex {
	if st.idx != nil && st.idxGen == st.gen {
		return st.idx
	}
	x := &azIndex{
		subs:      map[string]*AzureSubscription{},
		rgs:       map[azChild[AzureSubscription]]*AzureResourceGroup{},
		accounts:  map[azChild[AzureResourceGroup]]*ANFAccount{},
		pools:     map[azChild[ANFAccount]]*ANFPool{},
		volumes:   map[azChild[ANFPool]]*ANFVolume{},
		vaults:    map[azChild[ANFAccount]]*ANFBackupVault{},
		servers:   map[azChild[AzureResourceGroup]]*PGServer{},
		rsVaults:  map[azChild[AzureResourceGroup]]*RSVault{},
		anfVaults: map[*ANFBackupVault]*anfVaultIndex{},
		pgServers: map[*PGServer]map[string]int{},
		rsVaultIx: map[*RSVault]*rsVaultIndex{},
	}
	for i := range st.sc.Subscriptions {
		sb := &st.sc.Subscriptions[i]
		addFirst(x.subs, foldKey(sb.ID), sb)
		for i := range sb.ResourceGroups {
			g := &sb.ResourceGroups[i]
			addFirst(x.rgs, azChild[AzureSubscription]{sb, foldKey(g.Name)}, g)
			for i := range g.NetAppAccounts {
				a := &g.NetAppAccounts[i]
				addFirst(x.accounts, azChild[AzureResourceGroup]{g, foldKey(a.Name)}, a)
				for i := range a.Pools {
					pl := &a.Pools[i]
					addFirst(x.pools, azChild[ANFAccount]{a, foldKey(pl.Name)}, pl)
					for i := range pl.Volumes {
						addFirst(x.volumes, azChild[ANFPool]{pl, foldKey(pl.Volumes[i].Name)}, &pl.Volumes[i])
					}
				}
				for i := range a.BackupVaults {
					addFirst(x.vaults, azChild[ANFAccount]{a, foldKey(a.BackupVaults[i].Name)}, &a.BackupVaults[i])
				}
			}
			for i := range g.PostgresServers {
				addFirst(x.servers, azChild[AzureResourceGroup]{g, foldKey(g.PostgresServers[i].Name)}, &g.PostgresServers[i])
			}
			for i := range g.RecoveryServicesVaults {
				addFirst(x.rsVaults, azChild[AzureResourceGroup]{g, foldKey(g.RecoveryServicesVaults[i].Name)}, &g.RecoveryServicesVaults[i])
			}
		}
	}
	st.idx, st.idxGen = x, st.gen
	return x
}

// addFirst sets m[k] unless it is set: a lookup finds the first of
// several resources of one name, as a linear search did.
func addFirst[K comparable, V any](m map[K]V, k K, v V) {
	if _, ok := m[k]; !ok {
		m[k] = v
	}
}

// anfVault returns the index of a NetApp backup vault.
func (st *azureState) anfVault(v *ANFBackupVault) *anfVaultIndex {
	x := st.index()
	vx := x.anfVaults[v]
	if vx == nil {
		vx = &anfVaultIndex{byName: make(map[string]int, len(v.Backups))}
		for i := range v.Backups {
			addFirst(vx.byName, foldKey(v.Backups[i].Name), i)
		}
		x.anfVaults[v] = vx
	}
	return vx
}

// ltrOperation returns the index of a server's first LTR operation of
// the name, or -1.
func (st *azureState) ltrOperation(sv *PGServer, name string) int {
	x := st.index()
	byName := x.pgServers[sv]
	if byName == nil {
		byName = make(map[string]int, len(sv.LTROperations))
		for i := range sv.LTROperations {
			addFirst(byName, foldKey(sv.LTROperations[i].Name), i)
		}
		x.pgServers[sv] = byName
	}
	if i, ok := byName[foldKey(name)]; ok {
		return i
	}
	return -1
}

// rsVaultIndex returns the index of a Recovery Services vault.
func (st *azureState) rsVaultIndex(v *RSVault) *rsVaultIndex {
	x := st.index()
	vx := x.rsVaultIx[v]
	if vx == nil {
		vx = &rsVaultIndex{items: make(map[string]int, len(v.ProtectedItems))}
		for i := range v.ProtectedItems {
			addFirst(vx.items, foldKey(v.ProtectedItems[i].Name), i)
		}
		x.rsVaultIx[v] = vx
	}
	return vx
}

// rsItem is the vault's first protected item of the name, or nil.
func (st *azureState) rsItem(v *RSVault, name string) *RSProtectedItem {
	if i, ok := st.rsVaultIndex(v).items[foldKey(name)]; ok {
		return &v.ProtectedItems[i]
	}
	return nil
}

// rsJob returns the index of the vault's first job of the name, or -1.
func (st *azureState) rsJob(v *RSVault, name string) int {
	vx := st.rsVaultIndex(v)
	if vx.jobs == nil {
		vx.jobs = make(map[string]int, len(v.Jobs))
		for i := range v.Jobs {
			addFirst(vx.jobs, foldKey(v.jobName(i)), i)
		}
	}
	if i, ok := vx.jobs[foldKey(name)]; ok {
		return i
	}
	return -1
}
