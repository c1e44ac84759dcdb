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
// is the cluster scope): its own grant or one of its Grants.
func (sa *KubernetesServiceAccount) allows(verb, group, resource, ns string) bool {
	if sa == nil {
		return false
	}
	own := KubernetesGrant{Resources: sa.Resources, Verbs: sa.Verbs, APIGroups: sa.APIGroups, Namespaces: sa.Namespaces}
	if own.allows(verb, group, resource, ns) {
		return true
	}
	for i := range sa.Grants {
		if sa.Grants[i].allows(verb, group, resource, ns) {
			return true
		}
	}
	return false
}

func (g *KubernetesGrant) allows(verb, group, resource, ns string) bool {
	if !slices.Contains(g.Verbs, "*") && !slices.Contains(g.Verbs, verb) {
		return false
	}
	if g.APIGroups != nil && !slices.Contains(g.APIGroups, "*") && !slices.Contains(g.APIGroups, group) {
		return false
	}
	if !slices.Contains(g.Resources, "*") && !slices.Contains(g.Resources, resource) {
		return false
	}
	return len(g.Namespaces) == 0 || (ns != "" && slices.Contains(g.Namespaces, ns))
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
