package daemon

import (
	"log/slog"

	systemd "github.com/coreos/go-systemd/v22/daemon"
)

// NotifyReady tells the service manager that the process is up (READY=1) when NOTIFY_SOCKET is set
// (systemd's Type=notify); a failure to send it is logged to logger as a warning, never returned.
func NotifyReady(logger *slog.Logger) { notifySystemd(logger, systemd.SdNotifyReady) }

// NotifyStopping tells the service manager that the process is stopping (STOPPING=1), as NotifyReady.
func NotifyStopping(logger *slog.Logger) { notifySystemd(logger, systemd.SdNotifyStopping) }

// notifySystemd sends state to the service manager when NOTIFY_SOCKET is set, and logs a failure to send
// it as a warning.
func notifySystemd(logger *slog.Logger, state string) {
	sent, err := systemd.SdNotify(false, state)
	switch {
	case err != nil:
		logger.Warn("cron could not notify systemd", "state", state, "error", err.Error())
	case sent:
		logger.Debug("cron notified systemd", "state", state)
	}
}
