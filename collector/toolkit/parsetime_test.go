package toolkit

import (
	"math/rand/v2"
	"testing"
	"time"
)

// parseTimeEveryLayout is ParseTime as it was: every layout tried in
// order, the first that reads s wins.
func parseTimeEveryLayout(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// parseTimeForms are timestamps of every shape timeShape tells apart and
// of none, well-formed and not.
var parseTimeForms = []string{
	"", "2026-11-24T01:00:00Z", "2026-11-24T01:00:00.123456789Z", "2026-11-24T01:00:00+01:00",
	"2026-11-24T01:00:00.5-07:30", "2026-11-24T01:00:00", "2026-11-24T01:00:00.209782",
	"2026-11-24T01:00:00,209782", "2026-11-24T01:00:00.12345678901234", "2026-11-24 01:00:00",
	"2026-11-24 01:00:00.5", "2026-11-24  01:00:00", "2026-11-24T01:00:00+0100", "2026-11-24T01:00:00.25-0700",
	"2026-11-24T01:00:00+9999", "2026-11-24T01:00:00+01", "2026-11-24T01:00:00Z0100", "2026-11-24 01:00:00Z",
	"2026-11-24 01:00:00+0100", "2026-11-24T1:00:00Z", "2026-11-24T1:00:00", "2026-11-24t01:00:00Z",
	"2026-11-24T01:00:00.", "2026-11-24T01:00:00.Z", "2026-11-24T01:00:00.5.5", "2026-11-24T25:00:00",
	"2026-13-24T01:00:00", "2026-02-30T01:00:00", "2026-11-24T01:00:60", "+026-11-24T01:00:00",
	"-026-11-24T01:00:00Z", "2026-11-24T01:00:00z", "2026-11-24T01:00:00 ", " 2026-11-24T01:00:00",
	"2026-11-24", "2026-11-24T01:00", "1700000000", "not a time", "2026-11-24T01:00:00+01:00 extra",
	"0000-01-01T00:00:00", "9999-12-31T23:59:59.999999999", "2026-11-24T01:00:00-0000", "2026-11-24T01:00:00+00:00",
	"2026-11-24T01:00:00+24:00", "2026-11-24T01:00:00+2400", "2026-11-24T01:00:00.1+0100x",
}

// TestParseTimeMatchesTryingEveryLayout: picking the layout by the
// string's shape reads every form, and every mutation of one (a byte
// changed, dropped or added), as trying every layout in order did.
func TestParseTimeMatchesTryingEveryLayout(t *testing.T) {
	check := func(s string) {
		t.Helper()
		if got, want := ParseTime(s), parseTimeEveryLayout(s); !got.Equal(want) || got.Location() != want.Location() {
			t.Errorf("ParseTime(%q) = %v, want %v", s, got, want)
		}
	}
	const alphabet = "0123456789-:T .,Z+zt"
	rng := rand.New(rand.NewPCG(21, 2))
	for _, s := range parseTimeForms {
		check(s)
		for range 300 {
			b := []byte(s)
			switch i := rng.IntN(len(b) + 1); {
			case len(b) == 0 || rng.IntN(3) == 0:
				b = append(b[:i:i], append([]byte{alphabet[rng.IntN(len(alphabet))]}, b[i:]...)...)
			case i < len(b) && rng.IntN(2) == 0:
				b = append(b[:i:i], b[i+1:]...)
			case i < len(b):
				b[i] = alphabet[rng.IntN(len(alphabet))]
			}
			check(string(b))
		}
	}
}

// FuzzParseTime: ParseTime reads any string as trying every layout did.
func FuzzParseTime(f *testing.F) {
	for _, s := range parseTimeForms {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := ParseTime(s), parseTimeEveryLayout(s); !got.Equal(want) || got.Location() != want.Location() {
			t.Errorf("ParseTime(%q) = %v, want %v", s, got, want)
		}
	})
}

// TestParseTimeAllocatesNothingOnKnownShapes: the forms upstreams use
// (CBR's zoneless times among them) are read without an allocation (a
// miss of time.Parse allocates its error).
func TestParseTimeAllocatesNothingOnKnownShapes(t *testing.T) {
	for _, s := range []string{"2026-11-24T01:00:00Z", "2026-11-24T01:00:00.209782", "2026-11-24 01:00:00", "2026-11-24T01:00:00+0100"} {
		if n := testing.AllocsPerRun(100, func() { ParseTime(s) }); n != 0 {
			t.Errorf("ParseTime(%q): %v allocations", s, n)
		}
	}
}

func BenchmarkParseTimeZoneless(b *testing.B) {
	for range b.N {
		ParseTime("2026-11-24T01:00:00.209782")
	}
}

// BenchmarkParseTimeEveryLayoutZoneless is the former way, to compare.
func BenchmarkParseTimeEveryLayoutZoneless(b *testing.B) {
	for range b.N {
		parseTimeEveryLayout("2026-11-24T01:00:00.209782")
	}
}
