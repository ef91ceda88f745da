package alert

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// userAgent names the sender of the alerts.
const userAgent = "hade-cron-alert/1"

// send is the sender goroutine: it handles queued work until Close, then what is left in the queue, and
// returns. Once a.ctx ends, what is left is counted as lost.
func (a *Alerter) send() {
	defer close(a.done)
	for {
		select {
		case work := <-a.queue:
			a.handle(work)
		case <-a.stop:
			for {
				select {
				case work := <-a.queue:
					a.handle(work)
				default:
					return
				}
			}
		}
	}
}

// handle posts work's alert to every URL, or first reads the history for a possible recovery.
func (a *Alerter) handle(work item) {
	alert := work.alert
	if work.check != nil {
		var err error
		if alert, err = a.recovery(*work.check); err != nil {
			for _, t := range a.targets {
				a.loss(nil, work.check, t, "the run history could not be read to tell whether the job recovered: "+err.Error())
			}
			return
		}
		if alert == nil {
			return
		}
	}
	body, err := json.Marshal(alert)
	if err != nil { // not reached: a Payload always marshals
		for _, t := range a.targets {
			a.loss(alert, nil, t, "encode: "+err.Error())
		}
		return
	}
	for _, t := range a.targets {
		if err := a.deliver(t, body); err != nil {
			a.loss(alert, nil, t, err.Error())
			continue
		}
		a.sent.Add(1)
	}
}

// deliver posts body to t, again after a backoff on network errors and 5xx or 429 answers, up to
// Attempts times; it returns why it gave up.
func (a *Alerter) deliver(t target, body []byte) error {
	wait := a.options.Backoff
	for attempt := 1; ; attempt++ {
		retry, err := a.post(t, body)
		switch {
		case err == nil:
			return nil
		case !retry:
			return err
		case attempt >= a.options.Attempts:
			return fmt.Errorf("%w (gave up after %d attempts)", err, attempt)
		}
		select {
		case <-time.After(wait):
		case <-a.ctx.Done():
			return fmt.Errorf("%w; no retry: the process is stopping", err)
		}
		wait *= 2
	}
}

// post makes one POST of body to t; retry says whether a failure may pass on a later attempt. Errors
// never quote the URL.
func (a *Alerter) post(t target, body []byte) (retry bool, err error) {
	ctx, cancel := context.WithTimeout(a.ctx, a.options.Timeout)
	defer cancel()
	request, err := http.NewRequestWithContext(ctx, http.MethodPost, t.url, bytes.NewReader(body))
	if err != nil {
		return false, errors.New("the request could not be made (check the URL)")
	}
	request.Header.Set("Content-Type", "application/json")
	request.Header.Set("User-Agent", userAgent)
	response, err := a.client.Do(request)
	if err != nil {
		var urlErr *url.Error
		if errors.As(err, &urlErr) { // its message quotes the URL
			err = urlErr.Err
		}
		return a.ctx.Err() == nil, fmt.Errorf("post: %w", err)
	}
	if drainErr := drain(response.Body); drainErr != nil { // the status is the answer: this only costs the connection
		a.logger.Debug("cron alert: the webhook's answer could not be read to its end", "url", t.shown, "error", drainErr.Error())
	}
	switch status := response.StatusCode; {
	case status >= 200 && status < 300:
		return false, nil
	case status >= 500 || status == http.StatusTooManyRequests:
		return true, fmt.Errorf("the webhook answered %s", response.Status)
	}
	return false, fmt.Errorf("the webhook answered %s (not retried)", response.Status)
}

// drain reads (up to 64 KiB of) body and closes it, so that its connection can serve the next post.
func drain(body io.ReadCloser) error {
	_, err := io.Copy(io.Discard, io.LimitReader(body, 64<<10))
	return errors.Join(err, body.Close())
}
