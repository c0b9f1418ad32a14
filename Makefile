# mqtt-authd: `make run` and `make test` are all a new machine needs (Debian with Swift).
SHELL := /bin/bash
SWIFT ?= swift
CONFIG ?= mqtt-authd.example.yml
# Debian packages the build, the tests and the later broker tests use.
APT_PACKAGES := mosquitto mosquitto-dev libmosquitto-dev mosquitto-clients libsqlite3-dev pkg-config openssl python3-paho-mqtt

.PHONY: all deps build test run bench clean

all: build

# Installs the Debian packages that are missing (as root, or through sudo).
deps:
	@missing=""; \
	for package in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' "$$package" 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$package"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	  $$sudo apt-get update -q && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -q $$missing; \
	fi

build: deps
	$(SWIFT) build

# The whole suite. The last line repeats Swift Testing's count as "N passed, N failed".
test: deps
	$(SWIFT) build --build-tests
	scripts/check-systemd.sh .build/debug/mqtt-authd
	@set -o pipefail; mkdir -p .build; \
	$(SWIFT) test --skip-build --disable-xctest 2>&1 | tee .build/test.log; status=$$?; \
	summary=$$(grep -E "Test run with [0-9]+ tests" .build/test.log | tail -1); \
	total=$$(sed -E 's/.*Test run with ([0-9]+) tests.*/\1/' <<<"$$summary"); \
	failed=$$(grep -oE "with [0-9]+ issues?" <<<"$$summary" | grep -oE "[0-9]+" || true); \
	if [ "$$status" = 0 ]; then echo "$${total:-0} passed, 0 failed"; else echo "tests: failed (exit $$status, $${failed:-?} issues)"; fi; \
	exit $$status

# Builds and starts the daemon on the example configuration: http://127.0.0.1:8080, with its
# SQLite file under ./var/. Stop it with Ctrl-C.
run: build
	.build/debug/mqtt-authd --config $(CONFIG)

# ns per ACL decision at 10, 1,000 and 100,000 rules, next to a linear scan (see BENCHMARKS.md).
bench: deps
	$(SWIFT) build -c release --product ACLBench
	.build/release/ACLBench

clean:
	rm -rf .build
