package report

import "github.com/hadeframe/hade/framework/internal/pidfile"

// Pidfile is a pidfile of this base folder as `cron state --output json` prints it: its record (StartedAt
// in UTC RFC 3339, settings redacted as recorded) when it is readable, else Error.
type Pidfile struct {
	Path      string            `json:"pidfile"`
	PID       int               `json:"pid"`
	Running   bool              `json:"running"`
	Foreign   string            `json:"foreign,omitempty"`
	AppID     string            `json:"app_id,omitempty"`
	Mode      string            `json:"mode,omitempty"`
	StartedAt string            `json:"started_at,omitempty"`
	Log       string            `json:"log,omitempty"`
	Settings  map[string]string `json:"settings,omitempty"`
	Error     string            `json:"error,omitempty"`
}

// Pidfiles returns entries, in their order, as `cron state --output json` prints them: never nil, so
// that none prints as [].
func Pidfiles(entries []pidfile.Entry) []Pidfile {
	out := make([]Pidfile, 0, len(entries))
	for _, entry := range entries {
		j := Pidfile{Path: entry.Path, PID: entry.PID, Running: entry.Running, Foreign: entry.Foreign}
		if entry.Err != nil {
			j.Error = entry.Err.Error()
		} else {
			r := entry.Record
			j.AppID, j.Mode, j.StartedAt, j.Log, j.Settings = r.AppID, r.Mode, rfc3339(r.StartedAt), r.Log, r.Settings
		}
		out = append(out, j)
	}
	return out
}
