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

func k8sGroupJSON() map[string]any {
	gv := map[string]string{"groupVersion": TridentProtectAPIVersion, "version": TridentProtectVersion}
	return map[string]any{"name": TridentProtectGroup, "versions": []any{gv}, "preferredVersion": gv}
}

func (s *Server) k8sDiscoveryGroups(w http.ResponseWriter, r *http.Request, sa *KubernetesServiceAccount, user string) {
	nonResource(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"kind": "APIGroupList", "apiVersion": "v1", "groups": []any{k8sGroupJSON()}})
	})(w, r, sa, user)
}

func (s *Server) k8sDiscoveryGroup(w http.ResponseWriter, r *http.Request, sa *KubernetesServiceAccount, user string) {
	nonResource(func(w http.ResponseWriter, r *http.Request) {
		g := k8sGroupJSON()
		g["kind"], g["apiVersion"] = "APIGroup", "v1"
		writeJSON(w, http.StatusOK, g)
	})(w, r, sa, user)
}

func (s *Server) k8sDiscoveryResources(w http.ResponseWriter, r *http.Request, sa *KubernetesServiceAccount, user string) {
	nonResource(func(w http.ResponseWriter, r *http.Request) {
		verbs := []string{"delete", "deletecollection", "get", "list", "patch", "create", "update", "watch"}
		var res []any
		for _, name := range k8sResources {
			kind := k8sKinds[name]
			res = append(res,
				map[string]any{"name": name, "singularName": strings.ToLower(kind), "namespaced": true, "kind": kind, "verbs": verbs},
				map[string]any{"name": name + "/status", "singularName": "", "namespaced": true, "kind": kind, "verbs": []string{"get", "patch", "update"}})
		}
		writeJSON(w, http.StatusOK, map[string]any{"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": TridentProtectAPIVersion, "resources": res})
	})(w, r, sa, user)
}
