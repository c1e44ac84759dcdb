package azure

import (
	"context"
	"fmt"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/backup-exporter/backup_exporter/config"
)

// azureCloud returns the azcore cloud of a credential and its resource
// manager endpoint. For a custom cloud the ARM audience is the endpoint
// itself, as for Azure Stack Hub and private clouds.
func azureCloud(a *Credential) (cloud.Configuration, string) {
	var c cloud.Configuration
	switch a.Cloud {
	case CloudChina:
		c = cloud.AzureChina
	case CloudUSGovernment:
		c = cloud.AzureGovernment
	case CloudCustom:
		endpoint := strings.TrimRight(a.ResourceManagerEndpoint, "/")
		c = cloud.Configuration{
			ActiveDirectoryAuthorityHost: strings.TrimRight(a.AuthorityHost, "/") + "/",
			Services: map[cloud.ServiceName]cloud.ServiceConfiguration{
				cloud.ResourceManager: {Endpoint: endpoint, Audience: endpoint},
			},
		}
	default:
		c = cloud.AzurePublic
	}
	return c, c.Services[cloud.ResourceManager].Endpoint
}

// newAzureCredential builds the azidentity credential that auth names:
// never a chain unless the user asked for "default". It also returns the
// secrets it was built from, to be kept out of error messages.
func newAzureCredential(a *Credential, opts azcore.ClientOptions) (azcore.TokenCredential, []string, error) {
	// Instance discovery only knows Microsoft's public authorities;
	// azidentity requires it off for Azure Stack and private clouds.
	custom := a.Cloud == CloudCustom
	var (
		cred    azcore.TokenCredential
		secrets []string
		err     error
	)
	// The files are read now, when the credential is built (at a load or
	// reload), within FileReadTimeout.
	ctx, cancel := context.WithTimeout(context.Background(), config.FileReadTimeout)
	defer cancel()
	switch a.Auth {
	case AuthClientSecret:
		var secret string
		secret, err = config.ResolveSecret(ctx, a.ClientSecret, a.ClientSecretFile)
		if err != nil {
			return nil, nil, fmt.Errorf("client secret: %w", err)
		}
		secrets = append(secrets, secret)
		cred, err = azidentity.NewClientSecretCredential(a.TenantID, a.ClientID, secret,
			&azidentity.ClientSecretCredentialOptions{ClientOptions: opts, DisableInstanceDiscovery: custom})
	case AuthClientCertificate:
		var data []byte
		data, err = config.ReadFile(ctx, a.CertificateFile)
		if err != nil {
			return nil, nil, fmt.Errorf("read certificate_file: %w", err)
		}
		password := string(a.CertificatePassword)
		secrets = append(secrets, password)
		certs, key, perr := azidentity.ParseCertificates(data, []byte(password))
		if perr != nil {
			return nil, nil, fmt.Errorf("certificate_file %s: %w", a.CertificateFile, redactError(perr, secrets))
		}
		cred, err = azidentity.NewClientCertificateCredential(a.TenantID, a.ClientID, certs, key,
			&azidentity.ClientCertificateCredentialOptions{ClientOptions: opts, DisableInstanceDiscovery: custom, SendCertificateChain: true})
	case AuthManagedIdentity:
		o := &azidentity.ManagedIdentityCredentialOptions{ClientOptions: opts}
		if a.ClientID != "" {
			o.ID = azidentity.ClientID(a.ClientID)
		}
		cred, err = azidentity.NewManagedIdentityCredential(o)
	case AuthWorkloadIdentity:
		cred, err = azidentity.NewWorkloadIdentityCredential(&azidentity.WorkloadIdentityCredentialOptions{
			ClientOptions: opts, TenantID: a.TenantID, ClientID: a.ClientID, TokenFilePath: a.TokenFile,
			DisableInstanceDiscovery: custom,
		})
	case AuthCLI:
		cred, err = azidentity.NewAzureCLICredential(&azidentity.AzureCLICredentialOptions{TenantID: a.TenantID})
	case AuthDefault:
		cred, err = azidentity.NewDefaultAzureCredential(&azidentity.DefaultAzureCredentialOptions{
			ClientOptions: opts, TenantID: a.TenantID, DisableInstanceDiscovery: custom,
		})
	default:
		return nil, nil, fmt.Errorf("unknown azure auth %q", a.Auth)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("azure %s credential: %w", a.Auth, redactError(err, secrets))
	}
	return cred, secrets, nil
}
