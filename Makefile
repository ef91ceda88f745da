# hade: `make test` is the project's test command (CI runs it through .ci/run).
GO ?= go

.PHONY: test bench verify build vet redis-server etcd-server postgresql chromium strace status-screenshot

# test vets the code and runs every test under the race detector, the end-to-end tests with the built
# binaries and the tests against a real redis-server included; it installs redis-server when missing
# and never skips those tests; likewise etcd (etcd-server and etcdctl) for the tests against real etcd members,
# PostgreSQL (initdb, pg_ctl, postgres, pg_basebackup) for the tests against real clusters and standbys,
# chromium for the status page's test in a real browser, and strace for a fault injected into a local claim.
# The two longest packages come first: go test starts packages in the order given (-p of them at once),
# so they run beside each other and the short ones fill in after, instead of the end-to-end tests
# starting last, alone.
test: vet redis-server etcd-server postgresql chromium strace
	HADE_REQUIRE_REDIS=1 HADE_REQUIRE_ETCD=1 HADE_REQUIRE_POSTGRES=1 HADE_REQUIRE_CHROMIUM=1 HADE_REQUIRE_STRACE=1 $(GO) test -race -count=1 -timeout 20m ./test/e2e ./cmd/hadeverify ./...

# bench is the quick measurement (about 2 minutes): the micro-benchmarks, then short load runs with
# hadeload (steady, and with a node killed mid-run), then hade beside robfig/cron bare (hadeload compare,
# about 35 s). docs/benchmarks.md has the full runs.
bench: redis-server
	HADE_REQUIRE_REDIS=1 $(GO) test -run='^$$' -bench=. -benchtime=3000x ./framework/...
	$(GO) build -o bin/hadeload ./cmd/hadeload
	bin/hadeload run -nodes 3 -jobs 300 -duration 10s
	bin/hadeload run -nodes 3 -jobs 300 -duration 10s -kill-at 5s
	bin/hadeload compare -jobs 1000 -duration 10s

# verify runs the fault-injection suite (cmd/hadeverify, docs/verification.md) for VERIFY_DURATION per
# backend with a fresh seed; each run prints its verdicts and the command that replays it, and keeps its
# records and node logs in bin/verify-<backend>-<time>. It stops at the first backend with a violation.
VERIFY_DURATION ?= 600s
verify: redis-server etcd-server postgresql
	$(GO) build -tags hadeclock -o bin/hadeverify ./cmd/hadeverify
	@for backend in local redis etcd postgres; do \
		out=bin/verify-$$backend-$$(date +%Y%m%d-%H%M%S); \
		bin/hadeverify --backend $$backend --duration $(VERIFY_DURATION) --out $$out || exit $$?; \
		echo "records, node logs and summary.json in $$out"; \
	done

vet:
	@unformatted=$$(gofmt -l $$(git ls-files -co --exclude-standard '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...

# redis-server comes from the distribution's packages (Debian/Ubuntu: apt-get, as root or with sudo).
redis-server:
	@if ! command -v redis-server >/dev/null; then \
		echo "installing redis-server from the distribution's packages"; \
		sudo=; [ "$$(id -u)" -eq 0 ] || sudo=sudo; \
		$$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq redis-server >/dev/null; \
	fi
	@command -v redis-server >/dev/null || { echo "redis-server is required by make test and could not be installed"; exit 1; }
	@redis-server --version

build:
	$(GO) build -o hade .

# etcd-server and etcd-client (etcdctl) come from the distribution's packages, as redis-server.
etcd-server:
	@if ! command -v etcd >/dev/null || ! command -v etcdctl >/dev/null; then \
		echo "installing etcd-server and etcd-client from the distribution's packages"; \
		sudo=; [ "$$(id -u)" -eq 0 ] || sudo=sudo; \
		$$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq etcd-server etcd-client >/dev/null; \
	fi
	@command -v etcd >/dev/null || { echo "etcd is required by make test and could not be installed"; exit 1; }
	@etcd --version | head -1

# postgresql comes from the distribution's packages, as redis-server. Debian keeps its programs in
# /usr/lib/postgresql/<version>/bin, off the PATH, where internal/pgserver finds them too (the newest version).
postgresql:
	@if ! command -v initdb >/dev/null && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		echo "installing postgresql from the distribution's packages"; \
		sudo=; [ "$$(id -u)" -eq 0 ] || sudo=sudo; \
		$$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq postgresql >/dev/null; \
	fi
	@initdb=$$(command -v initdb || ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -1); \
	[ -n "$$initdb" ] || { echo "postgresql is required by make test and could not be installed"; exit 1; }; \
	"$$initdb" --version

# chromium (headless, for the status page's browser test) comes from the distribution's packages, as redis-server.
chromium:
	@if ! command -v chromium >/dev/null; then \
		echo "installing chromium from the distribution's packages"; \
		sudo=; [ "$$(id -u)" -eq 0 ] || sudo=sudo; \
		$$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq chromium >/dev/null; \
	fi
	@command -v chromium >/dev/null || { echo "chromium is required by make test and could not be installed"; exit 1; }
	@chromium --version

# strace (to inject a failed write into the local backend's claim in an end-to-end test) comes from the
# distribution's packages, as redis-server.
strace:
	@if ! command -v strace >/dev/null; then \
		echo "installing strace from the distribution's packages"; \
		sudo=; [ "$$(id -u)" -eq 0 ] || sudo=sudo; \
		$$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq strace >/dev/null; \
	fi
	@command -v strace >/dev/null || { echo "strace is required by make test and could not be installed"; exit 1; }
	@strace -V | head -1

# status-screenshot retakes docs/status-page.png, the screenshot of the status page shown in the README.
status-screenshot: chromium
	HADE_REQUIRE_CHROMIUM=1 HADE_STATUS_SCREENSHOT=docs/status-page.png $(GO) test -count=1 -run TestStatusPageInBrowser ./framework/internal/statuspage/
