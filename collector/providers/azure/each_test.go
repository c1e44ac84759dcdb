package azure_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/backup-exporter/backup_exporter/collector/providers/azure"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/config"
	"github.com/backup-exporter/backup_exporter/internal/providertest"
	"github.com/backup-exporter/backup_exporter/internal/upstream"
)

// named is an ARM item whose name the API document requires.
type named struct {
	Name string `json:"name"`
}

func (n *named) Check() error { return toolkit.Require("name", n.Name) }

// armClient returns an ARM client that logs in to srv's Entra.
func armClient(t *testing.T, srv *providertest.Server) *azure.Client {
	t.Helper()
	pool, err := upstream.NewPool(upstream.Options{
		TLS:            srv.Client().Transport.(*http.Transport).TLSClientConfig.Clone(),
		MaxConcurrency: 2,
	})
	if err != nil {
		t.Fatal(err)
	}
	cred := &config.Credential{Name: "az", Type: "azure", Spec: &azure.Credential{
		Auth: azure.AuthClientSecret, TenantID: "00000000-0000-0000-0000-00000000000a", ClientID: "00000000-0000-0000-0000-00000000000b",
		ClientSecret: "s3cret", Cloud: azure.CloudCustom, AuthorityHost: srv.URL, ResourceManagerEndpoint: srv.URL,
	}}
	c, err := azure.NewClient(toolkit.NewEnv(cred, pool, zap.NewNop(), nil, nil), "test")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestEachHandsOutItemsPageByPage: the items of a page reach fn before
// the next page is asked for (the second page waits until they have), an
// item without a required field fails the walk naming the field, and an
// error of fn stops it.
func TestEachHandsOutItemsPageByPage(t *testing.T) {
	const path = "/subscriptions/s/items"
	got := make(chan string, 10)
	srv := providertest.NewServer(t, providertest.Options{Entra: true, Auth: providertest.BearerAuth(providertest.ARMToken)}, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.URL.Path == "/subscriptions/s/bad":
			fmt.Fprint(w, `{"value":[{"name":"a"},{"id":"x"}]}`)
		case r.URL.Query().Get("$skiptoken") == "":
			fmt.Fprintf(w, `{"value":[{"name":"a"},{"name":"b"}],"nextLink":"https://%s%s?$skiptoken=2"}`, r.Host, path)
		default:
			// The second page is answered once the first page's items
			// have been handed out (or after a while, and the test fails).
			select {
			case <-time.After(10 * time.Second):
			case <-waitFor(got, 2):
			}
			fmt.Fprint(w, `{"value":[{"name":"c"}]}`)
		}
	})
	c := armClient(t, srv)
	var seen []string
	start := time.Now()
	err := azure.Each[named](context.Background(), c, path, "2025-01-01", nil, func(n named) error {
		seen = append(seen, n.Name)
		got <- n.Name
		return nil
	})
	if err != nil || strings.Join(seen, ",") != "a,b,c" {
		t.Fatalf("items %v, error %v", seen, err)
	}
	if time.Since(start) > 5*time.Second {
		t.Error("the first page's items were handed out only after the second page")
	}

	err = azure.Each[named](context.Background(), c, "/subscriptions/s/bad", "2025-01-01", nil, func(named) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "required field(s) name") {
		t.Errorf("an item without its name: %v", err)
	}
	calls := 0
	err = azure.Each[named](context.Background(), c, path, "2025-01-01", nil, func(named) error {
		calls++
		return fmt.Errorf("enough")
	})
	if err == nil || !strings.Contains(err.Error(), "enough") || calls != 1 {
		t.Errorf("fn's error: %v after %d calls", err, calls)
	}
}

// waitFor returns a channel closed once n values have come on ch.
func waitFor(ch <-chan string, n int) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range n {
			<-ch
		}
	}()
	return done
}
