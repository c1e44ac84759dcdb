package azuredataprotection

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/backup-exporter/backup_exporter/internal/upstream"
)

// Backup policies change seldom and many instances share one: each is
// read at most once per poll however many instances name it (at once
// too: the first reads, the others wait for its answer), and a policy
// read is kept for the target's expected_interval (docs/metrics.md:
// "cached for the interval"). A failed or refused read is not kept: it
// is tried again at the next poll.

// errNoPolicyID: an instance's policyInfo.policyId is not the ARM ID of
// a Backup vault's policy, so the policy cannot be read.
var errNoPolicyID = errors.New("the policy ID is not the ARM ID of a Backup vault's policy")

// policyCache holds the policies read by earlier polls, by lower-cased
// policy ID.
type policyCache struct {
	mu   sync.Mutex
	kept map[string]keptPolicy
}

type keptPolicy struct {
	sched policySchedule
	at    time.Time
}

// policies are the backup policies of one poll.
type policies struct {
	p     *provider
	cache *policyCache
	now   time.Time
	mu    sync.Mutex
	m     map[string]*policyEntry // by lower-cased policy ID
	// rows are the policies Resource Graph's rows gave this poll, by
	// lower-cased ID (Resource Graph mode): used before any read.
	rows map[string]*policySchedule
}

type policyEntry struct {
	once  sync.Once
	sched *policySchedule
	err   error
}

// poll starts a poll's use of the cache.
func (c *policyCache) poll(p *provider) *policies {
	return &policies{p: p, cache: c, now: p.now(), m: map[string]*policyEntry{}}
}

// done ends the poll: what it read is kept, and what has been kept
// longer than the interval is forgotten (the policies of deleted
// instances go with it).
func (pp *policies) done() {
	c := pp.cache
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.kept == nil {
		c.kept = map[string]keptPolicy{}
	}
	for k, e := range pp.m {
		// Only entries whose read ran (a Do that was never called leaves
		// both nil) and succeeded.
		if e.sched != nil && e.err == nil {
			if old, ok := c.kept[k]; !ok || old.at.Before(pp.now) {
				c.kept[k] = keptPolicy{sched: *e.sched, at: pp.now}
			}
		}
	}
	for k, kp := range c.kept {
		if pp.now.Sub(kp.at) >= pp.p.policyTTL {
			delete(c.kept, k)
		}
	}
}

// get returns what the policy id says of its schedule; nil, without
// error, when it cannot be read for want of the policy or of the right to
// read it (the default interval then applies, and the instance counts as
// scheduled).
func (pp *policies) get(ctx context.Context, id string) (*policySchedule, error) {
	k := strings.ToLower(id)
	if s, ok := pp.rows[k]; ok {
		return s, nil
	}
	pp.cache.mu.Lock()
	kp, ok := pp.cache.kept[k]
	pp.cache.mu.Unlock()
	if ok && pp.now.Sub(kp.at) < pp.p.policyTTL {
		return &kp.sched, nil
	}
	pp.mu.Lock()
	e := pp.m[k]
	if e == nil {
		e = &policyEntry{}
		pp.m[k] = e
	}
	pp.mu.Unlock()
	e.once.Do(func() { e.sched, e.err = pp.p.readPolicy(ctx, id) })
	return e.sched, e.err
}

func (p *provider) readPolicy(ctx context.Context, id string) (*policySchedule, error) {
	pol, err := p.policy(ctx, id)
	var httpErr *upstream.HTTPError
	switch {
	case err == nil:
		s := pol.schedule()
		return &s, nil
	case errors.Is(err, errNoPolicyID),
		errors.As(err, &httpErr) && (httpErr.StatusCode == http.StatusNotFound || httpErr.StatusCode == http.StatusForbidden):
		p.policyWarning.Do(func() {
			p.logger.Warn("cannot read a backup policy: its instances are due every expected_interval (default 24h)", zap.Error(err))
		})
		return nil, nil
	}
	return nil, err
}
