package docs

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// oldModel are phrases of the scrape-time polling model the exporter left
// for background polls (README, "How fresh is the data"), and the log
// message that model's docs named.
var oldModel = []string{
	"at scrape time",
	"scrape interval is the polling interval",
	"collecting target failed",
}

// wrap joins the lines of a paragraph or of a comment block, so that a
// phrase split by line wrapping is still found.
var wrap = regexp.MustCompile(`\s*\n\s*(?:(?:#|//)\s*)?|\s+`)

// TestNoOldPollingModel greps the README, docs/ and deploy/ for the
// phrases of the old polling model: none may come back.
func TestNoOldPollingModel(t *testing.T) {
	files := []string{"../README.md"}
	for _, dir := range []string{".", "../deploy"} {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && !strings.HasSuffix(path, "_test.go") {
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(files) < 20 {
		t.Fatalf("only %d files found: %v", len(files), files)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		text := strings.ToLower(wrap.ReplaceAllString(string(b), " "))
		for _, phrase := range oldModel {
			if strings.Contains(text, phrase) {
				t.Errorf("%s says %q: the exporter polls in the background (README, \"How fresh is the data\")", f, phrase)
			}
		}
	}
}

// TestOldModelCheckFindsWrappedPhrases: the check above finds a phrase
// however a paragraph or a YAML comment wraps it.
func TestOldModelCheckFindsWrappedPhrases(t *testing.T) {
	for _, text := range []string{
		"It polls the upstream APIs at scrape\ntime (with a cache)",
		"# the scrape interval is\n#   the polling interval",
		"the log has `Collecting Target\n  failed`",
	} {
		norm := strings.ToLower(wrap.ReplaceAllString(text, " "))
		found := false
		for _, phrase := range oldModel {
			found = found || strings.Contains(norm, phrase)
		}
		if !found {
			t.Errorf("not found in %q (normalised %q)", text, norm)
		}
	}
}
