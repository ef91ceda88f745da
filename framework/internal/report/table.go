package report

// Table is what a read command prints as aligned columns: a header and rows of cells, each row as long as
// the header. A cell holds no tab nor newline.
type Table struct {
	Header []string
	Rows   [][]string
}

// add appends a row of cells to t.
func (t *Table) add(cells ...string) {
	t.Rows = append(t.Rows, cells)
}
