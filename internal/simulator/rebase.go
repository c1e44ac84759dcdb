package simulator

import (
	"reflect"
	"strings"
	"time"
)

// timeLayouts are the forms of the scenarios' timestamps: RFC 3339 (Astra,
// Azure) and CBR's zone-less microseconds.
var timeLayouts = []string{time.RFC3339Nano, HuaweiTimeFormat, "2006-01-02T15:04:05"}

// Rebase moves every timestamp of the scenario by d, keeping each one's
// format, so that a scenario written at one time serves the same ages
// ("last backup 26 hours ago") whenever it is loaded. Timestamps are the
// string fields whose YAML key ends in _at, _date, _time or _timestamp.
func (sc *Scenario) Rebase(d time.Duration) {
	rebase(reflect.ValueOf(sc).Elem(), d)
}

func rebase(v reflect.Value, d time.Duration) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			rebase(v.Elem(), d)
		}
	case reflect.Slice:
		for i := range v.Len() {
			rebase(v.Index(i), d)
		}
	case reflect.Map:
		// Only values held through a pointer can be changed in place
		// (KubernetesCRDs).
		if v.Type().Elem().Kind() != reflect.Interface {
			return
		}
		for it := v.MapRange(); it.Next(); {
			if e := it.Value().Elem(); e.Kind() == reflect.Pointer {
				rebase(e, d)
			}
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f := v.Field(i)
			if !t.Field(i).IsExported() {
				continue
			}
			key, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
			if isTimeKey(key) {
				shiftString(f, d)
				continue
			}
			rebase(f, d)
		}
	}
}

func isTimeKey(key string) bool {
	for _, suffix := range []string{"_at", "_date", "_time", "_timestamp"} {
		if strings.HasSuffix(key, suffix) {
			return true
		}
	}
	return false
}

// shiftString moves the timestamp held by a string or *string field.
func shiftString(f reflect.Value, d time.Duration) {
	if f.Kind() == reflect.Pointer {
		if f.IsNil() {
			return
		}
		f = f.Elem()
	}
	if f.Kind() != reflect.String || f.String() == "" {
		return
	}
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, f.String()); err == nil {
			f.SetString(t.Add(d).Format(layout))
			return
		}
	}
}
