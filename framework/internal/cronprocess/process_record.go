package cronprocess

import (
	"os"
	"runtime/debug"

	"github.com/hadeframe/hade/framework/internal/record"
)

// processRecord describes this process for the registry and the history: host, pid, base folder, the
// provider (no secret) and the build's version.
func processRecord(baseFolder, provider string) record.Process {
	hostname, err := os.Hostname()
	if err != nil {
		hostname = "unknown (" + err.Error() + ")"
	}
	return record.Process{Hostname: hostname, PID: os.Getpid(), BaseFolder: baseFolder,
		Provider: provider, Version: buildVersion()}
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
