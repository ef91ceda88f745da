package postgres

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hadeframe/hade/framework/internal/secret"
)

// defaultConnectTimeout bounds a connection's dial and authentication when the URL sets no
// connect_timeout.
const defaultConnectTimeout = 5 * time.Second

// validURL says what parseURL accepts, for messages.
const validURL = "valid: postgres://[user[:password]@]host[:port]/database[?sslmode=…], or a libpq keyword/value " +
	"string such as \"host=db.example dbname=app sslmode=verify-full\", with reserved characters of the password " +
	"percent-encoded in a URL"

// parseURL parses rawURL as pgx does and returns the pool's configuration and the secrets to scrub from
// messages (the password as written and decoded). Its errors name postgres.Config.URL and the URL with
// its password masked.
func parseURL(rawURL string) (*pgxpool.Config, []string, error) {
	secrets := secret.ValuePasswords(rawURL)
	config, err := pgxpool.ParseConfig(rawURL)
	if err != nil {
		return nil, nil, fmt.Errorf("postgres URL %s (postgres.Config.URL) is invalid: %v; %s", redact(rawURL),
			scrub(err, secrets), validURL)
	}
	if config.ConnConfig.Password != "" {
		secrets = append(secrets, config.ConnConfig.Password)
	}
	if config.ConnConfig.ConnectTimeout == 0 {
		config.ConnConfig.ConnectTimeout = defaultConnectTimeout
	}
	if _, set := config.ConnConfig.RuntimeParams["application_name"]; !set {
		config.ConnConfig.RuntimeParams["application_name"] = "hade"
	}
	return config, secrets, nil
}

// redact returns rawURL with its password masked, for messages: a URL's user information (also when it
// does not parse), or a keyword/value string's password.
func redact(rawURL string) string {
	if strings.Contains(rawURL, "://") {
		return secret.RedactUserInfo(rawURL)
	}
	return secret.RedactValue(rawURL)
}

// scrub returns err with the secrets masked (errors.Is still sees its chain).
func scrub(err error, secrets []string) error { return secret.ScrubError(err, secrets) }

// address names the server and database of config, for messages: host:port/database.
func address(config *pgxpool.Config) string {
	c := config.ConnConfig
	return net.JoinHostPort(c.Host, strconv.Itoa(int(c.Port))) + "/" + c.Database
}
