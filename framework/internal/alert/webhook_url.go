package alert

import (
	"errors"
	"net/url"
	"strings"
)

// target is one webhook: its URL, and how logs show it (without credentials, path or query).
type target struct {
	url   string
	shown string
}

// CheckURL returns nil when raw is an absolute http or https URL with a host, else an error saying what
// is wrong. The error never quotes raw: a webhook URL often holds a secret in its path or query.
func CheckURL(raw string) error {
	parsed, err := url.Parse(raw)
	switch {
	case err != nil:
		return errors.New("not a URL (it does not parse)")
	case parsed.Scheme != "http" && parsed.Scheme != "https":
		return errors.New("the scheme must be http or https")
	case parsed.Host == "" || parsed.Hostname() == "":
		return errors.New("the URL has no host")
	}
	return nil
}

// ShownURL returns scheme://host[:port] of raw, what logs and settings may show of a webhook URL: its
// user info, path and query may hold secrets. "<unparsable URL>" when raw does not parse.
func ShownURL(raw string) string {
	parsed, err := url.Parse(raw)
	if err != nil || parsed.Scheme == "" {
		return "<unparsable URL>"
	}
	return parsed.Scheme + "://" + parsed.Host
}

// ShownURLs returns a comma-separated list of webhook URLs as logs and settings show it: ShownURL of each
// followed by "/…" (what was cut), comma-separated; "" when list is "".
func ShownURLs(list string) string {
	if list == "" {
		return ""
	}
	urls := strings.Split(list, ",")
	for i, raw := range urls {
		urls[i] = ShownURL(raw) + "/…"
	}
	return strings.Join(urls, ",")
}
