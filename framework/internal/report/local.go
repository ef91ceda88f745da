package report

import (
	"errors"
	"fmt"
	"time"

	"github.com/hadeframe/hade/framework/internal/pidfile"
	"github.com/hadeframe/hade/framework/internal/settings"
)

// Running returns the entries of the cron processes that run in this pid namespace and boot: pidfiles
// locked, readable and not foreign, in their order.
func Running(entries []pidfile.Entry) []pidfile.Entry {
	var running []pidfile.Entry
	for _, entry := range entries {
		if entry.Running && entry.Err == nil && entry.Foreign == "" {
			running = append(running, entry)
		}
	}
	return running
}

// LocalLines returns the lines `cron state` prints about the pidfiles of this base folder (entries), each
// without its newline: one per cron process running (its age at now), or not trusted here (its pidfile
// written in another pid namespace or boot), in their order; then, when none runs here, that cron is not
// running and where (e.g. supervisor.Files.WhereNothingRuns). The error names each unreadable pidfile
// and whether it can be removed, joined (errors.Join); nil when none is.
func LocalLines(entries []pidfile.Entry, where string, now time.Time) ([]string, error) {
	var lines []string
	var errs []error
	for _, entry := range entries {
		record := entry.Record
		switch {
		case entry.Err != nil && entry.Running:
			errs = append(errs, fmt.Errorf("%w; a process holds it, find it with `fuser %s`", entry.Err, entry.Path))
		case entry.Err != nil:
			errs = append(errs, fmt.Errorf("%w; no process holds it, so it can be removed", entry.Err))
		case entry.Running && entry.Foreign != "":
			lines = append(lines, fmt.Sprintf("cron process of %s, not trusted here: pid %d there, since %s, %s, %s, "+
				"log %s; it holds pidfile %s, but its pid names another process or none here", entry.Foreign,
				record.PID, record.StartedAt.Format(time.RFC3339), record.Mode, settings.Describe(record.Settings),
				record.Log, entry.Path))
		case entry.Running:
			lines = append(lines, fmt.Sprintf("cron is running: pid %d, since %s (%s ago), %s, app_id %s, %s, log %s",
				record.PID, record.StartedAt.Format(time.RFC3339), now.Sub(record.StartedAt).Round(time.Second),
				record.Mode, record.AppID, settings.Describe(record.Settings), record.Log))
		}
	}
	if len(Running(entries)) == 0 {
		lines = append(lines, fmt.Sprintf("cron is not running (%s)", where))
	}
	return lines, errors.Join(errs...)
}

// SettingsNotes returns a note for each of running whose recorded settings (settings.Describe) are not
// own, those of this command: the lines `cron state` prints after them are about own.
func SettingsNotes(running []pidfile.Entry, own string) []string {
	var notes []string
	for _, entry := range running {
		if theirs := settings.Describe(entry.Record.Settings); theirs != own && entry.Record.Settings != nil {
			notes = append(notes, fmt.Sprintf("note: pid %d uses %s; the lines below are about this command's "+
				"settings (%s)", entry.PID, theirs, own))
		}
	}
	return notes
}
