// Package report shapes what the read commands print, without cobra: the rows of their tables (Table) and
// the values of their JSON output, from the run history (`cron history`), the registered jobs and their
// states in the backend (`cron list`), and the cron processes of this base folder and of the cluster
// (`cron state`). It reads the backend it is given; which backend, the flags and the printing itself are
// the commands'.
package report
