package simulator

// Secrets are never served: every request for core/v1 secrets (list or
// get, in a namespace or across all) is refused with the API server's
// 403 and counted in Stats.Secrets, whatever the account may read, so
// that a test can assert that an exporter asked for none. The Velero,
// CloudNativePG and Longhorn objects served name Secrets (a storage
// location's credential, a target's credentialSecret); following such a
// name would be a bug.

import "net/http"

func (s *Server) registerK8sSecrets() {
	for _, p := range []string{
		"GET /api/v1/secrets",
		"GET /api/v1/secrets/{name}",
		"GET /api/v1/namespaces/{namespace}/secrets",
		"GET /api/v1/namespaces/{namespace}/secrets/{name}",
	} {
		refuse := s.k8sAuth(func(w http.ResponseWriter, r *http.Request, _ *KubernetesServiceAccount, user string) {
			verb := "list"
			if r.PathValue("name") != "" {
				verb = "get"
			}
			k8sForbidden(w, user, verb, "", "secrets", r.PathValue("namespace"), r.PathValue("name"))
		})
		s.handle(KubernetesAPI, p, func(w http.ResponseWriter, r *http.Request) {
			// Counted whoever asks (a request without a token is 401).
			s.mu.Lock()
			s.stats.Secrets++
			s.mu.Unlock()
			refuse(w, r)
		})
	}
}
