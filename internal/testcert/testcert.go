// Package testcert writes a throwaway CA and a server certificate it signs, as PEM files, for the tests
// against real servers over TLS (etcd members, PostgreSQL clusters).
package testcert

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// Files are the paths of the PEM files Write makes: the CA's certificate, and the server's certificate
// and private key (SEC 1, "EC PRIVATE KEY").
type Files struct {
	CA, Cert, Key string
}

// Write makes a CA and a server certificate it signs for 127.0.0.1 and localhost (ECDSA P-256, valid one
// day, usable for server and client authentication) and writes them, with the server key, in dir as
// ca.pem, server.pem and server-key.pem (mode 0600). The CA's key is not kept.
func Write(dir string) (Files, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return Files{}, err
	}
	now := time.Now()
	caTemplate := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "hade test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTemplate, caTemplate, &caKey.PublicKey, caKey)
	if err != nil {
		return Files{}, err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return Files{}, err
	}
	serverDER, keyDER, err := serverCertificate(ca, caKey, now)
	if err != nil {
		return Files{}, err
	}
	files := Files{CA: filepath.Join(dir, "ca.pem"), Cert: filepath.Join(dir, "server.pem"),
		Key: filepath.Join(dir, "server-key.pem")}
	for path, block := range map[string]*pem.Block{
		files.CA: {Type: "CERTIFICATE", Bytes: caDER}, files.Cert: {Type: "CERTIFICATE", Bytes: serverDER},
		files.Key: {Type: "EC PRIVATE KEY", Bytes: keyDER},
	} {
		if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
			return Files{}, err
		}
	}
	return files, nil
}

// serverCertificate makes a server key and its certificate for 127.0.0.1 and localhost signed by ca
// (whose key is caKey), valid from an hour before now to a day after; it returns both DER-encoded.
func serverCertificate(ca *x509.Certificate, caKey *ecdsa.PrivateKey, now time.Time) (cert, key []byte,
	err error) {
	serverKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	template := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "hade test server"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
	}
	cert, err = x509.CreateCertificate(rand.Reader, template, ca, &serverKey.PublicKey, caKey)
	if err != nil {
		return nil, nil, err
	}
	key, err = x509.MarshalECPrivateKey(serverKey)
	return cert, key, err
}
