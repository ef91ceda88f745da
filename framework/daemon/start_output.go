package daemon

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
)

// maxOutputShown bounds how much of what a failed daemon printed goes into Start's error.
const maxOutputShown = 64 << 10

// describeOutput returns what the daemon wrote to its output file since offset, for an error message.
func describeOutput(path string, offset int64, handoffErr error) string {
	var text strings.Builder
	if handoffErr != nil {
		fmt.Fprintf(&text, "\n(go-daemon also reported: %v)", handoffErr)
	}
	file, err := os.Open(path)
	if err != nil {
		return text.String()
	}
	defer file.Close()
	data, err := io.ReadAll(io.NewSectionReader(file, offset, maxOutputShown))
	if err != nil || len(bytes.TrimSpace(data)) == 0 {
		fmt.Fprintf(&text, "\nthe daemon printed nothing to %s", path)
		return text.String()
	}
	fmt.Fprintf(&text, "\nthe daemon printed to %s:\n%s", path, strings.TrimRight(string(data), "\n"))
	return text.String()
}

// fileSize is the size of path, 0 when it cannot be read (a missing file).
func fileSize(path string) int64 {
	info, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return info.Size()
}
