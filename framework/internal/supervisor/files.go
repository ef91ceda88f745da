package supervisor

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/framework/internal/pidfile"
)

// Files are the files of the cron processes below an application's storage folder.
type Files struct {
	App      contract.App
	Pidfiles pidfile.Folder // storage/runtime/cron.<pid>.pid
	Log      string         // storage/log/cron.log: the structured (JSON) log of daemons
	Output   string         // storage/log/cron.output.log: what daemons print, panics and crashes
}

// NewFiles names the cron files of app. It creates nothing.
func NewFiles(app contract.App) Files {
	return Files{
		App:      app,
		Pidfiles: pidfile.Folder{Path: app.RuntimeFolder(), Prefix: "cron"},
		Log:      filepath.Join(app.LogFolder(), "cron.log"),
		Output:   filepath.Join(app.LogFolder(), "cron.output.log"),
	}
}

// makeLogFolder creates storage/log (mode 0750) if missing; pidfile.Folder.Acquire creates
// storage/runtime itself.
func (f Files) makeLogFolder() error {
	if err := os.MkdirAll(f.App.LogFolder(), 0o750); err != nil {
		return fmt.Errorf("create %s: %w", f.App.LogFolder(), err)
	}
	return nil
}

// WhereNothingRuns says where the pidfiles were looked for, and, when the runtime folder is missing, how
// to point at another base folder.
func (f Files) WhereNothingRuns() string {
	if _, err := os.Stat(f.Pidfiles.Path); err != nil {
		return fmt.Sprintf("no cron runtime folder %s: no cron process ever ran with base folder %s; "+
			"point at the processes' base folder with --base-folder or %s", f.Pidfiles.Path,
			f.App.BaseFolder(), "HADE_BASE_FOLDER")
	}
	return "no locked pidfile in " + f.Pidfiles.Path
}
