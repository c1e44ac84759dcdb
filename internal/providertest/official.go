package providertest

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// The official example payloads of an API are kept in testdata/official/
// as published (an x-ms-example file, a documentation page); these helpers
// take the response out of them without changing a byte of it, for Files
// routes.

// XMSExampleBody writes the responses."200".body of the x-ms-example file
// (relative to testdata/) to a new file, its bytes as they stand in the
// example, and returns that file's absolute path.
func XMSExampleBody(t testing.TB, file string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	var example struct {
		Responses map[string]struct {
			Body json.RawMessage `json:"body"`
		} `json:"responses"`
	}
	if err := json.Unmarshal(raw, &example); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	ok, found := example.Responses["200"]
	if !found || len(ok.Body) == 0 {
		t.Fatalf("%s has no 200 response body", file)
	}
	return writeTemp(t, file, ok.Body)
}

// LiteralBlock writes the n-th (1-based) reStructuredText literal block
// after the first line equal to heading in file (relative to testdata/)
// to a new file, without its indent (and with LF line ends), and returns
// that file's absolute
// path. A literal block is the indented text after a line ending in "::".
func LiteralBlock(t testing.TB, file, heading string, n int) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	// Line ends may be CRLF (the AWS CLI's examples): the block is
	// written with LF.
	lines := strings.Split(strings.ReplaceAll(string(raw), "\r\n", "\n"), "\n")
	i := 0
	for i < len(lines) && strings.TrimSpace(lines[i]) != heading {
		i++
	}
	for ; i < len(lines); i++ {
		if !strings.HasSuffix(strings.TrimRight(lines[i], " "), "::") {
			continue
		}
		if n--; n > 0 {
			continue
		}
		// Blank lines, then lines indented deeper than the marker.
		j := i + 1
		for j < len(lines) && strings.TrimSpace(lines[j]) == "" {
			j++
		}
		if j == len(lines) {
			break
		}
		indent := len(lines[j]) - len(strings.TrimLeft(lines[j], " "))
		base := len(lines[i]) - len(strings.TrimLeft(lines[i], " "))
		if indent <= base {
			break
		}
		var b bytes.Buffer
		for ; j < len(lines); j++ {
			l := lines[j]
			if strings.TrimSpace(l) != "" && len(l)-len(strings.TrimLeft(l, " ")) < indent {
				break
			}
			if len(l) >= indent {
				l = l[indent:]
			} else {
				l = ""
			}
			b.WriteString(l + "\n")
		}
		return writeTemp(t, file, bytes.TrimRight(b.Bytes(), "\n"))
	}
	t.Fatalf("%s: no literal block %d after %q", file, n, heading)
	return ""
}

func writeTemp(t testing.TB, file string, body []byte) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), filepath.Base(file))
	if err := os.WriteFile(out, body, 0o600); err != nil {
		t.Fatal(err)
	}
	return out
}

// OfficialObject reads the official sample testdata/official/file (YAML,
// or JSON) as an object; fix, when given, edits its text first.
func OfficialObject(t testing.TB, file string, fix ...func(string) string) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "official", file))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fix {
		raw = []byte(f(string(raw)))
	}
	var obj map[string]any
	if err := yaml.Unmarshal(raw, &obj); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return obj
}

// KubernetesList writes a Kubernetes list of kind (of apiVersion) whose
// items are items, as the API server would serve it, and returns its
// path.
func KubernetesList(t testing.TB, apiVersion, kind string, items []any) string {
	t.Helper()
	body, err := json.Marshal(map[string]any{"apiVersion": apiVersion, "kind": kind, "metadata": map[string]any{}, "items": items})
	if err != nil {
		t.Fatal(err)
	}
	return writeTemp(t, kind+".json", body)
}

// OfficialList is the KubernetesList of the official samples files
// (OfficialObject), each converted to JSON.
func OfficialList(t testing.TB, apiVersion, kind string, files ...string) string {
	t.Helper()
	items := make([]any, 0, len(files))
	for _, f := range files {
		items = append(items, OfficialObject(t, f))
	}
	return KubernetesList(t, apiVersion, kind, items)
}
