package scheduler

// EntryOption configures one entry at its registration (AddCronCommand, AddDistributedCronCommand).
type EntryOption func(*entryOptions)

// entryOptions are the settings EntryOptions make.
type entryOptions struct {
	name string // the job name; empty for the default
}

// WithName names the entry's job: the name its runs are recorded and shown under (`cron list`, `cron
// history`). By default a distributed entry's job is named after its service and a normal entry's after
// its command; a command registered twice needs a name for one of them. Names follow
// contract.ValidateJobName; an invalid or repeated name is a registration error.
func WithName(name string) EntryOption {
	return func(o *entryOptions) { o.name = name }
}

func collectOptions(options []EntryOption) entryOptions {
	var o entryOptions
	for _, option := range options {
		if option != nil {
			option(&o)
		}
	}
	return o
}
