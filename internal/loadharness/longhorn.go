package main

import "strconv"

// Longhorn's share of the Kubernetes estate of issue 23 (5,000
// namespaces, 2,000 Velero backups, 500 CNPG clusters, 2,000 Longhorn
// volumes): volumes Volumes with a week of daily (or hourly, or weekday)
// backups each.
const longhornBackupsPerVolume = 7

// longhornRun measures a target of volumes Longhorn Volumes, as
// matrixRun does.
func (h *harness) longhornRun(volumes int) row {
	return h.estateRun(volumes, 0, longhornArgs(volumes), "longhorn")
}

// longhornArgs are the simulator's flags of volumes Longhorn Volumes.
func longhornArgs(volumes int) []string {
	return []string{
		"--generate.longhorn.volumes", strconv.Itoa(volumes),
		"--generate.longhorn.backups-per-volume", strconv.Itoa(longhornBackupsPerVolume),
	}
}
