package pgserver

import (
	"fmt"
	"os"
	"sort"
	"strings"
)

// baseSettings are the postgresql.conf settings of every cluster, before Options.Settings. fsync=off
// changes nothing a test can observe short of an OS crash (see the package's comment); the dynamic shared
// memory lives in files of the data folder, so a killed server leaves nothing in /dev/shm once Stop
// removed the folder. wal_level and the senders make a primary that standbys can stream from.
var baseSettings = [][2]string{
	{"fsync", "off"},
	{"dynamic_shared_memory_type", "mmap"},
	{"wal_level", "replica"},
	{"max_wal_senders", "10"},
	{"max_replication_slots", "10"},
	{"hot_standby", "on"},
	{"lc_messages", "C"}, // the log lines this package waits for are the English ones
}

// hbaConf lets the superuser in over TCP from 127.0.0.1 with its password, for queries and streaming
// replication, and anyone on the unix socket, which is in the cluster's folder that only its owner (and
// root) can enter.
const hbaConf = `# written by hade's internal/pgserver
# TYPE  DATABASE     USER  ADDRESS       METHOD
local   all          all                 trust
host    all          all   127.0.0.1/32  scram-sha-256
host    replication  all   127.0.0.1/32  scram-sha-256
`

// appendSettings appends settings (name, value pairs; a later one wins) to the configuration file path,
// each value quoted.
func appendSettings(path string, settings [][2]string) error {
	var text strings.Builder
	text.WriteString("\n# hade's internal/pgserver\n")
	for _, setting := range settings {
		fmt.Fprintf(&text, "%s = %s\n", setting[0], confQuote(setting[1]))
	}
	file, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	if _, err := file.WriteString(text.String()); err != nil {
		_ = file.Close()
		return err
	}
	return file.Close()
}

// sortedSettings returns settings as pairs, by name.
func sortedSettings(settings map[string]string) [][2]string {
	pairs := make([][2]string, 0, len(settings))
	for name, value := range settings {
		pairs = append(pairs, [2]string{name, value})
	}
	sort.Slice(pairs, func(i, j int) bool { return pairs[i][0] < pairs[j][0] })
	return pairs
}

// confQuote quotes value for a PostgreSQL configuration file: in single quotes, with backslashes and
// quotes escaped (any setting takes a quoted value).
func confQuote(value string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `''`).Replace(value) + "'"
}

// conninfoQuote quotes value for a libpq connection string (key='value').
func conninfoQuote(value string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(value) + "'"
}
