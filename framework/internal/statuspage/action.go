package statuspage

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/hadeframe/hade/framework/internal/jobrequest"
	"github.com/hadeframe/hade/framework/internal/order"
	"github.com/hadeframe/hade/framework/internal/secret"
)

// Actions of POST /jobs/{job}/{action}.
const (
	actionRun    = "run"
	actionPause  = "pause"
	actionResume = "resume"
	actionKill   = "kill"
)

// login signs the operator in: POST /login with the form field "token" sets the session cookie and
// answers 303 to "/"; a wrong token answers 403.
func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	if h.keys == nil {
		h.refuse(w, r, http.StatusForbidden, errNoToken.Error())
		return
	}
	if h.origins.Check(r) != nil {
		h.refuse(w, r, http.StatusForbidden, errCrossOrigin.Error())
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		h.refuse(w, r, http.StatusBadRequest, "unreadable form: "+err.Error())
		return
	}
	if !h.keys.tokenMatches(r.PostFormValue("token")) {
		h.refuse(w, r, http.StatusForbidden, "sign-in refused: the token is wrong (go back to the status page to try again)")
		return
	}
	setSession(w, r, h.keys.newSession(time.Now()))
	h.config.Logger.Info("status page: operator signed in", "remote", r.RemoteAddr)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// logout clears the session cookie and answers 303 to "/".
func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	if h.origins.Check(r) != nil {
		h.refuse(w, r, http.StatusForbidden, errCrossOrigin.Error())
		return
	}
	setSession(w, r, "")
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// act carries out POST /jobs/{job}/{action} once authorize accepts it: a browser gets 303 to "/" with a
// flash message, a Bearer client 200 with the message as text.
func (h *Handler) act(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		h.refuse(w, r, http.StatusBadRequest, "unreadable form: "+err.Error())
		return
	}
	who, err := h.authorize(r)
	if err != nil {
		h.refuse(w, r, http.StatusForbidden, err.Error())
		return
	}
	job, action := r.PathValue("job"), r.PathValue("action")
	if status, message := h.checkAction(job, action); status != 0 {
		h.refuse(w, r, status, message)
		return
	}
	note := r.PostForm.Get("note")
	if err := order.CheckPauseNote(note); err != nil {
		h.refuse(w, r, http.StatusBadRequest, err.Error())
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), readTimeout)
	defer cancel()
	id, err := h.do(ctx, job, action, note)
	if err != nil {
		message := secret.Scrub(fmt.Sprintf("%s %s failed: %v", action, job, err), h.config.Secrets)
		h.config.Logger.Error("status page: action failed", "action", action, "job", job, "error", message)
		http.Error(w, message, http.StatusBadGateway)
		return
	}
	message := flashMessage(action, job, id)
	h.config.Logger.Info("status page: "+message, "action", action, "job", job, "by", who, "remote", r.RemoteAddr)
	if who == "bearer" {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, message)
		return
	}
	setFlash(w, r, action, job, id)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// checkAction returns the status and message refusing action on job, or 0 when it can be carried out.
func (h *Handler) checkAction(job, action string) (int, string) {
	switch {
	case action != actionRun && action != actionPause && action != actionResume && action != actionKill:
		return http.StatusNotFound, fmt.Sprintf("unknown action %q: use run, pause, resume or kill", action)
	case !h.jobs[job]:
		return http.StatusBadRequest, fmt.Sprintf("unknown job %q: %s", job, h.jobList())
	case h.config.Control == nil:
		return http.StatusServiceUnavailable, "job control is unavailable: this process's backend keeps none"
	}
	return 0, ""
}

// do carries out action on job through the job control, a pause with note (empty: "paused on the status
// page"); it returns the request id of a run or a kill.
func (h *Handler) do(ctx context.Context, job, action, note string) (string, error) {
	switch action {
	case actionPause, actionResume:
		if note == "" {
			note = "paused on the status page"
		}
		return "", h.config.Control.SetPaused(ctx, job, action == actionPause, note)
	}
	kind := order.Run
	if action == actionKill {
		kind = order.Kill
	}
	request, err := jobrequest.Send(ctx, h.config.Control, order.New(job, kind))
	return request.ID, err
}

// jobList names the registered jobs (the first 20), for an error.
func (h *Handler) jobList() string {
	if len(h.config.Jobs) == 0 {
		return "no job is registered"
	}
	names := make([]string, 0, 20)
	for _, job := range h.config.Jobs {
		if len(names) == cap(names) {
			names = append(names, "…")
			break
		}
		names = append(names, job.Name)
	}
	return "the registered jobs are " + strings.Join(names, ", ")
}
