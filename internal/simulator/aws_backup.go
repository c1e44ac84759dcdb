package simulator

import (
	"crypto/hmac"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// AWS Backup, REST-JSON protocol (service "backup", API version
// 2018-11-15), as in the AWS Backup API Reference: ListProtectedResources
// (GET /resources/), ListBackupJobs (GET /backup-jobs/),
// ListRecoveryPointsByBackupVault (GET
// /backup-vaults/{backupVaultName}/recovery-points/) and ListBackupVaults
// (GET /backup-vaults/). Each path is served with and without its
// trailing "/": the reference writes it, the published service model
// (and so the SDKs) do not. Requests are signed with Signature Version 4
// (see VerifySigV4), with long-term keys of the scenario or temporary
// credentials from the STS endpoint (aws_sts.go).
//
// Timestamps are sent as the REST-JSON protocol sends them: epoch seconds
// as JSON numbers, with milliseconds (1516925490.087).

// AWSBackupAPI is the AWS Backup API name used in faults and stats.
const AWSBackupAPI = "aws_backup"

// Demo values, used when an AWS scenario names no account, and by
// GenerateAWS.
const (
	AWSDemoAccessKeyID     = "AKIADEMOSIMULATOR001"
	AWSDemoSecretAccessKey = "demoSecretAccessKeyForTheSimulator000000"
	AWSDemoRegion          = "eu-west-1"
	AWSDemoAccountID       = "123456789012"
	// AWSDemoRoleName is a role of the demo account that its own key may
	// assume (AssumeRole) and that accepts AWSDemoWebIdentityToken
	// (AssumeRoleWithWebIdentity).
	AWSDemoRoleName         = "BackupExporterReadOnly"
	AWSDemoRoleARN          = "arn:aws:iam::" + AWSDemoAccountID + ":role/" + AWSDemoRoleName
	AWSDemoWebIdentityToken = "demo-web-identity-token"
)

// AWSTimeLayout is the layout of the scenario's AWS times (RFC 3339).
const AWSTimeLayout = time.RFC3339

const (
	awsMaxResults         = 1000
	awsJobWindow          = 30 * 24 * time.Hour
	awsNextTokenTTL       = 24 * time.Hour
	awsDefaultServiceRole = "service-role/AWSBackupDefaultServiceRole"
)

// The documented enums.
var (
	awsJobStates = []string{"CREATED", "PENDING", "RUNNING", "ABORTING", "ABORTED", "COMPLETED", "FAILED", "EXPIRED", "PARTIAL"}
	// awsRecoveryPointStatuses: COMPLETED, PARTIAL, DELETING, EXPIRED in
	// the 2018-11-15 model, AVAILABLE, STOPPED, CREATING added later.
	awsRecoveryPointStatuses = []string{"COMPLETED", "PARTIAL", "DELETING", "EXPIRED", "AVAILABLE", "STOPPED", "CREATING"}
	awsVaultTypes            = []string{"BACKUP_VAULT", "LOGICALLY_AIR_GAPPED_BACKUP_VAULT", "RESTORE_ACCESS_BACKUP_VAULT"}
	awsVaultStates           = []string{"CREATING", "AVAILABLE", "FAILED"}
	awsIndexStatuses         = []string{"PENDING", "ACTIVE", "FAILED", "DELETING"}

	awsVaultNameRE    = regexp.MustCompile(`^[a-zA-Z0-9\-\_]{2,50}$`)
	awsAccountIDRE    = regexp.MustCompile(`^[0-9]{12}$`)
	awsResourceTypeRE = regexp.MustCompile(`^[a-zA-Z0-9\-\_\.]{1,50}$`)
)

// AWSScenario is the `aws:` section of a scenario: one region's AWS
// Backup and STS.
type AWSScenario struct {
	// Region the endpoints serve: SigV4 credential scopes must name it
	// (STS also accepts us-east-1, its global endpoint's region). Default
	// AWSDemoRegion.
	Region string `yaml:"region"`
	// PageSize is the page size when a list request has no maxResults;
	// default 1000 (the documented maximum).
	PageSize int `yaml:"page_size"`
	// ScientificTimestamps writes epoch seconds in E notation
	// (1.516925490087E9), as Java-based services often do; still JSON
	// numbers.
	ScientificTimestamps bool         `yaml:"scientific_timestamps"`
	Accounts             []AWSAccount `yaml:"accounts"`
}

// AWSAccount is one AWS account: its keys, roles and Backup data. A
// caller sees the data of the account of its key, or of the role it
// assumed.
type AWSAccount struct {
	// ID is the 12-digit account ID.
	ID         string         `yaml:"id"`
	AccessKeys []AWSAccessKey `yaml:"access_keys"`
	Roles      []AWSRole      `yaml:"roles"`
	Vaults     []AWSVault     `yaml:"vaults"`
	// Resources name the account's resources. ListProtectedResources
	// lists those (and any other resource) that have a recovery point
	// not CREATING or DELETING, or a LastBackupTime.
	Resources  []AWSResource  `yaml:"resources"`
	BackupJobs []AWSBackupJob `yaml:"backup_jobs"`
}

// AWSAccessKey is a long-term access key of an IAM user.
type AWSAccessKey struct {
	AccessKeyID     string `yaml:"access_key_id"`
	SecretAccessKey string `yaml:"secret_access_key"`
	// SessionToken, when set, makes these temporary credentials given in
	// the scenario: the token must then be sent as X-Amz-Security-Token.
	SessionToken string `yaml:"session_token"`
	// UserName is the IAM user, for ARNs; default "simulator".
	UserName string `yaml:"user_name"`
}

// AWSRole is an IAM role that STS lets callers assume.
type AWSRole struct {
	// Name, possibly with a path ("service-role/X"); the ARN is
	// arn:aws:iam::<account>:role/<name>.
	Name string `yaml:"name"`
	// ExternalID, when set, must be passed to AssumeRole.
	ExternalID string `yaml:"external_id"`
	// TrustedAccounts may assume the role with AssumeRole; empty means
	// every account of the scenario.
	TrustedAccounts []string `yaml:"trusted_accounts"`
	// WebIdentityTokens are accepted by AssumeRoleWithWebIdentity; none
	// means the role does not trust web identities.
	WebIdentityTokens []string `yaml:"web_identity_tokens"`
	// MaxSessionDuration in seconds (3600..43200); default 3600.
	MaxSessionDuration int `yaml:"max_session_duration"`
}

// AWSVault is a backup vault and its recovery points.
type AWSVault struct {
	Name string `yaml:"name"`
	// VaultType: BACKUP_VAULT (default), LOGICALLY_AIR_GAPPED_BACKUP_VAULT.
	VaultType string `yaml:"vault_type"`
	// VaultState: AVAILABLE (default), CREATING, FAILED.
	VaultState       string `yaml:"vault_state"`
	CreationDate     string `yaml:"creation_date"`
	EncryptionKeyArn string `yaml:"encryption_key_arn"`
	CreatorRequestID string `yaml:"creator_request_id"`
	Locked           *bool  `yaml:"locked"`
	MinRetentionDays *int64 `yaml:"min_retention_days"`
	MaxRetentionDays *int64 `yaml:"max_retention_days"`
	LockDate         string `yaml:"lock_date"`
	// RecoveryPoints, newest listed first whatever the order here.
	RecoveryPoints []AWSRecoveryPoint `yaml:"recovery_points"`
}

// AWSResource is a resource that AWS Backup protects.
type AWSResource struct {
	ARN string `yaml:"arn"`
	// Type: EBS, EC2, RDS, DynamoDB, EFS, S3, Aurora, FSx, ...
	Type string `yaml:"type"`
	Name string `yaml:"name"`
	// Tags are the resource's tags, as the Resource Groups Tagging API
	// (aws_tagging.go) returns them.
	Tags map[string]string `yaml:"tags"`
	// Gone marks a resource deleted since its backups: AWS Backup still
	// lists it, the tagging API leaves it out.
	Gone bool `yaml:"gone"`
	// LastBackupTime, LastBackupVaultArn and LastRecoveryPointArn, when
	// set, replace the values derived from the newest recovery point.
	LastBackupTime       string `yaml:"last_backup_time"`
	LastBackupVaultArn   string `yaml:"last_backup_vault_arn"`
	LastRecoveryPointArn string `yaml:"last_recovery_point_arn"`
}

// AWSCreatedBy is a RecoveryPointCreator.
type AWSCreatedBy struct {
	BackupPlanID      string `yaml:"backup_plan_id" json:"BackupPlanId,omitempty"`
	BackupPlanArn     string `yaml:"backup_plan_arn" json:"BackupPlanArn,omitempty"`
	BackupPlanVersion string `yaml:"backup_plan_version" json:"BackupPlanVersion,omitempty"`
	BackupRuleID      string `yaml:"backup_rule_id" json:"BackupRuleId,omitempty"`
}

// AWSRecoveryPoint is one recovery point (backup) in a vault. Times are
// RFC 3339.
type AWSRecoveryPoint struct {
	// ARN; default derived from the resource type: an EBS snapshot or EC2
	// image ARN, an RDS snapshot ARN, else
	// arn:aws:backup:<region>:<account>:recovery-point:<UUID>.
	ARN         string `yaml:"arn"`
	ResourceArn string `yaml:"resource_arn"`
	// ResourceType and ResourceName default to the resource's.
	ResourceType string `yaml:"resource_type"`
	ResourceName string `yaml:"resource_name"`
	// Status: COMPLETED (default), PARTIAL, DELETING, EXPIRED, AVAILABLE,
	// STOPPED, CREATING.
	Status        string `yaml:"status"`
	StatusMessage string `yaml:"status_message"`
	// CreationDate is required (children inherit their parent's).
	CreationDate      string        `yaml:"creation_date"`
	CompletionDate    string        `yaml:"completion_date"`
	BackupSizeInBytes *int64        `yaml:"backup_size_in_bytes"`
	IamRoleArn        string        `yaml:"iam_role_arn"`
	CreatedBy         *AWSCreatedBy `yaml:"created_by"`
	// MoveToColdStorageAt and DeleteAt are the CalculatedLifecycle.
	MoveToColdStorageAt string `yaml:"move_to_cold_storage_at"`
	DeleteAt            string `yaml:"delete_at"`
	// The Lifecycle, in days.
	MoveToColdStorageAfterDays *int64 `yaml:"move_to_cold_storage_after_days"`
	DeleteAfterDays            *int64 `yaml:"delete_after_days"`
	EncryptionKeyArn           string `yaml:"encryption_key_arn"`
	// IsEncrypted; default true (AWS Backup encrypts every backup).
	IsEncrypted               *bool  `yaml:"is_encrypted"`
	LastRestoreTime           string `yaml:"last_restore_time"`
	SourceBackupVaultArn      string `yaml:"source_backup_vault_arn"`
	CompositeMemberIdentifier string `yaml:"composite_member_identifier"`
	IndexStatus               string `yaml:"index_status"`
	IndexStatusMessage        string `yaml:"index_status_message"`
	// IsParent; default true when there are children.
	IsParent *bool `yaml:"is_parent"`
	// Children are nested recovery points of this composite one: their
	// ParentRecoveryPointArn is this ARN; they are listed too.
	Children []AWSRecoveryPoint `yaml:"children"`
}

// AWSBackupJob is one backup job. Times are RFC 3339; ListBackupJobs
// only lists jobs created in the last 30 days.
type AWSBackupJob struct {
	// ID is the BackupJobId; default derived.
	ID string `yaml:"id"`
	// BackupVaultName (children inherit their parent's).
	BackupVaultName string `yaml:"backup_vault_name"`
	// RecoveryPointArn; the job's RecoveryPointLifecycle is the Lifecycle
	// of the recovery point of that ARN, when a vault has it.
	RecoveryPointArn string `yaml:"recovery_point_arn"`
	ResourceArn      string `yaml:"resource_arn"`
	// ResourceType and ResourceName default to the resource's.
	ResourceType string `yaml:"resource_type"`
	ResourceName string `yaml:"resource_name"`
	// State: CREATED, PENDING, RUNNING, ABORTING, ABORTED, COMPLETED
	// (default), FAILED, EXPIRED, PARTIAL.
	State         string `yaml:"state"`
	StatusMessage string `yaml:"status_message"`
	// MessageCategory; default SUCCESS for COMPLETED jobs.
	MessageCategory string `yaml:"message_category"`
	// PercentDone is a string, e.g. "42.0".
	PercentDone       string `yaml:"percent_done"`
	BytesTransferred  *int64 `yaml:"bytes_transferred"`
	BackupSizeInBytes *int64 `yaml:"backup_size_in_bytes"`
	// CreationDate is required (children inherit their parent's).
	CreationDate   string `yaml:"creation_date"`
	CompletionDate string `yaml:"completion_date"`
	// StartByDate is StartBy.
	StartByDate            string `yaml:"start_by_date"`
	ExpectedCompletionDate string `yaml:"expected_completion_date"`
	InitiationDate         string `yaml:"initiation_date"`
	// IamRoleArn; default the AWSBackupDefaultServiceRole of the account.
	IamRoleArn       string            `yaml:"iam_role_arn"`
	CreatedBy        *AWSCreatedBy     `yaml:"created_by"`
	BackupType       string            `yaml:"backup_type"`
	BackupOptions    map[string]string `yaml:"backup_options"`
	EncryptionKeyArn string            `yaml:"encryption_key_arn"`
	// IsParent; default true when there are children.
	IsParent *bool `yaml:"is_parent"`
	// Children are the child jobs of this composite job: their
	// ParentJobId is this job's ID; they are listed too.
	Children []AWSBackupJob `yaml:"children"`
}

// awsTime is a timestamp written as epoch seconds.
type awsTime struct {
	t   time.Time
	sci bool
}

func (a awsTime) MarshalJSON() ([]byte, error) {
	ms := a.t.UnixMilli()
	if a.sci {
		s := strconv.FormatFloat(float64(ms)/1000, 'E', -1, 64)
		mant, exp, _ := strings.Cut(s, "E")
		n, _ := strconv.Atoi(exp)
		return []byte(mant + "E" + strconv.Itoa(n)), nil
	}
	sec, frac := ms/1000, ms%1000
	if frac == 0 {
		return []byte(strconv.FormatInt(sec, 10)), nil
	}
	return []byte(strings.TrimRight(fmt.Sprintf("%d.%03d", sec, frac), "0")), nil
}

type awsLifecycleJSON struct {
	MoveToColdStorageAfterDays *int64 `json:"MoveToColdStorageAfterDays,omitempty"`
	DeleteAfterDays            *int64 `json:"DeleteAfterDays,omitempty"`
}

type awsCalculatedLifecycleJSON struct {
	MoveToColdStorageAt *awsTime `json:"MoveToColdStorageAt,omitempty"`
	DeleteAt            *awsTime `json:"DeleteAt,omitempty"`
}

// awsBackupJobJSON is a BackupJob.
type awsBackupJobJSON struct {
	AccountID              string            `json:"AccountId"`
	BackupJobID            string            `json:"BackupJobId"`
	BackupOptions          map[string]string `json:"BackupOptions,omitempty"`
	BackupSizeInBytes      *int64            `json:"BackupSizeInBytes,omitempty"`
	BackupType             string            `json:"BackupType,omitempty"`
	BackupVaultArn         string            `json:"BackupVaultArn,omitempty"`
	BackupVaultName        string            `json:"BackupVaultName,omitempty"`
	BytesTransferred       *int64            `json:"BytesTransferred,omitempty"`
	CompletionDate         *awsTime          `json:"CompletionDate,omitempty"`
	CreatedBy              *AWSCreatedBy     `json:"CreatedBy,omitempty"`
	CreationDate           *awsTime          `json:"CreationDate,omitempty"`
	EncryptionKeyArn       string            `json:"EncryptionKeyArn,omitempty"`
	ExpectedCompletionDate *awsTime          `json:"ExpectedCompletionDate,omitempty"`
	IamRoleArn             string            `json:"IamRoleArn,omitempty"`
	InitiationDate         *awsTime          `json:"InitiationDate,omitempty"`
	IsEncrypted            bool              `json:"IsEncrypted"`
	IsParent               bool              `json:"IsParent"`
	MessageCategory        string            `json:"MessageCategory,omitempty"`
	ParentJobID            string            `json:"ParentJobId,omitempty"`
	PercentDone            string            `json:"PercentDone,omitempty"`
	RecoveryPointArn       string            `json:"RecoveryPointArn,omitempty"`
	RecoveryPointLifecycle *awsLifecycleJSON `json:"RecoveryPointLifecycle,omitempty"`
	ResourceArn            string            `json:"ResourceArn,omitempty"`
	ResourceName           string            `json:"ResourceName,omitempty"`
	ResourceType           string            `json:"ResourceType,omitempty"`
	StartBy                *awsTime          `json:"StartBy,omitempty"`
	State                  string            `json:"State"`
	StatusMessage          string            `json:"StatusMessage,omitempty"`
	VaultType              string            `json:"VaultType,omitempty"`
}

// awsRecoveryPointJSON is a RecoveryPointByBackupVault.
type awsRecoveryPointJSON struct {
	BackupSizeInBytes         *int64                      `json:"BackupSizeInBytes,omitempty"`
	BackupVaultArn            string                      `json:"BackupVaultArn"`
	BackupVaultName           string                      `json:"BackupVaultName"`
	CalculatedLifecycle       *awsCalculatedLifecycleJSON `json:"CalculatedLifecycle,omitempty"`
	CompletionDate            *awsTime                    `json:"CompletionDate,omitempty"`
	CompositeMemberIdentifier string                      `json:"CompositeMemberIdentifier,omitempty"`
	CreatedBy                 *AWSCreatedBy               `json:"CreatedBy,omitempty"`
	CreationDate              *awsTime                    `json:"CreationDate,omitempty"`
	EncryptionKeyArn          string                      `json:"EncryptionKeyArn,omitempty"`
	IamRoleArn                string                      `json:"IamRoleArn,omitempty"`
	IndexStatus               string                      `json:"IndexStatus,omitempty"`
	IndexStatusMessage        string                      `json:"IndexStatusMessage,omitempty"`
	IsEncrypted               bool                        `json:"IsEncrypted"`
	IsParent                  bool                        `json:"IsParent"`
	LastRestoreTime           *awsTime                    `json:"LastRestoreTime,omitempty"`
	Lifecycle                 *awsLifecycleJSON           `json:"Lifecycle,omitempty"`
	ParentRecoveryPointArn    string                      `json:"ParentRecoveryPointArn,omitempty"`
	RecoveryPointArn          string                      `json:"RecoveryPointArn"`
	ResourceArn               string                      `json:"ResourceArn,omitempty"`
	ResourceName              string                      `json:"ResourceName,omitempty"`
	ResourceType              string                      `json:"ResourceType,omitempty"`
	SourceBackupVaultArn      string                      `json:"SourceBackupVaultArn,omitempty"`
	Status                    string                      `json:"Status"`
	StatusMessage             string                      `json:"StatusMessage,omitempty"`
	VaultType                 string                      `json:"VaultType,omitempty"`
}

// awsProtectedResourceJSON is a ProtectedResource.
type awsProtectedResourceJSON struct {
	LastBackupTime       *awsTime `json:"LastBackupTime,omitempty"`
	LastBackupVaultArn   string   `json:"LastBackupVaultArn,omitempty"`
	LastRecoveryPointArn string   `json:"LastRecoveryPointArn,omitempty"`
	ResourceArn          string   `json:"ResourceArn"`
	ResourceName         string   `json:"ResourceName,omitempty"`
	ResourceType         string   `json:"ResourceType,omitempty"`
}

// awsVaultJSON is a BackupVaultListMember.
type awsVaultJSON struct {
	BackupVaultArn         string   `json:"BackupVaultArn"`
	BackupVaultName        string   `json:"BackupVaultName"`
	CreationDate           *awsTime `json:"CreationDate,omitempty"`
	CreatorRequestID       string   `json:"CreatorRequestId,omitempty"`
	EncryptionKeyArn       string   `json:"EncryptionKeyArn,omitempty"`
	LockDate               *awsTime `json:"LockDate,omitempty"`
	Locked                 *bool    `json:"Locked,omitempty"`
	MaxRetentionDays       *int64   `json:"MaxRetentionDays,omitempty"`
	MinRetentionDays       *int64   `json:"MinRetentionDays,omitempty"`
	NumberOfRecoveryPoints int64    `json:"NumberOfRecoveryPoints"`
	VaultState             string   `json:"VaultState,omitempty"`
	VaultType              string   `json:"VaultType,omitempty"`
}

// awsData is a compiled AWS scenario: immutable once built, replaced
// whole when the scenario changes, so that handlers read it unlocked.
// It holds no pointer into the scenario.
type awsData struct {
	region   string
	pageSize int
	accounts map[string]*awsAccountData
	keys     map[string]awsStaticKey
	roles    map[string]*awsRoleData // by ARN
}

type awsStaticKey struct {
	account, userName string
	key               SigV4Key
}

type awsRoleData struct {
	arn, account, name string
	externalID         string
	trusted            []string
	webTokens          []string
	maxDuration        int
}

type awsAccountData struct {
	id          string
	vaults      []*awsVaultData
	vaultByName map[string]*awsVaultData
	protected   []awsProtectedResourceJSON
	jobs        []*awsJobItem // newest first
	jobIndex    *awsIndex     // of jobs (aws_index.go)
	// tags are the declared resources' tags, by ARN (an untagged one has
	// an empty map): the resources the tagging API knows.
	tags map[string]map[string]string
}

type awsVaultData struct {
	json       awsVaultJSON
	points     []*awsPointItem // newest first
	pointIndex *awsIndex       // of points
}

type awsJobItem struct {
	json      awsBackupJobJSON
	created   time.Time
	completed time.Time // zero when not completed
	seq       int       // order in the scenario
}

type awsPointItem struct {
	json    awsRecoveryPointJSON
	created time.Time
	planID  string
	seq     int // order in the scenario
}

// awsState is the server's AWS state, under s.mu.
type awsState struct {
	sc       *AWSScenario // owned
	data     *awsData
	temp     map[string]*awsTempCred
	tokenKey []byte
}

// registerAWS registers the AWS Backup and STS routes, serving sc
// (copied).
//
// Routing between the two services is by path and method: every AWS
// Backup operation (REST-JSON) has its own path below /resources,
// /backup-jobs or /backup-vaults, while the STS query protocol always
// targets the root path ("POST /" with a form body, or "GET /?Action=").
// So ServeMux tells them apart before any signature is read, faults
// injected for one API name never hit the other, and each then checks
// that the SigV4 credential scope names its own service ("backup" or
// "sts"), refusing a mis-scoped request as AWS does. A client points
// both SDK clients' BaseEndpoint at the simulator URL.
func (s *Server) registerAWS(sc *AWSScenario) error {
	if err := s.SetAWSScenario(sc); err != nil {
		return err
	}
	s.registerAPI(AWSBackupAPI, awsBackupFaultError)
	s.registerAPI(AWSSTSAPI, awsSTSFaultError)
	for _, route := range []struct {
		path string
		h    func(http.ResponseWriter, *http.Request, *awsData, *awsAccountData)
	}{
		{"/resources", s.awsListProtectedResources},
		{"/backup-jobs", s.awsListBackupJobs},
		{"/backup-vaults", s.awsListBackupVaults},
		{"/backup-vaults/{backupVaultName}/recovery-points", s.awsListRecoveryPoints},
	} {
		h := s.awsBackupAuth(route.h)
		s.handle(AWSBackupAPI, "GET "+route.path, h)
		s.handle(AWSBackupAPI, "GET "+route.path+"/{$}", h)
	}
	s.registerAPI(AWSTaggingAPI, awsTaggingFaultError)
	s.handleBy("POST /{$}", func(r *http.Request) (string, http.HandlerFunc) {
		// The JSON protocols name the operation in X-Amz-Target; STS's
		// query protocol in its form.
		if target := r.Header.Get("X-Amz-Target"); strings.HasPrefix(target, awsTaggingTargetPrefix) {
			return AWSTaggingAPI, s.awsTagging
		}
		return AWSSTSAPI, s.awsSTS
	})
	s.handle(AWSSTSAPI, "GET /{$}", s.awsSTS)
	return nil
}

// DefaultAWSScenario is what an empty AWS scenario serves: the demo
// account (demo key, demo role, no data) in the demo region.
func DefaultAWSScenario() *AWSScenario {
	return &AWSScenario{
		Region: AWSDemoRegion,
		Accounts: []AWSAccount{{
			ID:         AWSDemoAccountID,
			AccessKeys: []AWSAccessKey{{AccessKeyID: AWSDemoAccessKeyID, SecretAccessKey: AWSDemoSecretAccessKey}},
			Roles:      []AWSRole{{Name: AWSDemoRoleName, WebIdentityTokens: []string{AWSDemoWebIdentityToken}}},
		}},
	}
}

// SetAWSScenario replaces the AWS data (temporary credentials already
// issued stay valid). With nil, or no accounts, DefaultAWSScenario is
// served.
func (s *Server) SetAWSScenario(sc *AWSScenario) error {
	var c *AWSScenario
	if sc == nil || len(sc.Accounts) == 0 {
		c = DefaultAWSScenario()
		if sc != nil {
			c.Region = firstNonEmpty(sc.Region, c.Region)
			c.PageSize, c.ScientificTimestamps = sc.PageSize, sc.ScientificTimestamps
		}
	} else {
		c = sc.clone()
	}
	d, err := compileAWS(c)
	if err != nil {
		return fmt.Errorf("aws: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.aws == nil {
		key := make([]byte, 32)
		rand.Read(key)
		s.aws = &awsState{temp: map[string]*awsTempCred{}, tokenKey: key}
	}
	s.aws.sc, s.aws.data = c, d
	return nil
}

// UpdateAWSBackupJob calls fn with the named job (top-level or child) of
// an account, under the server's lock, and recompiles the scenario.
func (s *Server) UpdateAWSBackupJob(account, jobID string, fn func(*AWSBackupJob)) error {
	return s.updateAWS(func(sc *AWSScenario) error {
		a := sc.account(account)
		if a == nil {
			return fmt.Errorf("aws: no account %q", account)
		}
		j := findAWSJob(a.BackupJobs, jobID, a.ID, "")
		if j == nil {
			return fmt.Errorf("aws: no backup job %q in account %s", jobID, account)
		}
		fn(j)
		return nil
	})
}

// AddAWSBackupJob appends a top-level job to an account.
func (s *Server) AddAWSBackupJob(account string, j AWSBackupJob) error {
	return s.updateAWS(func(sc *AWSScenario) error {
		a := sc.account(account)
		if a == nil {
			return fmt.Errorf("aws: no account %q", account)
		}
		a.BackupJobs = append(a.BackupJobs, cloneAWSJobs([]AWSBackupJob{j})...)
		return nil
	})
}

// UpdateAWSRecoveryPoint calls fn with the recovery point (top-level or
// child) of the given ARN in an account's vault, and recompiles.
func (s *Server) UpdateAWSRecoveryPoint(account, vault, arn string, fn func(*AWSRecoveryPoint)) error {
	return s.updateAWS(func(sc *AWSScenario) error {
		a := sc.account(account)
		if a == nil {
			return fmt.Errorf("aws: no account %q", account)
		}
		for i := range a.Vaults {
			if a.Vaults[i].Name != vault {
				continue
			}
			if p := findAWSPoint(a.Vaults[i].RecoveryPoints, nil, arn, sc.Region, a, awsResources(a), vault, ""); p != nil {
				fn(p)
				return nil
			}
		}
		return fmt.Errorf("aws: no recovery point %q in vault %q of account %s", arn, vault, account)
	})
}

func (s *Server) updateAWS(fn func(*AWSScenario) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.aws.sc.clone()
	if err := fn(c); err != nil {
		return err
	}
	d, err := compileAWS(c)
	if err != nil {
		return fmt.Errorf("aws: %w", err)
	}
	s.aws.sc, s.aws.data = c, d
	return nil
}

func (sc *AWSScenario) account(id string) *AWSAccount {
	for i := range sc.Accounts {
		if sc.Accounts[i].ID == id {
			return &sc.Accounts[i]
		}
	}
	return nil
}

func findAWSJob(js []AWSBackupJob, id, account, path string) *AWSBackupJob {
	for i := range js {
		p := path + "/" + strconv.Itoa(i)
		if awsJobID(&js[i], account, p) == id {
			return &js[i]
		}
		if c := findAWSJob(js[i].Children, id, account, p); c != nil {
			return c
		}
	}
	return nil
}

func findAWSPoint(ps []AWSRecoveryPoint, parent *AWSRecoveryPoint, arn, region string, a *AWSAccount, resources map[string]AWSResource, vault, path string) *AWSRecoveryPoint {
	for i := range ps {
		p := path + "/" + strconv.Itoa(i)
		q := awsResolvePoint(&ps[i], parent, resources)
		if awsPointARN(&q, region, a, vault, p) == arn {
			return &ps[i]
		}
		if c := findAWSPoint(ps[i].Children, &q, arn, region, a, resources, vault, p); c != nil {
			return c
		}
	}
	return nil
}

func (sc *AWSScenario) clone() *AWSScenario {
	c := *sc
	c.Accounts = make([]AWSAccount, len(sc.Accounts))
	for i, a := range sc.Accounts {
		a.AccessKeys = slices.Clone(a.AccessKeys)
		a.Resources = slices.Clone(a.Resources)
		for j := range a.Resources {
			a.Resources[j].Tags = maps.Clone(a.Resources[j].Tags)
		}
		a.Roles = slices.Clone(a.Roles)
		for j := range a.Roles {
			a.Roles[j].TrustedAccounts = slices.Clone(a.Roles[j].TrustedAccounts)
			a.Roles[j].WebIdentityTokens = slices.Clone(a.Roles[j].WebIdentityTokens)
		}
		a.Vaults = slices.Clone(a.Vaults)
		for j := range a.Vaults {
			v := &a.Vaults[j]
			v.Locked, v.MinRetentionDays, v.MaxRetentionDays = copyBool(v.Locked), copyInt64(v.MinRetentionDays), copyInt64(v.MaxRetentionDays)
			v.RecoveryPoints = cloneAWSPoints(v.RecoveryPoints)
		}
		a.BackupJobs = cloneAWSJobs(a.BackupJobs)
		c.Accounts[i] = a
	}
	return &c
}

func cloneAWSJobs(js []AWSBackupJob) []AWSBackupJob {
	if js == nil {
		return nil
	}
	out := make([]AWSBackupJob, len(js))
	for i, j := range js {
		if j.BackupOptions != nil {
			m := make(map[string]string, len(j.BackupOptions))
			for k, v := range j.BackupOptions {
				m[k] = v
			}
			j.BackupOptions = m
		}
		j.BytesTransferred, j.BackupSizeInBytes = copyInt64(j.BytesTransferred), copyInt64(j.BackupSizeInBytes)
		j.CreatedBy, j.IsParent = copyCreatedBy(j.CreatedBy), copyBool(j.IsParent)
		j.Children = cloneAWSJobs(j.Children)
		out[i] = j
	}
	return out
}

func cloneAWSPoints(ps []AWSRecoveryPoint) []AWSRecoveryPoint {
	if ps == nil {
		return nil
	}
	out := make([]AWSRecoveryPoint, len(ps))
	for i, p := range ps {
		p.BackupSizeInBytes, p.CreatedBy = copyInt64(p.BackupSizeInBytes), copyCreatedBy(p.CreatedBy)
		p.MoveToColdStorageAfterDays, p.DeleteAfterDays = copyInt64(p.MoveToColdStorageAfterDays), copyInt64(p.DeleteAfterDays)
		p.IsEncrypted, p.IsParent = copyBool(p.IsEncrypted), copyBool(p.IsParent)
		p.Children = cloneAWSPoints(p.Children)
		out[i] = p
	}
	return out
}

// awsUUID derives an upper-case UUID from a seed, as AWS Backup writes
// job and recovery point IDs.
func awsUUID(seed string) string {
	return strings.ToUpper(huaweiUUID(seed))
}

func awsJobID(j *AWSBackupJob, account, path string) string {
	if j.ID != "" {
		return j.ID
	}
	return awsUUID("job:" + account + ":" + path)
}

// awsResolvePoint is p with the resource ARN and creation date its
// parent gives it, and the resource type its resource (in resources)
// gives it.
func awsResolvePoint(p, parent *AWSRecoveryPoint, resources map[string]AWSResource) AWSRecoveryPoint {
	q := *p
	if parent != nil {
		q.ResourceArn = firstNonEmpty(q.ResourceArn, parent.ResourceArn)
		q.CreationDate = firstNonEmpty(q.CreationDate, parent.CreationDate)
	}
	if q.ResourceType == "" {
		q.ResourceType = resources[q.ResourceArn].Type
	}
	return q
}

func awsResources(a *AWSAccount) map[string]AWSResource {
	m := make(map[string]AWSResource, len(a.Resources))
	for _, r := range a.Resources {
		m[r.ARN] = r
	}
	return m
}

// awsPointARN is the recovery point's ARN, or the default one: an EBS
// snapshot or EC2 image ARN, an RDS snapshot ARN, else a Backup recovery
// point ARN.
func awsPointARN(p *AWSRecoveryPoint, region string, a *AWSAccount, vault, path string) string {
	if p.ARN != "" {
		return p.ARN
	}
	id := awsUUID("rp:" + a.ID + ":" + vault + ":" + path)
	hexID := strings.ToLower(strings.ReplaceAll(id, "-", ""))[:17]
	switch p.ResourceType {
	case "EBS":
		return "arn:aws:ec2:" + region + "::snapshot/snap-" + hexID
	case "EC2":
		return "arn:aws:ec2:" + region + "::image/ami-" + hexID
	case "RDS":
		return "arn:aws:rds:" + region + ":" + a.ID + ":snapshot:awsbackup:job-" + strings.ToLower(id)
	}
	return "arn:aws:backup:" + region + ":" + a.ID + ":recovery-point:" + id
}

func awsVaultARN(region, account, name string) string {
	return "arn:aws:backup:" + region + ":" + account + ":backup-vault:" + name
}

// awsParseTime parses a scenario time (RFC 3339, or the other scenario
// layouts read as UTC); "" is the zero time.
func awsParseTime(field, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, v); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%s %q is not an RFC 3339 time", field, v)
}

// awsCompiler builds awsData from a scenario, with the first error.
type awsCompiler struct {
	sci    bool
	err    error
	typeOf map[string]AWSResource
}

// time parses the field of the item named what; the error names both.
func (c *awsCompiler) time(what, field, v string) *awsTime {
	t, err := awsParseTime(field, v)
	if err != nil && c.err == nil {
		c.err = fmt.Errorf("%s: %w", what, err)
	}
	if t.IsZero() {
		return nil
	}
	return &awsTime{t: t, sci: c.sci}
}

func (c *awsCompiler) fail(format string, args ...any) {
	if c.err == nil {
		c.err = fmt.Errorf(format, args...)
	}
}

func tOf(a *awsTime) time.Time {
	if a == nil {
		return time.Time{}
	}
	return a.t
}

func copyInt64(p *int64) *int64 {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

func copyBool(p *bool) *bool {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

func copyCreatedBy(p *AWSCreatedBy) *AWSCreatedBy {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

func compileAWS(sc *AWSScenario) (*awsData, error) {
	if sc.Region == "" {
		sc.Region = AWSDemoRegion
	}
	if sc.PageSize < 0 || sc.PageSize > awsMaxResults {
		return nil, fmt.Errorf("page_size %d: want 0..%d", sc.PageSize, awsMaxResults)
	}
	d := &awsData{
		region:   sc.Region,
		pageSize: orDefault(sc.PageSize, awsMaxResults),
		accounts: map[string]*awsAccountData{},
		keys:     map[string]awsStaticKey{},
		roles:    map[string]*awsRoleData{},
	}
	for ai := range sc.Accounts {
		a := &sc.Accounts[ai]
		if !awsAccountIDRE.MatchString(a.ID) {
			return nil, fmt.Errorf("accounts[%d]: id %q is not 12 digits", ai, a.ID)
		}
		if d.accounts[a.ID] != nil {
			return nil, fmt.Errorf("account %s given twice", a.ID)
		}
		for _, k := range a.AccessKeys {
			if k.AccessKeyID == "" || k.SecretAccessKey == "" {
				return nil, fmt.Errorf("account %s: an access key needs access_key_id and secret_access_key", a.ID)
			}
			if _, dup := d.keys[k.AccessKeyID]; dup {
				return nil, fmt.Errorf("access key %s given twice", k.AccessKeyID)
			}
			d.keys[k.AccessKeyID] = awsStaticKey{account: a.ID, userName: firstNonEmpty(k.UserName, "simulator"),
				key: SigV4Key{SecretAccessKey: k.SecretAccessKey, SessionToken: k.SessionToken}}
		}
		for _, r := range a.Roles {
			if r.Name == "" {
				return nil, fmt.Errorf("account %s: a role needs a name", a.ID)
			}
			if r.MaxSessionDuration != 0 && (r.MaxSessionDuration < 3600 || r.MaxSessionDuration > 43200) {
				return nil, fmt.Errorf("role %s: max_session_duration %d: want 3600..43200", r.Name, r.MaxSessionDuration)
			}
			arn := "arn:aws:iam::" + a.ID + ":role/" + r.Name
			if d.roles[arn] != nil {
				return nil, fmt.Errorf("role %s given twice", arn)
			}
			d.roles[arn] = &awsRoleData{arn: arn, account: a.ID, name: r.Name, externalID: r.ExternalID,
				trusted: slices.Clone(r.TrustedAccounts), webTokens: slices.Clone(r.WebIdentityTokens),
				maxDuration: orDefault(r.MaxSessionDuration, 3600)}
		}
		ad, err := compileAWSAccount(sc, a)
		if err != nil {
			return nil, fmt.Errorf("account %s: %w", a.ID, err)
		}
		d.accounts[a.ID] = ad
	}
	return d, nil
}

func compileAWSAccount(sc *AWSScenario, a *AWSAccount) (*awsAccountData, error) {
	c := &awsCompiler{sci: sc.ScientificTimestamps, typeOf: map[string]AWSResource{}}
	ad := &awsAccountData{id: a.ID, vaultByName: map[string]*awsVaultData{}, jobIndex: &awsIndex{}, tags: map[string]map[string]string{}}
	for _, r := range a.Resources {
		if r.ARN == "" {
			return nil, errors.New("a resource needs an arn")
		}
		if _, dup := c.typeOf[r.ARN]; dup {
			return nil, fmt.Errorf("resource %s given twice", r.ARN)
		}
		c.typeOf[r.ARN] = r
		if r.Gone {
			continue
		}
		ad.tags[r.ARN] = maps.Clone(r.Tags)
		if ad.tags[r.ARN] == nil {
			ad.tags[r.ARN] = map[string]string{}
		}
	}

	// Vaults and recovery points.
	type last struct {
		t        time.Time
		vault    string
		point    string
		typ, nam string
	}
	lastOf := map[string]*last{}
	var order []string // resource ARNs in order of appearance
	for _, r := range a.Resources {
		order = append(order, r.ARN)
	}
	rpSeen := map[string]bool{}
	lifecycleOf := map[string]*awsLifecycleJSON{} // by recovery point ARN
	for vi := range a.Vaults {
		v := &a.Vaults[vi]
		if !awsVaultNameRE.MatchString(v.Name) {
			return nil, fmt.Errorf("vault name %q does not match %s", v.Name, awsVaultNameRE)
		}
		if ad.vaultByName[v.Name] != nil {
			return nil, fmt.Errorf("vault %s given twice", v.Name)
		}
		vt := firstNonEmpty(v.VaultType, "BACKUP_VAULT")
		vs := firstNonEmpty(v.VaultState, "AVAILABLE")
		if !slices.Contains(awsVaultTypes, vt) || !slices.Contains(awsVaultStates, vs) {
			return nil, fmt.Errorf("vault %s: vault_type %q or vault_state %q is not one of %v, %v", v.Name, vt, vs, awsVaultTypes, awsVaultStates)
		}
		vd := &awsVaultData{pointIndex: &awsIndex{}, json: awsVaultJSON{
			BackupVaultArn:   awsVaultARN(sc.Region, a.ID, v.Name),
			BackupVaultName:  v.Name,
			CreationDate:     c.time("vault "+v.Name, "creation_date", v.CreationDate),
			CreatorRequestID: v.CreatorRequestID,
			EncryptionKeyArn: v.EncryptionKeyArn,
			LockDate:         c.time("vault "+v.Name, "lock_date", v.LockDate),
			MaxRetentionDays: copyInt64(v.MaxRetentionDays),
			MinRetentionDays: copyInt64(v.MinRetentionDays),
			VaultState:       vs,
			VaultType:        vt,
		}}
		vd.json.Locked = copyBool(v.Locked)
		var walk func(ps []AWSRecoveryPoint, parent *AWSRecoveryPoint, parentARN, path string)
		walk = func(ps []AWSRecoveryPoint, parent *AWSRecoveryPoint, parentARN, path string) {
			for i := range ps {
				p := &ps[i]
				pp := path + "/" + strconv.Itoa(i)
				q := awsResolvePoint(p, parent, c.typeOf)
				res := q.ResourceArn
				if res == "" {
					c.fail("vault %s: recovery point %s needs a resource_arn", v.Name, pp)
					return
				}
				known := c.typeOf[res]
				arn := awsPointARN(&q, sc.Region, a, v.Name, pp)
				if rpSeen[arn] {
					c.fail("recovery point %s given twice", arn)
					return
				}
				rpSeen[arn] = true
				status := firstNonEmpty(p.Status, "COMPLETED")
				if !slices.Contains(awsRecoveryPointStatuses, status) {
					c.fail("recovery point %s: status %q is not one of %v", arn, status, awsRecoveryPointStatuses)
					return
				}
				if p.IndexStatus != "" && !slices.Contains(awsIndexStatuses, p.IndexStatus) {
					c.fail("recovery point %s: index_status %q is not one of %v", arn, p.IndexStatus, awsIndexStatuses)
					return
				}
				created := q.CreationDate
				if created == "" {
					c.fail("recovery point %s needs a creation_date", arn)
					return
				}
				isParent := len(p.Children) > 0
				if p.IsParent != nil {
					isParent = *p.IsParent
				}
				encrypted := true
				if p.IsEncrypted != nil {
					encrypted = *p.IsEncrypted
				}
				j := awsRecoveryPointJSON{
					BackupSizeInBytes:         copyInt64(p.BackupSizeInBytes),
					BackupVaultArn:            vd.json.BackupVaultArn,
					BackupVaultName:           v.Name,
					CompletionDate:            c.time(arn, "completion_date", p.CompletionDate),
					CompositeMemberIdentifier: p.CompositeMemberIdentifier,
					CreatedBy:                 copyCreatedBy(p.CreatedBy),
					CreationDate:              c.time(arn, "creation_date", created),
					EncryptionKeyArn:          firstNonEmpty(p.EncryptionKeyArn, v.EncryptionKeyArn),
					IamRoleArn:                firstNonEmpty(p.IamRoleArn, "arn:aws:iam::"+a.ID+":role/"+awsDefaultServiceRole),
					IndexStatus:               p.IndexStatus,
					IndexStatusMessage:        p.IndexStatusMessage,
					IsEncrypted:               encrypted,
					IsParent:                  isParent,
					LastRestoreTime:           c.time(arn, "last_restore_time", p.LastRestoreTime),
					ParentRecoveryPointArn:    parentARN,
					RecoveryPointArn:          arn,
					ResourceArn:               res,
					ResourceName:              firstNonEmpty(p.ResourceName, known.Name),
					ResourceType:              q.ResourceType,
					SourceBackupVaultArn:      p.SourceBackupVaultArn,
					Status:                    status,
					StatusMessage:             p.StatusMessage,
					VaultType:                 vt,
				}
				if cold, del := c.time(arn, "move_to_cold_storage_at", p.MoveToColdStorageAt), c.time(arn, "delete_at", p.DeleteAt); cold != nil || del != nil {
					j.CalculatedLifecycle = &awsCalculatedLifecycleJSON{MoveToColdStorageAt: cold, DeleteAt: del}
				}
				if p.MoveToColdStorageAfterDays != nil || p.DeleteAfterDays != nil {
					j.Lifecycle = &awsLifecycleJSON{MoveToColdStorageAfterDays: copyInt64(p.MoveToColdStorageAfterDays), DeleteAfterDays: copyInt64(p.DeleteAfterDays)}
					lifecycleOf[arn] = j.Lifecycle
				}
				item := &awsPointItem{json: j, created: tOf(j.CreationDate), seq: len(vd.points)}
				if p.CreatedBy != nil {
					item.planID = p.CreatedBy.BackupPlanID
				}
				vd.points = append(vd.points, item)
				if status != "CREATING" && status != "DELETING" {
					l := lastOf[res]
					if l == nil {
						l = &last{}
						lastOf[res] = l
						if _, declared := c.typeOf[res]; !declared {
							order = append(order, res)
						}
					}
					if l.point == "" || item.created.After(l.t) {
						l.t, l.vault, l.point = item.created, vd.json.BackupVaultArn, arn
						l.typ, l.nam = j.ResourceType, j.ResourceName
					}
				}
				if c.err != nil {
					return
				}
				walk(p.Children, &q, arn, pp)
			}
		}
		walk(v.RecoveryPoints, nil, "", "")
		if c.err != nil {
			return nil, c.err
		}
		slices.SortFunc(vd.points, func(x, y *awsPointItem) int {
			return awsNewestFirst(x.created, y.created, x.seq, y.seq)
		})
		vd.json.NumberOfRecoveryPoints = int64(len(vd.points))
		ad.vaults = append(ad.vaults, vd)
		ad.vaultByName[v.Name] = vd
	}

	// Protected resources.
	for _, arn := range order {
		r := c.typeOf[arn]
		l := lastOf[arn]
		if l == nil && r.LastBackupTime == "" {
			continue
		}
		pr := awsProtectedResourceJSON{ResourceArn: arn, ResourceType: r.Type, ResourceName: r.Name}
		if l != nil {
			pr.LastBackupTime = &awsTime{t: l.t, sci: c.sci}
			pr.LastBackupVaultArn, pr.LastRecoveryPointArn = l.vault, l.point
			pr.ResourceType, pr.ResourceName = firstNonEmpty(r.Type, l.typ), firstNonEmpty(r.Name, l.nam)
		}
		if r.LastBackupTime != "" {
			pr.LastBackupTime = c.time(arn, "last_backup_time", r.LastBackupTime)
		}
		pr.LastBackupVaultArn = firstNonEmpty(r.LastBackupVaultArn, pr.LastBackupVaultArn)
		pr.LastRecoveryPointArn = firstNonEmpty(r.LastRecoveryPointArn, pr.LastRecoveryPointArn)
		ad.protected = append(ad.protected, pr)
	}

	// Backup jobs.
	jobSeen := map[string]bool{}
	var walk func(js []AWSBackupJob, parent *AWSBackupJob, parentID, path string)
	walk = func(js []AWSBackupJob, parent *AWSBackupJob, parentID, path string) {
		for i := range js {
			j := &js[i]
			pp := path + "/" + strconv.Itoa(i)
			id := awsJobID(j, a.ID, pp)
			if jobSeen[id] {
				c.fail("backup job %s given twice", id)
				return
			}
			jobSeen[id] = true
			state := firstNonEmpty(j.State, "COMPLETED")
			if !slices.Contains(awsJobStates, state) {
				c.fail("backup job %s: state %q is not one of %v", id, state, awsJobStates)
				return
			}
			q := *j
			if parent != nil {
				q.BackupVaultName = firstNonEmpty(q.BackupVaultName, parent.BackupVaultName)
				q.CreationDate = firstNonEmpty(q.CreationDate, parent.CreationDate)
				q.IamRoleArn = firstNonEmpty(q.IamRoleArn, parent.IamRoleArn)
				if q.CreatedBy == nil {
					q.CreatedBy = parent.CreatedBy
				}
			}
			if q.CreationDate == "" {
				c.fail("backup job %s needs a creation_date", id)
				return
			}
			if q.BackupVaultName != "" && ad.vaultByName[q.BackupVaultName] == nil && !awsVaultNameRE.MatchString(q.BackupVaultName) {
				c.fail("backup job %s: backup_vault_name %q does not match %s", id, q.BackupVaultName, awsVaultNameRE)
				return
			}
			known := c.typeOf[q.ResourceArn]
			msgCat := q.MessageCategory
			if msgCat == "" && state == "COMPLETED" {
				msgCat = "SUCCESS"
			}
			isParent := len(j.Children) > 0
			if j.IsParent != nil {
				isParent = *j.IsParent
			}
			out := awsBackupJobJSON{
				AccountID:              a.ID,
				BackupJobID:            id,
				BackupSizeInBytes:      copyInt64(q.BackupSizeInBytes),
				BackupType:             q.BackupType,
				BackupVaultName:        q.BackupVaultName,
				BytesTransferred:       copyInt64(q.BytesTransferred),
				CompletionDate:         c.time(id, "completion_date", q.CompletionDate),
				CreatedBy:              copyCreatedBy(q.CreatedBy),
				CreationDate:           c.time(id, "creation_date", q.CreationDate),
				EncryptionKeyArn:       q.EncryptionKeyArn,
				ExpectedCompletionDate: c.time(id, "expected_completion_date", q.ExpectedCompletionDate),
				IamRoleArn:             firstNonEmpty(q.IamRoleArn, "arn:aws:iam::"+a.ID+":role/"+awsDefaultServiceRole),
				InitiationDate:         c.time(id, "initiation_date", q.InitiationDate),
				IsEncrypted:            q.RecoveryPointArn != "",
				IsParent:               isParent,
				MessageCategory:        msgCat,
				ParentJobID:            parentID,
				PercentDone:            q.PercentDone,
				RecoveryPointArn:       q.RecoveryPointArn,
				RecoveryPointLifecycle: lifecycleOf[q.RecoveryPointArn],
				ResourceArn:            q.ResourceArn,
				ResourceName:           firstNonEmpty(q.ResourceName, known.Name),
				ResourceType:           firstNonEmpty(q.ResourceType, known.Type),
				StartBy:                c.time(id, "start_by_date", q.StartByDate),
				State:                  state,
				StatusMessage:          q.StatusMessage,
			}
			if q.BackupVaultName != "" {
				out.BackupVaultArn = awsVaultARN(sc.Region, a.ID, q.BackupVaultName)
				if vd := ad.vaultByName[q.BackupVaultName]; vd != nil {
					out.VaultType = vd.json.VaultType
				}
			}
			if len(q.BackupOptions) > 0 {
				out.BackupOptions = map[string]string{}
				for k, v := range q.BackupOptions {
					out.BackupOptions[k] = v
				}
			}
			ad.jobs = append(ad.jobs, &awsJobItem{json: out, created: tOf(out.CreationDate), completed: tOf(out.CompletionDate), seq: len(ad.jobs)})
			if c.err != nil {
				return
			}
			walk(j.Children, &q, id, pp)
		}
	}
	walk(a.BackupJobs, nil, "", "")
	if c.err != nil {
		return nil, c.err
	}
	slices.SortFunc(ad.jobs, func(x, y *awsJobItem) int {
		return awsNewestFirst(x.created, y.created, x.seq, y.seq)
	})
	return ad, nil
}

// awsNewestFirst orders by creation date, newest first, then in the
// scenario's order (a parent before its children).
func awsNewestFirst(a, b time.Time, seqA, seqB int) int {
	if c := b.Compare(a); c != 0 {
		return c
	}
	return seqA - seqB
}

// awsRequestID is a new x-amzn-RequestId.
func awsRequestID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := fmt.Sprintf("%x", b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// awsBackupError writes a REST-JSON error: the X-Amzn-ErrorType header
// and {"__type": typ, ...}. Errors of the Backup model (modeled) carry
// their members Code and Message; the protocol's common errors carry
// "message".
func awsBackupError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("X-Amzn-ErrorType", typ)
	w.Header().Set("X-Amzn-RequestId", awsRequestID())
	body := map[string]string{"__type": typ}
	switch typ {
	case "InvalidParameterValueException", "ResourceNotFoundException", "ServiceUnavailableException",
		"MissingParameterValueException", "InvalidRequestException", "ConflictException", "LimitExceededException":
		body["Code"], body["Message"] = typ, msg
	default:
		body["message"] = msg
	}
	writeJSON(w, status, body)
}

func awsInvalidParameter(w http.ResponseWriter, msg string) {
	awsBackupError(w, http.StatusBadRequest, "InvalidParameterValueException", msg)
}

// awsBackupFaultError answers injected faults in the Backup format: 400
// and 429 are ThrottlingException (AWS Backup's common errors give
// throttling status 400), 401 UnrecognizedClientException, 403
// AccessDeniedException, 404 ResourceNotFoundException, 409
// ConflictException, 5xx ServiceUnavailableException, other 4xx
// InvalidRequestException. The status is the fault's.
func awsBackupFaultError(w http.ResponseWriter, status int, title, detail string) {
	var typ, msg string
	switch {
	case status == http.StatusBadRequest || status == http.StatusTooManyRequests:
		typ, msg = "ThrottlingException", "Rate exceeded"
	case status == http.StatusUnauthorized:
		typ, msg = "UnrecognizedClientException", "The security token included in the request is invalid."
	case status == http.StatusForbidden:
		typ, msg = "AccessDeniedException", "User is not authorized to perform this action"
	case status == http.StatusNotFound:
		typ, msg = "ResourceNotFoundException", "A resource that is required for the action doesn't exist"
	case status == http.StatusConflict:
		typ, msg = "ConflictException", "Backup can't perform the action that you requested until it finishes performing a previous action"
	case status >= 500:
		typ, msg = "ServiceUnavailableException", "The request failed due to a temporary failure of the server"
	default:
		typ, msg = "InvalidRequestException", title
	}
	awsBackupError(w, status, typ, msg+". "+detail)
}

// awsSigV4BackupError maps a SigV4 failure to the REST-JSON answer: 403
// always, as the AWS common errors list gives for authentication
// failures (MissingAuthenticationToken, IncompleteSignature,
// UnrecognizedClientException, ExpiredTokenException), and
// InvalidSignatureException for a wrong signature, scope or clock.
func awsSigV4BackupError(w http.ResponseWriter, err error) {
	var se *SigV4Error
	if !errors.As(err, &se) {
		awsBackupError(w, http.StatusBadRequest, "InvalidRequestException", err.Error())
		return
	}
	typ := map[SigV4Failure]string{
		SigV4Missing:      "MissingAuthenticationTokenException",
		SigV4Incomplete:   "IncompleteSignatureException",
		SigV4BadScope:     "InvalidSignatureException",
		SigV4Skewed:       "InvalidSignatureException",
		SigV4UnknownKey:   "UnrecognizedClientException",
		SigV4BadToken:     "UnrecognizedClientException",
		SigV4TokenExpired: "ExpiredTokenException",
		SigV4Mismatch:     "InvalidSignatureException",
	}[se.Failure]
	awsBackupError(w, http.StatusForbidden, typ, se.Message)
}

// awsLookup returns the key lookup of d and the temporary credentials,
// and who the key belongs to.
func (s *Server) awsLookup(d *awsData) func(string) (SigV4Key, bool) {
	return func(id string) (SigV4Key, bool) {
		if k, ok := d.keys[id]; ok {
			return k.key, true
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if t := s.aws.temp[id]; t != nil {
			return SigV4Key{SecretAccessKey: t.secret, SessionToken: t.token, Expires: t.expires}, true
		}
		return SigV4Key{}, false
	}
}

// awsPrincipal is who signed a request.
type awsPrincipal struct {
	account string
	arn     string
	userID  string
}

func (s *Server) awsPrincipal(d *awsData, accessKeyID string) (awsPrincipal, bool) {
	if k, ok := d.keys[accessKeyID]; ok {
		return awsPrincipal{account: k.account, arn: "arn:aws:iam::" + k.account + ":user/" + k.userName,
			userID: "AIDA" + awsKeySuffix("user:"+k.account+":"+k.userName)}, true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.aws.temp[accessKeyID]; t != nil {
		return awsPrincipal{account: t.account, arn: t.assumedArn, userID: t.assumedID}, true
	}
	return awsPrincipal{}, false
}

// awsBackupAuth verifies the SigV4 signature (service "backup", the
// scenario's region) and gives h the caller's account.
func (s *Server) awsBackupAuth(h func(http.ResponseWriter, *http.Request, *awsData, *awsAccountData)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		d := s.aws.data
		s.mu.Unlock()
		body, err := readSigV4Body(r)
		if err != nil {
			awsBackupError(w, http.StatusBadRequest, "SerializationException", "Cannot read the request body: "+err.Error())
			return
		}
		auth, err := VerifySigV4(r, body, SigV4Params{Service: "backup", Regions: []string{d.region}, Lookup: s.awsLookup(d), Now: time.Now()})
		if err != nil {
			awsSigV4BackupError(w, err)
			return
		}
		p, ok := s.awsPrincipal(d, auth.AccessKeyID)
		acct := d.accounts[p.account]
		if !ok || acct == nil {
			awsBackupError(w, http.StatusForbidden, "UnrecognizedClientException", "The security token included in the request is invalid.")
			return
		}
		w.Header().Set("X-Amzn-RequestId", awsRequestID())
		h(w, r, d, acct)
	}
}

// awsConstraint and awsValidation word a failed constraint as AWS
// validation errors do.
func awsConstraint(value, field, constraint string) string {
	return fmt.Sprintf("Value '%s' at '%s' failed to satisfy constraint: %s", value, field, constraint)
}

func awsValidation(value, field, constraint string) string {
	return "1 validation error detected: " + awsConstraint(value, field, constraint)
}

// awsPage reads maxResults and nextToken. The token is bound to the
// operation, the account and the other query parameters, and expires
// after awsNextTokenTTL.
type awsPage struct {
	limit, offset int
	binding       string
}

func (s *Server) awsReadPage(w http.ResponseWriter, r *http.Request, d *awsData, acct *awsAccountData, op string) (*awsPage, bool) {
	q := r.URL.Query()
	p := &awsPage{limit: d.pageSize}
	if q.Has("maxResults") {
		v := q.Get("maxResults")
		n, err := strconv.Atoi(v)
		switch {
		case err != nil:
			awsInvalidParameter(w, awsValidation(v, "maxResults", "Member must be an integer"))
			return nil, false
		case n < 1:
			awsInvalidParameter(w, awsValidation(v, "maxResults", "Member must have value greater than or equal to 1"))
			return nil, false
		case n > awsMaxResults:
			awsInvalidParameter(w, awsValidation(v, "maxResults", "Member must have value less than or equal to 1000"))
			return nil, false
		}
		p.limit = n
	}
	var keys []string
	for k := range q {
		if k != "maxResults" && k != "nextToken" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var b strings.Builder
	b.WriteString(op + "\x00" + acct.id + "\x00" + r.PathValue("backupVaultName"))
	for _, k := range keys {
		b.WriteString("\x00" + k + "=" + strings.Join(q[k], "\x01"))
	}
	p.binding = b.String()
	if q.Has("nextToken") {
		off, err := s.awsDecodeToken(q.Get("nextToken"), p.binding, time.Now())
		if err != nil {
			awsInvalidParameter(w, "Invalid NextToken: "+err.Error())
			return nil, false
		}
		p.offset = off
	}
	return p, true
}

// awsToken makes a next token: offset and issue time, with an HMAC over
// them and the binding, base64url.
func (s *Server) awsToken(binding string, offset int, issued time.Time) string {
	s.mu.Lock()
	key := s.aws.tokenKey
	s.mu.Unlock()
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(offset))
	binary.BigEndian.PutUint64(b[8:], uint64(issued.Unix()))
	mac := hmacSHA256(key, string(b[:])+binding)
	return base64.RawURLEncoding.EncodeToString(append(b[:], mac[:16]...))
}

func (s *Server) awsDecodeToken(tok, binding string, now time.Time) (int, error) {
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(raw) != 32 {
		return 0, errors.New("the token is malformed")
	}
	s.mu.Lock()
	key := s.aws.tokenKey
	s.mu.Unlock()
	if !hmac.Equal(raw[16:], hmacSHA256(key, string(raw[:16])+binding)[:16]) {
		return 0, errors.New("the token was not issued for this request (its operation, vault or filters differ)")
	}
	issued := time.Unix(int64(binary.BigEndian.Uint64(raw[8:16])), 0)
	if now.Sub(issued) > awsNextTokenTTL {
		return 0, fmt.Errorf("the token expired (issued %s, valid for %s)", issued.UTC().Format(time.RFC3339), awsNextTokenTTL)
	}
	off := binary.BigEndian.Uint64(raw[:8])
	if off > 1<<31 {
		return 0, errors.New("the token is malformed")
	}
	return int(off), nil
}

// awsPaginate writes {key: page, "NextToken"?} for items[offset:].
func awsPaginate[T any](s *Server, w http.ResponseWriter, p *awsPage, key string, items []T) {
	awsPaginateN(s, w, p, key, len(items), func(i int) T { return items[i] })
}

// awsPaginateN writes {key: page, "NextToken"?} for the items from
// offset of a list of n, the i-th being item(i).
func awsPaginateN[T any](s *Server, w http.ResponseWriter, p *awsPage, key string, n int, item func(i int) T) {
	page := []T{}
	for i := p.offset; i < min(n, p.offset+p.limit); i++ {
		page = append(page, item(i))
	}
	out := map[string]any{key: page}
	if next := p.offset + p.limit; next < n {
		out["NextToken"] = s.awsToken(p.binding, next, time.Now())
	}
	writeJSON(w, http.StatusOK, out)
}

// awsQueryTime parses a timestamp query parameter: ISO 8601 date-time
// (as the REST-JSON protocol sends timestamps in a query), or epoch
// seconds.
func awsQueryTime(w http.ResponseWriter, r *http.Request, name string) (time.Time, bool) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return time.Time{}, true
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, true
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		return time.UnixMilli(int64(f * 1000)), true
	}
	awsInvalidParameter(w, fmt.Sprintf("Invalid value '%s' for %s: want an ISO 8601 date-time such as 2026-11-24T06:00:00Z", v, name))
	return time.Time{}, false
}

func awsCheckPattern(w http.ResponseWriter, r *http.Request, name string, re *regexp.Regexp, extra ...string) bool {
	v := r.URL.Query().Get(name)
	if v == "" || re.MatchString(v) || slices.Contains(extra, v) {
		return true
	}
	awsInvalidParameter(w, awsValidation(v, name, "Member must satisfy regular expression pattern: "+re.String()))
	return false
}

func awsCheckEnum(w http.ResponseWriter, r *http.Request, name string, values []string) bool {
	v := r.URL.Query().Get(name)
	if v == "" || slices.Contains(values, v) {
		return true
	}
	awsInvalidParameter(w, awsValidation(v, name, "Member must satisfy enum value set: ["+strings.Join(values, ", ")+"]"))
	return false
}

// awsListProtectedResources answers ListProtectedResources.
func (s *Server) awsListProtectedResources(w http.ResponseWriter, r *http.Request, d *awsData, acct *awsAccountData) {
	p, ok := s.awsReadPage(w, r, d, acct, "ListProtectedResources")
	if !ok {
		return
	}
	awsPaginate(s, w, p, "Results", acct.protected)
}

// awsListBackupVaults answers ListBackupVaults, with the vaultType and
// shared filters (the simulator has no shared vaults).
func (s *Server) awsListBackupVaults(w http.ResponseWriter, r *http.Request, d *awsData, acct *awsAccountData) {
	q := r.URL.Query()
	if !awsCheckEnum(w, r, "vaultType", awsVaultTypes) || !awsCheckEnum(w, r, "shared", []string{"true", "false"}) {
		return
	}
	p, ok := s.awsReadPage(w, r, d, acct, "ListBackupVaults")
	if !ok {
		return
	}
	out := []*awsVaultJSON{}
	for _, v := range acct.vaults {
		if q.Get("shared") == "true" || q.Get("vaultType") != "" && v.json.VaultType != q.Get("vaultType") {
			continue
		}
		out = append(out, &v.json)
	}
	awsPaginate(s, w, p, "BackupVaultList", out)
}

// awsListBackupJobs answers ListBackupJobs: jobs created in the last 30
// days, newest first, with the resourceArn, state, backupVaultName,
// resourceType, createdAfter, createdBefore, completeAfter,
// completeBefore, parentJobId, accountId and messageCategory filters.
func (s *Server) awsListBackupJobs(w http.ResponseWriter, r *http.Request, d *awsData, acct *awsAccountData) {
	q := r.URL.Query()
	if !awsCheckEnum(w, r, "state", awsJobStates) ||
		!awsCheckPattern(w, r, "backupVaultName", awsVaultNameRE) ||
		!awsCheckPattern(w, r, "resourceType", awsResourceTypeRE, "SAP HANA on Amazon EC2", "Storage Gateway") ||
		!awsCheckPattern(w, r, "accountId", awsAccountIDRE, "*") {
		return
	}
	var times [4]time.Time
	for i, name := range []string{"createdAfter", "createdBefore", "completeAfter", "completeBefore"} {
		var ok bool
		if times[i], ok = awsQueryTime(w, r, name); !ok {
			return
		}
	}
	createdAfter, createdBefore, completeAfter, completeBefore := times[0], times[1], times[2], times[3]
	p, ok := s.awsReadPage(w, r, d, acct, "ListBackupJobs")
	if !ok {
		return
	}
	since := time.Now().Add(-awsJobWindow)
	msgCat := q.Get("messageCategory")
	if msgCat == "ANY" || msgCat == "AGGREGATE_ALL" {
		msgCat = ""
	}
	account := q.Get("accountId")
	if account == "*" {
		account = ""
	}
	// In awsJobFields' order.
	want := []string{q.Get("resourceArn"), q.Get("state"), q.Get("backupVaultName"), q.Get("resourceType"), q.Get("parentJobId"), account, msgCat}
	var keep func(*awsJobItem) bool
	if !completeAfter.IsZero() || !completeBefore.IsZero() {
		keep = func(j *awsJobItem) bool {
			return !(!completeAfter.IsZero() && (j.completed.IsZero() || !j.completed.After(completeAfter)) ||
				!completeBefore.IsZero() && (j.completed.IsZero() || !j.completed.Before(completeBefore)))
		}
	}
	// The jobs that pass the filters (once per distinct filters), then the
	// creation window: a range of them, as they are newest first.
	idx := awsMatch(acct.jobIndex, acct.jobs, awsJobFields, want, awsTimeKey(completeAfter)+" "+awsTimeKey(completeBefore), keep)
	idx = awsWindow(idx, func(i int) time.Time { return acct.jobs[i].created }, createdAfter, createdBefore, since)
	awsPaginateN(s, w, p, "BackupJobs", len(idx), func(i int) *awsBackupJobJSON { return &acct.jobs[idx[i]].json })
}

// awsListRecoveryPoints answers ListRecoveryPointsByBackupVault, newest
// first, with the resourceArn, resourceType, backupPlanId, createdAfter,
// createdBefore, parentRecoveryPointArn and backupVaultAccountId
// filters.
func (s *Server) awsListRecoveryPoints(w http.ResponseWriter, r *http.Request, d *awsData, acct *awsAccountData) {
	q := r.URL.Query()
	name := r.PathValue("backupVaultName")
	if !awsVaultNameRE.MatchString(name) {
		awsInvalidParameter(w, awsValidation(name, "backupVaultName", "Member must satisfy regular expression pattern: "+awsVaultNameRE.String()))
		return
	}
	if !awsCheckPattern(w, r, "resourceType", awsResourceTypeRE, "SAP HANA on Amazon EC2", "Storage Gateway") ||
		!awsCheckPattern(w, r, "backupVaultAccountId", awsAccountIDRE) {
		return
	}
	createdAfter, ok := awsQueryTime(w, r, "createdAfter")
	if !ok {
		return
	}
	createdBefore, ok := awsQueryTime(w, r, "createdBefore")
	if !ok {
		return
	}
	v := acct.vaultByName[name]
	if v == nil || q.Get("backupVaultAccountId") != "" && q.Get("backupVaultAccountId") != acct.id {
		awsBackupError(w, http.StatusBadRequest, "ResourceNotFoundException", "Backup vault with name "+name+" does not exist in the account and region")
		return
	}
	p, ok := s.awsReadPage(w, r, d, acct, "ListRecoveryPointsByBackupVault")
	if !ok {
		return
	}
	want := make([]string, len(awsPointFields))
	for f, field := range awsPointFields {
		want[f] = q.Get(field.param)
	}
	idx := awsMatch(v.pointIndex, v.points, awsPointFields, want, "", nil)
	idx = awsWindow(idx, func(i int) time.Time { return v.points[i].created }, createdAfter, createdBefore, time.Time{})
	awsPaginateN(s, w, p, "RecoveryPoints", len(idx), func(i int) *awsRecoveryPointJSON { return &v.points[idx[i]].json })
}
