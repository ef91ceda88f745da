package schedule

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
	_ "time/tzdata" // zone names work on hosts without a zone database (e.g. scratch containers)
)

// Zone is a time zone with the name it is shown and compared by (see Schedule.Zone). Make one with LoadZone
// or HostZone.
type Zone struct {
	name     string
	location *time.Location
}

// utcAliases are the zone database's names of UTC: they name one zone, so they make one definition.
var utcAliases = map[string]bool{
	"Etc/UTC": true, "Etc/UCT": true, "UCT": true, "Etc/Universal": true, "Universal": true, "Etc/Zulu": true,
	"Zulu": true, "Etc/GMT": true, "GMT": true, "Etc/GMT0": true, "GMT0": true, "Etc/GMT+0": true,
	"GMT+0": true, "Etc/GMT-0": true, "GMT-0": true, "Etc/Greenwich": true, "Greenwich": true,
}

// canonicalZoneName returns "UTC" for the aliases of UTC (a host's /etc/localtime often names Etc/UTC
// where another host's TZ says UTC), and name otherwise.
func canonicalZoneName(name string) string {
	if utcAliases[name] {
		return "UTC"
	}
	return name
}

// LoadZone returns the zone of an IANA name (e.g. "Europe/Berlin", "UTC"; every alias of UTC is named
// "UTC"); an empty name is the host's zone (see HostZone). It returns an error naming the zone when the
// zone database (the host's, else the one built in) does not know it, or for "Local", which names no zone.
func LoadZone(name string) (Zone, error) {
	if name == "" {
		return HostZone(), nil
	}
	location, err := time.LoadLocation(name)
	if err != nil || name == "Local" {
		return Zone{}, fmt.Errorf("time zone %q is unknown (%v); valid: an IANA zone name such as UTC, "+
			"Europe/Berlin or America/New_York, or empty for the host's zone", name, err)
	}
	return Zone{name: canonicalZoneName(name), location: location}, nil
}

// HostZone returns the zone this process's local time uses, with its real name as Go resolves it: $TZ
// (empty or unknown means UTC), else /etc/localtime's target, else /etc/timezone. A zone whose name cannot
// be found is named "Local" followed by its abbreviations and offsets in January and July, so that two
// hosts with different unnamed zones never look alike.
func HostZone() Zone {
	if tz, set := os.LookupEnv("TZ"); set {
		name := strings.TrimPrefix(tz, ":")
		if location, err := time.LoadLocation(name); err == nil && name != "" && !filepath.IsAbs(name) {
			return Zone{name: canonicalZoneName(name), location: location}
		}
		if !filepath.IsAbs(name) { // Go reads an unknown or empty $TZ as UTC
			return Zone{name: "UTC", location: time.UTC}
		}
	} else if name, ok := zoneNameOfFiles(); ok {
		if location, err := time.LoadLocation(name); err == nil {
			return Zone{name: canonicalZoneName(name), location: location}
		}
	}
	return Zone{name: describeUnnamedZone(time.Local), location: time.Local}
}

// zoneNameOfFiles reads the host's zone name from /etc/localtime's link target or /etc/timezone.
func zoneNameOfFiles() (string, bool) {
	if target, err := os.Readlink("/etc/localtime"); err == nil {
		if _, name, found := strings.Cut(target, "zoneinfo/"); found && name != "" {
			return name, true
		}
	}
	if data, err := os.ReadFile("/etc/timezone"); err == nil {
		if name := strings.TrimSpace(string(data)); name != "" {
			return name, true
		}
	}
	return "", false
}

func describeUnnamedZone(location *time.Location) string {
	year := time.Now().Year()
	january := time.Date(year, time.January, 1, 12, 0, 0, 0, location).Format("MST-07:00")
	july := time.Date(year, time.July, 1, 12, 0, 0, 0, location).Format("MST-07:00")
	return fmt.Sprintf("Local(%s,%s)", january, july)
}
