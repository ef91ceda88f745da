package command

import (
	"log/slog"

	systemd "github.com/coreos/go-systemd/v22/daemon"
)

// notifySystemd sends state (systemd.SdNotifyReady, systemd.SdNotifyStopping) to the service manager when
// NOTIFY_SOCKET is set (systemd's Type=notify), and logs a failure to send it as a warning.
func notifySystemd(logger *slog.Logger, state string) {
	sent, err := systemd.SdNotify(false, state)
	switch {
	case err != nil:
		logger.Warn("cron could not notify systemd", "state", state, "error", err.Error())
	case sent:
		logger.Debug("cron notified systemd", "state", state)
	}
}
