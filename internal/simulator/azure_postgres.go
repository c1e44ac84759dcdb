package simulator

import (
	"fmt"
	"net/http"
	"strings"
)

// Azure Database for PostgreSQL flexible servers: the resources' JSON and
// the route handlers.

func pgServerID(sub, rg, name string) string {
	return "/subscriptions/" + sub + "/resourceGroups/" + rg + "/providers/Microsoft.DBforPostgreSQL/flexibleServers/" + name
}

func serverJSON(sub, rg string, sv *PGServer) armResource {
	return armResource{
		ID: pgServerID(sub, rg, sv.Name), Name: sv.Name, Type: "Microsoft.DBforPostgreSQL/flexibleServers",
		Location: firstNonEmpty(sv.Location, DefaultAzureLocation), Tags: sv.Tags,
		Properties: map[string]any{
			"state":                    "Ready",
			"version":                  firstNonEmpty(sv.Version, "16"),
			"fullyQualifiedDomainName": strings.ToLower(sv.Name) + ".postgres.database.azure.com",
			"administratorLogin":       "pgadmin",
			"storage":                  map[string]any{"storageSizeGB": 128, "autoGrow": "Disabled", "tier": "P10"},
			"backup":                   map[string]any{"backupRetentionDays": 7, "geoRedundantBackup": "Disabled"},
		},
	}
}

type pgLTRProps struct {
	DatasourceSizeInBytes  *int64   `json:"datasourceSizeInBytes,omitempty"`
	DataTransferredInBytes *int64   `json:"dataTransferredInBytes,omitempty"`
	BackupName             string   `json:"backupName"`
	BackupMetadata         string   `json:"backupMetadata,omitempty"`
	Status                 string   `json:"status"`
	StartTime              string   `json:"startTime,omitempty"`
	EndTime                string   `json:"endTime,omitempty"`
	PercentComplete        *float64 `json:"percentComplete,omitempty"`
	ErrorCode              string   `json:"errorCode,omitempty"`
	ErrorMessage           string   `json:"errorMessage,omitempty"`
}

func ltrJSON(sub, rg string, sv *PGServer, op *PGOperation) armResource {
	props := pgLTRProps{
		DatasourceSizeInBytes:  op.DatasourceSizeInBytes,
		DataTransferredInBytes: op.DataTransferredInBytes,
		BackupName:             firstNonEmpty(op.BackupName, op.Name),
		Status:                 op.Status,
		StartTime:              op.StartTime,
		EndTime:                op.EndTime,
		PercentComplete:        op.PercentComplete,
		ErrorCode:              op.ErrorCode,
		ErrorMessage:           op.ErrorMessage,
	}
	if op.Status == "Succeeded" {
		props.BackupMetadata = fmt.Sprintf(`{"engine":"PostgreSQL","version":"%s","format":"pg_basebackup"}`, firstNonEmpty(sv.Version, "16"))
	}
	return armResource{
		ID:   pgServerID(sub, rg, sv.Name) + "/ltrBackupOperations/" + op.Name,
		Name: op.Name, Type: "Microsoft.DBforPostgreSQL/flexibleServers/ltrbackupOperations",
		Properties: props,
	}
}

// Route handlers; s.mu is held.

func armListServers(st *azureState, _ http.ResponseWriter, _ *http.Request, p armParams) (int, any) {
	if s, b, ok := armParent(st, p); !ok {
		return s, b
	}
	g := st.rg(p["sub"], p["rg"])
	return http.StatusOK, armItems(g.PostgresServers, func(sv *PGServer) any { return serverJSON(p["sub"], g.Name, sv) })
}

func serverLookup(st *azureState, p armParams, list bool) (*PGServer, int, any) {
	if s, b, ok := armParent(st, p); !ok {
		return nil, s, b
	}
	sv := st.server(p["sub"], p["rg"], p["server"])
	if sv == nil {
		if list {
			s, b := parentNotFound(p["server"])
			return nil, s, b
		}
		s, b := resourceNotFound(p["rg"], "Microsoft.DBforPostgreSQL/flexibleServers/"+p["server"])
		return nil, s, b
	}
	return sv, 0, nil
}

func armGetServer(st *azureState, _ http.ResponseWriter, _ *http.Request, p armParams) (int, any) {
	sv, s, b := serverLookup(st, p, false)
	if sv == nil {
		return s, b
	}
	return http.StatusOK, serverJSON(p["sub"], p["rg"], sv)
}

func armListLTR(st *azureState, _ http.ResponseWriter, _ *http.Request, p armParams) (int, any) {
	sv, s, b := serverLookup(st, p, true)
	if sv == nil {
		return s, b
	}
	return http.StatusOK, armItems(sv.LTROperations, func(op *PGOperation) any { return ltrJSON(p["sub"], p["rg"], sv, op) })
}

func armGetLTR(st *azureState, _ http.ResponseWriter, _ *http.Request, p armParams) (int, any) {
	sv, s, b := serverLookup(st, p, false)
	if sv == nil {
		return s, b
	}
	if i := st.ltrOperation(sv, p["name"]); i >= 0 {
		return http.StatusOK, ltrJSON(p["sub"], p["rg"], sv, &sv.LTROperations[i])
	}
	return resourceNotFound(p["rg"], "Microsoft.DBforPostgreSQL/flexibleServers/"+sv.Name+"/ltrBackupOperations/"+p["name"])
}
