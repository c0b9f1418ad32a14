# mqtt-authd: `make run` and `make test` are all a new machine needs (Debian with Swift).
SHELL := /bin/bash
SWIFT ?= swift
CONFIG ?= mqtt-authd.example.yml
# Debian packages the build, the tests and the later broker tests use.
APT_PACKAGES := mosquitto mosquitto-dev libmosquitto-dev mosquitto-clients libsqlite3-dev libyaml-dev pkg-config openssl python3-paho-mqtt python3-yaml postgresql rabbitmq-server dpkg-dev patchelf lintian

PREFIX ?= /usr/local
DESTDIR ?=
SYSCONFDIR ?= /etc
SYSTEMDUNITDIR ?= $(SYSCONFDIR)/systemd/system
# Release builds load one shared copy of the Swift runtime libraries, which make release stages
# in .build/release/swift and make install and make deb ship beside the products, so that they
# run on machines without a Swift toolchain (docs/footprint.md). Nothing may point into the
# toolchain: the products find the copy through $ORIGIN/swift (the plugin and .build/release)
# or the RUNPATH that installing sets.
RELEASE_FLAGS := -c release -Xswiftc -no-toolchain-stdlib-rpath -Xlinker -rpath -Xlinker '$$ORIGIN/swift'
# The version is written once, in Sources/MQTTAuthCore/Version.swift.
VERSION := $(shell sed -n 's/^ *package static let current = "\(.*\)"$$/\1/p' Sources/MQTTAuthCore/Version.swift)
DEB := dist/mqtt-authd_$(VERSION)_$(shell dpkg --print-architecture 2>/dev/null || echo amd64).deb
# make deb packages the products in RELEASE_DIR; setting it skips building them.
RELEASE_DIR ?=

.PHONY: all deps build test run bench bench-plugin release install deb clean

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
	$(MAKE) --no-print-directory release
	scripts/check-static.sh .build/release
	$(MAKE) --no-print-directory deb
	lintian --fail-on error $(DEB)
	scripts/check-deb.sh $(DEB)
	FUZZ_RUNS=5000 scripts/fuzz.sh
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
bench: release
	$(SWIFT) build $(RELEASE_FLAGS) --product ACLBench
	.build/release/ACLBench

# The Mosquitto plugin's throughput against the same broker without it (see BENCHMARKS.md).
bench-plugin: deps release
	scripts/bench-plugin.sh

release: deps
	$(SWIFT) build $(RELEASE_FLAGS) --product mqtt-authd
	$(SWIFT) build $(RELEASE_FLAGS) --product aclcheck
	$(SWIFT) build $(RELEASE_FLAGS) --product MosquittoAuthPlugin
	scripts/stage-runtime.sh .build/release

# Installs the binaries, the plugin, the systemd unit, the examples and the README. An existing
# /etc/mqtt-authd/mqtt-authd.yml is never overwritten. Honours PREFIX and DESTDIR.
install: release
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/mqtt-authd/swift $(DESTDIR)$(SYSTEMDUNITDIR) \
	  $(DESTDIR)$(SYSCONFDIR)/mqtt-authd/examples $(DESTDIR)$(PREFIX)/share/doc/mqtt-authd
	install -m 0755 -s .build/release/mqtt-authd .build/release/aclcheck $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 -s .build/release/libMosquittoAuthPlugin.so $(DESTDIR)$(PREFIX)/lib/mqtt-authd/
	install -m 0644 .build/release/swift/*.so $(DESTDIR)$(PREFIX)/lib/mqtt-authd/swift/
	patchelf --set-rpath $(PREFIX)/lib/mqtt-authd/swift $(DESTDIR)$(PREFIX)/bin/mqtt-authd $(DESTDIR)$(PREFIX)/bin/aclcheck
	sed 's|/usr/local/|$(PREFIX)/|g' systemd/mqtt-authd.service > $(DESTDIR)$(SYSTEMDUNITDIR)/mqtt-authd.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/mqtt-authd.service
	install -m 0644 mqtt-authd.example.yml $(DESTDIR)$(SYSCONFDIR)/mqtt-authd/mqtt-authd.example.yml
	install -m 0644 examples/aclfile $(DESTDIR)$(SYSCONFDIR)/mqtt-authd/examples/aclfile
	sed 's|/usr/local/|$(PREFIX)/|g' mosquitto.conf.example > $(DESTDIR)$(SYSCONFDIR)/mqtt-authd/mosquitto.conf.example
	chmod 0644 $(DESTDIR)$(SYSCONFDIR)/mqtt-authd/mosquitto.conf.example
	[ -e $(DESTDIR)$(SYSCONFDIR)/mqtt-authd/mqtt-authd.yml ] || \
	  install -m 0640 mqtt-authd.example.yml $(DESTDIR)$(SYSCONFDIR)/mqtt-authd/mqtt-authd.yml
	install -m 0644 README.md $(DESTDIR)$(PREFIX)/share/doc/mqtt-authd/README.md

# The Debian package, $(DEB): see README.md ("Install and run as a service").
deb: $(if $(RELEASE_DIR),,release)
	@[ -n "$(VERSION)" ] || { echo "no version in Sources/MQTTAuthCore/Version.swift" >&2; exit 1; }
	scripts/make-deb.sh $(VERSION) $(or $(RELEASE_DIR),.build/release)

clean:
	rm -rf .build dist
