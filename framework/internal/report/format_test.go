package report

import (
	"testing"
	"time"
)

func TestFormats(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{shortDuration(300 * time.Microsecond), "0.3ms"},
		{shortDuration(-999 * time.Millisecond), "-999.0ms"},
		{shortDuration(1498*time.Millisecond + 400*time.Microsecond), "1.498s"},
		{shortID("0123456789abcdef"), "01234567"},
		{shortID("short"), "short"},
		{rfc3339(time.Time{}), ""},
		{rfc3339(time.Date(2026, 1, 2, 3, 4, 5, 6000, time.FixedZone("x", 3600))), "2026-01-02T02:04:05.000006Z"},
		{OneLine(" a\n\tb  c ", 10), "a b c"},
		{OneLine("abcdef", 4), "abc…"},
		{OneLine("abcd", 4), "abcd"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}
