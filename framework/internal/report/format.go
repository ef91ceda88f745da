package report

import (
	"fmt"
	"strings"
	"time"
)

// rfc3339 returns t in UTC as RFC 3339 with as many fractional digits as it has, e.g.
// "2026-12-03T21:00:00.002Z", or "" for the zero time.
func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// milliseconds returns d in milliseconds, to the microsecond: 1500µs is 1.5.
func milliseconds(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// shortDuration shows d in ms with one decimal below a second ("0.3ms"), else rounded to the ms
// ("1.498s").
func shortDuration(d time.Duration) string {
	if d > -time.Second && d < time.Second {
		return fmt.Sprintf("%.1fms", milliseconds(d))
	}
	return d.Round(time.Millisecond).String()
}

// shortID returns the first 8 characters of an app id (a UUID's first group), or the id when shorter.
func shortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

// OneLine returns text on one line, its runs of white space (newlines included) made one space, cut to at
// most max runes (max >= 1), the last of them "…" when cut.
func OneLine(text string, max int) string {
	text = strings.Join(strings.Fields(text), " ")
	if runes := []rune(text); len(runes) > max {
		return string(runes[:max-1]) + "…"
	}
	return text
}
