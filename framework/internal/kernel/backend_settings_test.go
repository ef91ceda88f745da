package kernel

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/hadeframe/hade/framework/backend"
	"github.com/hadeframe/hade/framework/contract"
)

// conninfoBackend is a backend whose address is a libpq keyword/value connection string, as a database's
// may be; opening it fails with an error that quotes the string, as a driver's may.
const conninfoBackend = "conninfotest"

func init() {
	backend.Register(conninfoBackend, func(_ context.Context, options backend.Options) (contract.Backend, error) {
		return nil, errors.New("cannot connect with " + options.Values["dsn"] + " (conninfotest.Config.DSN)")
	}, backend.Setting{Name: "dsn", Field: "conninfotest.Config.DSN", Usage: "host=... password=..."})
}

// Every setting given by flag is shown without the passwords it carries, whatever its form: --help
// defaults (from the environment), the backend's address, and errors that quote it.
func TestBackendSettingsHideTheirPasswords(t *testing.T) {
	t.Setenv("HADE_CONNINFOTEST_DSN", "host=db password='s3 cret' dbname=app")
	t.Setenv("HADE_REDIS_URL", "redis://:urlpw@host:1/0?dial_timeout=1s")
	t.Setenv("HADE_ETCD_ENDPOINTS", "http://10.0.0.1:2379,http://10.0.0.2:2379")
	root, ctx := testRoot(t)
	help := bytes.NewBufferString(root.PersistentFlags().FlagUsages()) // what --help lists
	for _, want := range []string{`--conninfotest-dsn string`, `(default "host=db password=xxxxx dbname=app")`,
		`(default "redis://:xxxxx@host:1/0?…")`, `(default "http://10.0.0.1:2379,http://10.0.0.2:2379")`,
		`(default "hade:")`, `(default "/hade/")`, `(default "2s")`} {
		if !strings.Contains(help.String(), want) {
			t.Errorf("--help lacks %s:\n%s", want, help.String())
		}
	}
	if strings.Contains(help.String(), "s3 cret") || strings.Contains(help.String(), "urlpw") {
		t.Fatalf("--help shows a password:\n%s", help.String())
	}

	root.Settings.Backend = conninfoBackend
	if address := root.Settings.BackendAddress(); address != "conninfotest host=db password=xxxxx dbname=app" {
		t.Errorf("BackendAddress = %q", address)
	}
	_, err := root.ReadBackend(ctx)
	if err == nil || strings.Contains(err.Error(), "s3 cret") ||
		!strings.Contains(err.Error(), "--conninfotest-dsn or HADE_CONNINFOTEST_DSN") {
		t.Fatalf("ReadBackend = %v; want an error naming the setting, without the password", err)
	}

	flags, envOnly := SecretSettings()
	for name, variable := range map[string]string{"conninfotest-dsn": "HADE_CONNINFOTEST_DSN",
		"redis-url": "HADE_REDIS_URL", "redis-prefix": "HADE_REDIS_PREFIX", "etcd-endpoints": "HADE_ETCD_ENDPOINTS"} {
		if flags[name] != variable {
			t.Errorf("SecretSettings flags[%q] = %q, want %q", name, flags[name], variable)
		}
	}
	if _, isFlag := flags["etcd-password"]; isFlag || envOnly["etcd-password"] != "HADE_ETCD_PASSWORD" {
		t.Errorf("SecretSettings: etcd-password is a flag (%v) or not env-only (%q)", isFlag, envOnly["etcd-password"])
	}
}
