// Command backup_simulator serves fake backup-vendor APIs (NetApp Astra
// Control, ...) over HTTPS for testing and demonstrating backup_exporter.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"go.uber.org/zap"

	"github.com/backup-exporter/backup_exporter/internal/logging"
	"github.com/backup-exporter/backup_exporter/internal/simulator"
)

func main() { os.Exit(run()) }

func run() int {
	app := kingpin.New("backup_simulator", "HTTPS simulator of backup-vendor APIs (NetApp Astra Control) for backup_exporter.")
	listen := app.Flag("listen", "Address to listen on.").Default("127.0.0.1:9443").String()
	scenarioFile := app.Flag("scenario", "Scenario YAML file (data and faults).").String()
	certFile := app.Flag("tls.cert-file", "PEM certificate to serve; default a generated self-signed one.").String()
	keyFile := app.Flag("tls.key-file", "PEM key of --tls.cert-file.").String()
	caFile := app.Flag("ca-file", "Where to write the PEM of the served certificate, for clients to trust.").String()
	genApps := app.Flag("generate.apps", "Generate this many Astra apps (0: none).").Default("0").Int()
	genBackups := app.Flag("generate.backups-per-app", "Daily backups per generated app.").Default("30").Int()
	genAccount := app.Flag("generate.account", "Astra account ID of the generated apps.").Default("demo-account").String()
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
