package huaweicbr

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"

	json "github.com/segmentio/encoding/json"

	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/internal/upstream"
)

// huaweiCBRPageSize is the `limit` asked of the backup list (the API
// allows up to 1000; 100 keeps answers small and paging exercised).
const huaweiCBRPageSize = 100

// huaweiCBRListAttempts bounds how often a backup list whose count
// changed while it was paged is walked again from the start.
const huaweiCBRListAttempts = 3

// huaweiCBRListSort asks for the oldest first, so that backups created
// while the list is paged land on the last page instead of shifting the
// offsets of those not read yet.
const huaweiCBRListSort = "created_at:asc"

var errHuaweiCountChanged = errors.New("the backup count changed while paging")

// listBackups lists the project's backups within the target's filters
// (vault_id, resource_id: the API applies them), walking the list again
// from the start when its count changed while it was paged.
func (p *provider) listBackups(ctx context.Context) (backups []huaweiBackup, err error) {
	q := url.Values{}
	q.Set("sort", huaweiCBRListSort)
	if p.vault != "" {
		q.Set("vault_id", p.vault)
	}
	if p.resource != "" {
		q.Set("resource_id", p.resource)
	}
	for range huaweiCBRListAttempts {
		backups, err = list[huaweiBackup](ctx, p, "backups", q)
		if !errors.Is(err, errHuaweiCountChanged) {
			break
		}
	}
	return backups, err
}

// cbrPage is one page of a CBR list: its items, under the collection's
// name (backups or vaults), and the count of the whole list.
type cbrPage struct {
	Backups []json.RawMessage `json:"backups"`
	Vaults  []json.RawMessage `json:"vaults"`
	Count   *int              `json:"count"`
}

// items are the page's items of collection.
func (pg *cbrPage) items(collection string) []json.RawMessage {
	if collection == "vaults" {
		return pg.Vaults
	}
	return pg.Backups
}

// list walks every page of the CBR collection (backups, vaults) with
// query (limit and offset, until offset reaches count) and returns its
// items decoded and checked.
func list[T any, PT interface {
	*T
	toolkit.Checked
}](ctx context.Context, p *provider, collection string, query url.Values) ([]T, error) {
	var (
		all   []T
		count = -1
	)
	path := "/" + collection
	pages := toolkit.NewPager(ctx, "list CBR "+collection)
	for page := 1; ; page++ {
		q := make(url.Values, len(query)+2)
		for k, v := range query {
			q[k] = v
		}
		q.Set("limit", strconv.Itoa(huaweiCBRPageSize))
		q.Set("offset", strconv.Itoa(len(all)))
		var body cbrPage
		if _, err := p.client.GetJSON(ctx, p.request(p.base+path+"?"+q.Encode()), &body); err != nil {
			return nil, fmt.Errorf("page %d: %w", page, err)
		}
		if body.Count == nil {
			return nil, fmt.Errorf("page %d: the answer has no count", page)
		}
		if count >= 0 && *body.Count != count {
			return nil, fmt.Errorf("page %d: %w (from %d to %d)", page, errHuaweiCountChanged, count, *body.Count)
		}
		count = *body.Count
		items := body.items(collection)
		for i, raw := range items {
			v, err := toolkit.Decode[T, PT](raw)
			if err != nil {
				return nil, fmt.Errorf("page %d item %d: %w", page, i, err)
			}
			all = append(all, v)
		}
		next := ""
		if len(all) < count {
			// The next page's offset is the continuation.
			next = strconv.Itoa(len(all))
		}
		if next != "" && len(items) == 0 {
			return nil, fmt.Errorf("page %d at offset %d is empty although count is %d", page, len(all), count)
		}
		if err := pages.Page(len(items), next); err != nil {
			return nil, err
		}
		if next == "" {
			return all, nil
		}
	}
}

// request is the upstream request for u, its error body read as CBR
// writes it.
func (p *provider) request(u string) upstream.Request {
	return upstream.Request{URL: u, DecodeError: decodeHuaweiError}
}

// decodeHuaweiError reads CBR's {"error_code","error_msg"} and the API
// gateway's {"error_msg","error_code","request_id"} bodies, and the
// {"error":{"code","message"}} form of other Huawei services. The
// request_id is left out: it differs on every call, and the orchestrator
// logs a failure again only when its text changes.
func decodeHuaweiError(_ int, body []byte) string {
	var e struct {
		Code  string `json:"error_code"`
		Msg   string `json:"error_msg"`
		Error *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil {
		return ""
	}
	if e.Code == "" && e.Msg == "" && e.Error != nil {
		e.Code, e.Msg = e.Error.Code, e.Error.Message
	}
	if e.Code != "" && e.Msg != "" {
		return e.Code + ": " + e.Msg
	}
	return e.Code + e.Msg
}

// huaweiBackup is a CBR BackupDetail (or BackupResp); null fields decode
// to nil.
type huaweiBackup struct {
	ID           string   `json:"id"`
	Name         string   `json:"name"`
	Status       string   `json:"status"`
	ParentID     *string  `json:"parent_id"`
	ResourceID   string   `json:"resource_id"`
	ResourceName string   `json:"resource_name"`
	ResourceSize *float64 `json:"resource_size"`
	VaultID      string   `json:"vault_id"`
	CreatedAt    *string  `json:"created_at"`
	UpdatedAt    *string  `json:"updated_at"`
	ProtectedAt  *string  `json:"protected_at"`
	ExpiredAt    *string  `json:"expired_at"`
	ExtendInfo   *struct {
		Progress *float64 `json:"progress"`
	} `json:"extend_info"`
	Children []huaweiBackup `json:"children"`
}

// Check implements toolkit.Checked: a backup without its id and status
// cannot be placed and judged.
func (b *huaweiBackup) Check() error {
	return toolkit.Require("id", b.ID, "status", b.Status)
}
