// Package azurepostgresqlltr reads the long-term retention backups of
// Azure Database for PostgreSQL flexible servers.
package azurepostgresqlltr

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/backup-exporter/backup_exporter/collector/providers/azure"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/config"
)

// Name is the target type and provider label.
const Name = "azure_postgresql_ltr"

// DefaultAPIVersion is the api-version used when the target sets none.
const DefaultAPIVersion = "2025-08-01"

// reName is the pattern of server and LTR backup names.
var reName = regexp.MustCompile(`^[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*$`)

// Spec is the target's keys.
type Spec struct {
	azure.TargetSpec `yaml:",inline"`
	// Server names one flexible server; omitted, the resource group's
	// servers are discovered.
	Server string `yaml:"server,omitempty"`
	// Backup names one LTR operation of Server; omitted, all are listed.
	Backup string `yaml:"backup,omitempty"`
}

// Validate implements config.TargetSpec.
func (s *Spec) Validate(v *config.Validator) error {
	return config.First(
		s.TargetSpec.Required(v),
		s.TargetSpec.Check(v, DefaultAPIVersion, func() error {
			if s.Server != "" && (len(s.Server) < 3 || len(s.Server) > 63 || !reName.MatchString(s.Server)) {
				return v.Errorf("server", "server %s must be 3 to 63 characters matching %s", v.Shown("server", s.Server), reName)
			}
			if s.Backup != "" && s.Server == "" {
				return v.Errorf("backup", "backup needs server")
			}
			return nil
		}),
		v.Match("backup", s.Backup, reName),
	)
}

// Type is the azure_postgresql_ltr provider.
var Type = toolkit.Type{
	TargetType: config.TargetType{
		Name:       Name,
		Credential: azure.CredentialType,
		NewSpec:    func() config.TargetSpec { return &Spec{} },
	},
	Title: "Azure PostgreSQL flexible server LTR",
	States: []toolkit.StateTable{
		{Field: "LTR backup operation `status`", Table: states},
	},
	New: newProvider,
}

// states maps an LTR operation's status (ExecutionStatus).
var states = map[string]toolkit.State{
	"Running":   toolkit.StateRunning,
	"Succeeded": toolkit.StateSucceeded,
	"Failed":    toolkit.StateFailed,
	"Cancelled": toolkit.StateCancelled,
}

type provider struct {
	arm *azure.Client
	// concurrency is the credential's max_concurrency: how many servers
	// are read at once.
	concurrency int
	// owns says whether this replica's shard owns a server.
	owns       func(id string) bool
	base       string // ARM path of the resource group's flexible servers
	server     string
	backup     string
	apiVersion string
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
		base:        s.ResourceGroupPath() + "/providers/Microsoft.DBforPostgreSQL/flexibleServers",
		server:      s.Server,
		backup:      s.Backup,
		apiVersion:  s.APIVersion,
	}, nil
}

type pgServer struct{ id, name string }

// Collect implements Provider.
func (p *provider) Collect(ctx context.Context) ([]toolkit.Resource, error) {
	if p.server != "" {
		s := pgServer{id: p.base + "/" + p.server, name: p.server}
		r, err := p.serverResource(ctx, s)
		if err != nil {
			return nil, err
		}
		return []toolkit.Resource{r}, nil
	}
	var servers []pgServer
	err := p.arm.List(ctx, p.base, p.apiVersion, func(raw json.RawMessage) error {
		var s struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		}
		if err := json.Unmarshal(raw, &s); err != nil {
			return err
		}
		servers = append(servers, pgServer{id: s.ID, name: azure.LastSegment(s.Name)})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list flexible servers: %w", err)
	}
	servers = slices.DeleteFunc(servers, func(s pgServer) bool { return !p.owns(s.id) })
	return toolkit.MapResources(ctx, p.concurrency, servers, func(s pgServer) (string, string) { return s.id, s.name }, p.serverResource), nil
}

// serverResource reads the target's one LTR operation, or lists every LTR
// operation of the server.
func (p *provider) serverResource(ctx context.Context, s pgServer) (toolkit.Resource, error) {
	ops := "/" + url.PathEscape(s.name) + "/ltrBackupOperations"
	if p.backup != "" {
		var op pgLTROperation
		if err := p.arm.Get(ctx, p.base+ops+"/"+url.PathEscape(p.backup), p.apiVersion, &op); err != nil {
			return toolkit.Resource{}, fmt.Errorf("get LTR operation %q of server %q: %w", p.backup, s.name, err)
		}
		if err := op.validate(); err != nil {
			return toolkit.Resource{}, fmt.Errorf("get LTR operation %q of server %q: %w", p.backup, s.name, err)
		}
		return toolkit.Summarize(s.id, s.name, []toolkit.Backup{op.toBackup()}, false), nil
	}
	var backups []toolkit.Backup
	err := p.arm.List(ctx, p.base+ops, p.apiVersion, func(raw json.RawMessage) error {
		var op pgLTROperation
		if err := json.Unmarshal(raw, &op); err != nil {
			return err
		}
		if err := op.validate(); err != nil {
			return err
		}
		backups = append(backups, op.toBackup())
		return nil
	})
	if err != nil {
		return toolkit.Resource{}, fmt.Errorf("list LTR operations of server %q: %w", s.name, err)
	}
	return toolkit.Summarize(s.id, s.name, backups, true), nil
}

// validate checks that an LTR operation names itself and its status.
func (op *pgLTROperation) validate() error {
	return toolkit.Require("name", op.Name, "properties.status", op.Properties.Status)
}

type pgLTROperation struct {
	Name       string `json:"name"`
	Properties struct {
		BackupName             string   `json:"backupName"`
		DatasourceSizeInBytes  *float64 `json:"datasourceSizeInBytes"`
		DataTransferredInBytes *float64 `json:"dataTransferredInBytes"`
		Status                 string   `json:"status"`
		PercentComplete        *float64 `json:"percentComplete"`
		StartTime              string   `json:"startTime"`
		EndTime                string   `json:"endTime"`
		ErrorCode              string   `json:"errorCode"`
		ErrorMessage           string   `json:"errorMessage"`
	} `json:"properties"`
}

func (op *pgLTROperation) toBackup() toolkit.Backup {
	p := op.Properties
	b := toolkit.Backup{
		// The operation's name: its id, in the official examples, is
		// the server's, the same for every operation.
		ID:          strings.ToLower(op.Name),
		Name:        p.BackupName,
		RawStatus:   p.Status,
		State:       toolkit.Normalise(states, p.Status),
		Start:       toolkit.ParseTime(p.StartTime),
		Size:        p.DatasourceSizeInBytes,
		Transferred: p.DataTransferredInBytes,
	}
	if b.Name == "" {
		b.Name = azure.LastSegment(op.Name)
	}
	if p.PercentComplete != nil {
		b.Progress = toolkit.Float(*p.PercentComplete / 100)
	}
	if b.Finished() {
		// endTime of a running operation is a forecast, not an end.
		b.End = toolkit.ParseTime(p.EndTime)
	}
	if p.ErrorCode != "" || p.ErrorMessage != "" {
		b.Error = &toolkit.ErrorInfo{Code: p.ErrorCode, Message: p.ErrorMessage}
	}
	return b
}
