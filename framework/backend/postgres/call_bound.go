package postgres

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// statementTimeoutUnits are the units PostgreSQL accepts in a time setting such as statement_timeout
// (PostgreSQL documentation, 19.1.1 "Parameter Names and Values"); a bare number is milliseconds.
var statementTimeoutUnits = map[string]time.Duration{
	"": time.Millisecond, "us": time.Microsecond, "ms": time.Millisecond, "s": time.Second,
	"min": time.Minute, "h": time.Hour, "d": 24 * time.Hour,
}

// callBound returns the bound of one call to the server: the statement_timeout the URL sets for the
// sessions (the server cancels a statement that runs longer, and the client waits no longer than that for
// a reply, the server paused or the network cut), or defaultCallTimeout when the URL sets none or 0
// (PostgreSQL's "no limit"). An every-second job needs a bound well under a second for a claim whose reply
// was lost to be re-sent before its next tick. The error names the setting, its value and the valid forms.
func callBound(config *pgxpool.Config) (time.Duration, error) {
	value, set := config.ConnConfig.RuntimeParams["statement_timeout"]
	if !set {
		return defaultCallTimeout, nil
	}
	text := strings.TrimSpace(value)
	split := strings.IndexFunc(text, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	if split < 0 {
		split = len(text)
	}
	number, err := strconv.ParseFloat(text[:split], 64)
	unit, known := statementTimeoutUnits[strings.TrimSpace(text[split:])]
	if err != nil || !known || number < 0 {
		return 0, fmt.Errorf("postgres.Config.URL: statement_timeout %q is not a time: valid: a number of "+
			"milliseconds, or a number with a unit us, ms, s, min, h or d, e.g. 200ms or 1.5s", value)
	}
	bound := time.Duration(number * float64(unit))
	if bound <= 0 {
		return defaultCallTimeout, nil
	}
	return bound, nil
}
