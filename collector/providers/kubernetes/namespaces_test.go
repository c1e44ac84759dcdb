package kubernetes

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/internal/providertest"
	"github.com/backup-exporter/backup_exporter/internal/upstream"
)

type thing struct {
	Metadata struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"metadata"`
}

func (t *thing) Check() error { return toolkit.Require("metadata.name", t.Metadata.Name) }

func testClient(t *testing.T, handle http.HandlerFunc) *Client {
	t.Helper()
	srv := providertest.NewServer(t, providertest.Options{}, handle)
	ca, err := os.ReadFile(srv.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := upstream.NewPool(upstream.Options{MaxConcurrency: 2})
	if err != nil {
		t.Fatal(err)
	}
	c, err := connect(pool, "test", &cluster{server: srv.URL, caPEM: ca, desc: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestListOfRestartsWithoutRepeats: ListOf decodes each page as it
// arrives; when a continue token expires (410) the list restarts from the
// start and what the first walk decoded is dropped, so every item comes
// once. A second 410 is the error.
func TestListOfRestartsWithoutRepeats(t *testing.T) {
	for _, gone := range []int32{1, 2} {
		var served atomic.Int32
		c := testClient(t, func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Query().Get("continue") {
			case "":
				fmt.Fprint(w, `{"metadata":{"continue":"p2"},"items":[{"metadata":{"name":"a"}},{"metadata":{"name":"b"}}]}`)
			case "p2":
				if served.Add(1) <= gone {
					w.WriteHeader(http.StatusGone)
					fmt.Fprint(w, `{"kind":"Status","reason":"Expired","code":410,"message":"too old"}`)
					return
				}
				fmt.Fprint(w, `{"metadata":{},"items":[{"metadata":{"name":"c"}}]}`)
			}
		})
		got, err := ListOf[thing](context.Background(), c, "things", "/apis/x/v1/things", ListOptions{Limit: 2})
		var names []string
		for _, it := range got {
			names = append(names, it.Metadata.Name)
		}
		switch {
		case gone == 1 && (err != nil || strings.Join(names, ",") != "a,b,c"):
			t.Errorf("one 410: %v %v, want a,b,c once each", names, err)
		case gone == 2 && (err == nil || !strings.Contains(err.Error(), "Expired") || got != nil):
			t.Errorf("two 410s: %v %v", names, err)
		}
	}
	// An item that fails its check names the resource, the credential and
	// the item, counted across pages.
	c := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("continue") == "" {
			fmt.Fprint(w, `{"metadata":{"continue":"p2"},"items":[{"metadata":{"name":"a"}}]}`)
			return
		}
		fmt.Fprint(w, `{"metadata":{},"items":[{"metadata":{}}]}`)
	})
	_, err := ListOf[thing](context.Background(), c, "things", "/apis/x/v1/things", ListOptions{})
	if err == nil || err.Error() != "things (test): item 1: the answer lacks the required field(s) metadata.name" {
		t.Errorf("err = %v", err)
	}
}

// TestListInNamespaces: ListIn reads each configured namespace's list, in
// order, or one list across the cluster.
func TestListInNamespaces(t *testing.T) {
	var (
		mu    sync.Mutex
		paths []string
	)
	seen := func() string {
		mu.Lock()
		defer mu.Unlock()
		p := strings.Join(paths, " ")
		paths = nil
		return p
	}
	c := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.Path)
		mu.Unlock()
		ns := ""
		if parts := strings.Split(r.URL.Path, "/"); len(parts) > 5 {
			ns = parts[5]
		}
		fmt.Fprintf(w, `{"metadata":{},"items":[{"metadata":{"name":"x","namespace":%q}}]}`, ns)
	})
	got, err := ListIn[thing](context.Background(), c, "/apis/g/v1", "things", []string{"shop", "ci"}, ListOptions{})
	if p := seen(); err != nil || len(got) != 2 || got[0].Metadata.Namespace != "shop" || got[1].Metadata.Namespace != "ci" ||
		p != "/apis/g/v1/namespaces/shop/things /apis/g/v1/namespaces/ci/things" {
		t.Errorf("namespaced: %+v %v %v", got, err, p)
	}
	if _, err := ListIn[thing](context.Background(), c, "/apis/g/v1", "things", nil, ListOptions{}); err != nil {
		t.Errorf("cluster-wide: %v", err)
	} else if p := seen(); p != "/apis/g/v1/things" {
		t.Errorf("cluster-wide: %v", p)
	}
	for name, ok := range map[string]bool{"shop": true, "a-1": true, "Shop": false, "-a": false, "a-": false, strings.Repeat("a", 63): true, strings.Repeat("a", 64): false, "": false, "a.b": false} {
		if ValidNamespace(name) != ok {
			t.Errorf("ValidNamespace(%q) = %v", name, !ok)
		}
	}
}
