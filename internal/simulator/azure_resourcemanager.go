package simulator

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Azure Resource Manager.

type armErrorBody struct {
	Error armErrorDetail `json:"error"`
}

type armErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func armError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, armErrorBody{Error: armErrorDetail{Code: code, Message: msg}})
}

func azureFaultError(w http.ResponseWriter, status int, title, detail string) {
	if w.Header().Get("x-ms-request-id") == "" {
		id := newUUID()
		w.Header().Set("x-ms-request-id", id)
		w.Header().Set("x-ms-correlation-request-id", id)
	}
	code := map[int]string{
		400: "BadRequest", 401: "InvalidAuthenticationToken", 403: "AuthorizationFailed", 404: "ResourceNotFound",
		409: "Conflict", 429: "TooManyRequests", 500: "InternalServerError", 502: "BadGateway",
		503: "ServiceUnavailable", 504: "GatewayTimeout",
	}[status]
	if code == "" {
		code = strings.ReplaceAll(title, " ", "")
	}
	armError(w, status, code, detail)
}

type armParams map[string]string

type armRoute struct {
	segs []string
	h    func(st *azureState, w http.ResponseWriter, r *http.Request, p armParams) (status int, body any)
}

const (
	anfBase = "subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.NetApp/netAppAccounts/{account}"
	pgBase  = "subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.DBforPostgreSQL/flexibleServers"
)

var armRoutes = []armRoute{
	{h: armListAccounts, segs: strings.Split("subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.NetApp/netAppAccounts", "/")},
	{h: armGetAccount, segs: strings.Split(anfBase, "/")},
	{h: armListPools, segs: strings.Split(anfBase+"/capacityPools", "/")},
	{h: armGetPool, segs: strings.Split(anfBase+"/capacityPools/{pool}", "/")},
	{h: armListVolumes, segs: strings.Split(anfBase+"/capacityPools/{pool}/volumes", "/")},
	{h: armGetVolume, segs: strings.Split(anfBase+"/capacityPools/{pool}/volumes/{volume}", "/")},
	{h: armBackupStatus, segs: strings.Split(anfBase+"/capacityPools/{pool}/volumes/{volume}/latestBackupStatus/current", "/")},
	{h: armListVaults, segs: strings.Split(anfBase+"/backupVaults", "/")},
	{h: armGetVault, segs: strings.Split(anfBase+"/backupVaults/{vault}", "/")},
	{h: armListBackups, segs: strings.Split(anfBase+"/backupVaults/{vault}/backups", "/")},
	{h: armGetBackup, segs: strings.Split(anfBase+"/backupVaults/{vault}/backups/{backup}", "/")},
	{h: armListServers, segs: strings.Split(pgBase, "/")},
	{h: armGetServer, segs: strings.Split(pgBase+"/{server}", "/")},
	{h: armListLTR, segs: strings.Split(pgBase+"/{server}/ltrBackupOperations", "/")},
	{h: armGetLTR, segs: strings.Split(pgBase+"/{server}/ltrBackupOperations/{name}", "/")},
}

func (rt armRoute) match(segs []string) (armParams, bool) {
	if len(segs) != len(rt.segs) {
		return nil, false
	}
	p := armParams{}
	for i, want := range rt.segs {
		if strings.HasPrefix(want, "{") {
			if segs[i] == "" {
				return nil, false
			}
			p[strings.Trim(want, "{}")] = segs[i]
		} else if !strings.EqualFold(want, segs[i]) {
			return nil, false
		}
	}
	return p, true
}

// armPage is a list page.
type armPage struct {
	Value    []any  `json:"value"`
	NextLink string `json:"nextLink,omitempty"`
}

// armList is a handler's list answer: n items, the i-th made by item(i).
// armDispatch cuts the page and makes only its items (under s.mu, as
// item reads the data), so that a page costs its own items.
type armList struct {
	n    int
	item func(i int) any
}

// armItems lists items[i] made by item.
func armItems[T any](items []T, item func(*T) any) armList {
	return armList{n: len(items), item: func(i int) any { return item(&items[i]) }}
}

// armSelected lists items[idx[i]] made by item.
func armSelected[T any](items []T, idx []int, item func(*T) any) armList {
	return armList{n: len(idx), item: func(i int) any { return item(&items[idx[i]]) }}
}

func (s *Server) armDispatch(w http.ResponseWriter, r *http.Request) {
	st := s.azureState()
	segs := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	reqID := newUUID()
	w.Header().Set("x-ms-request-id", reqID)
	w.Header().Set("x-ms-correlation-request-id", reqID)

	s.mu.Lock()
	bucket := st.sc.ReadBucket != nil
	if len(segs) >= 2 && segs[1] != "" && !bucket {
		k := strings.ToLower(segs[1])
		left, ok := st.reads[k]
		if !ok {
			left = orDefault(st.sc.RateLimitReads, AzureRateLimitReads)
		}
		if left > 0 {
			left--
		}
		st.reads[k] = left
		w.Header().Set("x-ms-ratelimit-remaining-subscription-reads", strconv.Itoa(left))
	}
	pageSize := orDefault(st.sc.PageSize, AzureDefaultPageSize)
	s.mu.Unlock()

	at, ok := s.armBearer(w, r, st)
	if !ok {
		return
	}
	if bucket && len(segs) >= 2 && segs[1] != "" {
		s.mu.Lock()
		left, wait, ok := st.takeRead(segs[1], at.clientID, time.Now())
		s.mu.Unlock()
		if !ok {
			armThrottle(w, segs[1], wait)
			return
		}
		w.Header().Set("x-ms-ratelimit-remaining-subscription-reads", strconv.Itoa(left))
	}
	if r.URL.Query().Get("api-version") == "" {
		armError(w, http.StatusBadRequest, "MissingApiVersionParameter",
			"The api-version query parameter (?api-version=) is required for all requests.")
		return
	}
	for _, rt := range armRoutes {
		p, ok := rt.match(segs)
		if !ok {
			continue
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			armError(w, http.StatusMethodNotAllowed, "MethodNotAllowed",
				"The simulator only serves GET on this resource; got "+r.Method+".")
			return
		}
		s.mu.Lock()
		status, body := rt.h(st, w, r, p)
		if list, ok := body.(armList); ok && status == http.StatusOK {
			status, body = armCutPage(r, list, pageSize)
		}
		s.mu.Unlock()
		writeJSON(w, status, body)
		return
	}
	armError(w, http.StatusNotFound, "InvalidResourceType",
		"The resource type or path '"+r.URL.Path+"' is not served by the simulator.")
}

// armBearer checks the request's Entra bearer token, as every Resource
// Manager route does, and returns it; an invalid one is answered (401).
func (s *Server) armBearer(w http.ResponseWriter, r *http.Request, st *azureState) (azureToken, bool) {
	s.mu.Lock()
	tok, hasBearer := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	at, known := st.tokens[strings.TrimSpace(tok)]
	valid := hasBearer && known && time.Now().Before(at.expires)
	authTenant := DefaultAzureTenantID
	if len(st.sc.Tenants) > 0 {
		authTenant = st.sc.Tenants[0].ID
	}
	s.mu.Unlock()
	if valid {
		return at, true
	}
	w.Header().Set("WWW-Authenticate", fmt.Sprintf(
		`Bearer authorization_uri="%s/%s", error="invalid_token", error_description="The access token is invalid."`,
		baseURL(r), authTenant))
	switch {
	case !hasBearer || strings.TrimSpace(tok) == "":
		armError(w, http.StatusUnauthorized, "InvalidAuthenticationToken", "The access token is invalid.")
	case known:
		armError(w, http.StatusUnauthorized, "ExpiredAuthenticationToken", "The access token expiry UTC time '"+at.expires.UTC().Format("1/2/2006 3:04:05 PM")+"' is earlier than current UTC time.")
	default:
		armError(w, http.StatusUnauthorized, "InvalidAuthenticationToken", "The access token is invalid.")
	}
	return azureToken{}, false
}

// armCutPage answers the page of list that the request's $skiptoken (an
// offset) names.
func armCutPage(r *http.Request, list armList, pageSize int) (int, any) {
	q := r.URL.Query()
	offset := 0
	if v := q.Get("$skiptoken"); v != "" {
		n, err := decodeContinue(v)
		if err != nil {
			return armErr(http.StatusBadRequest, "InvalidSkipToken", "The $skiptoken '"+v+"' is invalid.")
		}
		offset = n
	}
	offset = min(offset, list.n)
	end := min(offset+pageSize, list.n)
	page := armPage{Value: make([]any, 0, end-offset)}
	for i := offset; i < end; i++ {
		page.Value = append(page.Value, list.item(i))
	}
	if end < list.n {
		q.Set("$skiptoken", encodeContinue(end))
		page.NextLink = baseURL(r) + r.URL.EscapedPath() + "?" + q.Encode()
	}
	return http.StatusOK, page
}

func armErr(status int, code, msg string) (int, any) {
	return status, armErrorBody{Error: armErrorDetail{Code: code, Message: msg}}
}

const armNotFoundHint = " For more details please go to https://aka.ms/ARMResourceNotFoundFix"

// armParent checks the subscription and resource group.
func armParent(st *azureState, p armParams) (int, any, bool) {
	if st.sub(p["sub"]) == nil {
		s, b := armErr(http.StatusNotFound, "SubscriptionNotFound", fmt.Sprintf("The subscription '%s' could not be found.", p["sub"]))
		return s, b, false
	}
	if st.rg(p["sub"], p["rg"]) == nil {
		s, b := armErr(http.StatusNotFound, "ResourceGroupNotFound", fmt.Sprintf("Resource group '%s' could not be found.", p["rg"]))
		return s, b, false
	}
	return 0, nil, true
}

func resourceNotFound(rg, typ string) (int, any) {
	return armErr(http.StatusNotFound, "ResourceNotFound",
		fmt.Sprintf("The Resource '%s' under resource group '%s' was not found.%s", typ, rg, armNotFoundHint))
}

func parentNotFound(name string) (int, any) {
	return armErr(http.StatusNotFound, "ParentResourceNotFound",
		fmt.Sprintf("Can not perform requested operation on nested resource. Parent resource '%s' not found.", name))
}

type armResource struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Type     string `json:"type"`
	Location string `json:"location,omitempty"`
	// Tags of a tracked resource (TrackedResourceTags); left out when
	// it has none.
	Tags       map[string]string `json:"tags,omitempty"`
	Properties any               `json:"properties"`
}
