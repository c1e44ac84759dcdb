package azurenetappfiles

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
	"go.uber.org/zap"

	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/internal/providertest"
	"github.com/backup-exporter/backup_exporter/internal/upstream"
)

// listing is an ARM account of two pools whose listing the test watches:
// pool1's second page is answered only once the status of volume a (on
// its first page) has been asked for, and lists a again; pool2 lists c
// and d.
type listing struct {
	mu     sync.Mutex
	events []string
	aRead  chan struct{}
	once   sync.Once
	// pool2Missing makes pool2's volume list a 404.
	pool2Missing bool
}

func (l *listing) record(e string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, e)
}

func (l *listing) seen() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.events)
}

func volumeJSON(pool, name string) string {
	return fmt.Sprintf(`{"id":"%s/capacityPools/%s/volumes/%s","name":"account1/%s/%s","properties":{"dataProtection":{"backup":{"backupEnabled":true}}}}`,
		anfAccount, pool, name, pool, name)
}

func (l *listing) serve(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	w.Header().Set("Content-Type", "application/json")
	switch {
	case path == anfAccount+"/capacityPools":
		fmt.Fprint(w, `{"value":[{"name":"account1/pool1"},{"name":"account1/pool2"}]}`)
	case path == anfAccount+"/capacityPools/pool1/volumes" && r.URL.Query().Get("$skiptoken") == "":
		fmt.Fprintf(w, `{"value":[%s],"nextLink":"https://%s%s?api-version=2025-03-01&$skiptoken=2"}`, volumeJSON("pool1", "a"), r.Host, path)
	case path == anfAccount+"/capacityPools/pool1/volumes":
		select {
		case <-l.aRead:
		case <-time.After(10 * time.Second):
		case <-r.Context().Done():
		}
		l.record("pool1 page 2")
		fmt.Fprintf(w, `{"value":[%s,%s]}`, volumeJSON("pool1", "b"), volumeJSON("pool1", "a"))
	case path == anfAccount+"/capacityPools/pool2/volumes" && !l.pool2Missing:
		fmt.Fprintf(w, `{"value":[%s,%s]}`, volumeJSON("pool2", "c"), volumeJSON("pool2", "d"))
	case strings.HasSuffix(path, "/latestBackupStatus/current"):
		volume := strings.TrimSuffix(path, "/latestBackupStatus/current")
		volume = volume[strings.LastIndexByte(volume, '/')+1:]
		l.record("status " + volume)
		if volume == "a" {
			l.once.Do(func() { close(l.aRead) })
		}
		fmt.Fprint(w, `{"healthy":true,"relationshipStatus":"Idle","mirrorState":"Mirrored"}`)
	case path == anfAccount+"/backupVaults":
		fmt.Fprint(w, `{"value":[]}`)
	default:
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"error":{"code":"ResourceNotFound","message":"The Resource was not found."}}`)
	}
}

// collectListing runs one poll of the account as the orchestrator would,
// on a shard that does not own volume d, and returns its records and
// drops.
func collectListing(t *testing.T, l *listing) ([]toolkit.Resource, []toolkit.Dropped, error) {
	t.Helper()
	srv := providertest.NewServer(t, providertest.Options{Entra: true, Auth: providertest.BearerAuth(providertest.ARMToken)}, l.serve)
	cfg := providertest.Parse(t, srv.AzureConfig(`name: anf, type: azure_netapp_files,
      subscription_id: 00000000-0000-0000-0000-000000000000, resource_group: myRG, account: account1`), kinds)
	pool, err := upstream.NewPool(upstream.Options{TLS: srv.Client().Transport.(*http.Transport).TLSClientConfig.Clone(), MaxConcurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	owns := func(id string) bool { return !strings.HasSuffix(id, "/volumes/d") }
	prov, err := Type.New(&cfg.Targets[0], toolkit.NewEnv(&cfg.Credentials[0], pool, zap.NewNop(), nil, owns))
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		drops []toolkit.Dropped
	)
	ctx := toolkit.WithPoll(context.Background(), toolkit.Poll{Dropped: func(d toolkit.Dropped) {
		mu.Lock()
		defer mu.Unlock()
		drops = append(drops, d)
	}})
	rs, err := prov.Collect(ctx)
	srv.Close()
	return rs, drops, err
}

// TestANFReadsStatusesWhileListing: a volume's status is read as soon as
// the page listing it has arrived (pool1's second page waits for volume
// a's read), through FanOut's rules (a listed twice is read once and
// dropped as a duplicate, d of another shard is not read and dropped as
// not owned), and the records keep the listing's order although the
// pools are listed, and the statuses read, at once.
func TestANFReadsStatusesWhileListing(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
	l := &listing{aRead: make(chan struct{})}
	start := time.Now()
	rs, drops, err := collectListing(t, l)
	if err != nil {
		t.Fatal(err)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("poll took %v: the status of a was read only after pool1's last page", time.Since(start))
	}
	events := l.seen()
	if i, j := slices.Index(events, "status a"), slices.Index(events, "pool1 page 2"); i < 0 || j < i {
		t.Errorf("events %v: want a's status read before pool1's second page was answered", events)
	}
	for _, v := range []string{"a", "b", "c"} {
		if n := strings.Count(strings.Join(events, "\n")+"\n", "status "+v+"\n"); n != 1 {
			t.Errorf("status of %s read %d times, want once (events %v)", v, n, events)
		}
	}
	if slices.Contains(events, "status d") {
		t.Errorf("the status of d, another shard's, was read: %v", events)
	}
	var names []string
	for _, r := range rs {
		names = append(names, r.Name)
		if r.Err != nil || !r.Protected || !r.Healthy || r.CurrentRawStatus() != "Idle" {
			t.Errorf("%s: %+v", r.Name, r)
		}
	}
	if !slices.Equal(names, []string{"a", "b", "c"}) {
		t.Errorf("records %v, want the listing's order a, b, c", names)
	}
	want := []toolkit.Dropped{
		{ID: anfAccount + "/capacityPools/pool1/volumes/a", Name: "a", Reason: toolkit.DropDuplicate},
		{ID: anfAccount + "/capacityPools/pool2/volumes/d", Name: "d", Reason: toolkit.DropNotOwned},
	}
	slices.SortFunc(drops, func(x, y toolkit.Dropped) int { return strings.Compare(x.Name, y.Name) })
	if !slices.Equal(drops, want) {
		t.Errorf("drops %+v, want %+v", drops, want)
	}
}

// TestANFFailedListingEndsTheReads: a pool whose volumes cannot be
// listed fails the poll, and the status reads already started end with
// it (no goroutine left).
func TestANFFailedListingEndsTheReads(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
	l := &listing{aRead: make(chan struct{}), pool2Missing: true}
	rs, _, err := collectListing(t, l)
	if err == nil || !strings.Contains(err.Error(), `list volumes of pool "pool2"`) || rs != nil {
		t.Errorf("records %+v, error %v; want the pool's list error", rs, err)
	}
}
