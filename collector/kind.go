package collector

import (
	"strings"
	"sync"

	"go.uber.org/zap"

	"github.com/backup-exporter/backup_exporter/config"
	"github.com/backup-exporter/backup_exporter/internal/upstream"
)

// Kind is one provider: its configuration (type, credential kind, spec),
// the metric families of its own besides the shared ones, and its
// constructor. Each provider package exports one; the registry lists them.
type Kind struct {
	config.Kind
	// Title names what the provider reads, for people: the landing page
	// and docs/metrics.md ("NetApp Astra Control").
	Title string
	// States are the tables the provider normalises raw states with, for
	// docs/metrics.md (the very maps it uses, so the reference cannot
	// drift from them).
	States []StateTable
	// Families are the provider's own per-resource families, for
	// documentation and the dashboards' check (the samples are in
	// Resource.Extra).
	Families []*Family
	// New builds the provider of one target, whose Spec is the provider's
	// own spec type.
	New func(t *config.Target, env *Env) (Provider, error)
}

// StateTable is one of a provider's mappings of raw states to normalised
// states; a raw value it lacks is StateUnknown (Normalise).
type StateTable struct {
	// Field is what the raw value is, e.g. "Backup status.state".
	Field string
	Table map[string]State
}

// Registry is the set of provider kinds an exporter knows.
type Registry []Kind

// Config returns the kinds as the configuration knows them, for
// config.Load.
func (r Registry) Config() []config.Kind {
	out := make([]config.Kind, len(r))
	for i, k := range r {
		out[i] = k.Kind
	}
	return out
}

// Types returns the provider type names, in registry order.
func (r Registry) Types() []string {
	out := make([]string, len(r))
	for i, k := range r {
		out[i] = k.Type
	}
	return out
}

func (r Registry) lookup(typ string) (Kind, bool) {
	for _, k := range r {
		if k.Type == typ {
			return k, true
		}
	}
	return Kind{}, false
}

// Env is what a provider is built from besides its target: the target's
// credential, its upstream pool and a logger naming the target.
type Env struct {
	Credential *config.Credential
	// Pool is the credential's upstream pool: connections, request slots,
	// body limit and request metrics, shared by every target of the
	// credential.
	Pool   *upstream.Pool
	Logger *zap.Logger

	shared *credentialState
	shard  Shard
	target string
}

// Owns reports whether this replica's shard owns the resource id of the
// target: a provider skips the per-resource calls of resources it does
// not own (the orchestrator drops their records anyway).
func (e *Env) Owns(id string) bool { return e.shard.Owns(e.target, id) }

// credentialState is what targets of one credential share beyond the
// pool (e.g. an Azure token credential and its token cache).
type credentialState struct {
	mu     sync.Mutex
	values map[string]any
}

// Shared returns the value stored under key for the target's credential,
// building it on first use, so that the targets of one credential share
// it (an Azure token credential, say). A build error is not stored.
func (e *Env) Shared(key string, build func() (any, error)) (any, error) {
	s := e.shared
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, ok := s.values[key]; ok {
		return v, nil
	}
	v, err := build()
	if err != nil {
		return nil, err
	}
	s.values[key] = v
	return v, nil
}

// WarnPlainHTTP logs once, at build time, that endpoint sends the
// credential unencrypted.
func (e *Env) WarnPlainHTTP(endpoint string) {
	if strings.HasPrefix(endpoint, "http://") {
		e.Logger.Warn("endpoint is plain HTTP: the target's credentials travel unencrypted", zap.String("endpoint", upstream.RedactURL(endpoint)))
	}
}

// Client returns the upstream client of provider on the target's pool,
// authorizing each attempt with auth (nil: none).
func (e *Env) Client(provider string, auth upstream.Authorizer) *upstream.Client {
	return e.Pool.Client(provider, auth)
}
