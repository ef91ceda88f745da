package command

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/hadeframe/hade/framework/internal/report"
)

// Output formats of the read commands (`cron history`, `cron list`, `cron state`).
const (
	outputTable = "table"
	outputJSON  = "json"
)

// addOutputFlag adds --output to cmd, bound to format.
func addOutputFlag(cmd *cobra.Command, format *string) {
	cmd.Flags().StringVarP(format, "output", "o", outputTable, "output format: table or json")
}

// checkOutput returns an error naming format when it is neither table nor json.
func checkOutput(format string) error {
	if format != outputTable && format != outputJSON {
		return fmt.Errorf("--output %q is not a format: valid values are %q and %q", format, outputTable, outputJSON)
	}
	return nil
}

// writeTable writes table as columns two spaces apart (text/tabwriter), its header first, each row on a
// line.
func writeTable(out io.Writer, table report.Table) error {
	columns := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	for _, row := range append([][]string{table.Header}, table.Rows...) {
		fmt.Fprintln(columns, strings.Join(row, "\t"))
	}
	return columns.Flush()
}

// writeJSON writes v as indented JSON and a newline.
func writeJSON(out io.Writer, v any) error {
	encoder := json.NewEncoder(out)
	encoder.SetIndent("", "  ")
	return encoder.Encode(v)
}
