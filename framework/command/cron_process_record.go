package command

import (
	"os"
	"runtime/debug"

	"github.com/hadeframe/hade/framework/console"
	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/framework/internal/secret"
	"github.com/hadeframe/hade/framework/provider/distributed"
)

// clusterStores returns the run history and the process registry of backend, nil for those it lacks.
func clusterStores(backend any) (contract.RunHistory, contract.ProcessRegistry) {
	history, _ := backend.(contract.RunHistory)
	registry, _ := backend.(contract.ProcessRegistry)
	return history, registry
}

// processRecord describes this process for the registry and the history: host, pid, base folder, the
// provider (no secret) and the build's version.
func processRecord(root *console.Root, files cronFiles) contract.ProcessRecord {
	hostname, err := os.Hostname()
	if err != nil {
		hostname = "unknown (" + err.Error() + ")"
	}
	return contract.ProcessRecord{Hostname: hostname, PID: os.Getpid(), BaseFolder: files.app.BaseFolder(),
		Provider: providerAddress(root.Settings.Distributed), Version: buildVersion()}
}

// providerAddress names the backend of config and where it is, without credentials.
func providerAddress(config distributed.Config) string {
	switch config.Backend {
	case distributed.BackendRedis:
		return "redis " + secret.RedactURL(config.RedisURL)
	case distributed.BackendEtcd:
		return "etcd " + config.Etcd.Endpoints
	}
	return config.Backend
}

// buildVersion is the main module's version, or "devel" with the commit when built from a checkout.
func buildVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	if info.Main.Version != "" && info.Main.Version != "(devel)" {
		return info.Main.Version
	}
	version := "devel"
	for _, setting := range info.Settings {
		if setting.Key == "vcs.revision" && len(setting.Value) >= 12 {
			version += "+" + setting.Value[:12]
		}
		if setting.Key == "vcs.modified" && setting.Value == "true" {
			version += "-dirty"
		}
	}
	return version
}
