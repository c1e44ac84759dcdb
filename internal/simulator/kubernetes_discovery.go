package simulator

import (
	"net/http"
	"strings"
)

func (s *Server) k8sVersion(w http.ResponseWriter, r *http.Request, _ *KubernetesServiceAccount, _ string) {
	s.mu.Lock()
	v := firstNonEmpty(s.k8s.sc.Version, KubernetesDefaultVersion)
	s.mu.Unlock()
	major, minor := "1", ""
	if parts := strings.SplitN(strings.TrimPrefix(v, "v"), ".", 3); len(parts) >= 2 {
		major, minor = parts[0], parts[1]
	}
	writeJSON(w, http.StatusOK, map[string]string{
		"major": major, "minor": minor, "gitVersion": v,
		"gitCommit": "0000000000000000000000000000000000000000", "gitTreeState": "clean",
		"buildDate": "2026-01-01T00:00:00Z", "goVersion": "go1.23.0", "compiler": "gc", "platform": "linux/amd64",
	})
}

func (s *Server) k8sDiscoveryAPI(w http.ResponseWriter, r *http.Request, sa *KubernetesServiceAccount, user string) {
	nonResource(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{
			"kind": "APIVersions", "versions": []string{"v1"},
			"serverAddressByClientCIDRs": []map[string]string{{"clientCIDR": "0.0.0.0/0", "serverAddress": strings.TrimPrefix(s.url, "https://")}},
		})
	})(w, r, sa, user)
}

// k8sGroupJSON is the APIGroup of a group: the versions installed, in
// the order the sets are registered, the first preferred; nil when none
// is.
func (s *Server) k8sGroupJSON(group string) map[string]any {
	var versions []any
	for _, set := range k8sCRDSets {
		if set.group == group && s.k8sInstalled(set) {
			versions = append(versions, map[string]string{"groupVersion": set.apiVersion(), "version": set.version})
		}
	}
	if len(versions) == 0 {
		return nil
	}
	return map[string]any{"name": group, "versions": versions, "preferredVersion": versions[0]}
}

func (s *Server) k8sDiscoveryGroups(w http.ResponseWriter, r *http.Request, sa *KubernetesServiceAccount, user string) {
	nonResource(func(w http.ResponseWriter, r *http.Request) {
		groups := []any{}
		for i, set := range k8sCRDSets {
			if i == 0 || k8sCRDSets[i-1].group != set.group {
				if g := s.k8sGroupJSON(set.group); g != nil {
					groups = append(groups, g)
				}
			}
		}
		writeJSON(w, http.StatusOK, map[string]any{"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
	})(w, r, sa, user)
}

func (s *Server) k8sDiscoveryGroup(group string) k8sHandler {
	return nonResource(func(w http.ResponseWriter, r *http.Request) {
		g := s.k8sGroupJSON(group)
		if g == nil {
			http.NotFound(w, r)
			return
		}
		g["kind"], g["apiVersion"] = "APIGroup", "v1"
		writeJSON(w, http.StatusOK, g)
	})
}

func (s *Server) k8sDiscoveryResources(set *k8sCRDSet) k8sHandler {
	return nonResource(func(w http.ResponseWriter, r *http.Request) {
		if !s.k8sInstalled(set) {
			http.NotFound(w, r)
			return
		}
		verbs := []string{"delete", "deletecollection", "get", "list", "patch", "create", "update", "watch"}
		if set == k8sCore {
			verbs = []string{"create", "delete", "get", "list", "patch", "update", "watch"} // namespaces
		}
		var res []any
		for _, rt := range set.resources {
			res = append(res,
				map[string]any{"name": rt.plural, "singularName": strings.ToLower(rt.kind), "namespaced": rt.namespaced, "kind": rt.kind, "verbs": verbs},
				map[string]any{"name": rt.plural + "/status", "singularName": "", "namespaced": rt.namespaced, "kind": rt.kind, "verbs": []string{"get", "patch", "update"}})
		}
		writeJSON(w, http.StatusOK, map[string]any{"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": set.apiVersion(), "resources": res})
	})
}
