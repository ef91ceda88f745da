package statuspage

import (
	"bytes"
	"context"
	"embed"
	"html/template"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/framework/internal/record"
)

//go:embed templates/*.html
var templates embed.FS

var pageTemplates = template.Must(template.New("").Funcs(template.FuncMap{
	"when":     when,
	"relative": relative,
	"duration": duration,
	"short":    shortID,
	"tone":     tone,
	"runTime":  func(r record.Run) time.Duration { return r.Finished.Sub(r.Started) },
	"clip":     clip,
	"since":    func(now, t time.Time) string { return duration(now.Sub(t)) },
}).ParseFS(templates, "templates/*.html"))

// servePage renders the page: GET / (with ?job=NAME, that job's longer history alone). The backend
// reads take at most readTimeout; their errors are shown on the page, which still answers 200.
func (h *Handler) servePage(w http.ResponseWriter, r *http.Request) {
	p := page{Now: time.Now(), AppID: h.config.AppID, Token: h.keys != nil}
	if focus := r.URL.Query().Get("job"); h.jobs[focus] {
		p.Focus = focus
	}
	if session := h.session(r); session != "" {
		p.SignedIn, p.Actions, p.CSRF = true, h.config.Control != nil, h.keys.csrf(session)
	}
	p.Flash = h.takeFlash(w, r)
	ctx, cancel := context.WithTimeout(r.Context(), readTimeout)
	h.read(ctx, &p)
	cancel()
	h.render(w, "page.html", p)
}

// signInPage renders the sign-in form (GET /login): a page of its own, which does not refresh while the
// token is typed.
func (h *Handler) signInPage(w http.ResponseWriter, r *http.Request) {
	if h.keys == nil {
		h.refuse(w, r, http.StatusNotFound, errNoToken.Error())
		return
	}
	h.render(w, "login.html", nil)
}

// render executes the template name with data and writes it, or answers 500 (logged) when it fails.
func (h *Handler) render(w http.ResponseWriter, name string, data any) {
	var body bytes.Buffer
	if err := pageTemplates.ExecuteTemplate(&body, name, data); err != nil {
		h.config.Logger.Error("status page: rendering failed", "template", name, "error", err.Error())
		http.Error(w, "the status page could not be rendered (logged)", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if _, err := w.Write(body.Bytes()); err != nil {
		h.config.Logger.Debug("status page: writing the page failed", "error", err.Error())
	}
}

// when formats t in UTC, RFC 3339, or "-" when zero.
func when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

// relative says how far t is from now: "in 3s", "12s ago", or "" when t is zero.
func relative(now, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	if d := t.Sub(now); d >= 0 {
		return "in " + duration(d)
	}
	return duration(now.Sub(t)) + " ago"
}

// duration rounds d for reading: ms below a second, 10ms below a minute, seconds above.
func duration(d time.Duration) string {
	switch {
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(10 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

// shortID is the first 8 characters of an app id.
func shortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

// tone is the CSS class of an outcome.
func tone(outcome contract.Outcome) string {
	switch outcome {
	case "ok":
		return "ok"
	case "error", "panic", "timeout", "not_run", "lease_lost":
		return "bad"
	case "killed", "missed", "canceled", "abandoned":
		return "warn"
	}
	return "muted"
}

// clip cuts text to n bytes (at a rune boundary), ending with "…" when cut.
func clip(n int, text string) string {
	if len(text) <= n {
		return text
	}
	for n > 0 && !utf8.RuneStart(text[n]) {
		n--
	}
	return text[:n] + "…"
}
