package etcd

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/hadeframe/hade/framework/backend"
	"github.com/hadeframe/hade/framework/contract"
)

func init() {
	backend.Register("etcd", open, []backend.Setting{
		{Name: "endpoints", Field: "etcd.Config.Client.Endpoints", Default: defaultEndpoints,
			Usage: "comma-separated host:port or http(s)://host:port of the members"},
		{Name: "prefix", Field: "etcd.Config.Prefix", Default: defaultPrefix,
			Usage: "prefix of every key, one per application sharing a cluster"},
		{Name: "user", Field: "etcd.Config.Client.Username", Usage: "user of etcd's authentication; the password comes from {password} or {password-file}"},
		{Name: "password", Field: "etcd.Config.Client.Password", Secret: true, Usage: "the user's password"},
		{Name: "password-file", Field: passwordFileSetting,
			Usage: "file whose first line is the password, used when {password} is not set"},
		{Name: "cacert", Field: caFileSetting,
			Usage: "PEM file of the CA of the members' certificates; default the system roots for https"},
		{Name: "cert", Field: certFileSetting, Usage: "PEM client certificate"},
		{Name: "key", Field: keyFileSetting, Usage: "PEM key of {cert}"},
		{Name: "dial-timeout", Field: "etcd.Config.Client.DialTimeout", Default: defaultDialTimeout.String(),
			Usage: "bound of connecting, authenticating and of the check by cron list"},
		{Name: "request-timeout", Field: "etcd.Config.RequestTimeout", Default: defaultRequestTimeout.String(),
			Usage: "bound of one claim request; a failed one is re-sent while the hold window is open"},
	}...)
}

// New returns the etcd backend of config once the cluster answered a read within the dial timeout and
// its members run etcd 3.4 or later, and starts the goroutine that sends claims, which Close stops. When
// the cluster does not answer and config.WaitForCluster is set, it logs once that claims fail (fail
// closed) until it does and returns the backend, whose claims resume once the cluster answers. It returns
// an error naming the Config field to fix, never the password, when an endpoint is malformed, TLS is set
// for http:// endpoints, or the cluster refuses the user, the password or a read.
func New(ctx context.Context, config Config) (contract.Backend, error) {
	retention, err := config.Retention.WithDefaults()
	if err != nil {
		return nil, fmt.Errorf("etcd.Config.Retention: %w", err)
	}
	e, err := newEtcd(config)
	if err != nil {
		return nil, err
	}
	e.retention = retention
	if err := e.Ping(ctx); err != nil {
		if config.WaitForCluster && etcdRetryable(err) {
			e.outage.Note(err)
			return e, nil
		}
		return nil, errors.Join(err, e.Close())
	}
	if err := e.CheckVersion(ctx); err != nil {
		return nil, errors.Join(err, e.Close())
	}
	return e, nil
}

// open makes the backend of options; it reads the TLS and password files the settings name.
func open(ctx context.Context, options backend.Options) (contract.Backend, error) {
	values := options.Values
	dial, dialErr := positiveDuration("etcd.Config.Client.DialTimeout", values["dial-timeout"])
	request, requestErr := positiveDuration("etcd.Config.RequestTimeout", values["request-timeout"])
	tlsConfig, tlsErr := tlsFromFiles(values["cacert"], values["cert"], values["key"])
	password, passwordErr := passwordFromFile(values["password"], values["password-file"])
	if err := errors.Join(dialErr, requestErr, tlsErr, passwordErr); err != nil {
		return nil, err
	}
	client := clientv3.Config{Endpoints: strings.Split(values["endpoints"], ","), Username: values["user"],
		Password: password, TLS: tlsConfig, DialTimeout: dial}
	return New(ctx, Config{Client: client, Prefix: values["prefix"], RequestTimeout: request,
		WaitForCluster: options.Wait, Logger: options.Logger, Retention: options.Retention})
}

// positiveDuration parses value, the setting field, as a positive duration.
func positiveDuration(field, value string) (time.Duration, error) {
	duration, err := time.ParseDuration(value)
	if err != nil || duration <= 0 {
		return 0, fmt.Errorf("%s %q is not a positive duration such as 2s or 500ms", field, value)
	}
	return duration, nil
}
