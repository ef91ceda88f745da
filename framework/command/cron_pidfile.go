package command

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hadeframe/hade/framework/internal/pidfile"
	"github.com/hadeframe/hade/framework/internal/settings"
)

// privateSettings is the owner-only file next to a daemon's pidfile: what `cron restart` needs to start
// the same daemon again, credentials included.
type privateSettings struct {
	Settings map[string]string `json:"settings"`
}

// acquirePidfile takes this process's pidfile, recording its settings (secrets redacted; a daemon keeps
// them in full in its owner-only private file). A daemon is refused while another daemon runs in the
// base folder, unless cmd has --allow-another-daemon.
func acquirePidfile(cmd *cobra.Command, files cronFiles, mode, logPath string) (*pidfile.Pidfile, error) {
	recorded := settings.Record(cmd.Flags(), files.app.BaseFolder())
	record := pidfile.Record{
		PID: os.Getpid(), AppID: files.app.AppID(), Mode: mode, StartedAt: time.Now(), Log: logPath,
		Settings: settings.Redact(recorded),
	}
	var options pidfile.AcquireOptions
	if mode == pidfile.ModeDaemon {
		private, err := json.Marshal(privateSettings{Settings: recorded})
		if err != nil {
			return nil, err
		}
		options.Private = private
		if !anotherDaemonAllowed(cmd) {
			options.Admit = func(running []pidfile.Entry) error { return refuseSecondDaemon(files, running) }
		}
	}
	return files.pidfiles.Acquire(record, options)
}

func anotherDaemonAllowed(cmd *cobra.Command) bool {
	allowed, err := cmd.Flags().GetBool("allow-another-daemon")
	return err == nil && allowed
}

// refuseSecondDaemon returns an error naming the running daemons among running, if any.
func refuseSecondDaemon(files cronFiles, running []pidfile.Entry) error {
	var daemons []string
	for _, entry := range running {
		if entry.Err != nil || entry.Record.Mode != pidfile.ModeDaemon {
			continue
		}
		text := fmt.Sprintf("pid %d (since %s)", entry.PID, entry.Record.StartedAt.Format(time.RFC3339))
		if entry.Foreign != "" {
			text += " of " + entry.Foreign
		}
		daemons = append(daemons, text)
	}
	if len(daemons) == 0 {
		return nil
	}
	return fmt.Errorf("a cron daemon already runs in base folder %s: %s; stop it first (cron stop), replace it "+
		"(cron restart), or pass --allow-another-daemon to run one more on purpose",
		files.app.BaseFolder(), strings.Join(daemons, ", "))
}
