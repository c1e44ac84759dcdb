package collector

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// TestLabelValuesBounded: upstream strings become valid UTF-8 label
// values of at most the documented bound, the cut marked.
func TestLabelValuesBounded(t *testing.T) {
	long := strings.Repeat("é", 10<<10)
	for _, tc := range []struct {
		in    string
		limit int
		want  string
	}{
		{"daily-1", labelLimit, "daily-1"},
		{strings.Repeat("a", 256), labelLimit, strings.Repeat("a", 256)},
		{strings.Repeat("a", 257), labelLimit, strings.Repeat("a", 255) + "…"},
		{long, labelLimit, strings.Repeat("é", 255) + "…"},
		{"bad \xff\xfe bytes", labelLimit, "bad \uFFFD bytes"},
	} {
		got := labelValue(tc.in, tc.limit)
		if got != tc.want || !utf8.ValidString(got) || utf8.RuneCountInString(got) > tc.limit {
			t.Errorf("labelValue(%.20q…) = %.40q (%d runes), want %.40q", tc.in, got, utf8.RuneCountInString(got), tc.want)
		}
	}
}
