// Package statuspage serves the status page of a cron process (`cron start --http`, path "/"): the
// cluster's jobs, the runs in progress, each job's recent history and the live processes, read from the
// backend the processes share and rendered on the server with html/template from embedded templates (no
// external asset, no script). With a token configured, a signed-in operator can also run a job now,
// pause or resume it, and kill its runs, through the same contract.JobControl as the CLI.
package statuspage

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/hadeframe/hade/framework/contract"
)

// MinTokenLength is the shortest token New accepts, in bytes: the token is the only credential of the
// actions, so it must resist guessing through /login.
const MinTokenLength = 16

// readTimeout bounds the backend reads of one page view, and an action's write.
const readTimeout = 3 * time.Second

// Config is what the page shows and acts on. Any of History, Registry and Control may be nil: the page
// then says that part of the backend is unavailable (and, without Control, offers no action).
type Config struct {
	Jobs     []Job // the jobs registered in this process, in registration order
	History  contract.RunHistory
	Registry contract.ProcessRegistry
	Control  contract.JobControl
	Leases   contract.RunLeases // the run counts of limited jobs; nil: none shown
	AppID    string             // this process's app id, marked among the live processes
	// Token enables the actions: an operator signs in with it (or scripts send it as a Bearer token).
	// Empty: the page is read-only and every action is refused with 403. Never logged nor rendered.
	Token   string
	Secrets []string     // texts scrubbed from backend errors before they are shown (e.g. root.Secrets())
	Logger  *slog.Logger // actions and refused requests; nil discards
}

// Job is one job registered in this process, as the page shows it (`cron start` makes it of one of the
// scheduler's entries).
type Job struct {
	Name    string
	Type    string                        // "normal" or "distributed"
	Spec    string                        // as registered, e.g. "*/5 * * * * *"
	Zone    string                        // the IANA zone the spec is evaluated in
	Service string                        // distributed jobs only ("" otherwise): the name ticks are claimed under
	Options string                        // the options that change its ticks, e.g. "overlap forbid, jitter 30s"; "-": none
	Limit   int                           // WithLimitedRuns's number of runs of a distributed job; 0: none
	Next    func(now time.Time) time.Time // the first fire time after now, zero if none; nil: never fires
}

// next returns the job's first fire time after now, or the zero time if it never fires again.
func (j Job) next(now time.Time) time.Time {
	if j.Next == nil {
		return time.Time{}
	}
	return j.Next(now)
}

// Handler is the status page: GET / renders it (GET /?job=NAME with that job's longer history), GET /login
// the sign-in form; POST /login, /logout and /jobs/{job}/{run|pause|resume|kill} are the sign-in, the
// sign-out and the actions. Every other path answers 404.
type Handler struct {
	config  Config
	jobs    map[string]bool // registered job names
	keys    *sessionKeys    // nil without a token
	origins *http.CrossOriginProtection
	mux     *http.ServeMux
}

// New returns the status page of config. It returns an error when config.Token is set but shorter than
// MinTokenLength bytes or contains white space.
func New(config Config) (*Handler, error) {
	if config.Logger == nil {
		config.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	h := &Handler{config: config, jobs: map[string]bool{}, origins: http.NewCrossOriginProtection(),
		mux: http.NewServeMux()}
	for _, job := range config.Jobs {
		h.jobs[job.Name] = true
	}
	if config.Token != "" {
		if len(config.Token) < MinTokenLength || strings.ContainsAny(config.Token, " \t\r\n") {
			return nil, fmt.Errorf("status page token (%d bytes) is invalid: use at least %d bytes without white space, e.g. the output of `openssl rand -hex 32`",
				len(config.Token), MinTokenLength)
		}
		h.keys = newSessionKeys(config.Token)
	}
	h.mux.HandleFunc("GET /{$}", h.servePage)
	h.mux.HandleFunc("GET /login", h.signInPage)
	h.mux.HandleFunc("POST /login", h.login)
	h.mux.HandleFunc("POST /logout", h.logout)
	h.mux.HandleFunc("POST /jobs/{job}/{action}", h.act)
	return h, nil
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	header := w.Header()
	header.Set("X-Content-Type-Options", "nosniff")
	header.Set("X-Frame-Options", "DENY")
	header.Set("Referrer-Policy", "no-referrer")
	header.Set("Content-Security-Policy",
		"default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.mux.ServeHTTP(w, r)
}

// refuse answers status with a plain-text message, and logs it at Warn.
func (h *Handler) refuse(w http.ResponseWriter, r *http.Request, status int, message string) {
	h.config.Logger.Warn("status page: request refused", "method", r.Method, "path", r.URL.Path,
		"remote", r.RemoteAddr, "status", status, "reason", message)
	http.Error(w, message, status)
}
