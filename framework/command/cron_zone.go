package command

import (
	"fmt"

	"github.com/hadeframe/hade/framework/internal/kernel"
)

// applyCronZone gives the scheduler the zone of specs without CRON_TZ= from the settings; the error names
// the setting.
func applyCronZone(root *kernel.Root) error {
	if err := root.Scheduler.SetZone(root.Settings.CronZone); err != nil {
		return fmt.Errorf("cron zone (--cron-tz or %s): %w", "HADE_CRON_TZ", err)
	}
	return nil
}
