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

// armPage is a list page; from the handlers it carries all items, and
// armDispatch cuts the page.
type armPage struct {
	Value    []any  `json:"value"`
	NextLink string `json:"nextLink,omitempty"`
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
			left = AzureRateLimitReads
		}
		if left > 0 {
			left--
		}
		st.reads[k] = left
		w.Header().Set("x-ms-ratelimit-remaining-subscription-reads", strconv.Itoa(left))
	}
	tok, hasBearer := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	at, known := st.tokens[strings.TrimSpace(tok)]
	valid := hasBearer && known && time.Now().Before(at.expires)
	authTenant := DefaultAzureTenantID
	if len(st.sc.Tenants) > 0 {
		authTenant = st.sc.Tenants[0].ID
	}
	pageSize := orDefault(st.sc.PageSize, AzureDefaultPageSize)
	s.mu.Unlock()

	if !valid {
		w.Header().Set("WWW-Authenticate", fmt.Sprintf(
			`Bearer authorization_uri="%s/%s", error="invalid_token", error_description="The access token is invalid."`,
			baseURL(r), authTenant))
		if !hasBearer || strings.TrimSpace(tok) == "" {
			armError(w, http.StatusUnauthorized, "InvalidAuthenticationToken", "The access token is invalid.")
			return
		}
		if known {
			armError(w, http.StatusUnauthorized, "ExpiredAuthenticationToken", "The access token expiry UTC time '"+at.expires.UTC().Format("1/2/2006 3:04:05 PM")+"' is earlier than current UTC time.")
			return
		}
		armError(w, http.StatusUnauthorized, "InvalidAuthenticationToken", "The access token is invalid.")
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
		s.mu.Unlock()
		if page, ok := body.(armPage); ok && status == http.StatusOK {
			s.armWritePage(w, r, page.Value, pageSize)
			return
		}
		writeJSON(w, status, body)
		return
	}
	armError(w, http.StatusNotFound, "InvalidResourceType",
		"The resource type or path '"+r.URL.Path+"' is not served by the simulator.")
}

func (s *Server) armWritePage(w http.ResponseWriter, r *http.Request, items []any, pageSize int) {
	q := r.URL.Query()
	offset := 0
	if v := q.Get("$skiptoken"); v != "" {
		n, err := decodeContinue(v)
		if err != nil {
			armError(w, http.StatusBadRequest, "InvalidSkipToken", "The $skiptoken '"+v+"' is invalid.")
			return
		}
		offset = n
	}
	if offset > len(items) {
		offset = len(items)
	}
	end := min(offset+pageSize, len(items))
	page := armPage{Value: items[offset:end]}
	if page.Value == nil {
		page.Value = []any{}
	}
	if end < len(items) {
		q.Set("$skiptoken", encodeContinue(end))
		page.NextLink = baseURL(r) + r.URL.EscapedPath() + "?" + q.Encode()
	}
	writeJSON(w, http.StatusOK, page)
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
	ID         string `json:"id"`
	Name       string `json:"name"`
	Type       string `json:"type"`
	Location   string `json:"location,omitempty"`
	Properties any    `json:"properties"`
}
