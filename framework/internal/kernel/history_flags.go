package kernel

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/pflag"

	"github.com/hadeframe/hade/framework/backend"
)

// Environment variables of the run history's retention.
const (
	envHistoryMaxRuns = "HADE_HISTORY_MAX_RUNS"
	envHistoryMaxAge  = "HADE_HISTORY_MAX_AGE"
)

// addHistoryFlags adds the run history's retention flags to flags, with their defaults from the
// environment; it returns an error naming the variable when a value there does not parse.
func addHistoryFlags(flags *pflag.FlagSet, retention *backend.Retention) error {
	defaults, err := backend.Retention{}.WithDefaults()
	if err != nil {
		return err
	}
	runs, runsErr := envPositiveInt(envHistoryMaxRuns, defaults.PerJob)
	age, ageErr := envDuration(envHistoryMaxAge, defaults.MaxAge)
	flags.IntVar(&retention.PerJob, "history-max-runs", runs,
		"run history: records kept per job, the newest (env "+envHistoryMaxRuns+")")
	flags.DurationVar(&retention.MaxAge, "history-max-age", age,
		"run history: records older than this are dropped, e.g. 720h (env "+envHistoryMaxAge+")")
	return errors.Join(runsErr, ageErr)
}

// envPositiveInt returns the integer in the environment variable name, or fallback when it is unset.
// envDuration returns the duration in the environment variable name, or fallback when it is unset.
func envDuration(name string, fallback time.Duration) (time.Duration, error) {
	value := envOr(name, "")
	if value == "" {
		return fallback, nil
	}
	duration, err := time.ParseDuration(value)
	if err != nil || duration <= 0 {
		return fallback, fmt.Errorf("%s=%q is not a positive duration such as 2s or 500ms", name, value)
	}
	return duration, nil
}

func envPositiveInt(name string, fallback int) (int, error) {
	value := envOr(name, "")
	if value == "" {
		return fallback, nil
	}
	n, err := strconv.Atoi(value)
	if err != nil || n <= 0 {
		return fallback, fmt.Errorf("%s=%q is not a positive whole number such as 1000", name, value)
	}
	return n, nil
}
