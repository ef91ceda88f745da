package supervisor

import (
	"fmt"
	"strings"
	"time"

	"github.com/hadeframe/hade/framework/internal/pidfile"
)

// CheckOneDaemon returns an error naming the daemons that run in the base folder of files, if any: a
// daemon is started only when none runs, unless --allow-another-daemon (the caller then does not call
// it). The error may also be that of listing the pidfiles.
func CheckOneDaemon(files Files) error {
	entries, err := files.Pidfiles.List()
	if err != nil {
		return err
	}
	var running []pidfile.Entry
	for _, entry := range entries {
		if entry.Running {
			running = append(running, entry)
		}
	}
	return refuseSecondDaemon(files, running)
}

// refuseSecondDaemon returns an error naming the running daemons among running, if any.
func refuseSecondDaemon(files Files, running []pidfile.Entry) error {
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
	return fmt.Errorf("a cron daemon already runs in base folder %s: %s; stop it first (cron stop), "+
		"replace it (cron restart), or pass --allow-another-daemon to run one more on purpose",
		files.App.BaseFolder(), strings.Join(daemons, ", "))
}
