package simulator

// The index of the Astra data: per account, the apps by ID, every backup
// in list order (the topology list) and the backups by ID. It is dropped
// by every change (s.astraIdx = nil) and rebuilt as it is read, so that a
// page costs its own items (plus a lookup) however many apps and backups
// the account holds.

type astraIndex struct {
	accounts map[*AstraAccount]*astraAccountIndex
}

type astraAccountIndex struct {
	// apps are the apps of each ID, in the account's order.
	apps map[string][]int
	// backups is every backup, app by app; nil until listed.
	backups []astraBackupRef
	// backupIDs are the backups of each ID, in that order; nil until read.
	backupIDs map[string][]astraBackupRef
}

// astraBackupRef is backup b of app a (indexes).
type astraBackupRef struct{ a, b int }

// astraChanged drops the index after a change; the caller holds s.mu.
func (s *Server) astraChanged() { s.astraIdx = nil }

// astraIndexOf returns the index of account acc; the caller holds s.mu.
func (s *Server) astraIndexOf(acc *AstraAccount) *astraAccountIndex {
	if s.astraIdx == nil {
		s.astraIdx = &astraIndex{accounts: map[*AstraAccount]*astraAccountIndex{}}
	}
	ax := s.astraIdx.accounts[acc]
	if ax == nil {
		ax = &astraAccountIndex{apps: make(map[string][]int, len(acc.Apps))}
		for i := range acc.Apps {
			ax.apps[acc.Apps[i].ID] = append(ax.apps[acc.Apps[i].ID], i)
		}
		s.astraIdx.accounts[acc] = ax
	}
	return ax
}

// allBackups is every backup of the account, app by app.
func (ax *astraAccountIndex) allBackups(acc *AstraAccount) []astraBackupRef {
	if ax.backups == nil {
		ax.backups = []astraBackupRef{}
		for a := range acc.Apps {
			for b := range acc.Apps[a].Backups {
				ax.backups = append(ax.backups, astraBackupRef{a, b})
			}
		}
	}
	return ax.backups
}

// backupsOfID are the backups of the ID, app by app.
func (ax *astraAccountIndex) backupsOfID(acc *AstraAccount, id string) []astraBackupRef {
	if ax.backupIDs == nil {
		ax.backupIDs = map[string][]astraBackupRef{}
		for _, r := range ax.allBackups(acc) {
			k := acc.Apps[r.a].Backups[r.b].ID
			ax.backupIDs[k] = append(ax.backupIDs[k], r)
		}
	}
	return ax.backupIDs[id]
}
