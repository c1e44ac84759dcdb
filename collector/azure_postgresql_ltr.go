package collector

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"

	"github.com/backup-exporter/backup_exporter/config"
)

// pgLTRStates maps an LTR operation's status (ExecutionStatus).
var pgLTRStates = map[string]State{
	"Running":   StateRunning,
	"Succeeded": StateSucceeded,
	"Failed":    StateFailed,
	"Cancelled": StateCancelled,
}

type pgLTRProvider struct {
	arm        *armClient
	base       string // ARM path of the resource group's flexible servers
	server     string
	backup     string
	apiVersion string
}

func newPGLTRProvider(t *config.Target, env Env) (Provider, error) {
	if env.ARM == nil {
		return nil, fmt.Errorf("credential %q is not an azure credential", env.Credential.Name)
	}
	return &pgLTRProvider{
		arm: env.ARM,
		base: "/subscriptions/" + url.PathEscape(t.SubscriptionID) +
			"/resourceGroups/" + url.PathEscape(t.ResourceGroup) +
			"/providers/Microsoft.DBforPostgreSQL/flexibleServers",
		server:     t.Server,
		backup:     t.Backup,
		apiVersion: t.APIVersion,
	}, nil
}

type pgServer struct{ id, name string }

// Collect implements Provider.
func (p *pgLTRProvider) Collect(ctx context.Context) ([]Resource, error) {
	if p.server != "" {
		s := pgServer{id: p.base + "/" + p.server, name: p.server}
		r, err := p.serverResource(ctx, s)
		if err != nil {
			return nil, err
		}
		return []Resource{r}, nil
	}
	var servers []pgServer
	err := p.arm.list(ctx, config.TypeAzurePostgreSQLLTR, p.base, p.apiVersion, func(raw json.RawMessage) error {
		var s struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		}
		if err := json.Unmarshal(raw, &s); err != nil {
			return err
		}
		servers = append(servers, pgServer{id: s.ID, name: lastSegment(s.Name)})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list flexible servers: %w", err)
	}
	return mapConcurrent(ctx, servers, p.serverResource)
}

// serverResource reads the target's one LTR operation, or lists every LTR
// operation of the server.
func (p *pgLTRProvider) serverResource(ctx context.Context, s pgServer) (Resource, error) {
	ops := "/" + url.PathEscape(s.name) + "/ltrBackupOperations"
	if p.backup != "" {
		var op pgLTROperation
		if err := p.arm.get(ctx, config.TypeAzurePostgreSQLLTR, p.base+ops+"/"+url.PathEscape(p.backup), p.apiVersion, &op); err != nil {
			return Resource{}, fmt.Errorf("get LTR operation %q of server %q: %w", p.backup, s.name, err)
		}
		return Summarize(s.id, s.name, []Backup{op.toBackup()}, false), nil
	}
	var backups []Backup
	err := p.arm.list(ctx, config.TypeAzurePostgreSQLLTR, p.base+ops, p.apiVersion, func(raw json.RawMessage) error {
		var op pgLTROperation
		if err := json.Unmarshal(raw, &op); err != nil {
			return err
		}
		backups = append(backups, op.toBackup())
		return nil
	})
	if err != nil {
		return Resource{}, fmt.Errorf("list LTR operations of server %q: %w", s.name, err)
	}
	return Summarize(s.id, s.name, backups, true), nil
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

func (op *pgLTROperation) toBackup() Backup {
	p := op.Properties
	b := Backup{
		Name:        p.BackupName,
		RawStatus:   p.Status,
		State:       normalise(pgLTRStates, p.Status),
		Start:       parseTime(p.StartTime),
		Size:        p.DatasourceSizeInBytes,
		Transferred: p.DataTransferredInBytes,
	}
	if b.Name == "" {
		b.Name = lastSegment(op.Name)
	}
	if p.PercentComplete != nil {
		b.Progress = Float(*p.PercentComplete / 100)
	}
	if b.finished() {
		// endTime of a running operation is a forecast, not an end.
		b.End = parseTime(p.EndTime)
	}
	if p.ErrorCode != "" || p.ErrorMessage != "" {
		b.Error = &ErrorInfo{Code: p.ErrorCode, Message: p.ErrorMessage}
	}
	return b
}
