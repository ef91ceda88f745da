package cronprocess

import (
	"log/slog"
	"strings"
	"testing"
)

func TestParseLogLevel(t *testing.T) {
	for name, want := range map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo,
		"warn": slog.LevelWarn, "error": slog.LevelError, "WARN": slog.LevelWarn} {
		if level, err := ParseLogLevel(name); err != nil || level != want {
			t.Fatalf("ParseLogLevel(%q) = %v, %v; want %v", name, level, err, want)
		}
	}
	_, err := ParseLogLevel("verbose")
	if err == nil || !strings.Contains(err.Error(), `"verbose"`) ||
		!strings.Contains(err.Error(), "debug, info, warn, error") {
		t.Fatalf("ParseLogLevel(verbose) = %v, want an error naming the value and the valid levels", err)
	}
}
