package astra

import (
	"bytes"
	"fmt"
	"strconv"

	json "github.com/segmentio/encoding/json"
)

// number is an optional JSON number that an API may also send as a
// string (Astra documents percentDone as a number "set to "100""). null,
// absent and "" leave it nil: no sample.
type number struct{ v *float64 }

// UnmarshalJSON implements json.Unmarshaler.
func (n *number) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		n.v = nil
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		if s == "" {
			n.v = nil
			return nil
		}
		b = []byte(s)
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return fmt.Errorf("not a number: %s", b)
	}
	n.v = &f
	return nil
}
