package pidfile

// LatestDaemon returns the entry of the running daemon (ModeDaemon) of this pid namespace and boot that
// started last, with a readable pidfile; ok is false when none runs. The error is List's.
func (f Folder) LatestDaemon() (latest Entry, ok bool, err error) {
	entries, err := f.List()
	if err != nil {
		return Entry{}, false, err
	}
	for _, entry := range entries {
		if entry.Running && entry.Err == nil && entry.Foreign == "" && entry.Record.Mode == ModeDaemon &&
			(!ok || entry.Record.StartedAt.After(latest.Record.StartedAt)) {
			latest, ok = entry, true
		}
	}
	return latest, ok, nil
}
