package simulator

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Scalar expressions and the tabular operators of the Resource Graph
// queries of Azure Backup's Resource Graph mode, evaluated over rows
// (column name to value: string, float64, bool, time.Time, map[string]any,
// []any or nil). Semantics from the KQL reference on Microsoft Learn:
//
//   - "String operators": ==, != are case-sensitive; =~, !~, in~, !in~,
//     contains, !contains, endswith, !endswith, startswith are not.
//   - "Dynamic data type": properties.a.b reads a property bag (names
//     case-sensitive); a missing property is null.
//   - "todatetime()" is null for a value that is not a datetime; "ago()"
//     is now minus a timespan; "tostring()" of null is ""; "tolower()";
//     "isempty()" is true for null and "".
//   - Comparisons with null are false; `and`, `or`, `not()`.
//   - "where", "extend", "project" (with name = expression), "order by"
//     (asc or desc; nulls first ascending), "join kind=leftouter" (every
//     left row; the matching right rows' columns, or nulls; a right column
//     whose name the left has is renamed with the suffix 1).

// kqlExpr is a scalar expression.
type kqlExpr interface {
	eval(row map[string]any, now time.Time) any
}

// kqlCol reads a column, then properties of it (properties.startTime).
type kqlCol struct{ path []string }

func (c kqlCol) eval(row map[string]any, _ time.Time) any {
	var v any = row[c.path[0]]
	for _, p := range c.path[1:] {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

// kqlLit is a literal: a string, a number, a bool or a timespan
// (time.Duration).
type kqlLit struct{ v any }

func (l kqlLit) eval(map[string]any, time.Time) any { return l.v }

// kqlCall is a function call.
type kqlCall struct {
	fn   string // lower case
	args []kqlExpr
}

func (c kqlCall) eval(row map[string]any, now time.Time) any {
	var a any
	if len(c.args) > 0 {
		a = c.args[0].eval(row, now)
	}
	switch c.fn {
	case "todatetime":
		return kqlDatetime(a)
	case "tostring":
		return kqlToString(a)
	case "tolower":
		return strings.ToLower(kqlToString(a))
	case "toupper":
		return strings.ToUpper(kqlToString(a))
	case "isempty":
		return a == nil || a == ""
	case "isnotempty":
		return !(a == nil || a == "")
	case "ago":
		if d, ok := a.(time.Duration); ok {
			return now.Add(-d)
		}
		return nil
	case "now":
		return now
	case "not":
		b, ok := a.(bool)
		return ok && !b
	}
	return nil
}

// kqlBin is a binary operator: and, or, comparisons and string operators.
type kqlBin struct {
	op   string // as written, lower case for words
	l, r kqlExpr
}

func (b kqlBin) eval(row map[string]any, now time.Time) any {
	switch b.op {
	case "and":
		l, _ := b.l.eval(row, now).(bool)
		if !l {
			return false
		}
		r, _ := b.r.eval(row, now).(bool)
		return r
	case "or":
		if l, _ := b.l.eval(row, now).(bool); l {
			return true
		}
		r, _ := b.r.eval(row, now).(bool)
		return r
	}
	l, r := b.l.eval(row, now), b.r.eval(row, now)
	negate := strings.HasPrefix(b.op, "!") && b.op != "!="
	op := strings.TrimPrefix(b.op, "!")
	switch op {
	case "contains", "endswith", "startswith", "~":
		ls, rs := strings.ToLower(kqlToString(l)), strings.ToLower(kqlToString(r))
		var hit bool
		switch op {
		case "contains":
			hit = strings.Contains(ls, rs)
		case "endswith":
			hit = strings.HasSuffix(ls, rs)
		case "startswith":
			hit = strings.HasPrefix(ls, rs)
		case "~":
			hit = l != nil && r != nil && ls == rs
		}
		return hit != negate
	case "=~":
		return l != nil && r != nil && strings.EqualFold(kqlToString(l), kqlToString(r))
	}
	c, ok := kqlCompare(l, r)
	if !ok {
		return b.op == "!=" && (l == nil) != (r == nil)
	}
	switch b.op {
	case "==":
		return c == 0
	case "!=":
		return c != 0
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	case ">=":
		return c >= 0
	}
	return nil
}

// kqlIn is `x in (...)`, in~, !in, !in~: a set lookup (the owners' tag
// look-ups send a hundred IDs against every row).
type kqlIn struct {
	x            kqlExpr
	set          map[string]bool // the values, in lower case under fold
	fold, negate bool
}

func newKQLIn(x kqlExpr, values []string, fold, negate bool) kqlIn {
	set := make(map[string]bool, len(values))
	for _, v := range values {
		if fold {
			v = strings.ToLower(v)
		}
		set[v] = true
	}
	return kqlIn{x: x, set: set, fold: fold, negate: negate}
}

func (in kqlIn) eval(row map[string]any, now time.Time) any {
	v := in.x.eval(row, now)
	if v == nil {
		return in.negate
	}
	s := kqlToString(v)
	if in.fold {
		s = strings.ToLower(s)
	}
	return in.set[s] != in.negate
}

// kqlCompare orders two values of one kind: strings, numbers, datetimes,
// bools; ok false for nulls and for values of two kinds.
func kqlCompare(a, b any) (int, bool) {
	switch x := a.(type) {
	case string:
		if y, ok := b.(string); ok {
			return strings.Compare(x, y), true
		}
	case float64:
		if y, ok := b.(float64); ok {
			return cmp.Compare(x, y), true
		}
	case time.Time:
		if y, ok := b.(time.Time); ok {
			return x.Compare(y), true
		}
	case bool:
		if y, ok := b.(bool); ok && x == y {
			return 0, true
		} else if ok {
			return map[bool]int{true: 1, false: -1}[x], true
		}
	}
	return 0, false
}

// kqlToString is tostring(): a string as it is, null as "", a number,
// bool or datetime in KQL's text, a property bag or array as JSON-ish text.
func kqlToString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case time.Time:
		return x.UTC().Format("2006-01-02T15:04:05.0000000Z")
	}
	return fmt.Sprint(v)
}

// kqlDatetime is todatetime(): a datetime, or a string in ISO 8601 (with
// or without a zone, read as UTC without), else null.
func kqlDatetime(v any) any {
	switch x := v.(type) {
	case time.Time:
		return x
	case string:
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.9999999", "2006-01-02 15:04:05", "2006-01-02"} {
			if t, err := time.Parse(layout, x); err == nil {
				return t
			}
		}
	}
	return nil
}

// kqlReadTimespan reads a timespan literal: a number and a unit d, h, m, s,
// ms (2d, 36h, 1.5h).
func kqlReadTimespan(s string) (time.Duration, bool) {
	units := []struct {
		suffix string
		d      time.Duration
	}{{"ms", time.Millisecond}, {"d", 24 * time.Hour}, {"h", time.Hour}, {"m", time.Minute}, {"s", time.Second}}
	for _, u := range units {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			f, err := strconv.ParseFloat(n, 64)
			if err != nil || f < 0 {
				return 0, false
			}
			return time.Duration(f * float64(u.d)), true
		}
	}
	return 0, false
}

// Tabular operators, each a function of rows.

// kqlWhere keeps the rows for which cond is true.
func kqlWhere(rows []map[string]any, cond kqlExpr, now time.Time) []map[string]any {
	var out []map[string]any
	for _, row := range rows {
		if b, _ := cond.eval(row, now).(bool); b {
			out = append(out, row)
		}
	}
	return out
}

// kqlNamed is a column and the expression that fills it.
type kqlNamed struct {
	name string
	expr kqlExpr
}

// kqlExtendRows adds (or replaces) columns.
func kqlExtendRows(rows []map[string]any, cols []kqlNamed, now time.Time) []map[string]any {
	out := make([]map[string]any, len(rows))
	for i, row := range rows {
		o := make(map[string]any, len(row)+len(cols))
		for k, v := range row {
			o[k] = v
		}
		for _, c := range cols {
			o[c.name] = c.expr.eval(row, now)
		}
		out[i] = o
	}
	return out
}

// kqlProjectRows keeps the columns named, each filled by its expression.
func kqlProjectRows(rows []map[string]any, cols []kqlNamed, now time.Time) []map[string]any {
	out := make([]map[string]any, len(rows))
	for i, row := range rows {
		o := make(map[string]any, len(cols))
		for _, c := range cols {
			o[c.name] = c.expr.eval(row, now)
		}
		out[i] = o
	}
	return out
}

// kqlOrderRows sorts by a column, stably; nulls first ascending (last
// descending), values of two kinds by their text.
func kqlOrderRows(rows []map[string]any, column string, desc bool) []map[string]any {
	out := slices.Clone(rows)
	slices.SortStableFunc(out, func(a, b map[string]any) int {
		x, y := a[column], b[column]
		var c int
		switch {
		case x == nil && y == nil:
		case x == nil:
			c = -1
		case y == nil:
			c = 1
		default:
			var ok bool
			if c, ok = kqlCompare(x, y); !ok {
				c = strings.Compare(kqlToString(x), kqlToString(y))
			}
		}
		if desc {
			return -c
		}
		return c
	})
	return out
}

// kqlLeftOuterJoin joins left and right on the column key (equal
// values): every left row once per matching right row, with the right
// row's columns (a name the left has gets the suffix 1), or once with the
// right's columns null when none matches. rightColumns are the right
// side's columns (known from its projection even when it has no rows).
func kqlLeftOuterJoin(left, right []map[string]any, key string, rightColumns []string) []map[string]any {
	byKey := map[string][]map[string]any{}
	for _, r := range right {
		if v := r[key]; v != nil {
			k := kqlToString(v)
			byKey[k] = append(byKey[k], r)
		}
	}
	leftHas := map[string]bool{}
	for _, l := range left {
		for k := range l {
			leftHas[k] = true
		}
	}
	name := func(c string) string {
		if leftHas[c] {
			return c + "1"
		}
		return c
	}
	var out []map[string]any
	for _, l := range left {
		var matches []map[string]any
		if v := l[key]; v != nil {
			matches = byKey[kqlToString(v)]
		}
		if len(matches) == 0 {
			// The right's columns, null.
			nulls := make(map[string]any, len(rightColumns))
			for _, c := range rightColumns {
				nulls[c] = nil
			}
			matches = []map[string]any{nulls}
		}
		for _, r := range matches {
			o := maps.Clone(l)
			for k, v := range r {
				o[name(k)] = v
			}
			out = append(out, o)
		}
	}
	return out
}
