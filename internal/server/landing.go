package server

import (
	"bytes"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web"

	"github.com/backup-exporter/backup_exporter/collector/toolkit"
)

// landingBody is the landing page's own part: the providers this build
// knows and the configured targets, as their last polls found them.
var landingBody = template.Must(template.New("landing").Parse(`
<h3>Providers</h3>
<p>Target types this build reads:</p>
<ul>{{range .Providers}}
<li><code>{{.Name}}</code>: {{.Title}}</li>{{end}}
</ul>
<h3>Targets</h3>
{{if .Loaded}}{{if .Targets}}<table>
<tr><th>target</th><th>type</th><th>state</th><th>resources</th><th>last read</th><th>owners (backup_resource_info)</th><th>metrics</th></tr>{{range .Targets}}
<tr><td>{{.Name}}</td><td><code>{{.Type}}</code></td><td>{{.State}}</td><td>{{.Resources}}</td><td>{{.LastRead}}</td><td>{{.Owners}}</td><td><a href="{{.Probe}}">/probe?target={{.Name}}</a></td></tr>{{end}}
</table>{{else}}<p>No target is configured.</p>{{end}}{{else}}<p>No configuration is loaded yet.</p>{{end}}
`))

type landingTarget struct {
	Name, Type, State, LastRead string
	Resources                   string
	Probe                       string
	// Owners says what backup_resource_info carries: the resource_labels
	// allowlist and the static labels' names, or "-".
	Owners string
}

// ownersText is what the landing page says of a target's owner keys.
func ownersText(allowlist, static []string) string {
	var parts []string
	if len(allowlist) > 0 {
		parts = append(parts, "resource_labels: "+strings.Join(allowlist, ", "))
	}
	if len(static) > 0 {
		parts = append(parts, "static_labels: "+strings.Join(static, ", "))
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, "; ")
}

// serveLanding renders the landing page for the running configuration.
// It reads the targets' last polls and never starts one.
func (s *Server) serveLanding(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	if !readOnly(w, r) {
		return
	}
	data := struct {
		Providers []toolkit.Type
		Loaded    bool
		Targets   []landingTarget
	}{Providers: s.opts.Registry}
	if e := s.exporter.Load(); e != nil {
		data.Loaded = true
		now := time.Now()
		for _, st := range e.Status() {
			lt := landingTarget{Name: st.Name, Type: st.Type, State: "not polled yet", Resources: "-", LastRead: "never",
				Probe: "probe?target=" + url.QueryEscape(st.Name), Owners: ownersText(st.ResourceLabels, st.StaticLabels)}
			switch {
			case !st.Polled:
			case st.Err != nil:
				lt.State = "DOWN: " + st.Err.Error()
			default:
				lt.State = "up"
			}
			if st.Polled && (st.Err == nil || st.Stale) {
				lt.Resources = strconv.Itoa(st.Resources)
				if st.Stale {
					lt.Resources += " (last good poll)"
				}
			}
			if !st.LastSuccess.IsZero() {
				lt.LastRead = now.Sub(st.LastSuccess).Round(time.Second).String() + " ago"
			}
			data.Targets = append(data.Targets, lt)
		}
	}
	var body bytes.Buffer
	if err := landingBody.Execute(&body, data); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	page, err := web.NewLandingPage(web.LandingConfig{
		Name:        "Backup Exporter",
		Description: "Prometheus exporter for backup health across clouds",
		Version:     version.Info(),
		Links: []web.LandingLinks{
			{Address: s.opts.TelemetryPath, Text: "Metrics", Description: "every target, and the exporter's own metrics"},
			{Address: "/-/healthy", Text: "Health", Description: "liveness"},
			{Address: "/-/ready", Text: "Readiness", Description: "ready once a configuration is loaded"},
		},
		ExtraHTML: body.String(),
		// No pprof handlers are served: no links to them.
		Profiling: "false",
	})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	page.ServeHTTP(w, r)
}
