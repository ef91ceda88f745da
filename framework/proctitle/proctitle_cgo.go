//go:build cgo

// Package proctitle sets the process title that ps and top show (/proc/<pid>/cmdline, not comm), through
// github.com/erikdubbelboer/gspt, which needs cgo. Without cgo, Set does nothing. The title fits in the
// space of the original arguments plus the first environment string; a longer one is cut.
package proctitle

import (
	"os"
	"strings"

	"github.com/erikdubbelboer/gspt"
)

// gspt's own init, which runs first, shows only argv[0] as the title of every process that imports it;
// show the whole command line again, so that only the process that calls Set changes its title.
func init() { gspt.SetProcTitle(strings.Join(os.Args, " ")) }

// Set replaces the process title.
func Set(title string) { gspt.SetProcTitle(title) }
