package velero

import (
	"context"

	"github.com/backup-exporter/backup_exporter/collector/providers/kubernetes"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
)

// With volume_bytes, the bytes of each namespace's latest backup: Velero
// counts them per PodVolumeBackup (file-system backup of a pod volume)
// and per DataUpload (a CSI snapshot moved by the data mover), both in
// Velero's namespace and labelled velero.io/backup-name, each naming the
// namespace of its volume.

// volumeBytes are the bytes of one backup's volumes in one namespace.
type volumeBytes struct {
	done, total float64
	// invalid: an item gave a negative count: no sample rather than a
	// made-up sum.
	invalid bool
}

func (v *volumeBytes) add(pr progress) {
	if pr.BytesDone < 0 || pr.TotalBytes < 0 {
		v.invalid = true
	}
	v.done += float64(pr.BytesDone)
	v.total += float64(pr.TotalBytes)
}

// backupVolumes reads the PodVolumeBackups and DataUploads of one backup,
// by namespace. DataUploads exist from Velero 1.12: a 404 for their
// resource type is none. A name whose label Velero could not have set
// (not a label value) has none.
func (p *provider) backupVolumes(ctx context.Context, b *backup) (map[string]*volumeBytes, error) {
	label := backupNameLabel(b.Metadata.Name)
	if !kubernetes.ValidLabelValue(label) {
		return nil, nil
	}
	selector := "velero.io/backup-name=" + label
	pvbs, err := list[podVolumeBackup](ctx, p, v1Prefix, "podvolumebackups", selector)
	if err != nil {
		return nil, err
	}
	dus, err := list[dataUpload](ctx, p, v2alpha1Prefix, "datauploads", selector)
	if err != nil && !kubernetes.NotInstalled(err) {
		return nil, err
	}
	out := map[string]*volumeBytes{}
	at := func(ns string) *volumeBytes {
		if out[ns] == nil {
			out[ns] = &volumeBytes{}
		}
		return out[ns]
	}
	for i := range pvbs {
		at(pvbs[i].Spec.Pod.Namespace).add(pvbs[i].Status.Progress)
	}
	for i := range dus {
		at(dus[i].Spec.SourceNamespace).add(dus[i].Status.Progress)
	}
	return out, nil
}

// addVolumeBytes sets the transferred and size bytes of the latest backup
// of each namespace this shard owns (latest[i] is out[i]'s), reading each
// distinct latest backup's volumes once, at most max_concurrency at a
// time. A namespace whose latest backup's volumes could not be read is a
// resource error (it keeps its last good series); the error returned is a
// panic's.
func (p *provider) addVolumeBytes(ctx context.Context, out []toolkit.Resource, latest []*backup) error {
	type result struct {
		bytes map[string]*volumeBytes
		err   error
	}
	results := map[*backup]*result{}
	var order []*backup
	for i, b := range latest {
		if b != nil && results[b] == nil && p.env.Owns(out[i].ID) {
			results[b] = &result{}
			order = append(order, b)
		}
	}
	g := toolkit.NewGroup(ctx, p.env.Pool.MaxConcurrency())
	for _, b := range order {
		res := results[b]
		g.Go(func(ctx context.Context) error {
			res.bytes, res.err = p.backupVolumes(ctx, b)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	for i := range out {
		res := results[latest[i]]
		if res == nil || !p.env.Owns(out[i].ID) {
			continue
		}
		if res.err != nil {
			out[i] = toolkit.Resource{ID: out[i].ID, Name: out[i].Name, Err: res.err}
			continue
		}
		if v := res.bytes[out[i].ID]; v != nil && !v.invalid {
			out[i].Latest.Transferred = toolkit.Float(v.done)
			out[i].Latest.Size = toolkit.Float(v.total)
		}
	}
	return nil
}
