package console

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/pflag"

	"github.com/hadeframe/hade/framework/provider/distributed"
)

// addEtcdFlags adds the --etcd-* flags of the etcd backend to flags, with their defaults from the
// environment; it returns an error naming the variable when a timeout in the environment does not parse.
// The password has no flag (ps would show it): HADE_ETCD_PASSWORD or --etcd-password-file.
func addEtcdFlags(flags *pflag.FlagSet, config *distributed.EtcdConfig) error {
	with := "with --distributed=etcd: "
	flags.StringVar(&config.Endpoints, "etcd-endpoints", envOr(EnvEtcdEndpoints, distributed.DefaultEtcdEndpoints),
		with+"comma-separated host:port or http(s)://host:port of the members (env "+EnvEtcdEndpoints+")")
	flags.StringVar(&config.Prefix, "etcd-prefix", envOr(EnvEtcdPrefix, distributed.DefaultEtcdPrefix),
		with+"prefix of every key, one per application sharing a cluster (env "+EnvEtcdPrefix+")")
	flags.StringVar(&config.User, "etcd-user", os.Getenv(EnvEtcdUser),
		with+"user of etcd's authentication; the password comes from "+EnvEtcdPassword+" or --etcd-password-file (env "+EnvEtcdUser+")")
	flags.StringVar(&config.PasswordFile, "etcd-password-file", os.Getenv(EnvEtcdPasswordFile),
		with+"file whose first line is the password, used when "+EnvEtcdPassword+" is not set (env "+EnvEtcdPasswordFile+")")
	flags.StringVar(&config.CACert, "etcd-cacert", os.Getenv(EnvEtcdCACert),
		with+"PEM file of the CA of the members' certificates; default the system roots for https (env "+EnvEtcdCACert+")")
	flags.StringVar(&config.Cert, "etcd-cert", os.Getenv(EnvEtcdCert), with+"PEM client certificate (env "+EnvEtcdCert+")")
	flags.StringVar(&config.Key, "etcd-key", os.Getenv(EnvEtcdKey), with+"PEM key of --etcd-cert (env "+EnvEtcdKey+")")
	dial, dialErr := envDuration(EnvEtcdDialTimeout, distributed.DefaultEtcdDialTimeout)
	request, requestErr := envDuration(EnvEtcdRequestTimeout, distributed.DefaultEtcdRequestTimeout)
	flags.DurationVar(&config.DialTimeout, "etcd-dial-timeout", dial,
		with+"bound of connecting, authenticating and of the check by cron list (env "+EnvEtcdDialTimeout+")")
	flags.DurationVar(&config.RequestTimeout, "etcd-request-timeout", request,
		with+"bound of one claim request; a failed one is re-sent while the hold window is open (env "+EnvEtcdRequestTimeout+")")
	return errors.Join(dialErr, requestErr)
}

// envDuration returns the duration in the environment variable name, or fallback when it is unset.
func envDuration(name string, fallback time.Duration) (time.Duration, error) {
	value := envOr(name, "")
	if value == "" {
		return fallback, nil
	}
	duration, err := time.ParseDuration(value)
	if err != nil || duration <= 0 {
		return fallback, fmt.Errorf("%s=%q is not a positive duration such as 2s or 500ms", name, value)
	}
	return duration, nil
}
