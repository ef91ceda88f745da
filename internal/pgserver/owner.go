package pgserver

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"strings"
	"syscall"
)

// ownerName is the user PostgreSQL's programs run as when the caller is root: PostgreSQL refuses to run
// as root, and the distributions' packages make this user.
const ownerName = "postgres"

// clusterOwner returns who runs PostgreSQL's programs and owns the cluster's folder: nil (the caller)
// unless the effective user is root, else the credential of the user postgres (no supplementary groups).
// It is an error when root runs and there is no user postgres.
func clusterOwner() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	account, err := user.Lookup(ownerName)
	if err != nil {
		return nil, fmt.Errorf("PostgreSQL refuses to run as root and the user %s is missing: %w", ownerName, err)
	}
	uid, err := strconv.ParseUint(account.Uid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("uid of %s: %w", ownerName, err)
	}
	gid, err := strconv.ParseUint(account.Gid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("gid of %s: %w", ownerName, err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// own gives paths to the cluster's owner (nothing to do when that is the caller).
func (s *Server) own(paths ...string) error {
	if s.owner == nil {
		return nil
	}
	for _, path := range paths {
		if err := os.Chown(path, int(s.owner.Uid), int(s.owner.Gid)); err != nil {
			return err
		}
	}
	return nil
}

// command returns the command running program with args as the cluster's owner, in the cluster's folder,
// with the caller's environment less its PG* variables (they would redirect the programs) plus extraEnv
// ("NAME=value"). It dies with the caller (SIGKILL when the caller's thread ends).
func (s *Server) command(program string, args []string, extraEnv ...string) *exec.Cmd {
	cmd := exec.Command(program, args...)
	cmd.Dir = s.folder
	for _, variable := range os.Environ() {
		if !strings.HasPrefix(variable, "PG") {
			cmd.Env = append(cmd.Env, variable)
		}
	}
	cmd.Env = append(cmd.Env, extraEnv...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.owner, Pdeathsig: syscall.SIGKILL}
	return cmd
}
