package pgserver

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hadeframe/hade/internal/testcert"
)

// initCluster makes the cluster's data folder with initdb, as the cluster's owner: superuser User with
// the server's password, SCRAM-SHA-256 over TCP, trust on the unix socket, no locale, UTF8. It then
// writes the configuration (baseSettings, the TLS files and settings, Options.Settings) and pg_hba.conf
// (hbaConf), and creates Database.
func (s *Server) initCluster() error {
	pwfile := filepath.Join(s.folder, "pwfile")
	if err := os.WriteFile(pwfile, []byte(s.options.Password+"\n"), 0o600); err != nil {
		return err
	}
	defer os.Remove(pwfile)
	if err := s.own(pwfile); err != nil {
		return err
	}
	args := []string{"-D", s.dataDir(), "-U", User, "--pwfile", pwfile, "--auth-host=scram-sha-256",
		"--auth-local=trust", "--no-locale", "-E", "UTF8", "--no-sync"}
	if output, err := s.command(s.bin.initdb, args).CombinedOutput(); err != nil {
		return fmt.Errorf("initdb: %w\n%s", err, output)
	}
	if err := os.WriteFile(filepath.Join(s.dataDir(), "pg_hba.conf"), []byte(hbaConf), 0o600); err != nil {
		return err
	}
	settings := append([][2]string(nil), baseSettings...)
	if s.options.TLS {
		tlsSettings, err := s.writeTLS()
		if err != nil {
			return fmt.Errorf("TLS files: %w", err)
		}
		settings = append(settings, tlsSettings...)
	}
	settings = append(settings, sortedSettings(s.options.Settings)...)
	if err := appendSettings(filepath.Join(s.dataDir(), "postgresql.conf"), settings); err != nil {
		return err
	}
	return s.createDatabase()
}

// writeTLS writes a CA and a server certificate it signs, with the server's key, in the data folder (so a
// standby's base backup carries them), given to the cluster's owner, and returns the settings that use
// them (paths relative to the data folder).
func (s *Server) writeTLS() ([][2]string, error) {
	files, err := testcert.Write(s.dataDir())
	if err != nil {
		return nil, err
	}
	if err := s.own(files.CA, files.Cert, files.Key); err != nil {
		return nil, err
	}
	s.caFile = files.CA
	return [][2]string{{"ssl", "on"}, {"ssl_cert_file", filepath.Base(files.Cert)},
		{"ssl_key_file", filepath.Base(files.Key)}}, nil
}

// createDatabase creates Database with postgres in single-user mode (no server, no client needed).
func (s *Server) createDatabase() error {
	cmd := s.command(s.bin.postgres, []string{"--single", "-D", s.dataDir(), "template1"})
	cmd.Stdin = strings.NewReader("CREATE DATABASE " + Database + ";\n")
	output, err := cmd.CombinedOutput()
	if err == nil && (strings.Contains(string(output), "ERROR:") || strings.Contains(string(output), "FATAL:")) {
		err = fmt.Errorf("an error was reported")
	}
	if err != nil {
		return fmt.Errorf("create database %s (postgres --single): %w\n%s", Database, err, output)
	}
	return nil
}
