package etcd

import (
	"crypto/tls"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestEtcdEndpointsParse(t *testing.T) {
	for raw, want := range map[string]string{
		"127.0.0.1:2379":                          "",
		"10.0.0.1:2379, 10.0.0.2:2379":            "",
		"https://etcd-1:2379,https://etcd-2:2379": "",
		"http://[::1]:2379":                       "",
		"nohost":                                  "it is not host:port",
		":2379":                                   "it is not host:port",
		"h:0":                                     `port "0" is not a number from 1 to 65535`,
		"h:http":                                  `port "http" is not a number`,
		"ftp://h:21":                              `scheme "ftp" is neither http nor https`,
		"http://user:s3cret@h:2379":               "it has a user",
		"http://h:2379/v3":                        "it has a user, a path or a query",
		"h:1,https://h:2":                         "mix schemes",
		"h:1,":                                    "it is not host:port",
	} {
		_, _, err := parseEtcdEndpoints(endpointList(raw), endpointsSetting)
		switch {
		case want == "" && err != nil:
			t.Errorf("%q: %v, want accepted", raw, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), endpointsSetting)):
			t.Errorf("%q: %v, want an error naming --etcd-endpoints and %q", raw, err, want)
		case err != nil && strings.Contains(err.Error(), "s3cret"):
			t.Errorf("%q: the error shows the password: %v", raw, err)
		}
	}
}

func TestEtcdPasswordFileAndTLSFiles(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "password")
	if err := os.WriteFile(file, []byte("pw from file\r\nsecond line\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if password, err := passwordFromFile("", file); err != nil || password != "pw from file" {
		t.Fatalf("password file: %q, %v; want its first line", password, err)
	}
	if password, _ := passwordFromFile("env", file); password != "env" {
		t.Fatalf("HADE_ETCD_PASSWORD and a file: %q; want the environment's", password)
	}
	if _, err := passwordFromFile("", filepath.Join(dir, "missing")); err == nil || !strings.Contains(err.Error(), passwordFileSetting) {
		t.Fatalf("missing password file: %v; want an error naming the password file's setting", err)
	}
	if _, err := tlsFromFiles(file, "", ""); err == nil || !strings.Contains(err.Error(), "holds no PEM certificate") {
		t.Fatalf("a CA file without a certificate: %v", err)
	}
	if _, err := tlsFromFiles("", file, ""); err == nil || !strings.Contains(err.Error(), keyFileSetting) {
		t.Fatalf("a certificate without a key: %v", err)
	}
	if config, err := tlsFromFiles("", "", ""); err != nil || config != nil {
		t.Fatalf("no TLS file: %v, %v; want no TLS configuration", config, err)
	}
	if _, err := etcdTLS(&tls.Config{}, []string{"http://h:1"}, false); err == nil || !strings.Contains(err.Error(), "http://") {
		t.Fatalf("TLS with http:// endpoints: %v", err)
	}
	if config, err := etcdTLS(nil, []string{"https://h:1"}, true); err != nil || config == nil || config.RootCAs != nil {
		t.Fatalf("https without a CA: %v, %v; want TLS with the system roots", config, err)
	}
}

// endpointList splits comma-separated endpoints, as the endpoints setting gives them.
func endpointList(endpoints string) []string { return strings.Split(endpoints, ",") }
