package simulator

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// The 410 texts of the API server (etcd3/errors.go).
const (
	k8sListExpired          = "The resourceVersion for the provided list is too old."
	k8sContinueExpired      = "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter."
	k8sInconsistentContinue = "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list."
)

// k8sStatusJSON is a metav1.Status.
type k8sStatusJSON struct {
	Kind       string            `json:"kind"`
	APIVersion string            `json:"apiVersion"`
	Metadata   k8sListMetaJSON   `json:"metadata"`
	Status     string            `json:"status"`
	Message    string            `json:"message,omitempty"`
	Reason     string            `json:"reason,omitempty"`
	Details    *k8sStatusDetails `json:"details,omitempty"`
	Code       int               `json:"code"`
}

type k8sStatusDetails struct {
	Name              string           `json:"name,omitempty"`
	Group             string           `json:"group,omitempty"`
	Kind              string           `json:"kind,omitempty"`
	Causes            []k8sStatusCause `json:"causes,omitempty"`
	RetryAfterSeconds int              `json:"retryAfterSeconds,omitempty"`
}

type k8sStatusCause struct {
	Message string `json:"message,omitempty"`
}

func k8sStatus(w http.ResponseWriter, code int, reason, message string, details *k8sStatusDetails) {
	writeJSON(w, code, k8sStatusJSON{
		Kind: "Status", APIVersion: "v1", Status: "Failure",
		Message: message, Reason: reason, Details: details, Code: code,
	})
}

func k8sUnauthorized(w http.ResponseWriter) {
	k8sStatus(w, http.StatusUnauthorized, "Unauthorized", "Unauthorized", nil)
}

func k8sBadRequest(w http.ResponseWriter, msg string) {
	k8sStatus(w, http.StatusBadRequest, "BadRequest", msg, nil)
}

// k8sNotFoundPath answers a path the API server's go-restful routes do not
// know (serviceErrorHandler: NewGenericServerResponse(404)).
func k8sNotFoundPath(w http.ResponseWriter) {
	k8sStatus(w, http.StatusNotFound, "NotFound", "the server could not find the requested resource", &k8sStatusDetails{})
}

// k8sForbidden answers NewForbidden with forbiddenMessage's text; ns ""
// is the cluster scope, group "" the core group; resource may name a
// subresource ("backups/status"), which only the message says.
func k8sForbidden(w http.ResponseWriter, user, verb, group, resource, ns, name string) {
	scope := "at the cluster scope"
	if ns != "" {
		scope = fmt.Sprintf("in the namespace %q", ns)
	}
	why := fmt.Sprintf("User %q cannot %s resource %q in API group %q %s", user, verb, resource, group, scope)
	resource, _, _ = strings.Cut(resource, "/")
	msg := k8sGroupResource(group, resource) + " is forbidden: " + why
	if name != "" {
		msg = fmt.Sprintf("%s %q is forbidden: %s", k8sGroupResource(group, resource), name, why)
	}
	k8sStatus(w, http.StatusForbidden, "Forbidden", msg, &k8sStatusDetails{Name: name, Group: group, Kind: resource})
}

// k8sObjectNotFound answers NewNotFound for a missing object.
func k8sObjectNotFound(w http.ResponseWriter, group, resource, name string) {
	k8sStatus(w, http.StatusNotFound, "NotFound", fmt.Sprintf("%s %q not found", k8sGroupResource(group, resource), name),
		&k8sStatusDetails{Name: name, Group: group, Kind: resource})
}

// k8sGroupResource is schema.GroupResource's String: "backups.velero.io",
// or "namespaces" in the core group.
func k8sGroupResource(group, resource string) string {
	if group == "" {
		return resource
	}
	return resource + "." + group
}

// k8sFaultError answers injected faults with a Status of the reason the
// API server gives the code.
func k8sFaultError(w http.ResponseWriter, status int, title, detail string) {
	switch status {
	case http.StatusBadRequest:
		k8sBadRequest(w, detail)
	case http.StatusUnauthorized:
		k8sUnauthorized(w)
	case http.StatusForbidden:
		k8sStatus(w, status, "Forbidden", "forbidden: "+detail, &k8sStatusDetails{})
	case http.StatusNotFound:
		k8sNotFoundPath(w)
	case http.StatusConflict:
		k8sStatus(w, status, "Conflict", detail, nil)
	case http.StatusGone:
		k8sStatus(w, status, "Expired", k8sContinueExpired, nil)
	case http.StatusTooManyRequests:
		retry := 1
		if n, err := strconv.Atoi(w.Header().Get("Retry-After")); err == nil && n > 0 {
			retry = n
		} else {
			w.Header().Set("Retry-After", "1")
		}
		k8sStatus(w, status, "TooManyRequests", "Too many requests, please try again later.", &k8sStatusDetails{RetryAfterSeconds: retry})
	case http.StatusInternalServerError:
		k8sStatus(w, status, "InternalError", "Internal error occurred: "+detail, &k8sStatusDetails{Causes: []k8sStatusCause{{Message: detail}}})
	case http.StatusServiceUnavailable:
		k8sStatus(w, status, "ServiceUnavailable", detail, nil)
	case http.StatusGatewayTimeout:
		k8sStatus(w, status, "Timeout", "Timeout: "+detail, nil)
	default:
		k8sStatus(w, status, "", title+": "+detail, nil)
	}
}
