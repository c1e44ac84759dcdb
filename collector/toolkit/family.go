package toolkit

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Identity are the labels of every per-resource series, in this order
// (docs/metrics.md).
var Identity = []string{"provider", "target", "resource_id", "resource_name"}

// Family is one per-resource metric family, as kube-state-metrics'
// FamilyGenerator has it: its name, help, type and own labels (after the
// identity labels) beside the function that fills it from a resource
// record. The table of the shared families is Families; a provider
// declares the families only it has (ANF's mirror state) with NewFamily
// and fills them through Resource.Extra. The exposition, the catalog and
// docs/metrics.md are all made from these values.
type Family struct {
	Name   string
	Help   string
	Type   prometheus.ValueType
	Labels []string

	// Generate emits the family's samples of r: each value with the
	// values of the family's own labels. Nil for a provider's own family,
	// whose samples are r.Extra's of it.
	Generate func(r *Resource, emit func(v float64, labels ...string))
	// Unprotected families are generated for a resource with
	// backup_protected 0 too; the others only for protected resources.
	Unprotected bool

	// nonNegative: values below 0 are outside the family's domain (byte
	// counts); a value that is not finite is outside every family's.
	nonNegative bool
	// ownerLabels: the family's own labels are each resource's owner
	// labels (backup_resource_info), made by the target's Owners rather
	// than by Generate; only targets with Owners have its series.
	ownerLabels bool
}

// OwnerLabels reports whether f's labels after the identity labels are
// the target's owner labels of each resource (Owners.Labels), which vary
// from target to target and resource to resource.
func (f *Family) OwnerLabels() bool { return f.ownerLabels }

// NewFamily declares a provider's own per-resource family with labels
// after the identity labels; its samples are the resources' Extra.
func NewFamily(name, help string, typ prometheus.ValueType, labels ...string) *Family {
	return &Family{Name: name, Help: help, Type: typ, Labels: labels}
}

// NonNegative marks f's values as counts that cannot be negative (bytes),
// so that a negative value from upstream gives no sample; it returns f.
func (f *Family) NonNegative() *Family {
	f.nonNegative = true
	return f
}

// NonNegativeValues reports whether f's values are counts that cannot be
// negative.
func (f *Family) NonNegativeValues() bool { return f.nonNegative }

// LabelNames are every label of f's series: the identity labels, then its
// own.
func (f *Family) LabelNames() []string {
	return append(append([]string(nil), Identity...), f.Labels...)
}

// Emit passes f's samples of r to emit: Generate's, or for a provider's
// own family the samples of r.Extra that are f's.
func (f *Family) Emit(r *Resource, emit func(v float64, labels ...string)) {
	if f.Generate != nil {
		f.Generate(r, emit)
		return
	}
	for _, s := range r.Extra {
		if s.Family == f {
			emit(s.Value, s.Labels...)
		}
	}
}

// Sample is one series of a provider-declared family for one resource:
// its value and the values of the family's own labels.
type Sample struct {
	Family *Family
	Value  float64
	Labels []string
}

// Value returns the sample of a family without labels of its own; no
// sample when v is nil (the API gave no value).
func (f *Family) Value(v *float64) []Sample {
	if v == nil {
		return nil
	}
	return []Sample{{Family: f, Value: *v}}
}

// StateSet returns one sample per value, 1 for current and 0 for the
// others; none when current is "" (unknown to the API).
func (f *Family) StateSet(values []string, current string) []Sample {
	if current == "" {
		return nil
	}
	out := make([]Sample, len(values))
	for i, v := range values {
		out[i] = Sample{Family: f, Value: boolFloat(v == current), Labels: []string{v}}
	}
	return out
}

func boolFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
