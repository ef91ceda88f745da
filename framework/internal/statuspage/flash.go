package statuspage

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/google/uuid"
)

// The flash cookie carries the outcome of an action across its 303 to "/", which shows it once:
// "<action>:<job>:<request id>" (job names and ids hold no ':').
const flashCookie = "hade_status_flash"

// setFlash sets the flash cookie for the next page view.
func setFlash(w http.ResponseWriter, r *http.Request, action, job, id string) {
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: action + ":" + job + ":" + id, Path: "/",
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil, MaxAge: 60})
}

// takeFlash returns the message of r's flash cookie, clearing it, or "" when r has none or it names no
// registered job or action (the message is rebuilt here, never copied from the cookie).
func (h *Handler) takeFlash(w http.ResponseWriter, r *http.Request) string {
	cookie, err := r.Cookie(flashCookie)
	if err != nil {
		return ""
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Path: "/", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
	parts := strings.Split(cookie.Value, ":")
	if len(parts) != 3 || !h.jobs[parts[1]] || (parts[2] != "" && uuid.Validate(parts[2]) != nil) {
		return ""
	}
	return flashMessage(parts[0], parts[1], parts[2])
}

// flashMessage says what an action did, or "" for an unknown action.
func flashMessage(action, job, id string) string {
	switch action {
	case actionRun:
		return fmt.Sprintf("run of %s requested (request %s): one live process runs it within a second", job, id)
	case actionKill:
		return fmt.Sprintf("kill of %s requested (request %s): each process running it cancels it within a second", job, id)
	case actionPause:
		return fmt.Sprintf("paused %s: every process skips its ticks (outcome paused) from its next heartbeat", job)
	case actionResume:
		return fmt.Sprintf("resumed %s: every process runs its ticks again from its next heartbeat", job)
	}
	return ""
}
