package etcd

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"strings"
)

// How errors name the settings that open reads from files into Config: the command line replaces each by
// its flag and environment variable.
const (
	caFileSetting       = "the etcd CA file"
	certFileSetting     = "the etcd client certificate file"
	keyFileSetting      = "the etcd client key file"
	passwordFileSetting = "the etcd password file"
)

// tlsFromFiles returns the TLS configuration of the PEM files caFile (the members' CA; "": the system
// roots), certFile and keyFile (a client certificate and its key, both or neither), or nil when all three
// are "". Its errors name the setting of the file that cannot be read or used.
func tlsFromFiles(caFile, certFile, keyFile string) (*tls.Config, error) {
	if caFile == "" && certFile == "" && keyFile == "" {
		return nil, nil
	}
	config := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("etcd CA certificate (%s): %w", caFileSetting, err)
		}
		config.RootCAs = x509.NewCertPool()
		if !config.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("etcd CA certificate %s (%s) holds no PEM certificate", caFile, caFileSetting)
		}
	}
	if (certFile == "") != (keyFile == "") {
		return nil, fmt.Errorf("etcd client certificate: give both %s and %s, or neither", certFileSetting, keyFileSetting)
	}
	if certFile != "" {
		pair, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, fmt.Errorf("etcd client certificate %s and key %s (%s, %s): %w", certFile, keyFile,
				certFileSetting, keyFileSetting, err)
		}
		config.Certificates = []tls.Certificate{pair}
	}
	return config, nil
}

// passwordFromFile returns password, else the first line of file, else "". Its errors name the password
// file's setting.
func passwordFromFile(password, file string) (string, error) {
	if password != "" || file == "" {
		return password, nil
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("etcd password (%s): %w", passwordFileSetting, err)
	}
	password, _, _ = strings.Cut(string(data), "\n")
	password = strings.TrimSuffix(password, "\r")
	if password == "" {
		return "", fmt.Errorf("etcd password file %s (%s) is empty", file, passwordFileSetting)
	}
	return password, nil
}
