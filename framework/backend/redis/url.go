package redis

import (
	"fmt"
	"net"
	"net/url"
	"strconv"

	"github.com/redis/go-redis/v9"

	"github.com/hadeframe/hade/framework/internal/secret"
)

// validRedisURL says what parseRedisURL accepts, for messages.
const validRedisURL = "valid: redis://[user:password@]host:port/db or rediss://… for TLS, " +
	"with reserved characters of the password percent-encoded"

// parseRedisURL parses rawURL as go-redis does, with errors that never contain its credentials: the
// errors of url.Parse quote the raw URL, and some quote the part where parsing failed, which may be in the
// password. setting names where the URL is configured.
func parseRedisURL(rawURL, setting string) (*redis.Options, error) {
	options, err := redis.ParseURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("redis URL %s (%s) is invalid: %s; %s", secret.RedactUserInfo(rawURL), setting,
			describeURLError(rawURL), validRedisURL)
	}
	if _, port, err := net.SplitHostPort(options.Addr); err == nil {
		if number, err := strconv.Atoi(port); err != nil || number < 1 || number > 65535 {
			return nil, fmt.Errorf("redis URL %s (%s) is invalid: port %q is not a number from 1 to 65535; %s",
				secret.RedactUserInfo(rawURL), setting, port, validRedisURL)
		}
	}
	return options, nil
}

// describeURLError says why go-redis refuses rawURL, without its credentials: it parses the URL with its
// user information replaced, so the error comes from the rest of the URL or is in the credentials.
func describeURLError(rawURL string) string {
	if _, err := redis.ParseURL(secret.RedactUserInfo(rawURL)); err != nil {
		return unquoteURLError(err)
	}
	return "the user:password part is invalid (a % not followed by two hex digits, or a reserved character " +
		"such as / ? # @ not percent-encoded)"
}

// unquoteURLError returns err's text without the URL a *url.Error quotes.
func unquoteURLError(err error) string {
	if parseErr, ok := err.(*url.Error); ok {
		return parseErr.Err.Error()
	}
	return err.Error()
}
