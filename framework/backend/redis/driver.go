package redis

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/hadeframe/hade/framework/backend"
	"github.com/hadeframe/hade/framework/contract"
)

// Config configures the Redis backend.
type Config struct {
	// URL is redis://[user:password@]host:port/db, or rediss:// for TLS; go-redis's query options such as
	// dial_timeout=1s are accepted. Empty: redis://127.0.0.1:6379/0.
	URL string
	// Prefix starts every key, one per application sharing a Redis. Empty: "hade:".
	Prefix string
	// Retention bounds the run history; zero fields are the defaults of backend.Retention.WithDefaults.
	Retention backend.Retention
}

func init() {
	backend.Register("redis", open, []backend.Setting{
		{Name: "url", Field: "redis.Config.URL", Default: defaultURL,
			Usage: "redis://[user:password@]host:port/db, rediss:// for TLS"},
		{Name: "prefix", Field: "redis.Config.Prefix", Default: defaultPrefix,
			Usage: "prefix of every key, one per application sharing a Redis"},
	}...)
}

// New returns the Redis backend of config once Redis answered PING and INFO within the call bound (the
// sum of the dial, write and read timeouts: 500 ms each unless the URL sets them), and starts the
// goroutine that sends claims, which Close stops. It returns an error naming redis.Config.URL, never the
// URL's password, when the URL is malformed, Redis does not answer (unknown host, refused connection,
// wrong password) or is older than 5.0. slog.Default() receives the start and end of an outage.
func New(ctx context.Context, config Config) (contract.Backend, error) {
	return openRedis(ctx, config, slog.Default())
}

// openRedis is New with logger receiving the start and end of an outage.
func openRedis(ctx context.Context, config Config, logger *slog.Logger) (contract.Backend, error) {
	if config.URL == "" {
		config.URL = defaultURL
	}
	if config.Prefix == "" {
		config.Prefix = defaultPrefix
	}
	retention, err := config.Retention.WithDefaults()
	if err != nil {
		return nil, fmt.Errorf("redis.Config.Retention: %w", err)
	}
	r, err := newRedis(config.URL, config.Prefix, logger)
	if err != nil {
		return nil, err
	}
	r.retention = retention
	if err := r.Ping(ctx); err != nil {
		return nil, errors.Join(err, r.Close())
	}
	return r, nil
}

// open makes the backend of options, options.Logger receiving the start and end of an outage. go-redis has
// only a process-wide logger: open makes options.Logger receive its messages (dial failures, pool and reconnect notices) at WARN, as
// {"msg":"go-redis","message":...}.
func open(ctx context.Context, options backend.Options) (contract.Backend, error) {
	redis.SetLogger(goRedisLogger{logger: options.Logger})
	config := Config{URL: options.Values["url"], Prefix: options.Values["prefix"], Retention: options.Retention}
	return openRedis(ctx, config, options.Logger)
}

// goRedisLogger passes go-redis's messages to a slog logger.
type goRedisLogger struct{ logger *slog.Logger }

// Printf logs one go-redis message; its arguments are those of fmt.Printf.
func (l goRedisLogger) Printf(ctx context.Context, format string, args ...any) {
	if ctx == nil {
		ctx = context.Background()
	}
	l.logger.Log(ctx, slog.LevelWarn, "go-redis", "message", strings.TrimSpace(fmt.Sprintf(format, args...)))
}
