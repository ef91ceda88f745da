package supervisor

import (
	"encoding/json"
	"os"
	"time"

	"github.com/hadeframe/hade/framework/internal/pidfile"
	"github.com/hadeframe/hade/framework/internal/settings"
)

// Process is the cron process (this one) whose pidfile Acquire takes.
type Process struct {
	// Mode is pidfile.ModeForeground or pidfile.ModeDaemon.
	Mode string
	// Log is where the process logs: "stdout", or the log file of a daemon.
	Log string
	// Settings are its settings in full (settings.Record): its pidfile shows them redacted, a daemon's
	// owner-only private file keeps them whole for `cron restart`.
	Settings map[string]string
	// AllowAnother (--allow-another-daemon) lets a daemon start although another runs in the base folder.
	AllowAnother bool
}

// Acquire takes this process's pidfile in files.Pidfiles (see pidfile.Folder.Acquire), recording p with its
// settings redacted; a daemon also gets its owner-only private file with them in full. A daemon is refused
// while another daemon runs in the base folder (see CheckOneDaemon), unless p.AllowAnother. The pidfile is
// held until Release.
func Acquire(files Files, p Process) (*pidfile.Pidfile, error) {
	record := pidfile.Record{
		PID: os.Getpid(), AppID: files.App.AppID(), Mode: p.Mode, StartedAt: time.Now(), Log: p.Log,
		Settings: settings.Redact(p.Settings),
	}
	var options pidfile.AcquireOptions
	if p.Mode == pidfile.ModeDaemon {
		private, err := json.Marshal(privateSettings{Settings: p.Settings})
		if err != nil {
			return nil, err
		}
		options.Private = private
		if !p.AllowAnother {
			options.Admit = func(running []pidfile.Entry) error { return refuseSecondDaemon(files, running) }
		}
	}
	return files.Pidfiles.Acquire(record, options)
}
