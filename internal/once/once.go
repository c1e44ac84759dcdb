// Package once implements --once: poll the targets one time and print a
// table of what was found, for operators checking a configuration by hand.
package once

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sort"
	"text/tabwriter"
	"time"

	"github.com/backup-exporter/backup_exporter/collector"
)

// Run collects targets under ctx, writes one row per resource (and one per
// failed target) to w, and returns the process exit code: 1 when any
// target failed, else 0.
func Run(ctx context.Context, e *collector.Exporter, targets []*collector.Target, w io.Writer, now time.Time) int {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TARGET\tPROVIDER\tRESOURCE\tSTATE\tHEALTHY\tLAST SUCCESS AGE")
	code := 0
	for _, r := range e.Collect(ctx, targets) {
		if r.Err != nil {
			code = 1
			fmt.Fprintf(tw, "%s\t%s\t-\tTARGET DOWN\t-\t%s\n", r.Target.Name, r.Target.Type, r.Err)
			continue
		}
		if len(r.Resources) == 0 {
			fmt.Fprintf(tw, "%s\t%s\t(no resources)\t-\t-\t-\n", r.Target.Name, r.Target.Type)
		}
		// A copy: the resources may be shared with other scrapes.
		resources := slices.Clone(r.Resources)
		sort.SliceStable(resources, func(i, j int) bool { return resources[i].Name < resources[j].Name })
		for _, res := range resources {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Target.Name, r.Target.Type, res.Name, state(&res), healthy(&res), age(&res, now))
		}
	}
	if err := tw.Flush(); err != nil {
		return 1
	}
	return code
}

func state(r *collector.Resource) string {
	if !r.Protected {
		return "unprotected"
	}
	if s := r.CurrentState(); s != "" {
		return string(s)
	}
	return "-"
}

func healthy(r *collector.Resource) string {
	switch {
	case !r.Protected:
		return "-"
	case r.Healthy:
		return "yes"
	default:
		return "NO"
	}
}

func age(r *collector.Resource, now time.Time) string {
	switch {
	case !r.LastSuccess.IsZero():
		return now.Sub(r.LastSuccess).Round(time.Second).String()
	case r.NoSuccessListed:
		return "never"
	default:
		return "-"
	}
}
