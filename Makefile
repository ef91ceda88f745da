# hade: `make test` is the project's test command (CI runs it through .ci/run).
GO ?= go

.PHONY: test build vet

# test vets the code and runs every test under the race detector, the end-to-end tests with the built
# binaries included.
test: vet
	$(GO) test -race -count=1 -timeout 20m ./...

vet:
	@unformatted=$$(gofmt -l $$(git ls-files -co --exclude-standard '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...

build:
	$(GO) build -o hade .
