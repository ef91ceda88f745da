package engine

import (
	"encoding/csv"
	"strings"

	"github.com/spf13/pflag"
)

// resetFlag sets flag back to its default value and marks it unchanged, as a fresh command line would
// leave it. Slice flags get their parsed default through pflag.SliceValue.Replace (Set would append to a
// changed slice). It returns the error of the flag's value when the default does not parse.
func resetFlag(flag *pflag.Flag) error {
	if slice, ok := flag.Value.(pflag.SliceValue); ok {
		values, err := parseSliceDefault(flag.DefValue)
		if err != nil {
			return err
		}
		if err := slice.Replace(values); err != nil {
			return err
		}
	} else if err := flag.Value.Set(flag.DefValue); err != nil {
		return err
	}
	flag.Changed = false
	return nil
}

// parseSliceDefault parses the default text pflag gives a slice flag, "[a,b]" with CSV quoting, into its
// values; "[]" is no value.
func parseSliceDefault(text string) ([]string, error) {
	inner := strings.TrimSuffix(strings.TrimPrefix(text, "["), "]")
	if inner == "" {
		return []string{}, nil
	}
	return csv.NewReader(strings.NewReader(inner)).Read()
}
