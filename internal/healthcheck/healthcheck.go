// Package healthcheck is the `healthcheck` command of the exporter and
// simulator binaries, for a container HEALTHCHECK on their distroless
// images, which have neither a shell nor curl (Traefik's `traefik
// healthcheck` answers the same need): GET a URL, exit 0 on a 2xx answer
// and 1 otherwise. Docker reserves exit code 2, so a usage error is 1 too.
package healthcheck

import (
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/alecthomas/kingpin/v2"
)

// Run runs `NAME healthcheck [flags]` and returns its exit code.
func Run(name string, args []string, defaultURL string, stdout, stderr io.Writer) int {
	app := kingpin.New(name+" healthcheck", "Exit 0 when the URL answers 2xx, else 1: a container HEALTHCHECK for an image without shell or curl.")
	app.UsageWriter(stdout)
	app.ErrorWriter(stderr)
	app.Terminate(nil)
	url := app.Flag("url", "URL to GET.").Default(defaultURL).String()
	timeout := app.Flag("timeout", "How long to wait for the answer.").Default("5s").Duration()
	insecure := app.Flag("insecure-skip-verify", "Do not verify the server's certificate (a self-signed one on loopback).").Bool()
	if _, err := app.Parse(args); err != nil {
		fmt.Fprintf(stderr, "%s healthcheck: %v\n", name, err)
		return 1
	}
	for _, a := range args {
		if a == "--help" || a == "-h" || a == "--help-long" || a == "--help-man" {
			return 0
		}
	}
	// Loopback: never through a proxy. InsecureSkipVerify only when asked
	// for, for a self-signed server on loopback.
	client := &http.Client{
		Timeout: *timeout,
		Transport: &http.Transport{
			Proxy:           nil,
			TLSClientConfig: &tls.Config{InsecureSkipVerify: *insecure}, //nolint:gosec // asked for
		},
	}
	start := time.Now()
	resp, err := client.Get(*url)
	if err != nil {
		fmt.Fprintf(stderr, "%s healthcheck: %v\n", name, err)
		return 1
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		fmt.Fprintf(stderr, "%s healthcheck: %s answered %s\n", name, *url, resp.Status)
		return 1
	}
	fmt.Fprintf(stdout, "%s answered %s in %v\n", *url, resp.Status, time.Since(start).Round(time.Millisecond))
	return 0
}
