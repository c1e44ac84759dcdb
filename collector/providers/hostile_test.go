package providers_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/backup-exporter/backup_exporter/collector"
	"github.com/backup-exporter/backup_exporter/internal/providertest"
	"github.com/backup-exporter/backup_exporter/internal/simulator"
)

// Issue 18: the fault matrix's rows for a hostile upstream. A list walk
// depends on how each API pages (a next link, a continue token, an
// offset), so each provider gives its own bodies for those rows.

// hostileList is how one provider's lists misbehave: the answers of a
// list call (list, a path regexp) whose pages never end, which hands out a
// continuation twice, or whose next link is at another origin; and how to
// make its target discover two resources whose IDs differ only past the
// 1,024-rune cut.
type hostileList struct {
	list     string
	endless  string
	repeated string
	// foreign is "" for an API that pages by token or offset: nothing an
	// upstream hands over is a URL.
	foreign string
	// longIDs turns the target into a discovery target (its yml) and
	// returns the faults that make it find two resources with long IDs.
	longIDs func(yml string) (string, []simulator.Fault)
	// why the rows that do not apply do not.
	notApplicable map[string]string
}

// longID is an ID of 1,100 characters ending in suffix.
func longID(prefix, suffix string) string {
	return prefix + strings.Repeat("x", 1100-len(prefix)) + suffix
}

const armNext = `"nextLink":"{{url}}{{path}}?api-version=2025-03-01&$skipToken=`

var hostile = map[string]hostileList{
	"astra": {
		list:     "/appBackups$",
		endless:  `{"items":[{"id":"b{{n}}","state":"completed"}],"metadata":{"continue":"c{{n}}"}}`,
		repeated: `{"items":[],"metadata":{"continue":"again"}}`,
		longIDs: func(yml string) (string, []simulator.Fault) {
			// The last app_id: the control target (listed first) has one too.
			cut := ", app_id: " + providertest.SimulatedAppID(1)
			i := strings.LastIndex(yml, cut)
			yml = yml[:i] + yml[i+len(cut):]
			return yml, []simulator.Fault{
				{API: simulator.AstraAPI, Path: "/k8s/v[12]/apps$", Body: simulator.BodyRaw,
					Raw: `{"items":[{"id":"` + longID("app-", "a") + `","name":"a"},{"id":"` + longID("app-", "b") + `","name":"b"}],"metadata":{}}`},
				{API: simulator.AstraAPI, Path: "/appBackups$", Body: simulator.BodyRaw, Raw: `{"items":[],"metadata":{}}`},
			}
		},
		notApplicable: map[string]string{"foreign-origin nextLink": "n/a (pages by continue token)"},
	},
	"azure_netapp_files": {
		list:     "/backupVaults$",
		endless:  `{"value":[{"name":"account/vault-{{n}}"}],` + armNext + `{{n}}"}`,
		repeated: `{"value":[],` + armNext + `again"}`,
		foreign:  `{"value":[],"nextLink":"{{other}}{{path}}?api-version=2025-03-01"}`,
		longIDs: func(yml string) (string, []simulator.Fault) {
			yml = strings.Replace(yml, ", volume: vol-001", "", 1)
			return yml, []simulator.Fault{{API: simulator.AzureAPI, Path: "/capacityPools/pool-01/volumes$", Body: simulator.BodyRaw,
				Raw: `{"value":[{"id":"` + longID("/subscriptions/s/v", "a") + `","name":"account/pool-01/a"},{"id":"` + longID("/subscriptions/s/v", "b") + `","name":"account/pool-01/b"}]}`}}
		},
	},
	"azure_postgresql_ltr": {
		list:     "ltrBackupOperations$",
		endless:  `{"value":[{"id":"/op/{{n}}","name":"op-{{n}}","properties":{"status":"Succeeded","backupName":"b{{n}}"}}],` + armNext + `{{n}}"}`,
		repeated: `{"value":[],` + armNext + `again"}`,
		foreign:  `{"value":[],"nextLink":"{{other}}{{path}}?api-version=2025-08-01"}`,
		longIDs: func(yml string) (string, []simulator.Fault) {
			yml = strings.Replace(yml, ", server: pg-server-01", "", 1)
			return yml, []simulator.Fault{{API: simulator.AzureAPI, Path: "/flexibleServers$", Body: simulator.BodyRaw,
				Raw: `{"value":[{"id":"` + longID("/subscriptions/s/pg", "a") + `","name":"pg-server-01"},{"id":"` + longID("/subscriptions/s/pg", "b") + `","name":"pg-server-01"}]}`}}
		},
	},
	"huawei_cbr": {
		list:    "/backups$",
		endless: `{"backups":[{"id":"b{{n}}","status":"available","resource_id":"r{{n}}"}],"count":2000000000}`,
		longIDs: func(yml string) (string, []simulator.Fault) {
			return yml, []simulator.Fault{{API: simulator.HuaweiAPI, Path: "/backups$", Body: simulator.BodyRaw,
				Raw: `{"backups":[{"id":"b1","status":"available","resource_id":"` + longID("r", "a") + `"},{"id":"b2","status":"available","resource_id":"` + longID("r", "b") + `"}],"count":2}`}}
		},
		notApplicable: map[string]string{
			"foreign-origin nextLink": "n/a (pages by offset)",
			"repeated token":          "n/a (pages by offset: the same page again is the endless row)",
		},
	},
	"azure_backup": {
		list:     "backupProtectedItems$",
		endless:  `{"value":[],` + armNext + `{{n}}"}`,
		repeated: `{"value":[],` + armNext + `again"}`,
		foreign:  `{"value":[],"nextLink":"{{other}}{{path}}?api-version=2025-08-01"}`,
		longIDs: func(yml string) (string, []simulator.Fault) {
			item := func(s string) string {
				return `{"id":"/item/` + s + `","name":"` + s + `","properties":{"friendlyName":"` + s + `","backupManagementType":"AzureIaasVM","workloadType":"VM","sourceResourceId":"` +
					longID("/subscriptions/s/vm", s) + `","protectionState":"Protected","lastBackupStatus":"Completed","lastRecoveryPoint":"2026-11-30T00:00:00Z"}}`
			}
			return yml, []simulator.Fault{{API: simulator.AzureAPI, Path: "backupProtectedItems$", Body: simulator.BodyRaw,
				Raw: `{"value":[` + item("a") + `,` + item("b") + `]}`}}
		},
	},
	graphBackup: {
		list:     graphPath,
		endless:  `{"totalRecords":2000000000,"count":0,"resultTruncated":"true","data":[],"$skipToken":"t{{n}}"}`,
		repeated: `{"totalRecords":5,"count":0,"resultTruncated":"true","data":[],"$skipToken":"again"}`,
		longIDs: func(yml string) (string, []simulator.Fault) {
			vault := "/subscriptions/" + providertest.AzureSubscription + "/resourceGroups/" + simulator.DefaultAzureResourceGroup + "/providers/Microsoft.RecoveryServices/vaults/rsv-01"
			row := func(s string) string {
				return `{"id":"` + vault + `/backupFabrics/Azure/protectionContainers/c/protectedItems/` + s + `","type":"microsoft.recoveryservices/vaults/backupfabrics/protectioncontainers/protecteditems",` +
					`"properties":{"friendlyName":"` + s + `","backupManagementType":"AzureIaasVM","workloadType":"VM","sourceResourceId":"` +
					longID("/subscriptions/s/vm", s) + `","protectionState":"Protected","lastBackupStatus":"Completed","lastRecoveryPoint":"2026-11-30T00:00:00Z"}}`
			}
			return yml, []simulator.Fault{{API: simulator.AzureResourceGraphAPI, Path: graphPath, Body: simulator.BodyRaw,
				Raw: `{"totalRecords":2,"count":2,"resultTruncated":"false","data":[` + row("a") + `,` + row("b") + `]}`}}
		},
		notApplicable: map[string]string{"foreign-origin nextLink": "n/a (pages by $skipToken in the request body)"},
	},
	graphDataProtection: {
		list:     graphPath,
		endless:  `{"totalRecords":2000000000,"count":0,"resultTruncated":"true","data":[],"$skipToken":"t{{n}}"}`,
		repeated: `{"totalRecords":5,"count":0,"resultTruncated":"true","data":[],"$skipToken":"again"}`,
		longIDs: func(yml string) (string, []simulator.Fault) {
			vault := "/subscriptions/" + providertest.AzureSubscription + "/resourceGroups/" + simulator.DefaultAzureResourceGroup + "/providers/Microsoft.DataProtection/backupVaults/bv-01"
			row := func(s string) string {
				return `{"id":"` + vault + `/backupInstances/` + s + `","type":"microsoft.dataprotection/backupvaults/backupinstances","properties":{"friendlyName":"` + s +
					`","dataSourceInfo":{"resourceID":"` + longID("/subscriptions/s/sa", s) + `","datasourceType":"Microsoft.Storage/storageAccounts/blobServices"},` +
					`"policyInfo":{"policyId":"` + vault + `/backupPolicies/p"},"currentProtectionState":"NotProtected"}}`
			}
			return yml, []simulator.Fault{{API: simulator.AzureResourceGraphAPI, Path: graphPath, Body: simulator.BodyRaw,
				Raw: `{"totalRecords":2,"count":2,"resultTruncated":"false","data":[` + row("a") + `,` + row("b") + `]}`}}
		},
		notApplicable: map[string]string{"foreign-origin nextLink": "n/a (pages by $skipToken in the request body)"},
	},
	"azure_dataprotection": {
		list:     "backupInstances$",
		endless:  `{"value":[],` + armNext + `{{n}}"}`,
		repeated: `{"value":[],` + armNext + `again"}`,
		foreign:  `{"value":[],"nextLink":"{{other}}{{path}}?api-version=2025-07-01"}`,
		longIDs: func(yml string) (string, []simulator.Fault) {
			// Instances that protect nothing: no call of their own.
			policy := "/subscriptions/" + providertest.AzureSubscription + "/resourceGroups/" + simulator.DefaultAzureResourceGroup +
				"/providers/Microsoft.DataProtection/backupVaults/bv-01/backupPolicies/" + simulator.DPPolicyBlob
			instance := func(s string) string {
				return `{"id":"/bi/` + s + `","name":"` + s + `","properties":{"friendlyName":"` + s + `","dataSourceInfo":{"resourceID":"` +
					longID("/subscriptions/s/sa", s) + `","datasourceType":"Microsoft.Storage/storageAccounts/blobServices"},"policyInfo":{"policyId":"` +
					policy + `"},"currentProtectionState":"NotProtected"}}`
			}
			return yml, []simulator.Fault{{API: simulator.AzureAPI, Path: "backupInstances$", Body: simulator.BodyRaw,
				Raw: `{"value":[` + instance("a") + `,` + instance("b") + `]}`}}
		},
	},
	"aws_backup": {
		list:     "/resources$",
		endless:  `{"Results":[],"NextToken":"t{{n}}"}`,
		repeated: `{"Results":[],"NextToken":"again"}`,
		longIDs: func(yml string) (string, []simulator.Fault) {
			arn := func(s string) string {
				return `{"ResourceArn":"` + longID("arn:aws:ec2:eu-west-1:123456789012:volume/", s) + `","ResourceType":"EBS","ResourceName":"` + s + `"}`
			}
			return yml, []simulator.Fault{{API: simulator.AWSBackupAPI, Path: "/resources$", Body: simulator.BodyRaw,
				Raw: `{"Results":[` + arn("a") + `,` + arn("b") + `]}`}}
		},
		notApplicable: map[string]string{"foreign-origin nextLink": "n/a (pages by NextToken)"},
	},
	"trident_protect": {
		list:     "/backups$",
		endless:  `{"apiVersion":"protect.trident.netapp.io/v1","kind":"BackupList","metadata":{"continue":"c{{n}}"},"items":[]}`,
		repeated: `{"apiVersion":"protect.trident.netapp.io/v1","kind":"BackupList","metadata":{"continue":"again"},"items":[]}`,
		longIDs: func(yml string) (string, []simulator.Fault) {
			app := func(s string) string {
				return `{"metadata":{"namespace":"ns","name":"` + longID("app-", s) + `"}}`
			}
			return yml, []simulator.Fault{{API: simulator.KubernetesAPI, Path: "/applications$", Body: simulator.BodyRaw,
				Raw: `{"apiVersion":"protect.trident.netapp.io/v1","kind":"ApplicationList","metadata":{},"items":[` + app("a") + `,` + app("b") + `]}`}}
		},
		notApplicable: map[string]string{"foreign-origin nextLink": "n/a (pages by continue token)"},
	},
	"velero": {
		list:     "/backups$",
		endless:  `{"apiVersion":"velero.io/v1","kind":"BackupList","metadata":{"continue":"c{{n}}"},"items":[]}`,
		repeated: `{"apiVersion":"velero.io/v1","kind":"BackupList","metadata":{"continue":"again"},"items":[]}`,
		longIDs: func(yml string) (string, []simulator.Fault) {
			ns := func(s string) string { return `{"metadata":{"name":"` + longID("ns-", s) + `"}}` }
			return yml, []simulator.Fault{{API: simulator.KubernetesAPI, Path: "/api/v1/namespaces$", Body: simulator.BodyRaw,
				Raw: `{"apiVersion":"v1","kind":"NamespaceList","metadata":{},"items":[` + ns("a") + `,` + ns("b") + `]}`}}
		},
		notApplicable: map[string]string{"foreign-origin nextLink": "n/a (pages by continue token)"},
	},
	"cloudnative_pg": {
		list:     "cnpg.io/v1/backups$",
		endless:  `{"apiVersion":"postgresql.cnpg.io/v1","kind":"BackupList","metadata":{"continue":"c{{n}}"},"items":[]}`,
		repeated: `{"apiVersion":"postgresql.cnpg.io/v1","kind":"BackupList","metadata":{"continue":"again"},"items":[]}`,
		longIDs: func(yml string) (string, []simulator.Fault) {
			cluster := func(s string) string {
				return `{"metadata":{"namespace":"ns","name":"` + longID("pg-", s) + `"},"spec":{"backup":{"barmanObjectStore":{"destinationPath":"s3://b/"}}}}`
			}
			return yml, []simulator.Fault{{API: simulator.KubernetesAPI, Path: "/clusters$", Body: simulator.BodyRaw,
				Raw: `{"apiVersion":"postgresql.cnpg.io/v1","kind":"ClusterList","metadata":{},"items":[` + cluster("a") + `,` + cluster("b") + `]}`}}
		},
		notApplicable: map[string]string{"foreign-origin nextLink": "n/a (pages by continue token)"},
	},
	"longhorn": {
		list:     "/backups$",
		endless:  `{"apiVersion":"longhorn.io/v1beta2","kind":"BackupList","metadata":{"continue":"c{{n}}"},"items":[]}`,
		repeated: `{"apiVersion":"longhorn.io/v1beta2","kind":"BackupList","metadata":{"continue":"again"},"items":[]}`,
		longIDs: func(yml string) (string, []simulator.Fault) {
			volume := func(s string) string { return `{"metadata":{"name":"` + longID("pvc-", s) + `"}}` }
			return yml, []simulator.Fault{{API: simulator.KubernetesAPI, Path: "/volumes$", Body: simulator.BodyRaw,
				Raw: `{"apiVersion":"longhorn.io/v1beta2","kind":"VolumeList","metadata":{},"items":[` + volume("a") + `,` + volume("b") + `]}`}}
		},
		notApplicable: map[string]string{"foreign-origin nextLink": "n/a (pages by continue token)"},
	},
}

// listFault answers st's list call with the body of a hostile row.
func listFault(body func(hostileList) string) func(*testing.T, *simulator.Server, simTarget, string) string {
	return func(t *testing.T, sim *simulator.Server, st simTarget, yml string) string {
		t.Helper()
		h := hostile[st.provider]
		if err := sim.AddFault(simulator.Fault{API: st.api, Path: h.list, Body: simulator.BodyTemplate, Raw: body(h)}); err != nil {
			t.Fatal(err)
		}
		return yml
	}
}

// hostileRows are the fault matrix's rows of issue 18.
func hostileRows() []fault {
	redirect := func(to string) fault {
		return fault{name: "redirect to " + to, apply: inject(simulator.Fault{Redirect: to}), up: false,
			check: func(t *testing.T, _ *simulator.Server, r collector.Result) {
				if r.Err == nil || !strings.Contains(r.Err.Error(), "refusing a redirect") {
					t.Errorf("error %v does not say the redirect was refused", r.Err)
				}
			}}
	}
	return []fault{
		redirect(simulator.RedirectHTTP),
		redirect(simulator.RedirectOtherOrigin),
		{name: "foreign-origin nextLink", apply: listFault(func(h hostileList) string { return h.foreign }), up: false,
			check: func(t *testing.T, _ *simulator.Server, r collector.Result) {
				if r.Err == nil || !strings.Contains(r.Err.Error(), "refusing a nextLink") {
					t.Errorf("error %v does not say the nextLink was refused", r.Err)
				}
			}},
		{name: "endless pages", apply: listFault(func(h hostileList) string { return h.endless }), up: false,
			check: func(t *testing.T, _ *simulator.Server, r collector.Result) {
				if r.Err == nil || !strings.Contains(r.Err.Error(), "(max_pages_per_list)") {
					t.Errorf("error %v does not name the bound", r.Err)
				}
			}},
		{name: "repeated token", apply: listFault(func(h hostileList) string { return h.repeated }), up: false,
			check: func(t *testing.T, _ *simulator.Server, r collector.Result) {
				if r.Err == nil || !strings.Contains(r.Err.Error(), "handed out before") {
					t.Errorf("error %v does not say the token repeats", r.Err)
				}
			}},
		{name: "duplicate IDs after the cut", up: true,
			apply: func(t *testing.T, sim *simulator.Server, st simTarget, yml string) string {
				t.Helper()
				yml, faults := hostile[st.provider].longIDs(yml)
				for _, f := range faults {
					if err := sim.AddFault(f); err != nil {
						t.Fatal(err)
					}
				}
				return yml
			},
			check: func(t *testing.T, _ *simulator.Server, r collector.Result) {
				long := 0
				for _, res := range r.Resources {
					if len(res.ID) > 1024 {
						long++
					}
				}
				if long != 2 {
					t.Errorf("%d resources with long IDs, want 2", long)
				}
			}},
		{name: "panic in a worker", apply: func(_ *testing.T, _ *simulator.Server, _ simTarget, yml string) string { return yml }, up: false,
			options: func(st simTarget, sim *simulator.Server) collector.Options {
				re := regexp.MustCompile(st.path)
				host := strings.TrimPrefix(sim.URL(), "https://")
				return collector.Options{WrapTransport: func(next http.RoundTripper) http.RoundTripper {
					return roundTripFunc(func(r *http.Request) (*http.Response, error) {
						if r.URL.Host == host && re.MatchString(r.URL.Path) {
							panic("injected in " + st.provider)
						}
						return next.RoundTrip(r)
					})
				}}
			},
			check: func(t *testing.T, _ *simulator.Server, r collector.Result) {
				if r.Err == nil || !strings.Contains(r.Err.Error(), "provider panicked: injected in") {
					t.Errorf("error %v is not the recovered panic", r.Err)
				}
			}},
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
