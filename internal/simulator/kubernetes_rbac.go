package simulator

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

type k8sHandler func(w http.ResponseWriter, r *http.Request, sa *KubernetesServiceAccount, user string)

// k8sAuth finds the service account of the bearer token. sa is nil for
// system:anonymous.
func (s *Server) k8sAuth(h k8sHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		token := ""
		if f := strings.Fields(r.Header.Get("Authorization")); len(f) == 2 && strings.EqualFold(f[0], "bearer") {
			token = f[1]
		}
		s.mu.Lock()
		var sa *KubernetesServiceAccount
		for _, a := range s.k8s.sc.ServiceAccounts {
			if token != "" && a.Token == token {
				sa = &a
			}
		}
		anonymous := s.k8s.sc.AnonymousAuth
		s.mu.Unlock()
		switch {
		case sa != nil:
			h(w, r, sa, "system:serviceaccount:"+sa.Namespace+":"+sa.Name)
		case token == "" && anonymous:
			h(w, r, nil, k8sAnonymous)
		default:
			k8sUnauthorized(w)
		}
	}
}

// allows reports whether sa may use verb on resource of group in ns (""
// is the cluster scope).
func (sa *KubernetesServiceAccount) allows(verb, group, resource, ns string) bool {
	if sa == nil {
		return false
	}
	if !slices.Contains(sa.Verbs, "*") && !slices.Contains(sa.Verbs, verb) {
		return false
	}
	if sa.APIGroups != nil && !slices.Contains(sa.APIGroups, "*") && !slices.Contains(sa.APIGroups, group) {
		return false
	}
	if !slices.Contains(sa.Resources, "*") && !slices.Contains(sa.Resources, resource) {
		return false
	}
	return len(sa.Namespaces) == 0 || (ns != "" && slices.Contains(sa.Namespaces, ns))
}

// nonResource refuses system:anonymous on discovery paths.
func nonResource(h http.HandlerFunc) k8sHandler {
	return func(w http.ResponseWriter, r *http.Request, sa *KubernetesServiceAccount, user string) {
		if sa == nil {
			k8sStatus(w, http.StatusForbidden, "Forbidden",
				fmt.Sprintf("forbidden: User %q cannot get path %q", user, r.URL.Path), &k8sStatusDetails{})
			return
		}
		h(w, r)
	}
}
