package astra

import (
	"encoding/json"
	"reflect"
	"testing"
)

// TestPositionalItemsFollowTheIncludeLists: an item sent as an array of
// the included fields decodes as the same item sent as an object, for
// every field: the include lists and the fields' order agree.
func TestPositionalItemsFollowTheIncludeLists(t *testing.T) {
	obj := `{"id":"b1","name":"daily","state":"failed","stateUnready":["x"],"hookState":"failed",
		"hookStateDetails":[{"type":"t","title":"T","detail":"D"}],"backupCreationTimestamp":"2026-11-24T01:30:00Z",
		"totalBytes":"100","bytesDone":50,"percentDone":"50","metadata":{"creationTimestamp":"2026-11-24T01:00:00Z"}}`
	check := func(t *testing.T, include []string, object string, item any, fresh func() any) {
		t.Helper()
		var m map[string]json.RawMessage
		if err := json.Unmarshal([]byte(object), &m); err != nil {
			t.Fatal(err)
		}
		values := make([]json.RawMessage, len(include))
		for i, name := range include {
			v, ok := m[name]
			if !ok {
				t.Fatalf("the test object has no %s", name)
			}
			values[i] = v
		}
		array, _ := json.Marshal(values)
		if err := json.Unmarshal([]byte(object), item); err != nil {
			t.Fatal(err)
		}
		positional := fresh()
		if err := json.Unmarshal(array, positional); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(item, positional) {
			t.Errorf("as an object %+v, as an array %+v", item, positional)
		}
	}
	check(t, astraBackupFields, obj, &astraBackup{}, func() any { return &astraBackup{} })
	check(t, astraAppFields, `{"id":"a1","name":"shop","metadata":{"labels":[{"name":"team","value":"payments"}],"createdBy":"x"}}`, &astraApp{}, func() any { return &astraApp{} })
	check(t, astraAppFields[:2], `{"id":"a1","name":"shop"}`, &astraApp{}, func() any { return &astraApp{} })
	var b astraBackup
	if err := json.Unmarshal([]byte(`["a","b","c","d","e","f","g","h","i","j","k","l"]`), &b); err == nil {
		t.Error("an array of more fields than asked for was accepted")
	}
}
