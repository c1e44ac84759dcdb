package collector

import (
	"github.com/prometheus/client_golang/prometheus"
)

// identity are the labels of every per-resource series (docs/metrics.md).
var identity = []string{"provider", "target", "resource_id", "resource_name"}

// Family is a per-resource metric family: the identity labels, then its
// own. The shared families are declared in metrics.go; a provider
// declares those only it has (ANF's mirror state, say) and fills them
// through Resource.Extra.
type Family struct {
	Name   string
	Help   string
	Type   prometheus.ValueType
	Labels []string // after the identity labels
	desc   *prometheus.Desc

	// For rendering: every label name, their indices in name order, and
	// the HELP and TYPE lines.
	labelNames []string
	labelOrder []int
	header     *block

	// nonNegative: values below 0 are outside the family's domain (byte
	// counts); a value that is not finite is outside every family's.
	nonNegative bool
}

// NonNegative marks f's values as counts that cannot be negative (bytes),
// so that a negative value from upstream gives no sample; it returns f.
func (f *Family) NonNegative() *Family {
	f.nonNegative = true
	return f
}

// NewFamily declares a per-resource family with extra labels after the
// identity labels.
func NewFamily(name, help string, typ prometheus.ValueType, labels ...string) *Family {
	all := append(append([]string(nil), identity...), labels...)
	return &Family{
		Name: name, Help: help, Type: typ, Labels: labels, desc: prometheus.NewDesc(name, help, all, nil),
		labelNames: all, labelOrder: sortedOrder(all), header: newBlock(familyHeader(name, help, typ)),
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
