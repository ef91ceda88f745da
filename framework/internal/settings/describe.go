package settings

import "fmt"

// Describe returns the provider part of a process's redacted settings (see Redact), as `cron state`, the
// "cron started" line and `cron restart` show it, e.g. `provider redis redis://:xxxxx@host:6379/0, key
// prefix "hade:"`, then the cron zone when set.
func Describe(settings map[string]string) string {
	var text string
	switch backend := settings["distributed"]; backend {
	case "":
		text = "provider not recorded"
	case "redis":
		text = fmt.Sprintf("provider redis %s, key prefix %q", settings["redis-url"], settings["redis-prefix"])
	case "etcd":
		text = fmt.Sprintf("provider etcd %s, key prefix %q", settings["etcd-endpoints"], settings["etcd-prefix"])
		if user := settings["etcd-user"]; user != "" {
			text += ", user " + user
		}
	default:
		text = "provider " + backend
	}
	if zone := settings["cron-tz"]; zone != "" {
		text += ", cron zone " + zone
	}
	return text
}
