package backend_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// remoteClients are the import path prefixes of the clients only the redis, etcd and postgres backends
// may link.
var remoteClients = []string{
	"github.com/redis/go-redis",
	"go.etcd.io/etcd",
	"github.com/jackc/pgx",
	"google.golang.org/grpc",
	"go.uber.org/zap",
}

// goDeps returns the import paths `go list -deps pkg` prints, run from the module root, and the command
// line that reproduces it; it fails t when the go tool cannot be found or fails.
func goDeps(t *testing.T, pkg string) (deps []string, command string) {
	t.Helper()
	goTool := filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	if _, err := os.Stat(goTool); os.Getenv("GOROOT") == "" || err != nil {
		if goTool, err = exec.LookPath("go"); err != nil {
			t.Fatalf("find the go tool: %v", err)
		}
	}
	cmd := exec.Command(goTool, "list", "-deps", pkg)
	cmd.Dir = filepath.Join("..", "..") // the module root: this package is framework/backend
	command = "go list -deps " + pkg
	out, err := cmd.Output()
	if err != nil {
		stderr := ""
		if exit, ok := err.(*exec.ExitError); ok {
			stderr = string(exit.Stderr)
		}
		t.Fatalf("%s: %v\n%s", command, err, stderr)
	}
	return strings.Fields(string(out)), command
}

// TestDepsLocalOnlyAppLinksNoRemoteClient checks that an application importing the local backend alone
// (internal/localapp) links none of the remote backends' clients.
func TestDepsLocalOnlyAppLinksNoRemoteClient(t *testing.T) {
	deps, command := goDeps(t, "github.com/hadeframe/hade/internal/localapp")
	if !slices.Contains(deps, "github.com/hadeframe/hade/framework/backend/local") {
		t.Fatalf("internal/localapp does not link framework/backend/local (see `%s`)", command)
	}
	for _, client := range remoteClients {
		var linked []string
		for _, dep := range deps {
			if dep == client || strings.HasPrefix(dep, client+"/") {
				linked = append(linked, dep)
			}
		}
		if len(linked) > 0 {
			t.Errorf("internal/localapp links %d packages of %s, e.g. %s; see `%s`",
				len(linked), client, linked[len(linked)-1], command)
		}
	}
}

// TestDepsExampleAppLinksAllBackends checks that the example application (github.com/hadeframe/hade) links
// the four backends, so that TestDepsLocalOnlyAppLinksNoRemoteClient's silence is not for want of imports.
func TestDepsExampleAppLinksAllBackends(t *testing.T) {
	deps, command := goDeps(t, "github.com/hadeframe/hade")
	for _, backend := range []string{"local", "redis", "etcd", "postgres"} {
		pkg := "github.com/hadeframe/hade/framework/backend/" + backend
		if !slices.Contains(deps, pkg) {
			t.Errorf("the example application does not link %s; see `%s`", pkg, command)
		}
	}
	for _, client := range []string{"github.com/redis/go-redis/v9", "go.etcd.io/etcd/client/v3", "github.com/jackc/pgx/v5"} {
		if !slices.Contains(deps, client) {
			t.Errorf("the example application does not link %s; see `%s`", client, command)
		}
	}
}
