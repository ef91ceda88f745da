package supervisor

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
)

// privateSettings is the owner-only file next to a daemon's pidfile: what `cron restart` needs to start
// the same daemon again, credentials included.
type privateSettings struct {
	Settings map[string]string `json:"settings"`
}

// RunningDaemon is the running daemon that `cron restart` replaces, and the settings it recorded.
type RunningDaemon struct {
	PID int
	// Recorded is false for a daemon that recorded no settings (started by an older version).
	Recorded bool
	// Settings are its settings in full, by flag name (see settings.Record), read from its private file.
	Settings map[string]string
}

// LatestDaemon returns the running daemon of files (of this pid namespace and boot) that started last,
// with its settings; ok is false when none runs. The error is that of listing the pidfiles, or says that
// the daemon's settings cannot be read (e.g. by another user) and what to do instead.
func LatestDaemon(files Files) (latest RunningDaemon, ok bool, err error) {
	entry, running, err := files.Pidfiles.LatestDaemon()
	if err != nil || !running {
		return RunningDaemon{}, false, err
	}
	latest.PID = entry.PID
	data, err := files.Pidfiles.ReadPrivate(entry.PID)
	if errors.Is(err, os.ErrNotExist) {
		return latest, true, nil
	}
	var private privateSettings
	if err == nil {
		err = json.Unmarshal(data, &private)
	}
	if err != nil {
		return latest, true, fmt.Errorf("read the settings of the running daemon %d, to start the new "+
			"one alike (nothing was stopped): %w; run restart as the daemon's user, or stop it and start a "+
			"new one with the flags it needs", entry.PID, err)
	}
	latest.Recorded, latest.Settings = true, private.Settings
	return latest, true, nil
}
