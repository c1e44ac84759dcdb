package simulator

// Azure Resource Graph: POST /providers/Microsoft.ResourceGraph/resources
// (api-version 2024-04-01) on the Resource Manager origin, with the same
// Entra bearer tokens as the other Resource Manager routes, evaluating the
// subset of KQL in azure_resourcegraph_kql.go over the simulated estate's
// Resources table.
//
// Written from these public documents only:
//   - the REST specification, Azure/azure-rest-api-specs
//     specification/resourcegraph/resource-manager/Microsoft.ResourceGraph/stable/2024-04-01/resourcegraph.json
//     (QueryRequest: subscriptions, managementGroups, query, options
//     {$skipToken, $top 1..1000, $skip, resultFormat table|objectArray};
//     QueryResponse: totalRecords, count, resultTruncated as the strings
//     "true"/"false", $skipToken, data, facets) and its examples
//     ResourcesBasicQuery.json, ResourcesFirstPageQuery.json and
//     ResourcesNextPageQuery.json;
//   - the Learn pages "Guidance for throttled requests" (a per-user quota
//     per time window, the example 15 queries every 5 seconds; every
//     answer carries x-ms-user-quota-remaining and
//     x-ms-user-quota-resets-after as hh:mm:ss; each page costs one
//     query) and "Paging results" (at most 1000 rows a page, $skipToken
//     until none);
//   - the error bodies users quoted: a KQL error is 400
//     {"error":{"code":"BadRequest","message":"Please provide below info
//     when asking for support: timestamp = ..., correlationId = ...",
//     "details":[{"code":"InvalidQuery","message":"Query is invalid.
//     Please refer to the documentation for the Azure Resource Graph
//     service and fix the error before retrying."},{"code":"ParserFailure",
//     "message":"ParserFailure","line":1,"characterPositionInLine":26,
//     "token":"..."}]}} (Azure/azure-powershell#13762,
//     scautomation/AzureResourceGraph-Examples#2), and throttling 429
//     {"error":{"code":"RateLimiting",...,"details":[{"code":"RateLimiting",
//     "message":"Client application has been throttled and should not
//     attempt to repeat the request until an amount of time has elapsed.
//     ..."}]}} (Azure/azure-cli-extensions#3325).
//
// The simulator's own choices: the quota's bucket is per client (tenant
// and client ID of the token), its window starts with the first query; a
// $skipToken is bound to the query and scope (another query with it is
// 400 InvalidSkipToken); a management group holds the subscriptions that
// name it (AzureSubscription.ManagementGroups); the table result format is
// not simulated (400). The tables (Resources, RecoveryServicesResources)
// are built from the same estate as the REST routes, for each query.

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// AzureResourceGraphAPI is the Resource Graph API name used in faults and
// stats.
const AzureResourceGraphAPI = "azure_resourcegraph"

// Resource Graph defaults: the documented page maximum and the example
// quota of the throttling guidance.
const (
	AzureResourceGraphAPIVersion  = "2024-04-01"
	AzureResourceGraphMaxPage     = 1000
	AzureResourceGraphQuota       = 15
	AzureResourceGraphQuotaWindow = 5 * time.Second
	argMaxBody                    = 1 << 20
)

var argAPIVersions = []string{"2019-04-01", "2021-03-01", "2022-10-01", AzureResourceGraphAPIVersion}

// AzureResourceGraph configures the simulated Resource Graph (the
// `resource_graph:` of the azure scenario).
type AzureResourceGraph struct {
	// PageSize is the most rows a page holds (also bounded by the
	// request's $top); default 1000.
	PageSize int `yaml:"page_size"`
	// Quota is how many queries (pages) a client may send per
	// QuotaWindow; default 15 per 5s. A negative Quota is no limit.
	Quota       int      `yaml:"quota"`
	QuotaWindow Duration `yaml:"quota_window"`
}

// AzureResource is a resource of a resource group as Resource Graph's
// Resources table holds it (a VM or storage account that Azure Backup
// items point to, say): its ARM type, name and tags.
type AzureResource struct {
	// Type is the ARM resource type, e.g. Microsoft.Compute/virtualMachines.
	Type string `yaml:"type"`
	Name string `yaml:"name"`
	// Location; default DefaultAzureLocation.
	Location string            `yaml:"location"`
	Tags     map[string]string `yaml:"tags"`
}

// argBucket is one client's quota window.
type argBucket struct {
	start time.Time
	used  int
}

// AzureResourceID is the ARM ID of a resource of a resource group.
func AzureResourceID(sub, rg, typ, name string) string {
	return "/subscriptions/" + sub + "/resourceGroups/" + rg + "/providers/" + typ + "/" + name
}

// UpdateAzureResource calls fn with the named resource of a resource
// group (created, untagged, when missing), under the server's lock; fn
// returning false deletes it.
func (s *Server) UpdateAzureResource(sub, rg, typ, name string, fn func(*AzureResource) bool) {
	st := s.azureState()
	s.mu.Lock()
	defer s.mu.Unlock()
	g := st.ensureRG(sub, rg)
	for i := range g.Resources {
		if r := &g.Resources[i]; strings.EqualFold(r.Type, typ) && strings.EqualFold(r.Name, name) {
			if !fn(r) {
				g.Resources = slices.Delete(g.Resources, i, i+1)
			}
			return
		}
	}
	r := AzureResource{Type: typ, Name: name}
	if fn(&r) {
		g.Resources = append(g.Resources, r)
	}
}

// argMaxSubscriptions is the most subscriptions a query without a scope
// covers; beyond it the answer says x-ms-tenant-subscription-limit-hit.
const argMaxSubscriptions = 10000

// argScope is the set of subscriptions (lower case) a query reads: those
// given, those under the management groups given (AzureSubscription's
// ManagementGroups), or, with neither, every subscription of the estate up
// to argMaxSubscriptions (limitHit when there are more). The caller holds
// s.mu.
func (st *azureState) argScope(subscriptions, groups []string) (scope map[string]bool, limitHit bool) {
	scope = map[string]bool{}
	switch {
	case len(subscriptions) > 0:
		for _, s := range subscriptions {
			scope[strings.ToLower(s)] = true
		}
	case len(groups) > 0:
		for _, sb := range st.sc.Subscriptions {
			if slices.ContainsFunc(sb.ManagementGroups, func(g string) bool {
				return slices.ContainsFunc(groups, func(w string) bool { return strings.EqualFold(g, w) })
			}) {
				scope[strings.ToLower(sb.ID)] = true
			}
		}
	default:
		for i, sb := range st.sc.Subscriptions {
			if i == argMaxSubscriptions {
				return scope, true
			}
			scope[strings.ToLower(sb.ID)] = true
		}
	}
	return scope, false
}

// argTable returns the rows of a table of the estate (Resources or
// RecoveryServicesResources) in the subscriptions of scope, sorted by id;
// the caller holds s.mu.
func (st *azureState) argTable(name string, scope map[string]bool) ([]kqlRow, bool) {
	var rows []kqlRow
	switch {
	case strings.EqualFold(name, "Resources"):
		rows = st.resourcesRows()
	case strings.EqualFold(name, "RecoveryServicesResources"):
		var err error
		if rows, err = st.recoveryServicesRows(time.Now()); err != nil {
			return nil, true
		}
	default:
		return nil, false
	}
	kept := rows[:0]
	for _, r := range rows {
		if sub, _ := r["subscriptionId"].(string); scope[strings.ToLower(sub)] {
			kept = append(kept, r)
		}
	}
	rows = kept
	// Stable pages: sorted by id, as the paging guidance asks of queries.
	type keyed struct {
		id  string
		row kqlRow
	}
	ks := make([]keyed, len(rows))
	for i, r := range rows {
		ks[i] = keyed{r["id"].(string), r}
	}
	slices.SortFunc(ks, func(a, b keyed) int { return strings.Compare(a.id, b.id) })
	for i := range ks {
		rows[i] = ks[i].row
	}
	return rows, true
}

// resourcesRows are the rows of Resources: the resource groups' resources
// and Recovery Services vaults. The caller holds s.mu.
func (st *azureState) resourcesRows() []kqlRow {
	var rows []kqlRow
	row := func(sub, rg, typ, name, location string, tags map[string]string) kqlRow {
		t := map[string]any{}
		for k, v := range tags {
			t[k] = v
		}
		return kqlRow{
			"id": AzureResourceID(sub, rg, typ, name), "name": name, "type": strings.ToLower(typ),
			"location": firstNonEmpty(location, DefaultAzureLocation), "resourceGroup": strings.ToLower(rg),
			"subscriptionId": sub, "tags": t,
		}
	}
	for _, sb := range st.sc.Subscriptions {
		for _, g := range sb.ResourceGroups {
			for _, r := range g.Resources {
				rows = append(rows, row(sb.ID, g.Name, r.Type, r.Name, r.Location, r.Tags))
			}
			for _, v := range g.RecoveryServicesVaults {
				rows = append(rows, row(sb.ID, g.Name, "Microsoft.RecoveryServices/vaults", v.Name, v.Location, v.Tags))
			}
		}
	}
	return rows
}

// argRequest is the body of a query.
type argRequest struct {
	Subscriptions    []string `json:"subscriptions"`
	ManagementGroups []string `json:"managementGroups"`
	Query            *string  `json:"query"`
	Options          struct {
		SkipToken    string `json:"$skipToken"`
		Top          *int   `json:"$top"`
		Skip         *int   `json:"$skip"`
		ResultFormat string `json:"resultFormat"`
	} `json:"options"`
}

type argErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Line    *int   `json:"line,omitempty"`
	Pos     *int   `json:"characterPositionInLine,omitempty"`
	Token   string `json:"token,omitempty"`
}

// argError answers a Resource Graph error: code, a support message with a
// correlation ID, and the details.
func argError(w http.ResponseWriter, status int, code string, details ...argErrorDetail) {
	id := newUUID()
	w.Header().Set("x-ms-correlation-request-id", id)
	writeJSON(w, status, map[string]any{"error": map[string]any{
		"code": code,
		"message": "Please provide below info when asking for support: timestamp = " + time.Now().UTC().Format("2006-01-02T15:04:05.0000000Z") +
			", correlationId = " + id + ".",
		"details": details,
	}})
}

func argBadRequest(w http.ResponseWriter, code, msg string) {
	argError(w, http.StatusBadRequest, "BadRequest", argErrorDetail{Code: code, Message: msg})
}

// argFaultError answers injected faults as Resource Graph does; a 429
// says when the quota resets.
func argFaultError(w http.ResponseWriter, status int, title, detail string) {
	if status == http.StatusTooManyRequests {
		if w.Header().Get("x-ms-user-quota-remaining") == "" {
			w.Header().Set("x-ms-user-quota-remaining", "0")
			w.Header().Set("x-ms-user-quota-resets-after", "00:00:01")
		}
		argError(w, status, "RateLimiting", argErrorDetail{Code: "RateLimiting",
			Message: "Client application has been throttled and should not attempt to repeat the request until an amount of time has elapsed. " + detail})
		return
	}
	azureFaultError(w, status, title, detail)
}

// registerResourceGraph registers the Resource Graph query route.
func (s *Server) registerResourceGraph() {
	s.registerAPI(AzureResourceGraphAPI, argFaultError)
	s.handle(AzureResourceGraphAPI, "POST /providers/Microsoft.ResourceGraph/resources", s.argQuery)
	// ARM paths are case-insensitive.
	s.handle(AzureResourceGraphAPI, "POST /providers/microsoft.resourcegraph/resources", s.argQuery)
}

// argTimeSpan writes a wait as hh:mm:ss, rounded up to a second.
func argTimeSpan(d time.Duration) string {
	secs := int64(math.Ceil(d.Seconds()))
	return fmt.Sprintf("%02d:%02d:%02d", secs/3600, secs/60%60, secs%60)
}

// argSpend takes one query of the client's quota: what is left, when it
// resets, and whether the query may run.
func (s *Server) argSpend(st *azureState, client string) (left int, resets time.Duration, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cfg := st.sc.ResourceGraph
	quota := AzureResourceGraphQuota
	window := AzureResourceGraphQuotaWindow
	if cfg != nil {
		if cfg.Quota != 0 {
			quota = cfg.Quota
		}
		if cfg.QuotaWindow > 0 {
			window = time.Duration(cfg.QuotaWindow)
		}
	}
	if quota < 0 {
		return math.MaxInt32, window, true
	}
	now := time.Now()
	b := st.argQuota[client]
	if b == nil || now.Sub(b.start) >= window {
		b = &argBucket{start: now}
		st.argQuota[client] = b
	}
	resets = b.start.Add(window).Sub(now)
	if b.used >= quota {
		return 0, resets, false
	}
	b.used++
	return quota - b.used, resets, true
}

// argPageToken and argReadToken are a $skipToken: the offset, bound to
// the query and scope.
func argPageToken(binding string, offset int) string {
	return base64.StdEncoding.EncodeToString([]byte(`{"o":` + strconv.Itoa(offset) + `,"b":"` + binding + `"}`))
}

func argReadToken(tok, binding string) (int, bool) {
	raw, err := base64.StdEncoding.DecodeString(tok)
	if err != nil {
		return 0, false
	}
	var t struct {
		O int    `json:"o"`
		B string `json:"b"`
	}
	if json.Unmarshal(raw, &t) != nil || t.B != binding || t.O < 0 {
		return 0, false
	}
	return t.O, true
}

// argQuery answers a query.
func (s *Server) argQuery(w http.ResponseWriter, r *http.Request) {
	st := s.azureState()
	w.Header().Set("x-ms-request-id", newUUID())
	tok, ok := s.armBearer(w, r, st)
	if !ok {
		return
	}
	left, resets, ok := s.argSpend(st, clientKey(tok.tenant, tok.clientID))
	w.Header().Set("x-ms-user-quota-remaining", strconv.Itoa(min(left, math.MaxInt32)))
	w.Header().Set("x-ms-user-quota-resets-after", argTimeSpan(resets))
	if !ok {
		argError(w, http.StatusTooManyRequests, "RateLimiting", argErrorDetail{Code: "RateLimiting",
			Message: "Client application has been throttled and should not attempt to repeat the request until an amount of time has elapsed. Please see https://aka.ms/resourcegraph-throttling for help."})
		return
	}
	v := r.URL.Query().Get("api-version")
	switch {
	case v == "":
		armError(w, http.StatusBadRequest, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.")
		return
	case !slices.Contains(argAPIVersions, v):
		armError(w, http.StatusBadRequest, "NoRegisteredProviderFound", fmt.Sprintf(
			"No registered resource provider found for location 'global' and API version '%s' for type 'resources'. The supported api-versions are '%s'.", v, strings.Join(argAPIVersions, ", ")))
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, argMaxBody+1))
	if err != nil || len(body) > argMaxBody {
		argBadRequest(w, "InvalidRequestContent", "The request content could not be read or is too large.")
		return
	}
	var req argRequest
	if err := json.Unmarshal(body, &req); err != nil {
		argBadRequest(w, "InvalidRequestContent", "The request content was invalid and could not be deserialized: "+err.Error())
		return
	}
	switch {
	case req.Query == nil || strings.TrimSpace(*req.Query) == "":
		argBadRequest(w, "InvalidRequestContent", "The query is required.")
		return
	case len(req.ManagementGroups) > 0 && len(req.Subscriptions) > 0:
		argBadRequest(w, "InvalidRequestContent", "Either subscriptions or managementGroups may be given, not both.")
		return
	case req.Options.ResultFormat != "" && req.Options.ResultFormat != "objectArray":
		argBadRequest(w, "InvalidRequestContent", "Only resultFormat objectArray is simulated, not "+strconv.Quote(req.Options.ResultFormat)+".")
		return
	case req.Options.Top != nil && (*req.Options.Top < 1 || *req.Options.Top > AzureResourceGraphMaxPage):
		argBadRequest(w, "InvalidRequestContent", "$top must be between 1 and 1000.")
		return
	}
	q, err := kqlParse(*req.Query)
	if err != nil {
		ke, _ := err.(*kqlError)
		d := argErrorDetail{Code: "ParserFailure", Message: "ParserFailure"}
		if ke != nil {
			line, pos := ke.line, ke.col
			d.Line, d.Pos, d.Token = &line, &pos, ke.token
		}
		argError(w, http.StatusBadRequest, "BadRequest",
			argErrorDetail{Code: "InvalidQuery", Message: "Query is invalid. Please refer to the documentation for the Azure Resource Graph service and fix the error before retrying."}, d)
		return
	}

	subs := slices.Clone(req.Subscriptions)
	slices.Sort(subs)
	groups := slices.Clone(req.ManagementGroups)
	slices.Sort(groups)
	sum := sha256.Sum256([]byte(*req.Query + "\x00" + strings.ToLower(strings.Join(subs, ",")) + "\x00" + strings.ToLower(strings.Join(groups, ","))))
	binding := hex.EncodeToString(sum[:8])
	s.mu.Lock()
	pageSize := AzureResourceGraphMaxPage
	if cfg := st.sc.ResourceGraph; cfg != nil && cfg.PageSize > 0 {
		pageSize = cfg.PageSize
	}
	scope, limitHit := st.argScope(req.Subscriptions, req.ManagementGroups)
	rows, cached := st.argResults.get(binding, req.Options.SkipToken)
	if !cached {
		rows, err = q.run(kqlEnv{now: time.Now(), table: func(name string) ([]kqlRow, bool) { return st.argTable(name, scope) }})
		if err == nil {
			st.argResults.put(binding, rows)
		}
	}
	s.mu.Unlock()
	if limitHit {
		w.Header().Set("x-ms-tenant-subscription-limit-hit", "true")
	}
	var unknown kqlUnknownTable
	switch {
	case errors.As(err, &unknown):
		argError(w, http.StatusBadRequest, "BadRequest",
			argErrorDetail{Code: "InvalidQuery", Message: "Query is invalid. Please refer to the documentation for the Azure Resource Graph service and fix the error before retrying."},
			argErrorDetail{Code: "UnknownTable", Message: "The table '" + unknown.name + "' is not simulated."})
		return
	case err != nil:
		azureFaultError(w, http.StatusInternalServerError, "InternalServerError", err.Error())
		return
	}

	if req.Options.Top != nil {
		pageSize = min(pageSize, *req.Options.Top)
	}
	offset := 0
	if t := req.Options.SkipToken; t != "" {
		var ok bool
		if offset, ok = argReadToken(t, binding); !ok {
			argBadRequest(w, "InvalidSkipToken", "The $skipToken is invalid, or was issued for another query or scope.")
			return
		}
	} else if req.Options.Skip != nil && *req.Options.Skip > 0 {
		offset = *req.Options.Skip
	}
	offset = min(offset, len(rows))
	end := min(offset+pageSize, len(rows))
	data := rows[offset:end]
	if data == nil {
		data = []kqlRow{}
	}
	resp := map[string]any{
		"totalRecords": len(rows), "count": len(data), "resultTruncated": "false", "facets": []any{}, "data": data,
	}
	if end < len(rows) {
		resp["$skipToken"] = argPageToken(binding, end)
	}
	writeJSON(w, http.StatusOK, resp)
}

// argCacheSize is how many query results argCache keeps.
const argCacheSize = 16

// argCache keeps the results of the last queries by binding, for their
// next pages; a first page (no $skipToken) always evaluates the query
// again, so that a new query sees the estate as it is.
type argCache struct {
	order   []string
	results map[string][]kqlRow
}

func (c *argCache) get(binding, skipToken string) ([]kqlRow, bool) {
	if skipToken == "" {
		return nil, false
	}
	rows, ok := c.results[binding]
	return rows, ok
}

func (c *argCache) put(binding string, rows []kqlRow) {
	if c.results == nil {
		c.results = map[string][]kqlRow{}
	}
	if _, ok := c.results[binding]; !ok {
		c.order = append(c.order, binding)
		if len(c.order) > argCacheSize {
			delete(c.results, c.order[0])
			c.order = c.order[1:]
		}
	}
	c.results[binding] = rows
}
