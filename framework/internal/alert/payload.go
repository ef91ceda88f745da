package alert

import (
	"fmt"
	"strings"
	"time"

	"github.com/hadeframe/hade/framework/internal/record"
)

// Events of alerts.
const (
	EventFailed    = "failed"    // a tick's last attempt failed: outcome error, panic, timeout or killed
	EventMissed    = "missed"    // Count consecutive ticks (Tick to LastTick) that no process ran
	EventRecovered = "recovered" // the first ok run of a job after a failed one
)

// Payload is the JSON body of an alert. Times are RFC 3339 in UTC.
type Payload struct {
	Event     string  `json:"event"` // one of the Event… constants
	Job       string  `json:"job"`
	Type      string  `json:"type"`              // "normal" or "distributed"
	Service   string  `json:"service,omitempty"` // distributed jobs only
	Tick      string  `json:"tick"`              // the tick handled; for missed, the first tick missed
	LastTick  string  `json:"last_tick,omitempty"`
	Count     int     `json:"count,omitempty"` // missed only: how many ticks were missed
	Outcome   string  `json:"outcome"`
	Error     string  `json:"error,omitempty"` // the run's error; for missed, why the ticks were missed
	Attempt   int     `json:"attempt"`
	AppID     string  `json:"app_id"` // the process that settled the tick (for missed: that saw the gap)
	Hostname  string  `json:"hostname"`
	PID       int     `json:"pid"`
	Started   string  `json:"started"`
	Finished  string  `json:"finished"`
	Duration  float64 `json:"duration_seconds"`
	PauseNote string  `json:"pause_note,omitempty"` // failed: WithPauseOnFailure paused the job with this note
	Text      string  `json:"text"`                 // a one-line summary, Slack-compatible (an incoming webhook shows it)
}

// newPayload returns the alert of event about record.
func newPayload(event string, run record.Run) *Payload {
	errText := run.Error
	if len(errText) > record.MaxRunErrorLength {
		errText = strings.ToValidUTF8(errText[:record.MaxRunErrorLength], "") + "…"
	}
	p := &Payload{
		Event: event, Job: run.Job, Type: run.Type, Service: run.Service, Tick: rfc3339(run.Tick),
		Outcome: string(run.Outcome), Error: errText, Attempt: run.Attempt, AppID: run.AppID,
		Hostname: run.Hostname, PID: run.PID, Started: rfc3339(run.Started),
		Finished: rfc3339(run.Finished), Duration: run.Finished.Sub(run.Started).Seconds(), PauseNote: run.PauseNote,
	}
	if event == EventMissed {
		p.LastTick, p.Count = rfc3339(run.LastTick), run.Count
	}
	p.Text = slackEscape(p.summary())
	return p
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// summary is the one-line text of the alert.
func (p *Payload) summary() string {
	where := fmt.Sprintf("on %s (pid %d)", p.Hostname, p.PID)
	switch p.Event {
	case EventFailed:
		text := fmt.Sprintf("hade cron: job %s failed (%s) at tick %s %s", p.Job, p.Outcome, p.Tick, where)
		if p.Attempt > 1 {
			text += fmt.Sprintf(" after %d attempts", p.Attempt)
		}
		if p.Error != "" {
			text += ": " + firstLine(p.Error)
		}
		if p.PauseNote != "" {
			text += "; the job is now paused for every process (cron resume " + p.Job + " resumes it)"
		}
		return text
	case EventMissed:
		return fmt.Sprintf("hade cron: job %s missed %d tick(s) from %s to %s, seen %s: %s",
			p.Job, p.Count, p.Tick, p.LastTick, where, p.Error)
	}
	return fmt.Sprintf("hade cron: job %s recovered: tick %s ran ok %s", p.Job, p.Tick, where)
}

// firstLine returns text up to its first line break.
func firstLine(text string) string {
	line, _, _ := strings.Cut(text, "\n")
	return line
}

// slackEscape escapes the three characters Slack's message formatting gives a meaning to.
var slackEscape = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace
