package simulator

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
)

// registerSim registers the /_sim/ control endpoints.
func (s *Server) registerSim() {
	s.mux.HandleFunc("GET /_sim/stats", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.Stats())
	})
	s.mux.HandleFunc("DELETE /_sim/stats", func(w http.ResponseWriter, r *http.Request) {
		s.ResetStats()
		w.WriteHeader(http.StatusNoContent)
	})
	s.mux.HandleFunc("GET /_sim/faults", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		out := make([]Fault, 0, len(s.faults))
		for _, af := range s.faults {
			f := af.Fault
			if f.Times > 0 {
				f.Times = af.left
			}
			out = append(out, f)
		}
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, out)
	})
	s.mux.HandleFunc("POST /_sim/faults", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var faults []Fault
		if t := strings.TrimSpace(string(body)); strings.HasPrefix(t, "[") {
			err = strictJSON(body, &faults)
		} else {
			var f Fault
			err = strictJSON(body, &f)
			faults = []Fault{f}
		}
		if err != nil {
			http.Error(w, "fault: "+err.Error(), http.StatusBadRequest)
			return
		}
		for _, f := range faults {
			if _, err := compileFault(f); err != nil {
				http.Error(w, "fault: "+err.Error(), http.StatusBadRequest)
				return
			}
		}
		for _, f := range faults {
			s.AddFault(f)
		}
		w.WriteHeader(http.StatusNoContent)
	})
	s.mux.HandleFunc("DELETE /_sim/faults", func(w http.ResponseWriter, r *http.Request) {
		s.ClearFaults()
		w.WriteHeader(http.StatusNoContent)
	})
}

func strictJSON(b []byte, v any) error {
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}
