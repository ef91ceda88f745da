package pgserver

import (
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// debianBinGlob is where Debian and Ubuntu install each PostgreSQL version's programs, off the PATH.
const debianBinGlob = "/usr/lib/postgresql/*/bin"

// binaries are the absolute paths of the PostgreSQL programs the package runs, all from one folder (one
// version).
type binaries struct {
	initdb, pgCtl, postgres, pgBasebackup string
}

// Installed returns nil when Start can find PostgreSQL's programs (see findBinaries), else ErrNotInstalled:
// for a test that runs clusters in other processes and must skip or fail before it starts them.
func Installed() error {
	_, err := findBinaries()
	return err
}

// findBinaries returns the programs from the folder of the initdb on the PATH (its symbolic links
// resolved, else as found), else from the newest /usr/lib/postgresql/<version>/bin: the first of these
// folders that holds all of initdb, pg_ctl, postgres and pg_basebackup. It returns ErrNotInstalled when
// none does.
func findBinaries() (binaries, error) {
	var folders []string
	if initdb, err := exec.LookPath("initdb"); err == nil {
		if resolved, err := filepath.EvalSymlinks(initdb); err == nil {
			folders = append(folders, filepath.Dir(resolved))
		}
		folders = append(folders, filepath.Dir(initdb))
	}
	debian, _ := filepath.Glob(debianBinGlob)
	folders = append(folders, newestFirst(debian)...)
	for _, folder := range folders {
		if found, ok := binariesIn(folder); ok {
			return found, nil
		}
	}
	return binaries{}, ErrNotInstalled
}

// binariesIn returns the programs in folder, and whether every one is there and executable.
func binariesIn(folder string) (binaries, bool) {
	found := binaries{initdb: filepath.Join(folder, "initdb"), pgCtl: filepath.Join(folder, "pg_ctl"),
		postgres: filepath.Join(folder, "postgres"), pgBasebackup: filepath.Join(folder, "pg_basebackup")}
	for _, path := range []string{found.initdb, found.pgCtl, found.postgres, found.pgBasebackup} {
		info, err := os.Stat(path)
		if err != nil || info.IsDir() || info.Mode().Perm()&0o111 == 0 {
			return binaries{}, false
		}
	}
	return found, true
}

// newestFirst sorts folders /usr/lib/postgresql/<version>/bin by version, newest first (15 before 9.6);
// a version that is not numbers and dots sorts last.
func newestFirst(folders []string) []string {
	sorted := append([]string(nil), folders...)
	sort.SliceStable(sorted, func(i, j int) bool {
		return versionLess(versionOf(sorted[j]), versionOf(sorted[i]))
	})
	return sorted
}

// versionOf reads the numbers of the version in a folder <prefix>/<version>/bin, e.g. [9 6]; nil when
// the version is not numbers and dots.
func versionOf(folder string) []int {
	var numbers []int
	for _, part := range strings.Split(filepath.Base(filepath.Dir(folder)), ".") {
		n, err := strconv.Atoi(part)
		if err != nil {
			return nil
		}
		numbers = append(numbers, n)
	}
	return numbers
}

// versionLess reports whether version a is older than b, number by number (nil is the oldest).
func versionLess(a, b []int) bool {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return len(a) < len(b)
}
