package awsbackup

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/backup-exporter/backup_exporter/collector/toolkit"
)

// resource is one resource as the lists name it.
type resource struct {
	arn, name  string
	lastVault  string // name of the vault of its newest recovery point
	lastBackup time.Time
	jobs       []backupJob

	// listedName is the first name any item gave it (name is only that
	// of the items the target keeps), for the drop of a resource left out.
	listedName string
	// kept: an item the target's filters keep names it. child, parent: a
	// child job, a top-level job names it.
	kept, child, parent bool
}

func (r *resource) identity() (string, string) {
	if r.name == "" {
		return r.arn, r.arn
	}
	return r.arn, r.name
}

// childOnly reports whether the resource is backed up only as a part of a
// composite backup (a CloudFormation stack's table, say): a part of its
// parent, not a resource of its own.
func (r *resource) childOnly() bool { return r.child && !r.parent }

// inventory is what the lists say of every resource they name.
type inventory struct {
	byARN map[string]*resource
	named []*resource // every resource named, in the order first named
	kept  []*resource // those the target's filters keep, in the order first kept
}

// note returns the record of arn, which an item calls name.
func (inv *inventory) note(arn, name string) *resource {
	r, ok := inv.byARN[arn]
	if !ok {
		r = &resource{arn: arn}
		inv.byARN[arn] = r
		inv.named = append(inv.named, r)
	}
	if r.listedName == "" {
		r.listedName = name
	}
	return r
}

// keep returns the record of arn, named name by an item the target keeps.
func (inv *inventory) keep(arn, name string) *resource {
	r := inv.note(arn, name)
	if !r.kept {
		r.kept = true
		inv.kept = append(inv.kept, r)
	}
	if r.name == "" {
		r.name = name
	}
	return r
}

// inventory lists the region's protected resources and the jobs of the
// window, and returns the resources of the target: those its filters
// keep that are not only parts of composite backups. The others are
// dropped, each once, with why.
func (p *provider) inventory(ctx context.Context) ([]*resource, error) {
	inv := &inventory{byARN: map[string]*resource{}}
	protected, err := p.protectedResources(ctx)
	if err != nil {
		return nil, err
	}
	for i := range protected {
		pr := &protected[i]
		arn, name := aws.ToString(pr.ResourceArn), aws.ToString(pr.ResourceName)
		vault := vaultName(aws.ToString(pr.LastBackupVaultArn))
		if !p.wanted(aws.ToString(pr.ResourceType)) || (p.vault != "" && vault != p.vault) {
			inv.note(arn, name)
			continue
		}
		r := inv.keep(arn, name)
		r.lastVault = vault
		r.lastBackup = aws.ToTime(pr.LastBackupTime)
	}

	// The jobs of the window: a resource selected by a plan that has never
	// completed a backup is listed here only.
	jobs, err := p.backupJobs(ctx)
	if err != nil {
		return nil, err
	}
	for _, j := range jobs {
		arn, name := aws.ToString(j.ResourceArn), aws.ToString(j.ResourceName)
		if j.child() {
			// A child job is a part of its parent's backup. One that does
			// not say whose it is names no resource.
			if arn != "" {
				inv.note(arn, name).child = true
			}
			continue
		}
		// The filters were sent; they are applied here too, so that a
		// resource's jobs are those of the target whatever the server
		// did with them.
		if !p.wanted(aws.ToString(j.ResourceType)) || (p.vault != "" && aws.ToString(j.BackupVaultName) != p.vault) {
			inv.note(arn, name).parent = true
			continue
		}
		r := inv.keep(arn, name)
		r.parent = true
		r.jobs = append(r.jobs, j)
	}

	for _, r := range inv.named {
		name := r.listedName
		if name == "" {
			name = r.arn
		}
		switch {
		case r.childOnly():
			// Whatever the filters say: a part is never a resource.
			toolkit.Drop(ctx, r.arn, name, toolkit.DropChild)
		case !r.kept:
			toolkit.Drop(ctx, r.arn, name, toolkit.DropFiltered)
		}
	}
	out := make([]*resource, 0, len(inv.kept))
	for _, r := range inv.kept {
		if !r.childOnly() {
			out = append(out, r)
		}
	}
	return out, nil
}
