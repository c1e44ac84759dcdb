package simulator

// Served is one upstream API the simulator plays, and the backup_exporter
// target types that read it.
type Served struct {
	API   string
	Types []string
}

// Serves lists what the simulator plays, for its --help and the docs. The
// simulator shares no code with the exporter, so the list is its own;
// cmd/backup_simulator's test checks it against the exporter's provider
// registry.
var Serves = []Served{
	{API: "NetApp Astra Control", Types: []string{"astra"}},
	{API: "Azure Resource Manager and Microsoft Entra ID: Azure NetApp Files, PostgreSQL flexible server LTR, Recovery Services vaults, Backup vaults", Types: []string{"azure_netapp_files", "azure_postgresql_ltr", "azure_backup", "azure_dataprotection"}},
	{API: "Huawei Cloud CBR", Types: []string{"huawei_cbr"}},
	{API: "AWS Backup and STS", Types: []string{"aws_backup"}},
	{API: "Kubernetes with NetApp Trident protect's resources", Types: []string{"trident_protect"}},
	{API: "Kubernetes with Velero's resources and the cluster's namespaces", Types: []string{"velero"}},
	{API: "Kubernetes with CloudNativePG's and the barman-cloud plugin's resources", Types: []string{"cloudnative_pg"}},
	{API: "Kubernetes with Longhorn's resources", Types: []string{"longhorn"}},
}
