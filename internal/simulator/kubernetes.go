package simulator

// A Kubernetes API subset serving the NetApp Trident protect custom
// resources (group protect.trident.netapp.io, version v1): Applications,
// Backups and Schedules, read-only (get and list), with bearer-token
// service accounts, RBAC-like refusals, limit/continue paging and expiring
// continue tokens. AppVaults exist too, but only a service account the
// scenario grants "appvaults" may read them (an exporter never should; see
// KubernetesRequestCount).
//
// Sources, and where each shape comes from:
//
//   - Kubernetes "API Concepts", section "Retrieving large results sets in
//     chunks" (kubernetes.io/docs/reference/using-api/api-concepts/):
//     `limit` and `continue` query parameters, metadata.continue,
//     metadata.resourceVersion constant across the chunks of one list,
//     metadata.remainingItemCount (left out on the last chunk), tokens
//     expiring "after a short amount of time (by default 5 minutes)" with a
//     410 Gone; collections are kind <Kind>List.
//   - kubernetes/kubernetes staging/src/k8s.io/apiserver/pkg/storage/etcd3/
//     errors.go: the 410 texts (k8sContinueExpired, k8sInconsistentContinue,
//     k8sListExpired) and that the 410 carries metadata.continue with a
//     token that continues the list inconsistently at the latest version;
//     etcd3/store.go: tokens are base64url JSON {"v","rv","start"}, items
//     are ordered by storage key (namespace/name), "invalid continue token"
//     and "specifying resource version is not allowed when using continue"
//     are 400s.
//   - kubernetes/kubernetes staging/src/k8s.io/apimachinery/pkg/api/errors/
//     errors.go: the Status objects (kind Status, apiVersion v1, status
//     Failure, reason, details, code) of NewUnauthorized, NewForbidden,
//     NewNotFound, NewResourceExpired, NewTooManyRequests, NewInternalError,
//     NewBadRequest; apiserver endpoints/handlers/responsewriters/errors.go
//     forbiddenMessage: `User %q cannot %s resource %q in API group %q in
//     the namespace %q` / `... at the cluster scope`, and `User %q cannot %s
//     path %q` for non-resource paths; the authentication filter answers a
//     bad token with NewUnauthorized("Unauthorized").
//   - NetApp Trident protect documentation (NetAppDocs/trident,
//     trident-protect/*.adoc, docs.netapp.com/us-en/trident/trident-protect/):
//     Application spec.includedNamespaces[].namespace/labelSelector and
//     spec.includedClusterScopedResources (manage-applications); Backup
//     spec.applicationRef, appVaultRef, dataMover (Kopia default, Restic),
//     reclaimPolicy (Retain default, Delete), snapshotRef, and
//     status.appArchivePath (protect-apps, restore-apps); Schedule
//     spec.applicationRef, appVaultRef, backupRetention and
//     snapshotRetention as strings ("15"), granularity Hourly, Daily,
//     Weekly, Monthly, Custom with minute, hour, dayOfWeek, dayOfMonth as
//     strings, backupReclaimPolicy, snapshotReclaimPolicy, runImmediately,
//     dataMover (protect-apps), spec.enabled and spec.recurrenceRule
//     "DTSTART:20220101T000200Z\nRRULE:FREQ=MINUTELY;INTERVAL=5"
//     (use-snapmirror-replication); Backup status.state "Error" alerted on
//     (monitor-trident-protect-resources).
//   - NetApp's trident-protect Helm chart CRDs (100.2605.1,
//     templates/crd/protect.trident.netapp.io_{applications,backups,
//     schedules,appvaults}.yaml, as republished in
//     github.com/sachinrai28/trident-protect-helm-test): every spec and
//     status field name and type served here; the spec defaults
//     (Backup cleanupSnapshot true, reclaimPolicy Retain, replicateSnapshot
//     false, replicateSnapshotReclaimPolicy Retain; Schedule enabled true,
//     backupReclaimPolicy Retain, snapshotReclaimPolicy Delete,
//     replicateSnapshotReclaimPolicy Retain, replicationRetention "0",
//     runImmediately false), the enums (granularity; dataMover Kopia,
//     Restic, CBS; reclaim policies; status.immediateRunStatus NotRequested,
//     InProgress, Completed, Failed), the retention pattern
//     ^(0|([1-9][0-9]*))$, Backup status.completionTimestamp nullable,
//     status.error, status.conditions and status.progress required, the
//     hook results status.{pre,post}{Snapshot,Backup}ExecHooksRunResults[]
//     {execHookRef, execHookUID, namespace, podName, podUID, containerName,
//     containerImage, jobName, startTimestamp, completionTimestamp,
//     failures[]{error, exitCode, isExecError, isTimeout, stderr,
//     timeoutMinutes}}, status.volumeInfos[].capacity and
//     status.progress.volumeBackups[].progress; Schedule
//     status.lastScheduleTime, status.lastRecoveryPoints{backup, snapshot,
//     creationTimestamp, isHealthy, maxAge}; Application
//     status.protectionState, protectionHealthState,
//     protectionStateDetails, resourceCount, storageCapacityBytes,
//     storageUsedCapacityBytes; AppVault spec.providerType, providerConfig
//     {s3, azure, gcp}, providerCredentials[].valueFromSecret, status
//     {state, error, message}.
//   - NetApp's samples (NetApp/FSx-ONTAP-samples-scripts, EKS/Backup-EKS-
//     Applications-with-Trident-Protect/README.md) and the AWS sample
//     (aws-samples/sample-eks-backup-with-trident-protect): Backup
//     status.state Running, Completed and Failed.
//
// Not confirmed by any public document, so served only as the scenario
// writes them (never invented by default), or chosen and marked here:
//   - Backup status.state values other than Running, Completed, Failed and
//     Error: Pending, Removed and Blocked are accepted as written but are
//     unconfirmed.
//   - Application status.protectionState values: the CRD describes "Fully
//     Protected", "Partially Protected" and "Not Protected" as logic, not
//     as the serialized strings; protectionHealthState values; Schedule
//     status.state values; AppVault status.state values; the condition
//     types and reasons of any status.conditions.
//   - Backup status.completionTimestamp: served as null until completed
//     (the CRD says nullable; whether Trident writes null or leaves it out
//     is not documented).
//   - Backup status.appArchivePath default
//     "<app>_<app uid>/backups/<YYYYMMDDhhmmss>_<backup>_<backup uid>":
//     shape seen only in a third-party example
//     ("bbox_<uid>/snapshots/20241211091052_bboxsnap1_<uid>").
//   - Schedule lastRecoveryPoints.maxAge: its unit is not documented (int64).
//   - The names inside status.progress.volumeBackups[] (sourceVolumeSnapshot,
//     volumeSnapshotCopyName, volumeSnapshotContentCopyName) are made up
//     by the simulator; only the field names come from the CRD.
//   - Labels, finalizers and ownerReferences set by Trident protect (e.g.
//     on scheduled Backups): none is documented, so none is added; the
//     scenario may write its own. No spec.suspend exists in the CRD
//     (spec.enabled does).
//   - The 429 body: the API server's max-in-flight and priority-and-fairness
//     filters answer 429 with a text/plain body; a Status of reason
//     TooManyRequests (as NewTooManyRequests builds) is served instead.
//
// Chosen behaviour (not a Kubernetes or Trident document):
//   - Continue tokens: base64url JSON {"v":"meta.k8s.io/v1","rv","start","t"}
//     where t is when the list began. A token expires (410 Gone, reason
//     Expired, with metadata.continue to resume inconsistently) when
//     continue_ttl (default 5m, as the API Concepts page says; negative:
//     never) has passed since t, or when any object changed since the list
//     began (the simulator keeps no old versions; a real API server would
//     serve the old snapshot until etcd compacts it), or when
//     ExpireContinueTokens / ExpireNextContinue say so.
//   - A missing token is 401 unless anonymous_auth is set, then it is the
//     user system:anonymous, which may only GET /version (as the default
//     system:public-info-viewer binding allows).
//   - Unknown resources of the group are 404 Status "the server could not
//     find the requested resource" for a service account granted "*",
//     else 403 (authorization runs before routing, as in the API server).
//   - watch, labelSelector and fieldSelector: watch is refused with 400;
//     the selectors are ignored.

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// KubernetesAPI is the API name used in faults and stats.
const KubernetesAPI = "kubernetes"

// Demo identity and defaults.
const (
	// KubernetesDemoToken is the bearer token of the demo service account
	// KubernetesDemoServiceAccount (namespace KubernetesDemoNamespace),
	// which may get and list applications, backups and schedules in every
	// namespace (not appvaults). It is the only account when a scenario
	// names none.
	KubernetesDemoToken          = "demo-k8s-backup-exporter-token"
	KubernetesDemoNamespace      = "trident-protect"
	KubernetesDemoServiceAccount = "backup-exporter"

	// TridentProtectGroup and TridentProtectVersion are the API group and
	// version of the served resources.
	TridentProtectGroup   = "protect.trident.netapp.io"
	TridentProtectVersion = "v1"
	// TridentProtectAPIVersion is the apiVersion of the served objects.
	TridentProtectAPIVersion = TridentProtectGroup + "/" + TridentProtectVersion

	// KubernetesDefaultVersion is the gitVersion /version answers.
	KubernetesDefaultVersion = "v1.31.4"
	// KubernetesDefaultContinueTTL is how long a continue token lives when
	// the scenario sets no continue_ttl.
	KubernetesDefaultContinueTTL = 5 * time.Minute
)

// The Trident protect resources served.
const (
	TridentApplications = "applications"
	TridentBackups      = "backups"
	TridentSchedules    = "schedules"
	TridentAppVaults    = "appvaults"
)

// The 410 texts of the API server (etcd3/errors.go).
const (
	k8sListExpired          = "The resourceVersion for the provided list is too old."
	k8sContinueExpired      = "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter."
	k8sInconsistentContinue = "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list."
)

const (
	k8sDefaultTime  = "2026-11-01T00:00:00Z"
	k8sAnonymous    = "system:anonymous"
	k8sFirstVersion = 1000
)

var k8sKinds = map[string]string{
	TridentApplications: "Application",
	TridentBackups:      "Backup",
	TridentSchedules:    "Schedule",
	TridentAppVaults:    "AppVault",
}

// k8sResources is the order of the served resources.
var k8sResources = []string{TridentApplications, TridentBackups, TridentSchedules, TridentAppVaults}

// KubernetesScenario is the `kubernetes:` section of a scenario: one
// cluster, whose API server is the simulator (its URL and CA; see
// Server.KubernetesKubeconfig).
type KubernetesScenario struct {
	// Version is the gitVersion of /version; default
	// KubernetesDefaultVersion.
	Version string `yaml:"version"`
	// ContinueTTL is how long a continue token stays valid after its list
	// began; 0 is KubernetesDefaultContinueTTL, negative never expires by
	// time.
	ContinueTTL Duration `yaml:"continue_ttl"`
	// AnonymousAuth makes a request without a token the user
	// system:anonymous (403 on the resources) instead of a 401.
	AnonymousAuth bool `yaml:"anonymous_auth"`
	// ServiceAccounts with their tokens; none means the demo account.
	ServiceAccounts []KubernetesServiceAccount `yaml:"service_accounts"`
	Namespaces      []KubernetesNamespace      `yaml:"namespaces"`
}

// KubernetesServiceAccount is a token and what it may read, as a
// ClusterRole bound cluster-wide (Namespaces empty) or in some namespaces.
type KubernetesServiceAccount struct {
	Namespace string `yaml:"namespace"`
	Name      string `yaml:"name"`
	Token     string `yaml:"token"`
	// Resources it may read: applications, backups, schedules, appvaults,
	// or "*"; default applications, backups and schedules.
	Resources []string `yaml:"resources"`
	// Verbs it may use: get, list, watch or "*"; default get and list.
	Verbs []string `yaml:"verbs"`
	// Namespaces it is bound in; empty means cluster-wide (it may then list
	// across all namespaces).
	Namespaces []string `yaml:"namespaces"`
}

// KubernetesNamespace is one namespace and its Trident protect objects.
type KubernetesNamespace struct {
	Name         string               `yaml:"name"`
	Applications []TridentApplication `yaml:"applications"`
	Backups      []TridentBackup      `yaml:"backups"`
	Schedules    []TridentSchedule    `yaml:"schedules"`
	AppVaults    []TridentAppVault    `yaml:"app_vaults"`
}

// KubernetesMeta is an object's metadata. Times are RFC 3339 and served
// at second precision.
type KubernetesMeta struct {
	Name string `yaml:"name"`
	// UID; default derived from the kind, namespace and name.
	UID string `yaml:"uid"`
	// CreationTimestamp; default 2026-11-01T00:00:00Z.
	CreationTimestamp string `yaml:"creation_timestamp"`
	// DeletionTimestamp marks an object being deleted (its finalizers not
	// yet removed); deletionGracePeriodSeconds 0 is then served too.
	DeletionTimestamp string            `yaml:"deletion_timestamp"`
	Labels            map[string]string `yaml:"labels"`
	Annotations       map[string]string `yaml:"annotations"`
	Finalizers        []string          `yaml:"finalizers"`
	OwnerReferences   []KubernetesOwner `yaml:"owner_references"`
	// Generation; default 1.
	Generation int64 `yaml:"generation"`

	rv int64 // resourceVersion, assigned by the server
}

// KubernetesOwner is an ownerReferences entry.
type KubernetesOwner struct {
	APIVersion         string `yaml:"api_version"`
	Kind               string `yaml:"kind"`
	Name               string `yaml:"name"`
	UID                string `yaml:"uid"`
	Controller         *bool  `yaml:"controller"`
	BlockOwnerDeletion *bool  `yaml:"block_owner_deletion"`
}

// KubernetesCondition is a metav1.Condition of a status.
type KubernetesCondition struct {
	Type               string `yaml:"type"`
	Status             string `yaml:"status"`
	Reason             string `yaml:"reason"`
	Message            string `yaml:"message"`
	LastTransitionTime string `yaml:"last_transition_time"`
	ObservedGeneration int64  `yaml:"observed_generation"`
}

// TridentApplication is an Application CR.
type TridentApplication struct {
	KubernetesMeta `yaml:",inline"`
	// IncludedNamespaces; default the application's own namespace.
	IncludedNamespaces             []TridentNamespaceSelector `yaml:"included_namespaces"`
	IncludedClusterScopedResources []TridentClusterResource   `yaml:"included_cluster_scoped_resources"`
	// Status, served only as written (values unconfirmed, see the top of
	// this file).
	ProtectionState          string                `yaml:"protection_state"`
	ProtectionHealthState    string                `yaml:"protection_health_state"`
	ProtectionStateDetails   []string              `yaml:"protection_state_details"`
	ResourceCount            *int64                `yaml:"resource_count"`
	StorageCapacityBytes     *int64                `yaml:"storage_capacity_bytes"`
	StorageUsedCapacityBytes *int64                `yaml:"storage_used_capacity_bytes"`
	Conditions               []KubernetesCondition `yaml:"conditions"`
}

// TridentNamespaceSelector is an includedNamespaces entry.
type TridentNamespaceSelector struct {
	Namespace   string            `yaml:"namespace"`
	MatchLabels map[string]string `yaml:"match_labels"`
}

// TridentClusterResource is an includedClusterScopedResources entry.
type TridentClusterResource struct {
	Group       string            `yaml:"group"`
	Version     string            `yaml:"version"`
	Kind        string            `yaml:"kind"`
	MatchLabels map[string]string `yaml:"match_labels"`
}

// TridentBackup is a Backup CR.
type TridentBackup struct {
	KubernetesMeta `yaml:",inline"`
	ApplicationRef string `yaml:"application_ref"`
	AppVaultRef    string `yaml:"app_vault_ref"`
	// DataMover: Kopia, Restic or CBS; left out when empty.
	DataMover string `yaml:"data_mover"`
	// ReclaimPolicy: Retain (default) or Delete.
	ReclaimPolicy string `yaml:"reclaim_policy"`
	SnapshotRef   string `yaml:"snapshot_ref"`

	// State is status.state: Running, Completed (default), Failed, Error
	// (documented); Pending, Removed, Blocked (unconfirmed).
	State string `yaml:"state"`
	// Error is status.error.
	Error string `yaml:"error"`
	// CompletionTimestamp; null when empty.
	CompletionTimestamp string `yaml:"completion_timestamp"`
	// AppArchivePath; default derived for Completed backups (see the top
	// of this file).
	AppArchivePath string `yaml:"app_archive_path"`
	// SourceSnapshotName; default spec.snapshotRef, else left out.
	SourceSnapshotName string                `yaml:"source_snapshot_name"`
	Warnings           []string              `yaml:"warnings"`
	Conditions         []KubernetesCondition `yaml:"conditions"`
	// HookRuns are the execution hook results, by stage and action.
	HookRuns []TridentHookRun `yaml:"hook_runs"`
	// Volumes are status.volumeInfos and status.progress.volumeBackups.
	Volumes []TridentBackupVolume `yaml:"volumes"`
}

// TridentHookRun is one entry of a Backup's
// status.{pre,post}{Snapshot,Backup}ExecHooksRunResults.
type TridentHookRun struct {
	// Stage: Pre or Post; Action: Snapshot or Backup.
	Stage               string               `yaml:"stage"`
	Action              string               `yaml:"action"`
	ExecHookRef         string               `yaml:"exec_hook_ref"`
	ExecHookUID         string               `yaml:"exec_hook_uid"`
	Namespace           string               `yaml:"namespace"`
	PodName             string               `yaml:"pod_name"`
	PodUID              string               `yaml:"pod_uid"`
	ContainerName       string               `yaml:"container_name"`
	ContainerImage      string               `yaml:"container_image"`
	JobName             string               `yaml:"job_name"`
	StartTimestamp      string               `yaml:"start_timestamp"`
	CompletionTimestamp string               `yaml:"completion_timestamp"`
	Failures            []TridentHookFailure `yaml:"failures"`
}

// TridentHookFailure is a failures entry of a hook run.
type TridentHookFailure struct {
	Error          string `yaml:"error"`
	ExitCode       *int   `yaml:"exit_code"`
	IsExecError    bool   `yaml:"is_exec_error"`
	IsTimeout      bool   `yaml:"is_timeout"`
	Stderr         string `yaml:"stderr"`
	TimeoutMinutes *int   `yaml:"timeout_minutes"`
}

// TridentBackupVolume is one backed-up PVC.
type TridentBackupVolume struct {
	PVCName      string `yaml:"pvc_name"`
	PVCNamespace string `yaml:"pvc_namespace"`
	PVCUID       string `yaml:"pvc_uid"`
	PVName       string `yaml:"pv_name"`
	// CapacityBytes and UsedBytes are volumeInfos[].capacity.allocated and
	// .used.
	CapacityBytes int64 `yaml:"capacity_bytes"`
	UsedBytes     int64 `yaml:"used_bytes"`
	// BytesTotal and BytesCompleted are the progress of its volume backup.
	BytesTotal          int64  `yaml:"bytes_total"`
	BytesCompleted      int64  `yaml:"bytes_completed"`
	CompletionTimestamp string `yaml:"completion_timestamp"`
}

// TridentSchedule is a Schedule CR.
type TridentSchedule struct {
	KubernetesMeta `yaml:",inline"`
	ApplicationRef string `yaml:"application_ref"`
	AppVaultRef    string `yaml:"app_vault_ref"`
	DataMover      string `yaml:"data_mover"`
	// Granularity: Hourly, Daily, Weekly, Monthly or Custom.
	Granularity string `yaml:"granularity"`
	Minute      string `yaml:"minute"`
	Hour        string `yaml:"hour"`
	DayOfWeek   string `yaml:"day_of_week"`
	DayOfMonth  string `yaml:"day_of_month"`
	// RecurrenceRule (Custom), e.g.
	// "DTSTART:20220101T000200Z\nRRULE:FREQ=MINUTELY;INTERVAL=5".
	RecurrenceRule string `yaml:"recurrence_rule"`
	// BackupRetention and SnapshotRetention are counts as strings; default
	// "0".
	BackupRetention   string `yaml:"backup_retention"`
	SnapshotRetention string `yaml:"snapshot_retention"`
	// BackupReclaimPolicy: Retain (default) or Delete;
	// SnapshotReclaimPolicy: Delete (default) or Retain.
	BackupReclaimPolicy   string `yaml:"backup_reclaim_policy"`
	SnapshotReclaimPolicy string `yaml:"snapshot_reclaim_policy"`
	// Enabled; default true.
	Enabled        *bool `yaml:"enabled"`
	RunImmediately bool  `yaml:"run_immediately"`

	// Status.
	State            string `yaml:"state"`
	Error            string `yaml:"error"`
	LastScheduleTime string `yaml:"last_schedule_time"`
	// LastBackup and LastSnapshot are status.lastRecoveryPoints.backup and
	// .snapshot; LastRecoveryPointTime its creationTimestamp.
	LastBackup            *TridentRecoveryPoint `yaml:"last_backup"`
	LastSnapshot          *TridentRecoveryPoint `yaml:"last_snapshot"`
	LastRecoveryPointTime string                `yaml:"last_recovery_point_time"`
	Healthy               *bool                 `yaml:"healthy"`
	MaxAge                *int64                `yaml:"max_age"`
	// ImmediateRunStatus: NotRequested, InProgress, Completed, Failed.
	ImmediateRunStatus string `yaml:"immediate_run_status"`
}

// TridentRecoveryPoint names a backup or snapshot of a schedule.
type TridentRecoveryPoint struct {
	Name              string `yaml:"name"`
	CreationTimestamp string `yaml:"creation_timestamp"`
}

// TridentAppVault is an AppVault CR (served only to accounts granted
// appvaults).
type TridentAppVault struct {
	KubernetesMeta `yaml:",inline"`
	// ProviderType: AWS, GenericS3, OntapS3, StorageGridS3, Azure, GCP;
	// default AWS.
	ProviderType string `yaml:"provider_type"`
	BucketName   string `yaml:"bucket_name"`
	Endpoint     string `yaml:"endpoint"`
	// CredentialsSecret names the Secret of providerCredentials.
	CredentialsSecret string `yaml:"credentials_secret"`
	State             string `yaml:"state"`
	Error             string `yaml:"error"`
	Message           string `yaml:"message"`
}

// k8sState is the Kubernetes data of a Server, under s.mu.
type k8sState struct {
	sc  *KubernetesScenario // owned
	ttl time.Duration       // <0: never
	// rv is the cluster's resource version; every change increments it.
	rv int64
	// expiredThrough: continue tokens of lists at or below it are expired.
	expiredThrough int64
	// expireNext continue requests are answered 410 whatever their token.
	expireNext int
	index      map[string][]k8sEntry // resource → sorted by key
}

// k8sEntry locates one object.
type k8sEntry struct {
	ns, name string
	nsIdx, i int
}

func (e k8sEntry) key() string { return e.ns + "/" + e.name }

// registerKubernetes registers the Kubernetes API routes, serving sc
// (copied).
func (s *Server) registerKubernetes(sc *KubernetesScenario) error {
	if err := s.SetKubernetesScenario(sc); err != nil {
		return err
	}
	s.registerAPI(KubernetesAPI, k8sFaultError)
	const gv = "/apis/" + TridentProtectGroup + "/" + TridentProtectVersion
	s.handle(KubernetesAPI, "GET /version", s.k8sAuth(s.k8sVersion))
	s.handle(KubernetesAPI, "GET /api", s.k8sAuth(s.k8sDiscoveryAPI))
	s.handle(KubernetesAPI, "GET /apis", s.k8sAuth(s.k8sDiscoveryGroups))
	s.handle(KubernetesAPI, "GET /apis/"+TridentProtectGroup, s.k8sAuth(s.k8sDiscoveryGroup))
	s.handle(KubernetesAPI, "GET "+gv, s.k8sAuth(s.k8sDiscoveryResources))
	s.handle(KubernetesAPI, "GET "+gv+"/{resource}", s.k8sAuth(s.k8sCollection))
	s.handle(KubernetesAPI, "GET "+gv+"/namespaces/{namespace}/{resource}", s.k8sAuth(s.k8sCollection))
	s.handle(KubernetesAPI, "GET "+gv+"/namespaces/{namespace}/{resource}/{name}", s.k8sAuth(s.k8sGet))
	notFound := s.k8sAuth(func(w http.ResponseWriter, r *http.Request, _ *KubernetesServiceAccount, _ string) {
		k8sNotFoundPath(w)
	})
	s.handle(KubernetesAPI, "/apis/", notFound)
	s.handle(KubernetesAPI, "/api/", notFound)

	s.mux.HandleFunc("POST /_sim/kubernetes/expire-continue", func(w http.ResponseWriter, r *http.Request) {
		if v := r.URL.Query().Get("next"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				http.Error(w, "next: want a non-negative integer", http.StatusBadRequest)
				return
			}
			s.ExpireNextContinue(n)
		} else {
			s.ExpireContinueTokens()
		}
		w.WriteHeader(http.StatusNoContent)
	})
	s.mux.HandleFunc("GET /_sim/kubernetes/kubeconfig", func(w http.ResponseWriter, r *http.Request) {
		tok := r.URL.Query().Get("token")
		if tok == "" {
			tok = KubernetesDemoToken
		}
		w.Header().Set("Content-Type", "application/yaml")
		w.Write(s.KubernetesKubeconfig(tok))
	})
	return nil
}

// DefaultKubernetesServiceAccount is the demo account: token
// KubernetesDemoToken, cluster-wide get and list of applications, backups
// and schedules.
func DefaultKubernetesServiceAccount() KubernetesServiceAccount {
	return KubernetesServiceAccount{
		Namespace: KubernetesDemoNamespace,
		Name:      KubernetesDemoServiceAccount,
		Token:     KubernetesDemoToken,
		Resources: []string{TridentApplications, TridentBackups, TridentSchedules},
		Verbs:     []string{"get", "list"},
	}
}

// SetKubernetesScenario replaces the Kubernetes data (nil: no namespaces,
// the demo account). It checks the scenario as the API server would check
// the objects against their CRDs. Every continue token issued before is
// expired.
func (s *Server) SetKubernetesScenario(sc *KubernetesScenario) error {
	c := &KubernetesScenario{}
	if sc != nil {
		c = sc.clone()
	}
	if len(c.ServiceAccounts) == 0 {
		c.ServiceAccounts = []KubernetesServiceAccount{DefaultKubernetesServiceAccount()}
	}
	if err := c.normalize(); err != nil {
		return fmt.Errorf("kubernetes: %w", err)
	}
	ttl := time.Duration(c.ContinueTTL)
	if ttl == 0 {
		ttl = KubernetesDefaultContinueTTL
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := &k8sState{sc: c, ttl: ttl, rv: k8sFirstVersion}
	if old := s.k8s; old != nil && old.rv >= st.rv {
		st.rv = old.rv + 1
		st.expiredThrough = old.rv
	}
	for _, res := range k8sResources {
		c.each(res, func(m *KubernetesMeta) {
			st.rv++
			m.rv = st.rv
		})
	}
	st.reindex()
	s.k8s = st
	return nil
}

func (sc *KubernetesScenario) clone() *KubernetesScenario {
	c := *sc
	c.ServiceAccounts = nil
	for _, a := range sc.ServiceAccounts {
		a.Resources = slices.Clone(a.Resources)
		a.Verbs = slices.Clone(a.Verbs)
		a.Namespaces = slices.Clone(a.Namespaces)
		c.ServiceAccounts = append(c.ServiceAccounts, a)
	}
	c.Namespaces = nil
	for _, ns := range sc.Namespaces {
		c.Namespaces = append(c.Namespaces, ns.clone())
	}
	return &c
}

func (ns KubernetesNamespace) clone() KubernetesNamespace {
	c := KubernetesNamespace{Name: ns.Name}
	for _, a := range ns.Applications {
		a.KubernetesMeta = a.KubernetesMeta.clone()
		a.IncludedNamespaces = slices.Clone(a.IncludedNamespaces)
		a.IncludedClusterScopedResources = slices.Clone(a.IncludedClusterScopedResources)
		a.ProtectionStateDetails = slices.Clone(a.ProtectionStateDetails)
		a.Conditions = slices.Clone(a.Conditions)
		c.Applications = append(c.Applications, a)
	}
	for _, b := range ns.Backups {
		c.Backups = append(c.Backups, b.clone())
	}
	for _, sch := range ns.Schedules {
		sch.KubernetesMeta = sch.KubernetesMeta.clone()
		if sch.LastBackup != nil {
			sch.LastBackup = ptr(*sch.LastBackup)
		}
		if sch.LastSnapshot != nil {
			sch.LastSnapshot = ptr(*sch.LastSnapshot)
		}
		c.Schedules = append(c.Schedules, sch)
	}
	for _, v := range ns.AppVaults {
		v.KubernetesMeta = v.KubernetesMeta.clone()
		c.AppVaults = append(c.AppVaults, v)
	}
	return c
}

func (b TridentBackup) clone() TridentBackup {
	b.KubernetesMeta = b.KubernetesMeta.clone()
	b.Warnings = slices.Clone(b.Warnings)
	b.Conditions = slices.Clone(b.Conditions)
	b.Volumes = slices.Clone(b.Volumes)
	runs := make([]TridentHookRun, 0, len(b.HookRuns))
	for _, h := range b.HookRuns {
		h.Failures = slices.Clone(h.Failures)
		runs = append(runs, h)
	}
	if b.HookRuns != nil {
		b.HookRuns = runs
	}
	return b
}

func (m KubernetesMeta) clone() KubernetesMeta {
	m.Labels = cloneMap(m.Labels)
	m.Annotations = cloneMap(m.Annotations)
	m.Finalizers = slices.Clone(m.Finalizers)
	m.OwnerReferences = slices.Clone(m.OwnerReferences)
	return m
}

func cloneMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// each calls fn with the metadata of every object of a resource.
func (sc *KubernetesScenario) each(resource string, fn func(*KubernetesMeta)) {
	for n := range sc.Namespaces {
		sc.Namespaces[n].each(resource, fn)
	}
}

var (
	k8sLabelRE     = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	k8sSubdomainRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	k8sRetentionRE = regexp.MustCompile(`^(0|([1-9][0-9]*))$`)
)

func oneOf(field, v string, allowed ...string) error {
	if v == "" || slices.Contains(allowed, v) {
		return nil
	}
	return fmt.Errorf("%s %q: want one of %s", field, v, strings.Join(allowed, ", "))
}

// normalize checks the scenario and fills the defaults that are stored
// (UIDs, times, spec defaults).
func (sc *KubernetesScenario) normalize() error {
	tokens := map[string]bool{}
	for i := range sc.ServiceAccounts {
		a := &sc.ServiceAccounts[i]
		if a.Token == "" || a.Name == "" || a.Namespace == "" {
			return fmt.Errorf("service_accounts[%d]: namespace, name and token are required", i)
		}
		if tokens[a.Token] {
			return fmt.Errorf("service_accounts[%d]: token used twice", i)
		}
		tokens[a.Token] = true
		if a.Resources == nil {
			a.Resources = []string{TridentApplications, TridentBackups, TridentSchedules}
		}
		for _, r := range a.Resources {
			if r != "*" && !k8sServed(r) {
				return fmt.Errorf("service_accounts[%d]: resource %q: want applications, backups, schedules, appvaults or *", i, r)
			}
		}
		if a.Verbs == nil {
			a.Verbs = []string{"get", "list"}
		}
		for _, v := range a.Verbs {
			if err := oneOf(fmt.Sprintf("service_accounts[%d]: verb", i), v, "get", "list", "watch", "*"); err != nil {
				return err
			}
		}
	}
	seenNS := map[string]bool{}
	for n := range sc.Namespaces {
		ns := &sc.Namespaces[n]
		if len(ns.Name) > 63 || !k8sLabelRE.MatchString(ns.Name) {
			return fmt.Errorf("namespaces[%d]: name %q is not a DNS-1123 label", n, ns.Name)
		}
		if seenNS[ns.Name] {
			return fmt.Errorf("namespaces[%d]: namespace %q twice", n, ns.Name)
		}
		seenNS[ns.Name] = true
		for _, res := range k8sResources {
			seen := map[string]bool{}
			var err error
			ns.each(res, func(m *KubernetesMeta) {
				if err != nil {
					return
				}
				where := fmt.Sprintf("namespace %s: %s %q", ns.Name, res, m.Name)
				switch {
				case len(m.Name) > 253 || !k8sSubdomainRE.MatchString(m.Name):
					err = fmt.Errorf("%s: name is not a DNS-1123 subdomain", where)
				case seen[m.Name]:
					err = fmt.Errorf("%s: name used twice", where)
				}
				seen[m.Name] = true
				if m.UID == "" {
					m.UID = k8sUID(res + "/" + ns.Name + "/" + m.Name)
				}
				if m.CreationTimestamp == "" {
					m.CreationTimestamp = k8sDefaultTime
				}
				if m.Generation == 0 {
					m.Generation = 1
				}
			})
			if err != nil {
				return err
			}
		}
		for i := range ns.Applications {
			a := &ns.Applications[i]
			if len(a.IncludedNamespaces) == 0 {
				a.IncludedNamespaces = []TridentNamespaceSelector{{Namespace: ns.Name}}
			}
		}
		for i := range ns.Backups {
			b := &ns.Backups[i]
			where := fmt.Sprintf("namespace %s: backup %q", ns.Name, b.Name)
			if b.ApplicationRef == "" {
				return fmt.Errorf("%s: application_ref is required", where)
			}
			if err := errors.Join(
				oneOf(where+": data_mover", b.DataMover, "Restic", "Kopia", "CBS"),
				oneOf(where+": reclaim_policy", b.ReclaimPolicy, "Retain", "Delete"),
			); err != nil {
				return err
			}
			for _, h := range b.HookRuns {
				if err := errors.Join(
					oneOf(where+": hook_runs: stage", h.Stage, "Pre", "Post"),
					oneOf(where+": hook_runs: action", h.Action, "Snapshot", "Backup"),
				); err != nil {
					return err
				}
				if h.Stage == "" || h.Action == "" {
					return fmt.Errorf("%s: hook_runs: stage and action are required", where)
				}
			}
		}
		for i := range ns.Schedules {
			sch := &ns.Schedules[i]
			where := fmt.Sprintf("namespace %s: schedule %q", ns.Name, sch.Name)
			if sch.ApplicationRef == "" || sch.Granularity == "" {
				return fmt.Errorf("%s: application_ref and granularity are required", where)
			}
			if sch.BackupRetention == "" {
				sch.BackupRetention = "0"
			}
			if sch.SnapshotRetention == "" {
				sch.SnapshotRetention = "0"
			}
			if !k8sRetentionRE.MatchString(sch.BackupRetention) || !k8sRetentionRE.MatchString(sch.SnapshotRetention) {
				return fmt.Errorf("%s: backup_retention and snapshot_retention must match %s", where, k8sRetentionRE)
			}
			if err := errors.Join(
				oneOf(where+": granularity", sch.Granularity, "Hourly", "Daily", "Weekly", "Monthly", "Custom"),
				oneOf(where+": data_mover", sch.DataMover, "Kopia", "Restic", "CBS"),
				oneOf(where+": backup_reclaim_policy", sch.BackupReclaimPolicy, "Retain", "Delete"),
				oneOf(where+": snapshot_reclaim_policy", sch.SnapshotReclaimPolicy, "Retain", "Delete"),
				oneOf(where+": immediate_run_status", sch.ImmediateRunStatus, "NotRequested", "InProgress", "Completed", "Failed"),
			); err != nil {
				return err
			}
		}
	}
	return nil
}

// each calls fn with the metadata of every object of a resource.
func (ns *KubernetesNamespace) each(resource string, fn func(*KubernetesMeta)) {
	switch resource {
	case TridentApplications:
		for i := range ns.Applications {
			fn(&ns.Applications[i].KubernetesMeta)
		}
	case TridentBackups:
		for i := range ns.Backups {
			fn(&ns.Backups[i].KubernetesMeta)
		}
	case TridentSchedules:
		for i := range ns.Schedules {
			fn(&ns.Schedules[i].KubernetesMeta)
		}
	case TridentAppVaults:
		for i := range ns.AppVaults {
			fn(&ns.AppVaults[i].KubernetesMeta)
		}
	}
}

func k8sServed(resource string) bool { _, ok := k8sKinds[resource]; return ok }

// k8sUID derives a stable UUID-looking string from a seed.
func k8sUID(seed string) string {
	h := sha256.Sum256([]byte("k8s:" + seed))
	h[6] = h[6]&0x0f | 0x40
	h[8] = h[8]&0x3f | 0x80
	x := hex.EncodeToString(h[:16])
	return x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}

// reindex rebuilds the sorted key index of every resource.
func (st *k8sState) reindex() {
	st.index = map[string][]k8sEntry{}
	for n, ns := range st.sc.Namespaces {
		add := func(res, name string, i int) {
			st.index[res] = append(st.index[res], k8sEntry{ns: ns.Name, name: name, nsIdx: n, i: i})
		}
		for i, o := range ns.Applications {
			add(TridentApplications, o.Name, i)
		}
		for i, o := range ns.Backups {
			add(TridentBackups, o.Name, i)
		}
		for i, o := range ns.Schedules {
			add(TridentSchedules, o.Name, i)
		}
		for i, o := range ns.AppVaults {
			add(TridentAppVaults, o.Name, i)
		}
	}
	for _, es := range st.index {
		sort.Slice(es, func(i, j int) bool { return es[i].key() < es[j].key() })
	}
}

// changed records a change: the resource version moves on and every
// continue token issued so far expires.
func (st *k8sState) changed() int64 {
	st.expiredThrough = st.rv
	st.rv++
	return st.rv
}

// ExpireContinueTokens makes every continue token issued so far answer
// 410 Gone (as if etcd had compacted past their lists); a new list works.
// The cluster's resource version moves on by one.
func (s *Server) ExpireContinueTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.k8s.changed()
}

// ExpireNextContinue makes the next n requests that carry a continue
// token answer 410 Gone whatever the token, so that a test can expire a
// list in the middle of one scrape.
func (s *Server) ExpireNextContinue(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.k8s.expireNext = n
}

// KubernetesResourceVersion is the cluster's current resource version.
func (s *Server) KubernetesResourceVersion() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strconv.FormatInt(s.k8s.rv, 10)
}

// UpdateKubernetesNamespace calls fn with the named namespace (created
// when missing) under the server's lock, then re-checks the data and
// gives every object a new resource version; continue tokens issued
// before expire.
func (s *Server) UpdateKubernetesNamespace(name string, fn func(*KubernetesNamespace)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.k8s.sc.clone()
	var ns *KubernetesNamespace
	for i := range c.Namespaces {
		if c.Namespaces[i].Name == name {
			ns = &c.Namespaces[i]
		}
	}
	if ns == nil {
		c.Namespaces = append(c.Namespaces, KubernetesNamespace{Name: name})
		ns = &c.Namespaces[len(c.Namespaces)-1]
	}
	fn(ns)
	if err := c.normalize(); err != nil {
		return fmt.Errorf("kubernetes: %w", err)
	}
	st := s.k8s
	st.sc = c
	rv := st.changed()
	for _, res := range k8sResources {
		ns.each(res, func(m *KubernetesMeta) { m.rv = rv })
	}
	st.reindex()
	return nil
}

// UpdateKubernetesBackup calls fn with the named Backup (see
// UpdateKubernetesNamespace).
func (s *Server) UpdateKubernetesBackup(namespace, name string, fn func(*TridentBackup)) error {
	found := false
	err := s.UpdateKubernetesNamespace(namespace, func(ns *KubernetesNamespace) {
		for i := range ns.Backups {
			if ns.Backups[i].Name == name {
				fn(&ns.Backups[i])
				found = true
			}
		}
	})
	if err == nil && !found {
		err = fmt.Errorf("kubernetes: no backup %q in namespace %q", name, namespace)
	}
	return err
}

// SetKubernetesBackupState sets the status.state of a Backup.
func (s *Server) SetKubernetesBackupState(namespace, name, state string) error {
	return s.UpdateKubernetesBackup(namespace, name, func(b *TridentBackup) { b.State = state })
}

// AddKubernetesBackup adds a Backup to a namespace (created when missing).
func (s *Server) AddKubernetesBackup(namespace string, b TridentBackup) error {
	b = b.clone()
	return s.UpdateKubernetesNamespace(namespace, func(ns *KubernetesNamespace) {
		ns.Backups = append(ns.Backups, b)
	})
}

// DeleteKubernetesBackup removes a Backup (its finalizers done).
func (s *Server) DeleteKubernetesBackup(namespace, name string) error {
	found := false
	err := s.UpdateKubernetesNamespace(namespace, func(ns *KubernetesNamespace) {
		ns.Backups = slices.DeleteFunc(ns.Backups, func(b TridentBackup) bool {
			found = found || b.Name == name
			return b.Name == name
		})
	})
	if err == nil && !found {
		err = fmt.Errorf("kubernetes: no backup %q in namespace %q", name, namespace)
	}
	return err
}

// KubernetesRequestCount is the number of requests made for a resource
// ("appvaults", "backups", ...) of the Trident protect group, listed or
// got, in any namespace.
func (s *Server) KubernetesRequestCount(resource string) int {
	prefix := "/apis/" + TridentProtectGroup + "/" + TridentProtectVersion + "/"
	n := 0
	for k, v := range s.Stats().Requests {
		_, path, _ := strings.Cut(k, " ")
		rest, ok := strings.CutPrefix(path, prefix)
		if !ok {
			continue
		}
		parts := strings.Split(rest, "/")
		if len(parts) >= 3 && parts[0] == "namespaces" {
			parts = parts[2:]
		}
		if len(parts) > 0 && parts[0] == resource {
			n += v
		}
	}
	return n
}

// KubernetesKubeconfig is a kubeconfig for the simulator's cluster with
// a bearer token: its URL, its CA, the token.
func (s *Server) KubernetesKubeconfig(token string) []byte {
	ca := base64.StdEncoding.EncodeToString(s.caPEM)
	return []byte(fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
  - name: backup-simulator
    cluster:
      server: %s
      certificate-authority-data: %s
users:
  - name: backup-exporter
    user:
      token: %s
contexts:
  - name: backup-simulator
    context:
      cluster: backup-simulator
      user: backup-exporter
current-context: backup-simulator
`, s.url, ca, strconv.Quote(token)))
}

// ---- errors ----

// k8sStatusJSON is a metav1.Status.
type k8sStatusJSON struct {
	Kind       string            `json:"kind"`
	APIVersion string            `json:"apiVersion"`
	Metadata   k8sListMetaJSON   `json:"metadata"`
	Status     string            `json:"status"`
	Message    string            `json:"message,omitempty"`
	Reason     string            `json:"reason,omitempty"`
	Details    *k8sStatusDetails `json:"details,omitempty"`
	Code       int               `json:"code"`
}

type k8sStatusDetails struct {
	Name              string           `json:"name,omitempty"`
	Group             string           `json:"group,omitempty"`
	Kind              string           `json:"kind,omitempty"`
	Causes            []k8sStatusCause `json:"causes,omitempty"`
	RetryAfterSeconds int              `json:"retryAfterSeconds,omitempty"`
}

type k8sStatusCause struct {
	Message string `json:"message,omitempty"`
}

func k8sStatus(w http.ResponseWriter, code int, reason, message string, details *k8sStatusDetails) {
	writeJSON(w, code, k8sStatusJSON{
		Kind: "Status", APIVersion: "v1", Status: "Failure",
		Message: message, Reason: reason, Details: details, Code: code,
	})
}

func k8sUnauthorized(w http.ResponseWriter) {
	k8sStatus(w, http.StatusUnauthorized, "Unauthorized", "Unauthorized", nil)
}

func k8sBadRequest(w http.ResponseWriter, msg string) {
	k8sStatus(w, http.StatusBadRequest, "BadRequest", msg, nil)
}

func k8sNotFoundPath(w http.ResponseWriter) {
	k8sStatus(w, http.StatusNotFound, "NotFound", "the server could not find the requested resource", &k8sStatusDetails{})
}

// k8sForbidden answers NewForbidden with forbiddenMessage's text; ns ""
// is the cluster scope.
func k8sForbidden(w http.ResponseWriter, user, verb, resource, ns, name string) {
	scope := "at the cluster scope"
	if ns != "" {
		scope = fmt.Sprintf("in the namespace %q", ns)
	}
	why := fmt.Sprintf("User %q cannot %s resource %q in API group %q %s", user, verb, resource, TridentProtectGroup, scope)
	gr := resource + "." + TridentProtectGroup
	msg := gr + " is forbidden: " + why
	if name != "" {
		msg = fmt.Sprintf("%s %q is forbidden: %s", gr, name, why)
	}
	k8sStatus(w, http.StatusForbidden, "Forbidden", msg, &k8sStatusDetails{Name: name, Group: TridentProtectGroup, Kind: resource})
}

// k8sFaultError answers injected faults with a Status of the reason the
// API server gives the code.
func k8sFaultError(w http.ResponseWriter, status int, title, detail string) {
	switch status {
	case http.StatusBadRequest:
		k8sBadRequest(w, detail)
	case http.StatusUnauthorized:
		k8sUnauthorized(w)
	case http.StatusForbidden:
		k8sStatus(w, status, "Forbidden", "forbidden: "+detail, &k8sStatusDetails{})
	case http.StatusNotFound:
		k8sNotFoundPath(w)
	case http.StatusConflict:
		k8sStatus(w, status, "Conflict", detail, nil)
	case http.StatusGone:
		k8sStatus(w, status, "Expired", k8sContinueExpired, nil)
	case http.StatusTooManyRequests:
		retry := 1
		if n, err := strconv.Atoi(w.Header().Get("Retry-After")); err == nil && n > 0 {
			retry = n
		} else {
			w.Header().Set("Retry-After", "1")
		}
		k8sStatus(w, status, "TooManyRequests", "Too many requests, please try again later.", &k8sStatusDetails{RetryAfterSeconds: retry})
	case http.StatusInternalServerError:
		k8sStatus(w, status, "InternalError", "Internal error occurred: "+detail, &k8sStatusDetails{Causes: []k8sStatusCause{{Message: detail}}})
	case http.StatusServiceUnavailable:
		k8sStatus(w, status, "ServiceUnavailable", detail, nil)
	case http.StatusGatewayTimeout:
		k8sStatus(w, status, "Timeout", "Timeout: "+detail, nil)
	default:
		k8sStatus(w, status, "", title+": "+detail, nil)
	}
}

// ---- authentication and authorization ----

type k8sHandler func(w http.ResponseWriter, r *http.Request, sa *KubernetesServiceAccount, user string)

// k8sAuth finds the service account of the bearer token. sa is nil for
// system:anonymous.
func (s *Server) k8sAuth(h k8sHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		token := ""
		if f := strings.Fields(r.Header.Get("Authorization")); len(f) == 2 && strings.EqualFold(f[0], "bearer") {
			token = f[1]
		}
		s.mu.Lock()
		var sa *KubernetesServiceAccount
		for _, a := range s.k8s.sc.ServiceAccounts {
			if token != "" && a.Token == token {
				sa = &a
			}
		}
		anonymous := s.k8s.sc.AnonymousAuth
		s.mu.Unlock()
		switch {
		case sa != nil:
			h(w, r, sa, "system:serviceaccount:"+sa.Namespace+":"+sa.Name)
		case token == "" && anonymous:
			h(w, r, nil, k8sAnonymous)
		default:
			k8sUnauthorized(w)
		}
	}
}

// allows reports whether sa may use verb on resource in ns ("" is the
// cluster scope).
func (sa *KubernetesServiceAccount) allows(verb, resource, ns string) bool {
	if sa == nil {
		return false
	}
	if !slices.Contains(sa.Verbs, "*") && !slices.Contains(sa.Verbs, verb) {
		return false
	}
	if !slices.Contains(sa.Resources, "*") && !slices.Contains(sa.Resources, resource) {
		return false
	}
	return len(sa.Namespaces) == 0 || (ns != "" && slices.Contains(sa.Namespaces, ns))
}

// nonResource refuses system:anonymous on discovery paths.
func nonResource(h http.HandlerFunc) k8sHandler {
	return func(w http.ResponseWriter, r *http.Request, sa *KubernetesServiceAccount, user string) {
		if sa == nil {
			k8sStatus(w, http.StatusForbidden, "Forbidden",
				fmt.Sprintf("forbidden: User %q cannot get path %q", user, r.URL.Path), &k8sStatusDetails{})
			return
		}
		h(w, r)
	}
}

// ---- discovery ----

func (s *Server) k8sVersion(w http.ResponseWriter, r *http.Request, _ *KubernetesServiceAccount, _ string) {
	s.mu.Lock()
	v := firstNonEmpty(s.k8s.sc.Version, KubernetesDefaultVersion)
	s.mu.Unlock()
	major, minor := "1", ""
	if parts := strings.SplitN(strings.TrimPrefix(v, "v"), ".", 3); len(parts) >= 2 {
		major, minor = parts[0], parts[1]
	}
	writeJSON(w, http.StatusOK, map[string]string{
		"major": major, "minor": minor, "gitVersion": v,
		"gitCommit": "0000000000000000000000000000000000000000", "gitTreeState": "clean",
		"buildDate": "2026-01-01T00:00:00Z", "goVersion": "go1.23.0", "compiler": "gc", "platform": "linux/amd64",
	})
}

func (s *Server) k8sDiscoveryAPI(w http.ResponseWriter, r *http.Request, sa *KubernetesServiceAccount, user string) {
	nonResource(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{
			"kind": "APIVersions", "versions": []string{"v1"},
			"serverAddressByClientCIDRs": []map[string]string{{"clientCIDR": "0.0.0.0/0", "serverAddress": strings.TrimPrefix(s.url, "https://")}},
		})
	})(w, r, sa, user)
}

func k8sGroupJSON() map[string]any {
	gv := map[string]string{"groupVersion": TridentProtectAPIVersion, "version": TridentProtectVersion}
	return map[string]any{"name": TridentProtectGroup, "versions": []any{gv}, "preferredVersion": gv}
}

func (s *Server) k8sDiscoveryGroups(w http.ResponseWriter, r *http.Request, sa *KubernetesServiceAccount, user string) {
	nonResource(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"kind": "APIGroupList", "apiVersion": "v1", "groups": []any{k8sGroupJSON()}})
	})(w, r, sa, user)
}

func (s *Server) k8sDiscoveryGroup(w http.ResponseWriter, r *http.Request, sa *KubernetesServiceAccount, user string) {
	nonResource(func(w http.ResponseWriter, r *http.Request) {
		g := k8sGroupJSON()
		g["kind"], g["apiVersion"] = "APIGroup", "v1"
		writeJSON(w, http.StatusOK, g)
	})(w, r, sa, user)
}

func (s *Server) k8sDiscoveryResources(w http.ResponseWriter, r *http.Request, sa *KubernetesServiceAccount, user string) {
	nonResource(func(w http.ResponseWriter, r *http.Request) {
		verbs := []string{"delete", "deletecollection", "get", "list", "patch", "create", "update", "watch"}
		var res []any
		for _, name := range k8sResources {
			kind := k8sKinds[name]
			res = append(res,
				map[string]any{"name": name, "singularName": strings.ToLower(kind), "namespaced": true, "kind": kind, "verbs": verbs},
				map[string]any{"name": name + "/status", "singularName": "", "namespaced": true, "kind": kind, "verbs": []string{"get", "patch", "update"}})
		}
		writeJSON(w, http.StatusOK, map[string]any{"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": TridentProtectAPIVersion, "resources": res})
	})(w, r, sa, user)
}

// ---- list and get ----

// k8sContinueToken is the decoded continue token.
type k8sContinueToken struct {
	V     string `json:"v"`
	RV    int64  `json:"rv"`
	Start string `json:"start"`
	// T is when the list began (Unix seconds).
	T int64 `json:"t"`
}

func encodeK8sContinue(t k8sContinueToken) string {
	t.V = "meta.k8s.io/v1"
	b, _ := json.Marshal(t)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeK8sContinue(s string) (k8sContinueToken, error) {
	var t k8sContinueToken
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return t, fmt.Errorf("continue key is not valid: %v", err)
	}
	if err := json.Unmarshal(b, &t); err != nil {
		return t, fmt.Errorf("continue key is not valid: %v", err)
	}
	if t.V != "meta.k8s.io/v1" {
		return t, errors.New("continue key is not valid: server does not recognize this encoded version")
	}
	if t.RV == 0 || t.Start == "" {
		return t, errors.New("continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)")
	}
	return t, nil
}

type k8sListMetaJSON struct {
	ResourceVersion    string `json:"resourceVersion,omitempty"`
	Continue           string `json:"continue,omitempty"`
	RemainingItemCount *int64 `json:"remainingItemCount,omitempty"`
}

type k8sListJSON struct {
	APIVersion string          `json:"apiVersion"`
	Kind       string          `json:"kind"`
	Metadata   k8sListMetaJSON `json:"metadata"`
	Items      []any           `json:"items"`
}

// k8sCollection answers a list of a resource in one namespace or in all.
func (s *Server) k8sCollection(w http.ResponseWriter, r *http.Request, sa *KubernetesServiceAccount, user string) {
	resource, ns := r.PathValue("resource"), r.PathValue("namespace")
	q := r.URL.Query()
	verb := "list"
	if v := q.Get("watch"); v == "true" || v == "1" {
		verb = "watch"
	}
	if !sa.allows(verb, resource, ns) {
		k8sForbidden(w, user, verb, resource, ns, "")
		return
	}
	if !k8sServed(resource) {
		k8sNotFoundPath(w)
		return
	}
	if verb == "watch" {
		k8sBadRequest(w, "watch is not supported by the simulator")
		return
	}
	limit := int64(0)
	if v := q.Get("limit"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			k8sBadRequest(w, fmt.Sprintf("limit: Invalid value: %q: must be an integer", v))
			return
		}
		limit = max(n, 0)
	}
	s.mu.Lock()
	code, out := s.k8s.list(q, resource, ns, limit, time.Now())
	s.mu.Unlock()
	writeJSON(w, code, out)
}

// list answers a list request (under s.mu): the status code and body.
func (st *k8sState) list(q url.Values, resource, ns string, limit int64, now time.Time) (int, any) {
	failure := func(code int, reason, msg string, details *k8sStatusDetails) (int, any) {
		return code, k8sStatusJSON{Kind: "Status", APIVersion: "v1", Status: "Failure", Message: msg, Reason: reason, Details: details, Code: code}
	}
	listRV, began, start := st.rv, now.Unix(), ""
	if tok := q.Get("continue"); tok != "" {
		if v := q.Get("resourceVersion"); v != "" && v != "0" {
			return failure(http.StatusBadRequest, "BadRequest", "specifying resource version is not allowed when using continue", nil)
		}
		t, err := decodeK8sContinue(tok)
		if err != nil {
			return failure(http.StatusBadRequest, "BadRequest", "invalid continue token: "+err.Error(), nil)
		}
		expired := st.expireNext > 0 ||
			(t.RV > 0 && t.RV <= st.expiredThrough) ||
			(st.ttl > 0 && now.Sub(time.Unix(t.T, 0)) > st.ttl)
		if st.expireNext > 0 {
			st.expireNext--
		}
		if expired {
			// As the API server: a token to continue at the latest version.
			next := encodeK8sContinue(k8sContinueToken{RV: -1, Start: t.Start, T: now.Unix()})
			return http.StatusGone, k8sStatusJSON{
				Kind: "Status", APIVersion: "v1", Metadata: k8sListMetaJSON{Continue: next},
				Status: "Failure", Message: k8sInconsistentContinue, Reason: "Expired", Code: http.StatusGone,
			}
		}
		start, began = t.Start, t.T
		if t.RV > 0 {
			listRV = t.RV
		}
	} else if v := q.Get("resourceVersion"); v != "" && v != "0" {
		n, err := strconv.ParseInt(v, 10, 64)
		switch {
		case err != nil:
			return failure(http.StatusBadRequest, "BadRequest", fmt.Sprintf("invalid resource version: %v", err), nil)
		case n > st.rv:
			return failure(http.StatusGatewayTimeout, "Timeout",
				fmt.Sprintf("Timeout: Too large resource version: %d, current: %d", n, st.rv), &k8sStatusDetails{RetryAfterSeconds: 1})
		case n <= st.expiredThrough:
			return failure(http.StatusGone, "Expired", k8sListExpired, nil)
		}
	}

	var entries []k8sEntry
	for _, e := range st.index[resource] {
		key := e.key()
		if ns != "" {
			if e.ns != ns {
				continue
			}
			key = e.name
		}
		if key >= start {
			entries = append(entries, e)
		}
	}
	page := entries
	meta := k8sListMetaJSON{ResourceVersion: strconv.FormatInt(listRV, 10)}
	if limit > 0 && int64(len(entries)) > limit {
		page = entries[:limit]
		last := page[len(page)-1]
		key := last.key()
		if ns != "" {
			key = last.name
		}
		meta.Continue = encodeK8sContinue(k8sContinueToken{RV: listRV, Start: key + "\x00", T: began})
		meta.RemainingItemCount = ptr(int64(len(entries)) - limit)
	}
	items := make([]any, 0, len(page))
	for _, e := range page {
		items = append(items, st.object(resource, e))
	}
	return http.StatusOK, k8sListJSON{
		APIVersion: TridentProtectAPIVersion, Kind: k8sKinds[resource] + "List", Metadata: meta, Items: items,
	}
}

// k8sGet answers one object.
func (s *Server) k8sGet(w http.ResponseWriter, r *http.Request, sa *KubernetesServiceAccount, user string) {
	resource, ns, name := r.PathValue("resource"), r.PathValue("namespace"), r.PathValue("name")
	if !sa.allows("get", resource, ns) {
		k8sForbidden(w, user, "get", resource, ns, name)
		return
	}
	if !k8sServed(resource) {
		k8sNotFoundPath(w)
		return
	}
	s.mu.Lock()
	st := s.k8s
	var out any
	for _, e := range st.index[resource] {
		if e.ns == ns && e.name == name {
			out = st.object(resource, e)
		}
	}
	s.mu.Unlock()
	if out == nil {
		k8sStatus(w, http.StatusNotFound, "NotFound",
			fmt.Sprintf("%s.%s %q not found", resource, TridentProtectGroup, name),
			&k8sStatusDetails{Name: name, Group: TridentProtectGroup, Kind: resource})
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// ---- JSON of the objects ----

type k8sOwnerJSON struct {
	APIVersion         string `json:"apiVersion"`
	Kind               string `json:"kind"`
	Name               string `json:"name"`
	UID                string `json:"uid"`
	Controller         *bool  `json:"controller,omitempty"`
	BlockOwnerDeletion *bool  `json:"blockOwnerDeletion,omitempty"`
}

type k8sMetaJSON struct {
	Name                       string            `json:"name"`
	Namespace                  string            `json:"namespace"`
	UID                        string            `json:"uid"`
	ResourceVersion            string            `json:"resourceVersion"`
	Generation                 int64             `json:"generation"`
	CreationTimestamp          string            `json:"creationTimestamp"`
	DeletionTimestamp          string            `json:"deletionTimestamp,omitempty"`
	DeletionGracePeriodSeconds *int64            `json:"deletionGracePeriodSeconds,omitempty"`
	Labels                     map[string]string `json:"labels,omitempty"`
	Annotations                map[string]string `json:"annotations,omitempty"`
	OwnerReferences            []k8sOwnerJSON    `json:"ownerReferences,omitempty"`
	Finalizers                 []string          `json:"finalizers,omitempty"`
}

type k8sObjectJSON struct {
	APIVersion string      `json:"apiVersion"`
	Kind       string      `json:"kind"`
	Metadata   k8sMetaJSON `json:"metadata"`
	Spec       any         `json:"spec"`
	Status     any         `json:"status,omitempty"`
}

// k8sTime serves a time as metav1.Time does: RFC 3339 UTC, seconds.
func k8sTime(s string) string {
	if s == "" {
		return ""
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return s
	}
	return t.UTC().Format(time.RFC3339)
}

func k8sTimePtr(s string) *string {
	if s == "" {
		return nil
	}
	return ptr(k8sTime(s))
}

func (m KubernetesMeta) json(ns string) k8sMetaJSON {
	j := k8sMetaJSON{
		Name: m.Name, Namespace: ns, UID: m.UID, ResourceVersion: strconv.FormatInt(m.rv, 10),
		Generation: m.Generation, CreationTimestamp: k8sTime(m.CreationTimestamp),
		DeletionTimestamp: k8sTime(m.DeletionTimestamp),
		Labels:            m.Labels, Annotations: m.Annotations, Finalizers: m.Finalizers,
	}
	if m.DeletionTimestamp != "" {
		j.DeletionGracePeriodSeconds = ptr(int64(0))
	}
	for _, o := range m.OwnerReferences {
		j.OwnerReferences = append(j.OwnerReferences, k8sOwnerJSON{
			APIVersion: firstNonEmpty(o.APIVersion, TridentProtectAPIVersion), Kind: o.Kind, Name: o.Name,
			UID: o.UID, Controller: o.Controller, BlockOwnerDeletion: o.BlockOwnerDeletion,
		})
	}
	return j
}

type k8sConditionJSON struct {
	Type               string `json:"type"`
	Status             string `json:"status"`
	ObservedGeneration int64  `json:"observedGeneration,omitempty"`
	LastTransitionTime string `json:"lastTransitionTime"`
	Reason             string `json:"reason"`
	Message            string `json:"message"`
}

func k8sConditions(cs []KubernetesCondition) []k8sConditionJSON {
	out := []k8sConditionJSON{}
	for _, c := range cs {
		out = append(out, k8sConditionJSON{
			Type: c.Type, Status: c.Status, ObservedGeneration: c.ObservedGeneration,
			LastTransitionTime: k8sTime(firstNonEmpty(c.LastTransitionTime, k8sDefaultTime)),
			Reason:             c.Reason, Message: c.Message,
		})
	}
	return out
}

type k8sLabelSelectorJSON struct {
	MatchLabels map[string]string `json:"matchLabels,omitempty"`
}

func k8sSelector(m map[string]string) *k8sLabelSelectorJSON {
	if m == nil {
		return nil
	}
	return &k8sLabelSelectorJSON{MatchLabels: m}
}

// object builds the JSON of one object.
func (st *k8sState) object(resource string, e k8sEntry) any {
	ns := &st.sc.Namespaces[e.nsIdx]
	switch resource {
	case TridentApplications:
		return tpApplicationJSON(ns.Name, ns.Applications[e.i])
	case TridentBackups:
		return tpBackupJSON(ns, ns.Backups[e.i])
	case TridentSchedules:
		return tpScheduleJSON(ns.Name, ns.Schedules[e.i])
	case TridentAppVaults:
		return tpAppVaultJSON(ns.Name, ns.AppVaults[e.i])
	}
	return nil
}

func tpApplicationJSON(ns string, a TridentApplication) k8sObjectJSON {
	type nsSel struct {
		Namespace     string                `json:"namespace"`
		LabelSelector *k8sLabelSelectorJSON `json:"labelSelector,omitempty"`
	}
	type gvk struct {
		Group   string `json:"group"`
		Kind    string `json:"kind"`
		Version string `json:"version"`
	}
	type csr struct {
		GroupVersionKind gvk                   `json:"groupVersionKind"`
		LabelSelector    *k8sLabelSelectorJSON `json:"labelSelector,omitempty"`
	}
	spec := struct {
		IncludedNamespaces             []nsSel `json:"includedNamespaces"`
		IncludedClusterScopedResources []csr   `json:"includedClusterScopedResources,omitempty"`
	}{}
	for _, n := range a.IncludedNamespaces {
		spec.IncludedNamespaces = append(spec.IncludedNamespaces, nsSel{n.Namespace, k8sSelector(n.MatchLabels)})
	}
	for _, c := range a.IncludedClusterScopedResources {
		spec.IncludedClusterScopedResources = append(spec.IncludedClusterScopedResources,
			csr{gvk{c.Group, c.Kind, c.Version}, k8sSelector(c.MatchLabels)})
	}
	status := struct {
		Conditions               []k8sConditionJSON `json:"conditions"`
		ProtectionHealthState    string             `json:"protectionHealthState,omitempty"`
		ProtectionState          string             `json:"protectionState,omitempty"`
		ProtectionStateDetails   []string           `json:"protectionStateDetails,omitempty"`
		ResourceCount            *int64             `json:"resourceCount,omitempty"`
		StorageCapacityBytes     *int64             `json:"storageCapacityBytes,omitempty"`
		StorageUsedCapacityBytes *int64             `json:"storageUsedCapacityBytes,omitempty"`
	}{
		k8sConditions(a.Conditions), a.ProtectionHealthState, a.ProtectionState, a.ProtectionStateDetails,
		a.ResourceCount, a.StorageCapacityBytes, a.StorageUsedCapacityBytes,
	}
	return k8sObjectJSON{TridentProtectAPIVersion, "Application", a.json(ns), spec, status}
}

type k8sHookFailureJSON struct {
	Error          string `json:"error,omitempty"`
	ExitCode       *int   `json:"exitCode,omitempty"`
	IsExecError    bool   `json:"isExecError"`
	IsTimeout      bool   `json:"isTimeout"`
	Stderr         string `json:"stderr,omitempty"`
	TimeoutMinutes *int   `json:"timeoutMinutes,omitempty"`
}

type k8sHookRunJSON struct {
	CompletionTimestamp string               `json:"completionTimestamp,omitempty"`
	ContainerImage      string               `json:"containerImage"`
	ContainerName       string               `json:"containerName"`
	ExecHookRef         string               `json:"execHookRef"`
	ExecHookUID         string               `json:"execHookUID"`
	Failures            []k8sHookFailureJSON `json:"failures,omitempty"`
	JobName             string               `json:"jobName,omitempty"`
	Namespace           string               `json:"namespace"`
	PodName             string               `json:"podName"`
	PodUID              string               `json:"podUID"`
	StartTimestamp      string               `json:"startTimestamp,omitempty"`
}

func tpHookRunJSON(ns string, h TridentHookRun) k8sHookRunJSON {
	j := k8sHookRunJSON{
		CompletionTimestamp: k8sTime(h.CompletionTimestamp),
		ContainerImage:      h.ContainerImage, ContainerName: h.ContainerName,
		ExecHookRef: h.ExecHookRef, ExecHookUID: firstNonEmpty(h.ExecHookUID, k8sUID("exechooks/"+ns+"/"+h.ExecHookRef)),
		JobName: h.JobName, Namespace: firstNonEmpty(h.Namespace, ns),
		PodName: h.PodName, PodUID: firstNonEmpty(h.PodUID, k8sUID("pods/"+ns+"/"+h.PodName)),
		StartTimestamp: k8sTime(h.StartTimestamp),
	}
	for _, f := range h.Failures {
		j.Failures = append(j.Failures, k8sHookFailureJSON(f))
	}
	return j
}

func tpBackupJSON(ns *KubernetesNamespace, b TridentBackup) k8sObjectJSON {
	spec := struct {
		AppVaultRef                    string `json:"appVaultRef,omitempty"`
		ApplicationRef                 string `json:"applicationRef"`
		CleanupSnapshot                bool   `json:"cleanupSnapshot"`
		DataMover                      string `json:"dataMover,omitempty"`
		ReclaimPolicy                  string `json:"reclaimPolicy"`
		ReplicateSnapshot              bool   `json:"replicateSnapshot"`
		ReplicateSnapshotReclaimPolicy string `json:"replicateSnapshotReclaimPolicy"`
		SnapshotRef                    string `json:"snapshotRef,omitempty"`
	}{
		b.AppVaultRef, b.ApplicationRef, true, b.DataMover, firstNonEmpty(b.ReclaimPolicy, "Retain"),
		false, "Retain", b.SnapshotRef,
	}

	type capacity struct {
		Allocated int64 `json:"allocated"`
		Used      int64 `json:"used"`
	}
	type volumeInfo struct {
		Capacity     capacity `json:"capacity"`
		PVName       string   `json:"pvName,omitempty"`
		PVCName      string   `json:"pvcName"`
		PVCNamespace string   `json:"pvcNamespace"`
		PVCUID       string   `json:"pvcUID"`
	}
	type byteProgress struct {
		BytesCompleted int64  `json:"bytesCompleted"`
		BytesRemaining int64  `json:"bytesRemaining"`
		BytesTotal     int64  `json:"bytesTotal"`
		UpdatedAt      string `json:"updatedAt,omitempty"`
	}
	type nsName struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	}
	type volumeBackup struct {
		CompletionTimestamp           *string      `json:"completionTimestamp"`
		Progress                      byteProgress `json:"progress"`
		PVCUID                        string       `json:"pvcUid"`
		SourceVolumeSnapshot          nsName       `json:"sourceVolumeSnapshot"`
		VolumeBackupCompleted         bool         `json:"volumeBackupCompleted"`
		VolumeBackupCreated           bool         `json:"volumeBackupCreated"`
		VolumeSnapshotContentCopyName string       `json:"volumeSnapshotContentCopyName"`
		VolumeSnapshotCopied          bool         `json:"volumeSnapshotCopied"`
		VolumeSnapshotCopyDeleted     bool         `json:"volumeSnapshotCopyDeleted"`
		VolumeSnapshotCopyName        string       `json:"volumeSnapshotCopyName"`
		VolumeSnapshotCopyReadyToUse  bool         `json:"volumeSnapshotCopyReadyToUse"`
	}
	type progress struct {
		VolumeBackups []volumeBackup `json:"volumeBackups,omitempty"`
	}
	state := firstNonEmpty(b.State, "Completed")
	snapName := firstNonEmpty(b.SourceSnapshotName, b.SnapshotRef, "backup-"+k8sUID("snapshots/" + ns.Name + "/" + b.Name)[:8])
	var infos []volumeInfo
	var prog progress
	for _, v := range b.Volumes {
		pvcNS := firstNonEmpty(v.PVCNamespace, ns.Name)
		pvcUID := firstNonEmpty(v.PVCUID, k8sUID("pvcs/"+pvcNS+"/"+v.PVCName))
		infos = append(infos, volumeInfo{capacity{v.CapacityBytes, v.UsedBytes}, v.PVName, v.PVCName, pvcNS, pvcUID})
		done := v.CompletionTimestamp != "" || (state == "Completed" && v.BytesCompleted >= v.BytesTotal)
		copyName := snapName + "-" + v.PVCName
		prog.VolumeBackups = append(prog.VolumeBackups, volumeBackup{
			CompletionTimestamp: k8sTimePtr(v.CompletionTimestamp),
			Progress: byteProgress{v.BytesCompleted, max(v.BytesTotal-v.BytesCompleted, 0), v.BytesTotal,
				k8sTime(firstNonEmpty(v.CompletionTimestamp, b.CompletionTimestamp))},
			PVCUID:                        pvcUID,
			SourceVolumeSnapshot:          nsName{snapName + "-" + v.PVCName, pvcNS},
			VolumeBackupCompleted:         done,
			VolumeBackupCreated:           true,
			VolumeSnapshotContentCopyName: "snapcontent-" + k8sUID("vsc/"+copyName),
			VolumeSnapshotCopied:          true,
			VolumeSnapshotCopyDeleted:     done,
			VolumeSnapshotCopyName:        copyName,
			VolumeSnapshotCopyReadyToUse:  true,
		})
	}

	archive := b.AppArchivePath
	if archive == "" && state == "Completed" {
		appUID := k8sUID(TridentApplications + "/" + ns.Name + "/" + b.ApplicationRef)
		for _, a := range ns.Applications {
			if a.Name == b.ApplicationRef {
				appUID = a.UID
			}
		}
		created, err := time.Parse(time.RFC3339Nano, b.CreationTimestamp)
		if err != nil {
			created, _ = time.Parse(time.RFC3339, k8sDefaultTime)
		}
		archive = fmt.Sprintf("%s_%s/backups/%s_%s_%s", b.ApplicationRef, appUID, created.UTC().Format("20060102150405"), b.Name, b.UID)
	}

	status := struct {
		AppArchivePath                  string             `json:"appArchivePath,omitempty"`
		AppVaultRef                     string             `json:"appVaultRef,omitempty"`
		CompletionTimestamp             *string            `json:"completionTimestamp"`
		Conditions                      []k8sConditionJSON `json:"conditions"`
		Error                           string             `json:"error,omitempty"`
		PostBackupExecHooksRunResults   []k8sHookRunJSON   `json:"postBackupExecHooksRunResults,omitempty"`
		PostSnapshotExecHooksRunResults []k8sHookRunJSON   `json:"postSnapshotExecHooksRunResults,omitempty"`
		PreBackupExecHooksRunResults    []k8sHookRunJSON   `json:"preBackupExecHooksRunResults,omitempty"`
		PreSnapshotExecHooksRunResults  []k8sHookRunJSON   `json:"preSnapshotExecHooksRunResults,omitempty"`
		Progress                        progress           `json:"progress"`
		SourceSnapshotName              string             `json:"sourceSnapshotName,omitempty"`
		State                           string             `json:"state"`
		VolumeInfos                     []volumeInfo       `json:"volumeInfos,omitempty"`
		Warnings                        []string           `json:"warnings,omitempty"`
	}{
		AppArchivePath: archive, AppVaultRef: b.AppVaultRef,
		CompletionTimestamp: k8sTimePtr(b.CompletionTimestamp),
		Conditions:          k8sConditions(b.Conditions), Error: b.Error,
		Progress: prog, SourceSnapshotName: firstNonEmpty(b.SourceSnapshotName, b.SnapshotRef), State: state,
		VolumeInfos: infos, Warnings: b.Warnings,
	}
	for _, h := range b.HookRuns {
		j := tpHookRunJSON(ns.Name, h)
		switch h.Stage + h.Action {
		case "PreSnapshot":
			status.PreSnapshotExecHooksRunResults = append(status.PreSnapshotExecHooksRunResults, j)
		case "PostSnapshot":
			status.PostSnapshotExecHooksRunResults = append(status.PostSnapshotExecHooksRunResults, j)
		case "PreBackup":
			status.PreBackupExecHooksRunResults = append(status.PreBackupExecHooksRunResults, j)
		case "PostBackup":
			status.PostBackupExecHooksRunResults = append(status.PostBackupExecHooksRunResults, j)
		}
	}
	return k8sObjectJSON{TridentProtectAPIVersion, "Backup", b.json(ns.Name), spec, status}
}

func tpScheduleJSON(ns string, s TridentSchedule) k8sObjectJSON {
	enabled := true
	if s.Enabled != nil {
		enabled = *s.Enabled
	}
	spec := struct {
		AppVaultRef                    string `json:"appVaultRef,omitempty"`
		ApplicationRef                 string `json:"applicationRef"`
		BackupReclaimPolicy            string `json:"backupReclaimPolicy"`
		BackupRetention                string `json:"backupRetention"`
		DataMover                      string `json:"dataMover,omitempty"`
		DayOfMonth                     string `json:"dayOfMonth,omitempty"`
		DayOfWeek                      string `json:"dayOfWeek,omitempty"`
		Enabled                        bool   `json:"enabled"`
		Granularity                    string `json:"granularity"`
		Hour                           string `json:"hour,omitempty"`
		Minute                         string `json:"minute,omitempty"`
		RecurrenceRule                 string `json:"recurrenceRule,omitempty"`
		ReplicateSnapshotReclaimPolicy string `json:"replicateSnapshotReclaimPolicy"`
		ReplicationRetention           string `json:"replicationRetention"`
		RunImmediately                 bool   `json:"runImmediately"`
		SnapshotReclaimPolicy          string `json:"snapshotReclaimPolicy"`
		SnapshotRetention              string `json:"snapshotRetention"`
	}{
		s.AppVaultRef, s.ApplicationRef, firstNonEmpty(s.BackupReclaimPolicy, "Retain"), s.BackupRetention,
		s.DataMover, s.DayOfMonth, s.DayOfWeek, enabled, s.Granularity, s.Hour, s.Minute, s.RecurrenceRule,
		"Retain", "0", s.RunImmediately, firstNonEmpty(s.SnapshotReclaimPolicy, "Delete"), s.SnapshotRetention,
	}
	type point struct {
		CreationTimestamp string `json:"creationTimestamp,omitempty"`
		Name              string `json:"name,omitempty"`
	}
	type points struct {
		Backup            *point `json:"backup,omitempty"`
		CreationTimestamp string `json:"creationTimestamp,omitempty"`
		IsHealthy         *bool  `json:"isHealthy,omitempty"`
		MaxAge            *int64 `json:"maxAge,omitempty"`
		Snapshot          *point `json:"snapshot,omitempty"`
	}
	toPoint := func(p *TridentRecoveryPoint) *point {
		if p == nil {
			return nil
		}
		return &point{k8sTime(p.CreationTimestamp), p.Name}
	}
	var lrp *points
	if s.LastBackup != nil || s.LastSnapshot != nil || s.LastRecoveryPointTime != "" || s.Healthy != nil || s.MaxAge != nil {
		lrp = &points{toPoint(s.LastBackup), k8sTime(s.LastRecoveryPointTime), s.Healthy, s.MaxAge, toPoint(s.LastSnapshot)}
	}
	status := struct {
		Error              string  `json:"error,omitempty"`
		ImmediateRunStatus string  `json:"immediateRunStatus,omitempty"`
		LastRecoveryPoints *points `json:"lastRecoveryPoints,omitempty"`
		LastScheduleTime   string  `json:"lastScheduleTime,omitempty"`
		State              string  `json:"state,omitempty"`
	}{s.Error, s.ImmediateRunStatus, lrp, k8sTime(s.LastScheduleTime), s.State}
	return k8sObjectJSON{TridentProtectAPIVersion, "Schedule", s.json(ns), spec, status}
}

func tpAppVaultJSON(ns string, v TridentAppVault) k8sObjectJSON {
	typ := firstNonEmpty(v.ProviderType, "AWS")
	cfg := map[string]any{}
	creds := map[string]any{}
	secret := firstNonEmpty(v.CredentialsSecret, v.Name+"-credentials")
	ref := func(key string) map[string]any {
		return map[string]any{"valueFromSecret": map[string]string{"key": key, "name": secret}}
	}
	switch typ {
	case "Azure":
		cfg["azure"] = map[string]string{"accountName": firstNonEmpty(v.Endpoint, "demoaccount"), "bucketName": v.BucketName, "endpoint": "core.windows.net"}
		creds["accountKey"] = ref("accountKey")
	case "GCP":
		cfg["gcp"] = map[string]string{"bucketName": v.BucketName, "projectID": firstNonEmpty(v.Endpoint, "demo-project")}
		creds["credentials"] = ref("credentials")
	default:
		cfg["s3"] = map[string]string{"bucketName": v.BucketName, "endpoint": firstNonEmpty(v.Endpoint, "s3.amazonaws.com")}
		creds["accessKeyID"], creds["secretAccessKey"] = ref("accessKeyID"), ref("secretAccessKey")
	}
	spec := map[string]any{"providerType": typ, "providerConfig": cfg, "providerCredentials": creds}
	status := struct {
		Error   string `json:"error,omitempty"`
		Message string `json:"message,omitempty"`
		State   string `json:"state,omitempty"`
	}{v.Error, v.Message, v.State}
	return k8sObjectJSON{TridentProtectAPIVersion, "AppVault", v.json(ns), spec, status}
}
