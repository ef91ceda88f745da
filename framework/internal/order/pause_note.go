package order

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// MaxPauseNote bounds a pause note an operator writes (`cron pause --note`, the status page), in bytes, so
// that every backend's heartbeat, which carries the notes, stays small.
const MaxPauseNote = 1024

// CheckPauseNote returns an error naming what is wrong with an operator's note: longer than MaxPauseNote
// bytes, not UTF-8, or holding a NUL byte (which PostgreSQL's text refuses); nil when it can be stored.
func CheckPauseNote(note string) error {
	switch {
	case len(note) > MaxPauseNote:
		return fmt.Errorf("the note has %d bytes: at most %d", len(note), MaxPauseNote)
	case !utf8.ValidString(note):
		return fmt.Errorf("the note is not UTF-8 text: %q", note)
	case strings.ContainsRune(note, 0):
		return fmt.Errorf("the note holds a NUL byte: %q", note)
	}
	return nil
}

// CleanPauseNote returns note as every backend can store it: invalid UTF-8 replaced by U+FFFD and NUL
// bytes removed (for notes made of a run's error, such as pause on failure's).
func CleanPauseNote(note string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(note, "\uFFFD"), "\x00", "")
}
