//go:build cgo

// Package proctitle sets the process title that ps and top show (/proc/<pid>/cmdline, not comm), through
// github.com/erikdubbelboer/gspt, which needs cgo. Without cgo, Set does nothing. The title fits in the
// space of the original arguments plus the first environment string; a longer one is cut.
package proctitle

import "github.com/erikdubbelboer/gspt"

// Set replaces the process title.
func Set(title string) { gspt.SetProcTitle(title) }
