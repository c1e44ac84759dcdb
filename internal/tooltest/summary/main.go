// Command summary prints make test's last line: the tools the tests
// missed and the tests skipped for them, read from the file the tests
// recorded them in (internal/tooltest). A file that does not exist means
// that nothing was recorded.
package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/backup-exporter/backup_exporter/internal/tooltest"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: summary FILE")
		os.Exit(2)
	}
	b, err := os.ReadFile(os.Args[1])
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintln(os.Stderr, "summary:", err)
		os.Exit(1)
	}
	fmt.Println(tooltest.Summary(string(b)))
}
