package collector

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"

	"github.com/backup-exporter/backup_exporter/config"
)

// newTLSConfig is how a credential's upstream servers are verified: TLS
// 1.2 at least, the credential's CA bundle instead of the system's roots
// when it names one.
func newTLSConfig(c config.TLSConfig) (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: c.InsecureSkipVerify} //nolint:gosec // the user asked for it
	if c.CAFile != "" {
		ctx, cancel := context.WithTimeout(context.Background(), config.FileReadTimeout)
		defer cancel()
		pem, err := config.ReadFile(ctx, c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("read tls_config.ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tls_config.ca_file %s holds no PEM certificate", c.CAFile)
		}
		tc.RootCAs = pool
	}
	return tc, nil
}
