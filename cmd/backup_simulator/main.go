// Command backup_simulator serves fake backup-vendor APIs (every API
// backup_exporter reads: simulator.Serves) over HTTPS for testing and
// demonstrating backup_exporter.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"go.uber.org/zap"

	"github.com/backup-exporter/backup_exporter/internal/healthcheck"
	"github.com/backup-exporter/backup_exporter/internal/logging"
	"github.com/backup-exporter/backup_exporter/internal/simulator"
)

func main() { os.Exit(run()) }

func run() int {
	if len(os.Args) > 1 && os.Args[1] == "healthcheck" {
		// The compose stack's healthcheck: distroless has no shell nor curl.
		return healthcheck.Run("backup_simulator", os.Args[2:], "https://127.0.0.1:9443/_sim/stats", os.Stdout, os.Stderr)
	}
	app := kingpin.New("backup_simulator", description())
	listen := app.Flag("listen", "Address to listen on.").Default("127.0.0.1:9443").String()
	scenarioFile := app.Flag("scenario", "Scenario YAML file (data and faults).").String()
	certFile := app.Flag("tls.cert-file", "PEM certificate to serve; default a generated self-signed one.").String()
	keyFile := app.Flag("tls.key-file", "PEM key of --tls.cert-file.").String()
	keepTimes := app.Flag("keep-times", "Serve the scenario's timestamps as written, instead of moving them by (now - the scenario's now:).").Bool()
	caFile := app.Flag("ca-file", "Where to write the PEM of the served certificate, for clients to trust.").String()
	genApps := app.Flag("generate.apps", "Generate this many Astra apps (0: none).").Default("0").Int()
	genBackups := app.Flag("generate.backups-per-app", "Daily backups per generated app.").Default("30").Int()
	genAccount := app.Flag("generate.account", "Astra account ID of the generated apps.").Default("demo-account").String()
	genHWResources := app.Flag("generate.huawei.resources", "Generate this many Huawei CBR resources (servers and volumes) with backups (0: none).").Default("0").Int()
	genHWBackups := app.Flag("generate.huawei.backups-per-resource", "Daily CBR backups per generated resource (0: none).").Default("30").Int()
	genHWProject := app.Flag("generate.huawei.project", "Huawei project ID of the generated backups.").Default(simulator.HuaweiDemoProject).String()
	genAzPools := app.Flag("generate.azure.pools", "Generate this many Azure NetApp Files capacity pools (0: none) in subscription "+simulator.DefaultAzureSubscriptionID+", resource group "+simulator.DefaultAzureResourceGroup+", account "+simulator.DefaultAzureNetAppAccount+".").Default("0").Int()
	genAzVolumes := app.Flag("generate.azure.volumes-per-pool", "Volumes per generated Azure NetApp Files pool.").Default("3").Int()
	genAzServers := app.Flag("generate.azure.servers", "Generate this many Azure PostgreSQL flexible servers with weekly LTR backups (0: none).").Default("0").Int()
	azReads := app.Flag("azure.ratelimit-reads", "Without a read bucket, where each subscription's x-ms-ratelimit-remaining-subscription-reads counts down from (0: the scenario's ratelimit_reads, else "+strconv.Itoa(simulator.AzureRateLimitReads)+").").Default("0").Int()
	azPageSize := app.Flag("azure.page-size", "Items per ARM list page (0: the scenario's page_size, else "+strconv.Itoa(simulator.AzureDefaultPageSize)+").").Default("0").Int()
	genAzOps := app.Flag("generate.azure.ops-per-server", "Weekly LTR backup operations per generated PostgreSQL server.").Default("8").Int()
	genAWSResources := app.Flag("generate.aws.resources", "Generate this many AWS Backup protected resources with daily backup jobs and recovery points (0: none), with access key "+simulator.AWSDemoAccessKeyID+" in region "+simulator.AWSDemoRegion+".").Default("0").Int()
	genAWSJobs := app.Flag("generate.aws.jobs-per-resource", "Daily AWS Backup jobs per generated resource.").Default("30").Int()
	genAWSAccount := app.Flag("generate.aws.account", "AWS account ID of the generated resources.").Default(simulator.AWSDemoAccountID).String()
	genAzBkVaults := app.Flag("generate.azure.backup-vaults", "Generate this many Azure Backup (Recovery Services) vaults (0: none) in the same resource group.").Default("0").Int()
	genAzBkItems := app.Flag("generate.azure.backup-items-per-vault", "Protected items (VMs, file shares, SQL databases) per generated Recovery Services vault.").Default("20").Int()
	genAzBkSubs := app.Flag("generate.azure.backup-subscriptions", "Generate the Recovery Services vaults in this many subscriptions: "+simulator.DefaultAzureSubscriptionID+" and the next ones (ids ending in 1, 2, ...), each with backup-vaults vaults in its resource group "+simulator.DefaultAzureResourceGroup+".").Default("1").Int()
	genAzBkDays := app.Flag("generate.azure.backup-job-days", "Daily backup jobs per generated protected item.").Default("7").Int()
	genDPVaults := app.Flag("generate.azure.dp-vaults", "Generate this many Azure Backup vaults (Microsoft.DataProtection; 0: none) in the same resource group.").Default("0").Int()
	genDPInstances := app.Flag("generate.azure.dp-instances-per-vault", "Backup instances (managed disks, PostgreSQL servers, blobs, AKS clusters) per generated Backup vault.").Default("20").Int()
	genDPDays := app.Flag("generate.azure.dp-job-days", "Days of backup jobs (and recovery points) per generated backup instance.").Default("7").Int()
	genK8sNS := app.Flag("generate.k8s.namespaces", "Generate this many Kubernetes namespaces of Trident protect Applications, Backups and Schedules (0: none), readable with bearer token "+simulator.KubernetesDemoToken+".").Default("0").Int()
	genK8sApps := app.Flag("generate.k8s.apps-per-namespace", "Trident protect Applications per generated namespace.").Default("10").Int()
	genK8sBackups := app.Flag("generate.k8s.backups-per-app", "Backups per generated Trident protect Application.").Default("14").Int()
	genVeleroNS := app.Flag("generate.velero.namespaces", "Generate a cluster of this many namespaces watched by Velero, with its Schedules, Backups, storage locations and volume copies (0: none), readable with bearer token "+simulator.VeleroDemoToken+".").Default("0").Int()
	genVeleroBackups := app.Flag("generate.velero.backups", "Velero Backups of the generated cluster.").Default("2000").Int()
	genCNPGNS := app.Flag("generate.cnpg.namespaces", "Generate this many Kubernetes namespaces of CloudNativePG Clusters, Backups, ScheduledBackups and barman-cloud ObjectStores (0: none), readable with bearer token "+simulator.KubernetesDemoToken+".").Default("0").Int()
	genCNPGClusters := app.Flag("generate.cnpg.clusters-per-namespace", "CloudNativePG Clusters per generated namespace.").Default("2").Int()
	genCNPGBackups := app.Flag("generate.cnpg.backups-per-cluster", "Backups per generated CloudNativePG Cluster.").Default("14").Int()
	genLonghorn := app.Flag("generate.longhorn.volumes", "Generate this many Longhorn Volumes with Backups, BackupVolumes, RecurringJobs and BackupTargets in namespace longhorn-system (0: none), readable with bearer token "+simulator.KubernetesDemoToken+".").Default("0").Int()
	genLonghornBackups := app.Flag("generate.longhorn.backups-per-volume", "Backups per generated Longhorn Volume.").Default("7").Int()
	genOwnerTags := app.Flag("generate.owner-tags", "Give every ANF volume, PostgreSQL server, Astra app, Trident protect Application and CBR vault of the scenario this many tags or labels (team, owner, cost-center, environment, application, tag-6, ...) instead of their own (0: keep theirs), and every namespace (Velero's resources), CloudNativePG Cluster and Longhorn Volume the same labels beside their own, for load tests of backup_resource_info.").Default("0").Int()
	logLevel := app.Flag("log.level", "Log level: debug, info, warn, error.").Default("info").Enum(logging.Levels...)
	logFormat := app.Flag("log.format", "Log format: logfmt or json.").Default("logfmt").Enum(logging.Formats...)
	if _, err := app.Parse(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "backup_simulator:", err)
		return 2
	}
	log, err := logging.New(os.Stderr, *logLevel, *logFormat)
	if err != nil {
		fmt.Fprintln(os.Stderr, "backup_simulator:", err)
		return 2
	}
	defer log.Sync()

	sc := &simulator.Scenario{}
	if *scenarioFile != "" {
		if sc, err = simulator.LoadScenario(*scenarioFile); err != nil {
			log.Error("loading scenario", zap.Error(err))
			return 1
		}
		if sc.Now != "" && !*keepTimes {
			written, err := time.Parse(time.RFC3339, sc.Now)
			if err != nil {
				log.Error("loading scenario", zap.String("file", *scenarioFile), zap.Error(fmt.Errorf("now: %w", err)))
				return 1
			}
			sc.Rebase(time.Since(written))
		}
	}
	if *genApps > 0 {
		gen := simulator.GenerateAstra(*genAccount, *genApps, *genBackups, time.Now())
		if sc.Astra == nil {
			sc.Astra = gen
		} else {
			// Replace an account of the same ID, else add the generated one.
			replaced := false
			for i := range sc.Astra.Accounts {
				if sc.Astra.Accounts[i].ID == *genAccount {
					sc.Astra.Accounts[i] = gen.Accounts[0]
					replaced = true
				}
			}
			if !replaced {
				sc.Astra.Accounts = append(sc.Astra.Accounts, gen.Accounts[0])
			}
		}
	}

	if *genHWResources > 0 && *genHWBackups > 0 {
		gen := simulator.GenerateHuawei(*genHWProject, *genHWResources, *genHWBackups, time.Now())
		if sc.Huawei == nil {
			sc.Huawei = gen
		} else {
			// Replace a project of the same ID, else add the generated one.
			replaced := false
			for i := range sc.Huawei.Projects {
				if sc.Huawei.Projects[i].ID == *genHWProject {
					sc.Huawei.Projects[i] = gen.Projects[0]
					replaced = true
				}
			}
			if !replaced {
				sc.Huawei.Projects = append(sc.Huawei.Projects, gen.Projects[0])
			}
		}
	}

	if *genAzPools > 0 || *genAzServers > 0 || *genAzBkVaults > 0 || *genDPVaults > 0 {
		gen := simulator.GenerateAzure(simulator.DefaultAzureSubscriptionID, *genAzPools, *genAzVolumes, *genAzServers, *genAzOps, time.Now())
		if *genAzBkVaults > 0 {
			bk := simulator.GenerateAzureBackup(simulator.DefaultAzureSubscriptionID, *genAzBkVaults, *genAzBkItems, *genAzBkDays, time.Now())
			gen.Subscriptions[0].ResourceGroups[0].RecoveryServicesVaults = bk.Subscriptions[0].ResourceGroups[0].RecoveryServicesVaults
			for i := 1; i < *genAzBkSubs; i++ {
				sub := simulator.AzureSubscriptionN(i)
				more := simulator.GenerateAzureBackup(sub, *genAzBkVaults, *genAzBkItems, *genAzBkDays, time.Now())
				gen.Subscriptions = append(gen.Subscriptions, more.Subscriptions...)
			}
		}
		if *genDPVaults > 0 {
			dp := simulator.GenerateDataProtection(simulator.DefaultAzureSubscriptionID, *genDPVaults, *genDPInstances, *genDPDays, time.Now())
			gen.Subscriptions[0].ResourceGroups[0].DataProtectionVaults = dp.Subscriptions[0].ResourceGroups[0].DataProtectionVaults
		}
		if sc.Azure == nil {
			sc.Azure = gen
		} else {
			// Replace the subscription of the same ID, else add it; add the
			// demo tenant when missing.
			replaced := false
			for i := range sc.Azure.Subscriptions {
				if strings.EqualFold(sc.Azure.Subscriptions[i].ID, simulator.DefaultAzureSubscriptionID) {
					sc.Azure.Subscriptions[i] = gen.Subscriptions[0]
					replaced = true
				}
			}
			if !replaced {
				sc.Azure.Subscriptions = append(sc.Azure.Subscriptions, gen.Subscriptions[0])
			}
			hasTenant := false
			for _, t := range sc.Azure.Tenants {
				hasTenant = hasTenant || strings.EqualFold(t.ID, simulator.DefaultAzureTenantID)
			}
			if !hasTenant {
				sc.Azure.Tenants = append(sc.Azure.Tenants, gen.Tenants[0])
			}
		}
	}

	if *genAWSResources > 0 {
		gen := simulator.GenerateAWS(*genAWSAccount, *genAWSResources, *genAWSJobs, time.Now())
		if sc.AWS == nil {
			sc.AWS = gen
		} else {
			// Replace the account of the same ID, else add the generated
			// one (its demo key then moves to it).
			replaced := false
			for i := range sc.AWS.Accounts {
				if sc.AWS.Accounts[i].ID == *genAWSAccount {
					sc.AWS.Accounts[i] = gen.Accounts[0]
					replaced = true
				} else {
					keys := sc.AWS.Accounts[i].AccessKeys[:0]
					for _, k := range sc.AWS.Accounts[i].AccessKeys {
						if k.AccessKeyID != simulator.AWSDemoAccessKeyID {
							keys = append(keys, k)
						}
					}
					sc.AWS.Accounts[i].AccessKeys = keys
				}
			}
			if !replaced {
				sc.AWS.Accounts = append(sc.AWS.Accounts, gen.Accounts[0])
			}
		}
	}

	if *genK8sNS > 0 {
		sc.Kubernetes = sc.Kubernetes.Merge(simulator.GenerateTridentProtect(*genK8sNS, *genK8sApps, *genK8sBackups, time.Now()))
	}
	if *genLonghorn > 0 {
		sc.Kubernetes = sc.Kubernetes.Merge(simulator.GenerateLonghorn(*genLonghorn, *genLonghornBackups, time.Now()))
	}

	if *genVeleroNS > 0 {
		sc.Kubernetes = sc.Kubernetes.Merge(simulator.GenerateVelero(*genVeleroNS, *genVeleroBackups, time.Now()))
	}

	if *genCNPGNS > 0 {
		sc.Kubernetes = sc.Kubernetes.Merge(simulator.GenerateCloudNativePG(*genCNPGNS, *genCNPGClusters, *genCNPGBackups, time.Now()))
	}

	simulator.OwnerTags(sc, *genOwnerTags)
	if *azReads > 0 && sc.Azure != nil {
		sc.Azure.RateLimitReads = *azReads
	}
	if *azPageSize > 0 && sc.Azure != nil {
		sc.Azure.PageSize = *azPageSize
	}
	srv, err := simulator.Start(simulator.Options{
		Addr: *listen, CertFile: *certFile, KeyFile: *keyFile, CAFile: *caFile,
		Scenario: sc, Logger: log,
	})
	if err != nil {
		log.Error("starting", zap.Error(err))
		return 1
	}
	fmt.Fprintln(os.Stderr, "backup_simulator listening on "+srv.URL())

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	log.Info("shutting down")
	if err := srv.Close(); err != nil {
		log.Error("closing", zap.Error(err))
		return 1
	}
	return 0
}

// description is the --help text: every API the simulator plays and the
// target types that read it.
func description() string {
	parts := make([]string, len(simulator.Serves))
	for i, s := range simulator.Serves {
		parts[i] = s.API + " (" + strings.Join(s.Types, ", ") + ")"
	}
	return "HTTPS simulator, for backup_exporter, of the backup-vendor APIs it reads: " + strings.Join(parts, "; ") + "."
}
