package kubernetes

import (
	json "github.com/segmentio/encoding/json"
)

// Objects' metadata.labels. The JSON decoder gives a map it makes itself
// room for 64 entries (about 5 kB), however few the labels: a provider
// that keeps labels in its records (backup_resource_info) or reads them
// of thousands of objects decodes them into a map made here, which grows
// to their own size.

// Labels are metadata.labels that a record needs (Velero's exclusion
// label, Longhorn's recurring-job labels): decoded into a map of their
// own size, nil when there are none; malformed ones fail the decoding of
// their object, as any field a record needs.
type Labels map[string]string

// UnmarshalJSON implements json.Unmarshaler.
func (l *Labels) UnmarshalJSON(b []byte) error {
	m := map[string]string{}
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	if len(m) == 0 {
		m = nil
	}
	*l = m
	return nil
}

// OwnerLabels are metadata.labels read only for backup_resource_info
// (kept raw in the object, decoded when the target's resource_labels
// want them): a map of their own size; nil when there are none or they
// are not a map of strings (they are no field a record needs: the object
// is read without them).
func OwnerLabels(raw json.RawMessage) map[string]string {
	if len(raw) == 0 {
		return nil
	}
	m := map[string]string{}
	if json.Unmarshal(raw, &m) != nil || len(m) == 0 {
		return nil
	}
	return m
}
