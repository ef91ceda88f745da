// Package secret hides credentials found in settings from what is shown or stored: URLs with a password,
// and error messages that quote them.
package secret

import (
	"net/url"
	"slices"
	"strings"
)

// Mask replaces a secret in text.
const Mask = "xxxxx"

// unparsableURL is what RedactURL shows of a URL that does not parse.
const unparsableURL = "<unparsable URL>"

// URLPasswords returns the password of rawURL's user info as written and percent-decoded, also when
// rawURL does not parse (e.g. "redis://:pa%zz@host"); none when it has no password.
func URLPasswords(rawURL string) []string {
	_, rest, found := strings.Cut(rawURL, "://")
	if !found {
		rest = rawURL
	}
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return nil
	}
	_, password, found := strings.Cut(rest[:at], ":")
	if !found || password == "" {
		return nil
	}
	passwords := []string{password}
	if decoded, err := url.PathUnescape(password); err == nil && decoded != password {
		passwords = append(passwords, decoded)
	}
	return passwords
}

// RedactURL returns rawURL with its password replaced by Mask and its query (which may carry options
// with credentials) dropped; "<unparsable URL>" when it does not parse.
func RedactURL(rawURL string) string {
	parsed, err := url.Parse(rawURL)
	if err != nil {
		return unparsableURL
	}
	if parsed.RawQuery != "" {
		parsed.RawQuery = "…"
	}
	return Scrub(parsed.Redacted(), URLPasswords(rawURL))
}

// Scrub returns text with every non-empty secret replaced by Mask, the longer secrets first (so that a
// secret within another does not leave the rest of that one shown).
func Scrub(text string, secrets []string) string {
	secrets = slices.Clone(secrets)
	slices.SortStableFunc(secrets, func(a, b string) int { return len(b) - len(a) })
	for _, secret := range secrets {
		if secret != "" {
			text = strings.ReplaceAll(text, secret, Mask)
		}
	}
	return text
}

// ScrubError returns err with every secret of its message replaced by Mask; errors.Is and errors.As
// still see err's chain. It returns err itself when nil or when its message holds no secret.
func ScrubError(err error, secrets []string) error {
	if err == nil {
		return nil
	}
	message := Scrub(err.Error(), secrets)
	if message == err.Error() {
		return err
	}
	return &scrubbed{message: message, err: err}
}

type scrubbed struct {
	message string
	err     error
}

func (s *scrubbed) Error() string { return s.message }

// Unwrap returns the original error, for errors.Is and errors.As; never print it.
func (s *scrubbed) Unwrap() error { return s.err }

// RedactUserInfo replaces the user information of rawURL (between "://" and the last "@") with "xxxxx",
// textually, so that it works on URLs that do not parse. A URL without "@" is returned unchanged.
func RedactUserInfo(rawURL string) string {
	scheme, rest, found := strings.Cut(rawURL, "://")
	if !found {
		scheme, rest = "", rawURL
	}
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return rawURL
	}
	if found {
		return scheme + "://xxxxx" + rest[at:]
	}
	return "xxxxx" + rest[at:]
}
