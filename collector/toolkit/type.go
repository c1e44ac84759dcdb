package toolkit

import (
	"context"
	"strings"
	"sync"

	"go.uber.org/zap"

	"github.com/backup-exporter/backup_exporter/config"
	"github.com/backup-exporter/backup_exporter/internal/upstream"
)

// Provider fetches the backup state of one configured target.
type Provider interface {
	// Collect returns the protected resources of the target. It honours ctx
	// and returns a wrapped error when the target could not be read.
	Collect(ctx context.Context) ([]Resource, error)
}

// Type is one provider type: its configuration (type name, credential
// type, spec), what people call it, its state tables and own families
// (for the reference and the dashboards' check), and its constructor.
// Each provider package exports one; the registry lists them.
type Type struct {
	config.TargetType
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
	// Tags builds the look-up of the tags the provider's listings do not
	// carry (Resource.Tags.Lookup names the resource to look up); nil
	// when the listings carry every tag there is.
	Tags NewTagLookup
}

// StateTable is one of a provider's mappings of raw states to normalised
// states; a raw value it lacks is StateUnknown (Normalise).
type StateTable struct {
	// Field is what the raw value is, e.g. "Backup status.state".
	Field string
	Table map[string]State
}

// Registry is the set of provider types an exporter knows.
type Registry []Type

// Config returns the target types as the configuration knows them, for
// config.Load.
func (r Registry) Config() []config.TargetType {
	out := make([]config.TargetType, len(r))
	for i, t := range r {
		out[i] = t.TargetType
	}
	return out
}

// Types returns the provider type names, in registry order.
func (r Registry) Types() []string {
	out := make([]string, len(r))
	for i, t := range r {
		out[i] = t.Name
	}
	return out
}

// Lookup returns the provider type called name.
func (r Registry) Lookup(name string) (Type, bool) {
	for _, t := range r {
		if t.Name == name {
			return t, true
		}
	}
	return Type{}, false
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

	shared *Shared
	owns   func(id string) bool
}

// NewEnv returns the environment of one target: its credential, pool and
// logger, what the targets of its credential share, and owns, which says
// whether this replica's shard owns a resource of the target (nil: all).
func NewEnv(cred *config.Credential, pool *upstream.Pool, logger *zap.Logger, shared *Shared, owns func(id string) bool) *Env {
	if owns == nil {
		owns = func(string) bool { return true }
	}
	if shared == nil {
		shared = NewShared()
	}
	return &Env{Credential: cred, Pool: pool, Logger: logger, shared: shared, owns: owns}
}

// Owns reports whether this replica's shard owns the resource id of the
// target: a provider skips the per-resource calls of resources it does
// not own (the orchestrator drops their records anyway).
func (e *Env) Owns(id string) bool { return e.owns(id) }

// Shared is what the targets of one credential share beyond the pool
// (e.g. an Azure token credential and its token cache).
type Shared struct {
	mu     sync.Mutex
	values map[string]any
}

// NewShared returns an empty Shared, one per credential.
func NewShared() *Shared { return &Shared{values: map[string]any{}} }

// SharedKey names a value of type T that the targets of one credential
// share (an Azure token credential, an AWS SDK configuration per region).
// Declare one per kind of value, in the package that builds it.
type SharedKey[T any] struct{ name string }

// NewSharedKey returns the key called name (unique among keys).
func NewSharedKey[T any](name string) SharedKey[T] { return SharedKey[T]{name: name} }

// SharedValue returns the value of key (and sub, e.g. a region) for env's
// credential, building it on first use, so that the targets of one
// credential share it. A build error is not stored.
func SharedValue[T any](env *Env, key SharedKey[T], sub string, build func() (T, error)) (T, error) {
	s := env.shared
	s.mu.Lock()
	defer s.mu.Unlock()
	k := key.name + "\x00" + sub
	if v, ok := s.values[k]; ok {
		return v.(T), nil
	}
	v, err := build()
	if err != nil {
		var zero T
		return zero, err
	}
	s.values[k] = v
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
