package settings

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	_ "github.com/hadeframe/hade/framework/backend/etcd" // the backends whose settings are secret
	_ "github.com/hadeframe/hade/framework/backend/redis"
	"github.com/hadeframe/hade/framework/internal/secret"
)

// baseFolder is the base folder the tests record and pass to a daemon.
const baseFolder = "/srv/app"

// startFlags returns flags as `cron start` has them (a subset: persistent settings, flags of start and of
// restart) with args parsed.
func startFlags(t *testing.T, args ...string) *pflag.FlagSet {
	t.Helper()
	flags := pflag.NewFlagSet("start", pflag.ContinueOnError)
	flags.String("base-folder", ".", "")
	flags.String("distributed", "local", "")
	flags.String("redis-url", "redis://127.0.0.1:6379/0", "")
	flags.String("redis-prefix", "hade:", "")
	flags.String("etcd-user", "", "")
	flags.String("cron-tz", "", "")
	flags.BoolP("daemon", "d", false, "")
	flags.Bool("allow-another-daemon", false, "")
	flags.Duration("drain-timeout", 10*time.Second, "")
	flags.Duration("ready-timeout", 10*time.Second, "")
	flags.Duration("timeout", 15*time.Second, "")
	flags.String("http", "", "")
	flags.String(HTTPTokenFlag, "", "")
	flags.StringSlice(AlertWebhookFlag, nil, "")
	if err := flags.Parse(args); err != nil {
		t.Fatal(err)
	}
	return flags
}

// Every setting of a backend given by flag reaches a daemon through its environment: any value may carry a
// password (a URL's, a connection string's).
func TestDaemonCommandLineKeepsSecretsInTheEnvironment(t *testing.T) {
	t.Setenv("HADE_REDIS_URL", "redis://:old@host:1/0")
	flags := startFlags(t, "-d", "--distributed", "redis", "--redis-url", "redis://:pw123@host:1/0",
		"--redis-prefix", "mine:", "--drain-timeout", "3s", "--ready-timeout", "1s", "--allow-another-daemon",
		"--base-folder", "rel")
	args, env := DaemonCommandLine(flags, baseFolder)
	want := []string{"cron", "start", "--daemon", "--allow-another-daemon=true", "--distributed=redis",
		"--drain-timeout=3s", "--base-folder=" + baseFolder}
	if !slices.Equal(args, want) {
		t.Fatalf("args = %q, want %q", args, want)
	}
	if !slices.Contains(env, "HADE_REDIS_URL=redis://:pw123@host:1/0") ||
		slices.Contains(env, "HADE_REDIS_URL=redis://:old@host:1/0") {
		t.Fatalf("the environment does not carry the flag's URL alone: %q", env)
	}
	if !slices.Contains(env, "HADE_REDIS_PREFIX=mine:") {
		t.Fatalf("the environment does not carry the prefix: %q", env)
	}
}

// A backend's setting given empty is recorded empty, as the process runs with it: its variable is its
// default, not a fallback.
func TestRecordKeepsABackendSettingGivenEmpty(t *testing.T) {
	t.Setenv("HADE_ETCD_USER", "root")
	if user, recorded := Record(startFlags(t, "--etcd-user", ""), baseFolder)["etcd-user"]; !recorded || user != "" {
		t.Fatalf("etcd-user recorded %q (%v), want it empty", user, recorded)
	}
}

// A backend's setting is shown with the passwords it carries masked, whatever its form; the others as is.
func TestRedactBackendSettings(t *testing.T) {
	settings := map[string]string{
		"redis-url":      "redis://:pw123@host:1/0?dial_timeout=1s",
		"redis-prefix":   "hade:",
		"etcd-endpoints": "http://10.0.0.1:2379,http://10.0.0.2:2379",
		"etcd-user":      "host=db password='pw 456'", // not a user name: shown without its password all the same
		"etcd-password":  "pw789",
		"http":           "user:pw@:9090", // not a backend's setting: as is
	}
	want := map[string]string{
		"redis-url":      "redis://:xxxxx@host:1/0?…",
		"redis-prefix":   "hade:",
		"etcd-endpoints": "http://10.0.0.1:2379,http://10.0.0.2:2379",
		"etcd-user":      "host=db password=xxxxx",
		"etcd-password":  secret.Mask,
		"http":           "user:pw@:9090",
	}
	if got := Redact(settings); !maps.Equal(got, want) {
		t.Fatalf("Redact = %q, want %q", got, want)
	}
}

func TestApplyKeepsTheFlagsGivenAndRedactsWhatIsShown(t *testing.T) {
	flags := startFlags(t, "--redis-prefix", "mine:")
	notes, err := Apply(flags, map[string]string{
		"distributed": "redis", "redis-url": "redis://:pw123@host:1/0", "redis-prefix": "theirs:",
		"drain-timeout": "4s", "gone-flag": "x", "base-folder": "/elsewhere", "ready-timeout": "1s",
	})
	if err != nil || len(notes) != 1 || !strings.Contains(notes[0], "--gone-flag") {
		t.Fatalf("Apply = %q, %v; want one note about the unknown setting", notes, err)
	}
	settings := Record(flags, baseFolder)
	for name, want := range map[string]string{
		"distributed": "redis", "redis-url": "redis://:pw123@host:1/0", "redis-prefix": "mine:",
		"drain-timeout": "4s", "base-folder": baseFolder,
	} {
		if settings[name] != want {
			t.Errorf("setting %s = %q, want %q", name, settings[name], want)
		}
	}
	if _, recorded := settings["ready-timeout"]; recorded || flags.Changed("ready-timeout") {
		t.Errorf("--ready-timeout, not a setting, was recorded or applied")
	}
	if shown := Describe(Redact(settings)); shown != `provider redis redis://:xxxxx@host:1/0, key prefix "mine:"` {
		t.Fatalf("described as %q", shown)
	}
}

// The token given by flag goes to a daemon through its environment, never its command line; settings
// shown anywhere carry it masked, the recorded settings in full (for cron restart).
func TestHTTPTokenStaysSecret(t *testing.T) {
	flags := startFlags(t, "-d", "--http", ":9090", "--http-token", "tok123")
	args, env := DaemonCommandLine(flags, baseFolder)
	if strings.Contains(strings.Join(args, " "), "tok123") || !slices.Contains(args, "--http=:9090") {
		t.Fatalf("daemon command line %q: want --http, and not the token", args)
	}
	if !slices.Contains(env, EnvHTTPToken+"=tok123") {
		t.Fatalf("the daemon's environment does not carry the token")
	}
	settings := Record(flags, baseFolder)
	if settings[HTTPTokenFlag] != "tok123" || settings["http"] != ":9090" {
		t.Fatalf("recorded settings: http %q, token given: %v", settings["http"],
			settings[HTTPTokenFlag] == "tok123")
	}
	if shown := Redact(settings)[HTTPTokenFlag]; shown != secret.Mask {
		t.Fatalf("redacted token shown as %q, want %q", shown, secret.Mask)
	}
}

// A token from the environment is recorded for restart and masked when shown; no token is shown empty.
func TestHTTPTokenFromTheEnvironment(t *testing.T) {
	t.Setenv(EnvHTTPToken, "")
	if shown := Redact(Record(startFlags(t), baseFolder))[HTTPTokenFlag]; shown != "" {
		t.Fatalf("no token shown as %q", shown)
	}
	t.Setenv(EnvHTTPToken, "envtok456")
	settings := Record(startFlags(t), baseFolder)
	if settings[HTTPTokenFlag] != "envtok456" {
		t.Fatal("the token from the environment is not in the recorded settings")
	}
	if shown := Redact(settings)[HTTPTokenFlag]; shown != secret.Mask {
		t.Fatalf("redacted token shown as %q", shown)
	}
}

// restart takes the running daemon's token and hands it to the new daemon through the environment.
func TestApplyCarriesTheTokenToTheEnvironment(t *testing.T) {
	flags := startFlags(t)
	recorded := map[string]string{"http": "127.0.0.1:9292", HTTPTokenFlag: "old789"}
	if _, err := Apply(flags, recorded); err != nil {
		t.Fatal(err)
	}
	args, env := DaemonCommandLine(flags, baseFolder)
	if strings.Contains(strings.Join(args, " "), "old789") || !slices.Contains(args, "--http=127.0.0.1:9292") {
		t.Fatalf("daemon command line %q", args)
	}
	if !slices.Contains(env, EnvHTTPToken+"=old789") {
		t.Fatal("the new daemon's environment does not carry the token")
	}
}

// Webhook URLs reach a daemon through its environment, never its command line, and are shown as
// scheme://host only; the recorded settings keep them whole, and Apply gives them back as a list.
func TestAlertWebhooksAreSecrets(t *testing.T) {
	hooks := []string{"https://u:pw@hooks.example.com/services/T0/B0/secret1",
		"http://h2.example.com:8080/x?token=secret2"}
	flags := startFlags(t, "-d", "--alert-webhook", hooks[0], "--alert-webhook", hooks[1])
	args, env := DaemonCommandLine(flags, baseFolder)
	if line := strings.Join(args, " "); strings.Contains(line, "secret") || strings.Contains(line, AlertWebhookFlag) {
		t.Fatalf("a webhook is on the daemon's command line: %q", args)
	}
	if !slices.Contains(env, EnvAlertWebhooks+"="+strings.Join(hooks, ",")) {
		t.Fatalf("the daemon's environment does not carry the webhooks: %q", env)
	}
	settings := Record(flags, baseFolder)
	if settings[AlertWebhookFlag] != strings.Join(hooks, ",") {
		t.Fatalf("the recorded settings keep %q", settings[AlertWebhookFlag])
	}
	shown := Redact(settings)[AlertWebhookFlag]
	if shown != "https://hooks.example.com/…,http://h2.example.com:8080/…" {
		t.Fatalf("shown as %q", shown)
	}
	restart := startFlags(t)
	if _, err := Apply(restart, settings); err != nil {
		t.Fatal(err)
	}
	if got, err := restart.GetStringSlice(AlertWebhookFlag); err != nil || !slices.Equal(got, hooks) {
		t.Fatalf("Apply set the webhooks to %q, %v", got, err)
	}
}

// A secret setting of the environment only (HADE_ETCD_PASSWORD) is recorded when set, shown masked, and
// applied to the environment, where the new daemon finds it.
func TestEnvironmentOnlySecrets(t *testing.T) {
	t.Setenv("HADE_ETCD_PASSWORD", "")
	if _, recorded := Record(startFlags(t), baseFolder)["etcd-password"]; recorded {
		t.Fatal("an unset password is recorded")
	}
	t.Setenv("HADE_ETCD_PASSWORD", "etcdpw")
	settings := Record(startFlags(t, "--distributed", "etcd", "--etcd-user", "root"), baseFolder)
	if settings["etcd-password"] != "etcdpw" || Redact(settings)["etcd-password"] != secret.Mask {
		t.Fatalf("recorded %q, shown %q", settings["etcd-password"], Redact(settings)["etcd-password"])
	}
	t.Setenv("HADE_ETCD_PASSWORD", "")
	if _, err := Apply(startFlags(t), settings); err != nil {
		t.Fatal(err)
	}
	_, env := DaemonCommandLine(startFlags(t), baseFolder)
	if !slices.Contains(env, "HADE_ETCD_PASSWORD=etcdpw") {
		t.Fatal("the applied password is not in the new daemon's environment")
	}
}

func TestDescribe(t *testing.T) {
	for _, tc := range []struct {
		settings map[string]string
		want     string
	}{
		{nil, "provider not recorded"},
		{map[string]string{"distributed": "local", "cron-tz": "UTC"}, "provider local, cron zone UTC"},
		{map[string]string{"distributed": "etcd", "etcd-endpoints": "h:2379", "etcd-prefix": "p/",
			"etcd-user": "root"}, `provider etcd h:2379, key prefix "p/", user root`},
	} {
		if got := Describe(tc.settings); got != tc.want {
			t.Errorf("Describe(%v) = %q, want %q", tc.settings, got, tc.want)
		}
	}
}
