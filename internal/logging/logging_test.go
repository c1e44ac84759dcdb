package logging

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"go.uber.org/zap"
)

func TestFormatsAndLevels(t *testing.T) {
	var buf bytes.Buffer
	logger, err := New(&buf, "info", "json")
	if err != nil {
		t.Fatal(err)
	}
	logger.Debug("hidden")
	logger.Warn("polling target failed", zap.String("target", "a b"))
	var line map[string]any
	if err := json.Unmarshal(bytes.TrimSpace(buf.Bytes()), &line); err != nil {
		t.Fatalf("not one JSON line: %q: %v", buf.String(), err)
	}
	if line["level"] != "warn" || line["msg"] != "polling target failed" || line["target"] != "a b" || line["ts"] == nil {
		t.Errorf("line = %v", line)
	}

	buf.Reset()
	logger, err = New(&buf, "debug", "logfmt")
	if err != nil {
		t.Fatal(err)
	}
	logger.Debug("shown", zap.String("target", "a b"))
	if got := buf.String(); !strings.Contains(got, `level=debug`) || !strings.Contains(got, `msg=shown`) || !strings.Contains(got, `target="a b"`) {
		t.Errorf("logfmt line = %q", got)
	}
	for _, bad := range [][2]string{{"verbose", "logfmt"}, {"info", "xml"}} {
		if _, err := New(&buf, bad[0], bad[1]); err == nil {
			t.Errorf("New(%q, %q) accepted", bad[0], bad[1])
		}
	}
}

func TestSlogGoesThroughZap(t *testing.T) {
	var buf bytes.Buffer
	logger, err := New(&buf, "info", "logfmt")
	if err != nil {
		t.Fatal(err)
	}
	Slog(logger).Info("Listening on", "address", "[::]:9871")
	Slog(logger).Debug("below the level")
	if got := buf.String(); strings.Count(got, "\n") != 1 || !strings.Contains(got, `msg="Listening on"`) || !strings.Contains(got, "address=[::]:9871") {
		t.Errorf("slog line = %q", got)
	}
}
