package kernel

import "fmt"

// ApplyCronZone gives the scheduler the zone of the settings (--cron-tz) for the specs without CRON_TZ=;
// the error names the setting.
func (r *Root) ApplyCronZone() error {
	if err := r.Scheduler.SetZone(r.Settings.CronZone); err != nil {
		return fmt.Errorf("cron zone (--cron-tz or %s): %w", envCronZone, err)
	}
	return nil
}
