package order

// MaxPauseNote bounds a pause note an operator writes (`cron pause --note`, the status page), in bytes, so
// that every backend's heartbeat, which carries the notes, stays small.
const MaxPauseNote = 1024
