package azurebackup

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/backup-exporter/backup_exporter/collector/providers/azure"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/config"
)

type provider struct {
	arm         *azure.Client
	concurrency int
	owns        func(id string) bool
	base        string // ARM path of the resource group's vaults
	vault       string
	workloads   []string
	apiVersion  string
	window      time.Duration
	now         func() time.Time
}

func newProvider(t *config.Target, env *toolkit.Env) (toolkit.Provider, error) {
	s := t.Spec.(*Spec)
	arm, err := azure.NewClient(env, Name, s.SubscriptionID)
	if err != nil {
		return nil, err
	}
	return &provider{
		arm:         arm,
		concurrency: env.Pool.MaxConcurrency(),
		owns:        env.Owns,
		base:        s.ResourceGroupPath() + "/providers/Microsoft.RecoveryServices/vaults",
		vault:       s.Vault,
		workloads:   s.WorkloadTypes,
		apiVersion:  s.APIVersion,
		window:      max(2*time.Duration(t.ExpectedInterval), minJobWindow),
		now:         time.Now,
	}, nil
}

// Collect implements Provider.
func (p *provider) Collect(ctx context.Context) ([]toolkit.Resource, error) {
	vaults := []string{p.vault}
	if p.vault == "" {
		vaults = nil
		err := p.arm.List(ctx, p.base, p.apiVersion, func(raw json.RawMessage) error {
			var v struct {
				Name string `json:"name"`
			}
			if err := json.Unmarshal(raw, &v); err != nil {
				return err
			}
			if err := toolkit.Require("name", v.Name); err != nil {
				return err
			}
			vaults = append(vaults, azure.LastSegment(v.Name))
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("list Recovery Services vaults: %w", err)
		}
	}
	perVault, err := toolkit.MapConcurrent(ctx, p.concurrency, vaults, p.vaultResources)
	if err != nil {
		return nil, err
	}
	var out []toolkit.Resource
	for _, rs := range perVault {
		out = append(out, rs...)
	}
	return out, nil
}
