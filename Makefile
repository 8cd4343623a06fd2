# Ferry: the two commands that matter are at the top.
#   make demo   set up, start a local Kafka-compatible broker, ship the sample logs, print what arrived
#   make test   set up, build, run the whole test suite (unit, property, integration against tansu)
#   make test-fast   build and run the pure tests only (no broker, no child process): under two minutes

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
APT_PACKAGES := zlib1g-dev liblz4-dev libzstd-dev logrotate stunnel4 openssl systemd
SWIFT_TEST_FLAGS ?=

.PHONY: demo test test-fast setup apt venv build release bench fuzz clean

demo: setup release
	@scripts/demo.sh

# SWIFTNIO_STRICT: a task handed to a stopped event loop crashes (instead of a printed warning), in the tests
# and in the agents they start.
# The build checks that every target declares what it imports (--explicit-target-dependency-import-check).
test: setup
	swift build --build-tests --explicit-target-dependency-import-check error
	SWIFTNIO_STRICT=true swift test --skip-build $(SWIFT_TEST_FLAGS)
	scripts/check-docs.sh

# The tiers: suites tagged broker or childProcess are skipped, each with a message saying so.
test-fast:
	swift build --build-tests --explicit-target-dependency-import-check error
	FERRY_TEST_TIER=fast SWIFTNIO_STRICT=true swift test --skip-build $(SWIFT_TEST_FLAGS)

setup: apt venv

# Installs the Debian packages that are missing (as root, or through sudo).
apt:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		if [ "$$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi

# The Python tools: tansu (test broker), confluent-kafka and kafka-python (independent verification).
venv: $(VENV)/.installed

$(VENV)/.installed: scripts/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r scripts/requirements.txt
	@touch $@

build:
	swift build

# The binary to ship: Swift's runtime linked in (it then needs only glibc, libstdc++, zlib, liblz4, libzstd).
release:
	swift build -c release --static-swift-stdlib --product ferry --scratch-path .build-static
	@echo "built .build-static/release/ferry"

bench: setup
	scripts/bench-wire.sh

# The long hostile-broker run (1,000,000 answers; make test runs 3,000).
fuzz:
	scripts/fuzz-producer.sh

clean:
	rm -rf .build .build-* $(VENV)
