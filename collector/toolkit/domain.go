package toolkit

import "math"

// Values from upstream are untrusted: a progress of 250 %, a negative
// size or a "NaN" that an API sent as a string would be exposed as they
// are. dropOutOfDomain removes them before a poll is rendered, as for a
// value the API did not give (no sample), and says which field it was.

// DropOutOfDomain clears the values of r outside their domain: ratios
// outside [0, 1], byte counts that are negative, and any value that is not
// finite; dropped is told of each, by field name. The orchestrator runs it
// on every record before rendering.
func DropOutOfDomain(r *Resource, dropped func(field string, v float64)) {
	if b := r.Latest; b != nil {
		check := func(field string, p **float64, ok func(float64) bool) {
			if *p != nil && !ok(**p) {
				dropped(field, **p)
				*p = nil
			}
		}
		check("progress", &b.Progress, isRatio)
		check("transferred bytes", &b.Transferred, isByteCount)
		check("size bytes", &b.Size, isByteCount)
	}
	kept := r.Extra[:0]
	for _, s := range r.Extra {
		ok := isFinite(s.Value) && (!s.Family.nonNegative || s.Value >= 0)
		if !ok {
			dropped(s.Family.Name, s.Value)
			continue
		}
		kept = append(kept, s)
	}
	r.Extra = kept
}

func isFinite(v float64) bool    { return !math.IsNaN(v) && !math.IsInf(v, 0) }
func isRatio(v float64) bool     { return v >= 0 && v <= 1 }
func isByteCount(v float64) bool { return v >= 0 && !math.IsInf(v, 0) }
