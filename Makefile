# Ferry: the two commands that matter are at the top.
#   make demo   set up, start a local Kafka-compatible broker, ship the sample logs, print what arrived
#   make test   set up, build, run the whole test suite (unit, property, integration against tansu)
#   make test-fast   build and run the pure tests only (no broker, no child process): under two minutes
#   make install     the release binary, unit, man page and example configuration (PREFIX, DESTDIR)
#   make deb         .build-static/deb/ferry_<version>_<arch>.deb (the user ferry, /var/lib/ferry)

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
# What the targets run beyond Swift: the C libraries, logrotate, stunnel4 and openssl (TLS tests), systemd
# (systemd-analyze), python3-venv (.venv), python3-yaml (scripts/check-examples.py), binutils (strip), passwd
# and adduser (the package's postinst). util-linux (setpriv), coreutils (chroot) and dpkg are Essential, mawk
# is in every installation (Priority: required).
APT_PACKAGES := zlib1g-dev liblz4-dev libzstd-dev logrotate stunnel4 openssl systemd python3-venv python3-yaml binutils passwd adduser
SWIFT_TEST_FLAGS ?=

.PHONY: demo test test-fast setup apt venv build release install install-files deb bench fuzz clean

demo: setup release
	@scripts/demo.sh

# SWIFTNIO_STRICT: a task handed to a stopped event loop crashes (instead of a printed warning), in the tests
# and in the agents they start.
# The build checks that every target declares what it imports (--explicit-target-dependency-import-check).
# Last, as root: scripts/test-package.sh (a release build, the Debian package installed, upgraded, removed and
# purged for real, the container examples checked, the image's runtime run in a chroot; skipped unless root,
# or with FERRY_TEST_PACKAGE=skip, saying so).
test: setup
	swift build --build-tests --explicit-target-dependency-import-check error
	SWIFTNIO_STRICT=true swift test --skip-build $(SWIFT_TEST_FLAGS)
	scripts/check-docs.sh
	scripts/test-package.sh

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

# The binary to ship: Swift's runtime linked in (it then needs only glibc, libstdc++, libgcc_s, zlib, liblz4,
# libzstd). Built in its own scratch path, apart from the debug build in .build.
RELEASE_BIN := .build-static/release/ferry
release:
	swift build -c release --static-swift-stdlib --product ferry --scratch-path .build-static
	@echo "built $(RELEASE_BIN)"

# make install [PREFIX=/usr/local] [DESTDIR=]: the binary (stripped), the systemd unit (ExecStart pointing at
# $(PREFIX)/bin/ferry), the man page, and etc/ferry.yaml as /etc/ferry/ferry.yaml unless one is there.
# The unit goes where Debian's packages put theirs (/lib/systemd/system, systemd's systemdsystemunitdir on
# bookworm) when PREFIX is /usr, else under $(PREFIX)/lib/systemd/system, which systemd also reads
# (/usr/local/lib/systemd/system is the administrator's): a local install never writes into dpkg's tree.
PREFIX ?= /usr/local
DESTDIR ?=
UNITDIR ?= $(if $(filter /usr,$(PREFIX)),/lib/systemd/system,$(PREFIX)/lib/systemd/system)
STRIP ?= strip
install: release install-files

# install without building (make deb builds first).
install-files:
	install -d -m 0755 $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(UNITDIR) $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)/etc/ferry
	install -m 0755 $(RELEASE_BIN) $(DESTDIR)$(PREFIX)/bin/ferry
	$(STRIP) --strip-unneeded --remove-section=.comment --remove-section=.note $(DESTDIR)$(PREFIX)/bin/ferry
	sed 's|/usr/bin/ferry|$(PREFIX)/bin/ferry|g' systemd/ferry.service > $(DESTDIR)$(UNITDIR)/ferry.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/ferry.service
	gzip -9n < doc/ferry.1 > $(DESTDIR)$(PREFIX)/share/man/man1/ferry.1.gz
	chmod 0644 $(DESTDIR)$(PREFIX)/share/man/man1/ferry.1.gz
	@if [ -e $(DESTDIR)/etc/ferry/ferry.yaml ]; then \
		echo "kept $(DESTDIR)/etc/ferry/ferry.yaml (the example is etc/ferry.yaml)"; \
	else \
		install -m 0644 etc/ferry.yaml $(DESTDIR)/etc/ferry/ferry.yaml; \
	fi

# make deb [VERSION=x.y.z]: .build-static/deb/ferry_<version>_<arch>.deb from `make install PREFIX=/usr` into a
# staging tree, with packaging/deb/'s maintainer scripts and Depends computed from what ldd lists.
# VERSION defaults to what `ferry version` prints.
VERSION ?= $(shell $(RELEASE_BIN) version | awk '{ print $$2 }')
ARCH ?= $(shell dpkg --print-architecture)
DEB_DIR := .build-static/deb
DEB_ROOT := $(DEB_DIR)/root
deb: release
	rm -rf $(DEB_ROOT)
	$(MAKE) --no-print-directory install-files DESTDIR=$(CURDIR)/$(DEB_ROOT) PREFIX=/usr
	install -d -m 0755 $(DEB_ROOT)/DEBIAN $(DEB_ROOT)/usr/share/doc/ferry $(DEB_ROOT)/usr/share/lintian/overrides
	install -m 0644 packaging/deb/copyright $(DEB_ROOT)/usr/share/doc/ferry/copyright
	install -m 0644 packaging/deb/lintian-overrides $(DEB_ROOT)/usr/share/lintian/overrides/ferry
	printf 'ferry (%s) unstable; urgency=medium\n\n  * Built from %s.\n\n -- %s  %s\n' "$(VERSION)" \
		"$$(git describe --always --dirty 2>/dev/null || echo 'a source tree')" \
		"$$(sed -n 's/^Maintainer: //p' packaging/deb/control.in)" "$$(date -R)" \
		| gzip -9n > $(DEB_ROOT)/usr/share/doc/ferry/changelog.gz
	chmod 0644 $(DEB_ROOT)/usr/share/doc/ferry/changelog.gz
	install -m 0644 packaging/deb/conffiles $(DEB_ROOT)/DEBIAN/conffiles
	install -m 0755 packaging/deb/postinst packaging/deb/prerm packaging/deb/postrm $(DEB_ROOT)/DEBIAN/
	sed -e 's/@VERSION@/$(VERSION)/' -e 's/@ARCH@/$(ARCH)/' \
		-e "s/@INSTALLED_SIZE@/$$(du -sk --exclude=DEBIAN $(DEB_ROOT) | cut -f1)/" \
		-e "s/@DEPENDS@/$$(packaging/deb/depends.sh $(RELEASE_BIN))/" \
		packaging/deb/control.in > $(DEB_ROOT)/DEBIAN/control
	dpkg-deb --root-owner-group --build $(DEB_ROOT) $(DEB_DIR)/ferry_$(VERSION)_$(ARCH).deb

bench: setup
	scripts/bench-wire.sh

# The long hostile-broker run (1,000,000 answers; make test runs 3,000).
fuzz:
	scripts/fuzz-producer.sh

clean:
	rm -rf .build .build-* $(VENV)
