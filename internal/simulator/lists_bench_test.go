package simulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"
	"time"
)

// The list walks of the other APIs, as BenchmarkKubernetesListWalk: a
// client walks a whole list page by page (or reads one list per parent,
// as the exporter does) through the server's handler, with no TLS and no
// network, so that the figure is the simulator's own. ns/item must stay
// flat from 10k to 100k items. The first walk of each run decodes every
// page to count the items; the timed walks read only the continuation.

// benchSizes are the list sizes (about; each benchmark reports its count).
var benchSizes = []int{10_000, 100_000}

// benchServe answers req through the server's handler and returns the
// body of a 200.
func benchServe(b *testing.B, s *Server, req *http.Request) []byte {
	b.Helper()
	rec := httptest.NewRecorder()
	s.mux.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		b.Fatalf("%s %s: %d %.300s", req.Method, req.URL, rec.Code, rec.Body)
	}
	return rec.Body.Bytes()
}

// lastJSONString is the string value of the last member key of body ("",
// when there is none), read without decoding the rest of body.
func lastJSONString(b *testing.B, body []byte, key string) string {
	b.Helper()
	i := bytes.LastIndex(body, []byte(`"`+key+`":`))
	if i < 0 {
		return ""
	}
	var v string
	if err := json.NewDecoder(bytes.NewReader(body[i+len(key)+3:])).Decode(&v); err != nil {
		b.Fatalf("%s: %v", key, err)
	}
	return v
}

// lastJSONInt is the integer value of the last member key of body.
func lastJSONInt(b *testing.B, body []byte, key string) int {
	b.Helper()
	i := bytes.LastIndex(body, []byte(`"`+key+`":`))
	if i < 0 {
		b.Fatalf("no %s", key)
	}
	var v int
	if err := json.NewDecoder(bytes.NewReader(body[i+len(key)+3:])).Decode(&v); err != nil {
		b.Fatalf("%s: %v", key, err)
	}
	return v
}

// benchItems is the length of the array member key of body.
func benchItems(b *testing.B, body []byte, key string) int {
	b.Helper()
	var page map[string]json.RawMessage
	if err := json.Unmarshal(body, &page); err != nil {
		b.Fatal(err)
	}
	var items []json.RawMessage
	if err := json.Unmarshal(page[key], &items); err != nil {
		b.Fatalf("%s: %v", key, err)
	}
	return len(items)
}

// benchRun runs walk (which returns the items it walked when count is
// set) as a sub-benchmark, reporting ns/item.
func benchRun(b *testing.B, name string, walk func(b *testing.B, count bool) int) {
	b.Run(name, func(b *testing.B) {
		items := walk(b, true)
		if items == 0 {
			b.Fatal("no items")
		}
		b.ResetTimer()
		for range b.N {
			walk(b, false)
		}
		b.ReportMetric(float64(items), "items")
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*items), "ns/item")
	})
}

// lazyServer starts a server of its scenario on first use, so that a
// benchmark left out by -bench generates nothing.
type lazyServer struct {
	scenario func() *Scenario
	s        *Server
}

func (l *lazyServer) get(b *testing.B) *Server {
	b.Helper()
	if l.s == nil {
		s, err := Start(Options{Scenario: l.scenario()})
		if err != nil {
			b.Fatal(err)
		}
		l.s = s
	}
	return l.s
}

func (l *lazyServer) close() {
	if l.s != nil {
		l.s.Close()
	}
}

// ---------------------------------------------------------------------
// Azure Resource Manager: nextLink with $skiptoken, pages of 1,000 (as
// the load harness asks).

// armBenchToken registers a bearer token valid for an hour.
func armBenchToken(s *Server) string {
	st := s.azureState()
	s.mu.Lock()
	defer s.mu.Unlock()
	st.tokens["bench-token"] = azureToken{tenant: DefaultAzureTenantID, clientID: DefaultAzureClientID, expires: time.Now().Add(time.Hour)}
	return "bench-token"
}

// armWalk walks the list at target (a path and query), following
// nextLink, and returns its pages, or its items when count is set.
func armWalk(b *testing.B, s *Server, tok, target string, count bool) int {
	b.Helper()
	n := 0
	for target != "" {
		req := httptest.NewRequest(http.MethodGet, target, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		body := benchServe(b, s, req)
		if count {
			n += benchItems(b, body, "value")
		} else {
			n++
		}
		target = lastJSONString(b, body, "nextLink")
	}
	return n
}

func BenchmarkARMListWalk(b *testing.B) {
	sub := DefaultAzureSubscriptionID
	rg := "/subscriptions/" + sub + "/resourceGroups/" + DefaultAzureResourceGroup + "/providers/"
	now := time.Now()
	azure := func(sc *AzureScenario) func() *Scenario {
		return func() *Scenario { sc.PageSize = 1000; return &Scenario{Azure: sc} }
	}
	for _, n := range benchSizes {
		func() {
			servers := n / 4
			anf := &lazyServer{scenario: func() *Scenario { return azure(GenerateAzure(sub, n/350, 50, 0, 0, now))() }}
			pg := &lazyServer{scenario: func() *Scenario { return azure(GenerateAzure(sub, 0, 0, servers, 4, now))() }}
			jobs := &lazyServer{scenario: func() *Scenario { return azure(GenerateAzureBackup(sub, 1, n/7, 7, now))() }}
			items := &lazyServer{scenario: func() *Scenario { return azure(GenerateAzureBackup(sub, 1, n, 0, now))() }}
			for _, l := range []*lazyServer{anf, pg, jobs, items} {
				defer l.close()
			}
			// NetApp backups of one vault (7 a volume).
			benchRun(b, fmt.Sprintf("anf-backups/n=%d", n), func(b *testing.B, count bool) int {
				s := anf.get(b)
				return armWalk(b, s, armBenchToken(s), rg+"Microsoft.NetApp/netAppAccounts/"+DefaultAzureNetAppAccount+
					"/backupVaults/demo-vault/backups?api-version="+AzureNetAppAPIVersion, count)
			})
			// The LTR operations of each PostgreSQL server (4 a server), one
			// list per server as the exporter reads them.
			benchRun(b, fmt.Sprintf("pg-ltr-per-server/n=%d", n), func(b *testing.B, count bool) int {
				s := pg.get(b)
				tok, total := armBenchToken(s), 0
				for i := 1; i <= servers; i++ {
					total += armWalk(b, s, tok, rg+fmt.Sprintf("Microsoft.DBforPostgreSQL/flexibleServers/pg-server-%02d/ltrBackupOperations?api-version=%s",
						i, AzurePostgresAPIVersion), count)
				}
				return total
			})
			// The Backup jobs of one Recovery Services vault in a time window
			// ($filter, newest first) as the exporter asks (7 a protected item).
			benchRun(b, fmt.Sprintf("rs-jobs/n=%d", n), func(b *testing.B, count bool) int {
				s := jobs.get(b)
				f := fmt.Sprintf("operation eq 'Backup' and startTime eq '%s' and endTime eq '%s'",
					now.UTC().AddDate(0, 0, -8).Format(AzureBackupFilterTimeFormat), now.UTC().Format(AzureBackupFilterTimeFormat))
				return armWalk(b, s, armBenchToken(s), rg+"Microsoft.RecoveryServices/vaults/rsv-01/backupJobs?api-version="+AzureBackupAPIVersion+
					"&$filter="+url.QueryEscape(f), count)
			})
			// The protected items of one Recovery Services vault.
			benchRun(b, fmt.Sprintf("rs-items/n=%d", n), func(b *testing.B, count bool) int {
				s := items.get(b)
				return armWalk(b, s, armBenchToken(s), rg+"Microsoft.RecoveryServices/vaults/rsv-01/backupProtectedItems?api-version="+AzureBackupAPIVersion, count)
			})
		}()
	}
}

// ---------------------------------------------------------------------
// Huawei CBR: limit and offset, pages of 1,000, sorted as the exporter
// asks.

// cbrWalk walks the backup list with query q and returns its pages, or
// its items when count is set.
func cbrWalk(b *testing.B, s *Server, q url.Values, count bool) int {
	b.Helper()
	n := 0
	q.Set("limit", "1000")
	q.Set("sort", "created_at:asc")
	for offset := 0; ; {
		q.Set("offset", strconv.Itoa(offset))
		req := httptest.NewRequest(http.MethodGet, "/v3/"+HuaweiDemoProject+"/backups?"+q.Encode(), nil)
		req.Header.Set("X-Auth-Token", HuaweiDemoToken)
		body := benchServe(b, s, req)
		total := lastJSONInt(b, body, "count")
		if count {
			got := benchItems(b, body, "backups")
			if want := min(1000, total-offset); got != want {
				b.Fatalf("offset %d: %d backups, want %d", offset, got, want)
			}
			n += got
		} else {
			n++
		}
		if offset += 1000; offset >= total {
			return n
		}
	}
}

func BenchmarkCBRListWalk(b *testing.B) {
	for _, n := range benchSizes {
		func() {
			l := &lazyServer{scenario: func() *Scenario {
				return &Scenario{Huawei: GenerateHuawei(HuaweiDemoProject, n/5, 5, time.Now())}
			}}
			defer l.close()
			// Every backup of the project.
			benchRun(b, fmt.Sprintf("all/n=%d", n), func(b *testing.B, count bool) int {
				return cbrWalk(b, l.get(b), url.Values{}, count)
			})
			// The backups of each resource (resource_id), one list each.
			benchRun(b, fmt.Sprintf("per-resource/n=%d", n), func(b *testing.B, count bool) int {
				s, total := l.get(b), 0
				for i := 1; i <= n/5; i++ {
					total += cbrWalk(b, s, url.Values{"resource_id": {fmt.Sprintf("e0000000-0000-4000-8000-%012d", i)}}, count)
				}
				return total
			})
		}()
	}
}

// ---------------------------------------------------------------------
// NetApp Astra: limit and continue, pages of 100 with include, as the
// exporter asks.

// astraWalk walks the collection at path and returns its pages, or its
// items when count is set.
func astraWalk(b *testing.B, s *Server, path string, include []string, count bool) int {
	b.Helper()
	n, cont := 0, ""
	for {
		q := url.Values{"limit": {"100"}, "include": {joinComma(include)}}
		if cont != "" {
			q.Set("continue", cont)
		}
		req := httptest.NewRequest(http.MethodGet, path+"?"+q.Encode(), nil)
		req.Header.Set("Authorization", "Bearer "+AstraDefaultToken)
		body := benchServe(b, s, req)
		if count {
			n += benchItems(b, body, "items")
		} else {
			n++
		}
		if cont = lastJSONString(b, body, "continue"); cont == "" {
			return n
		}
	}
}

func joinComma(ss []string) string {
	var b bytes.Buffer
	for i, s := range ss {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(s)
	}
	return b.String()
}

var (
	astraBenchBackupFields = []string{"id", "name", "state", "stateUnready", "hookState", "hookStateDetails",
		"backupCreationTimestamp", "totalBytes", "bytesDone", "percentDone", "metadata"}
	astraBenchAppFields = []string{"id", "name"}
)

func BenchmarkAstraListWalk(b *testing.B) {
	const account = "demo-account"
	base := "/accounts/" + account
	for _, n := range benchSizes {
		func() {
			apps := &lazyServer{scenario: func() *Scenario { return &Scenario{Astra: GenerateAstra(account, n, 0, time.Now())} }}
			backups := &lazyServer{scenario: func() *Scenario { return &Scenario{Astra: GenerateAstra(account, n/5, 5, time.Now())} }}
			defer apps.close()
			defer backups.close()
			benchRun(b, fmt.Sprintf("apps/n=%d", n), func(b *testing.B, count bool) int {
				return astraWalk(b, apps.get(b), base+"/k8s/v2/apps", astraBenchAppFields, count)
			})
			// Every backup of the account (topology).
			benchRun(b, fmt.Sprintf("backups/n=%d", n), func(b *testing.B, count bool) int {
				return astraWalk(b, backups.get(b), base+"/topology/v1/appBackups", astraBenchBackupFields, count)
			})
			// The backups of each app, one list each, as the exporter reads them.
			benchRun(b, fmt.Sprintf("per-app/n=%d", n), func(b *testing.B, count bool) int {
				s, total := backups.get(b), 0
				for i := 1; i <= n/5; i++ {
					total += astraWalk(b, s, fmt.Sprintf("%s/k8s/v1/apps/a0000000-0000-4000-8000-%012d/appBackups", base, i), astraBenchBackupFields, count)
				}
				return total
			})
		}()
	}
}

// ---------------------------------------------------------------------
// AWS Backup: maxResults and NextToken, pages of 1,000, signed.

// awsWalk walks the list at path with query q and returns its pages, or
// its items (under key) when count is set.
func awsWalk(b *testing.B, s *Server, path string, q url.Values, key string, count bool) int {
	b.Helper()
	n := 0
	q.Set("maxResults", "1000")
	q.Del("nextToken")
	for {
		req := httptest.NewRequest(http.MethodGet, "https://example.com"+path+"?"+q.Encode(), nil)
		awsSignTest(req, nil, awsDemoCreds, AWSDemoRegion, "backup", time.Now())
		body := benchServe(b, s, req)
		if count {
			n += benchItems(b, body, key)
		} else {
			n++
		}
		next := lastJSONString(b, body, "NextToken")
		if next == "" {
			return n
		}
		q.Set("nextToken", next)
	}
}

func BenchmarkAWSListWalk(b *testing.B) {
	for _, n := range benchSizes {
		func() {
			vaultOf := map[string]string{} // resource ARN -> vault of its recovery points
			var arns []string
			l := &lazyServer{scenario: func() *Scenario {
				sc := GenerateAWS(AWSDemoAccountID, n/10, 10, time.Now())
				for _, v := range sc.Accounts[0].Vaults {
					for _, p := range v.RecoveryPoints {
						if vaultOf[p.ResourceArn] == "" {
							arns = append(arns, p.ResourceArn)
						}
						vaultOf[p.ResourceArn] = v.Name
					}
				}
				return &Scenario{AWS: sc}
			}}
			defer l.close()
			// The jobs of the last 8 days (ByCreatedAfter), as the exporter asks.
			benchRun(b, fmt.Sprintf("jobs/n=%d", n), func(b *testing.B, count bool) int {
				q := url.Values{"createdAfter": {time.Now().UTC().AddDate(0, 0, -8).Format(time.RFC3339)}}
				return awsWalk(b, l.get(b), "/backup-jobs/", q, "BackupJobs", count)
			})
			// The recovery points of each resource (ByResourceArn), one list each.
			benchRun(b, fmt.Sprintf("points-per-resource/n=%d", n), func(b *testing.B, count bool) int {
				s, total := l.get(b), 0
				for _, arn := range arns {
					total += awsWalk(b, s, "/backup-vaults/"+vaultOf[arn]+"/recovery-points/", url.Values{"resourceArn": {arn}}, "RecoveryPoints", count)
				}
				return total
			})
		}()
	}
}
