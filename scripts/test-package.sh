#!/usr/bin/env bash
# The Debian package, installed for real (make test runs this after check-docs.sh):
#   make deb, and make deb VERSION=<version>+1 for an upgrade;
#   scripts/check-examples.py with the release binary (Kubernetes examples, the Dockerfile against ldd);
#   dpkg -i: the user ferry (system, no login shell, home /var/lib/ferry, in group adm), /var/lib/ferry
#     (ferry:ferry 0700), the files, nothing enabled; `ferry version` and `ferry check` of the installed
#     configuration as the user ferry; a file written into /var/lib/ferry and an edit to the conffile;
#   dpkg -i of the higher version: the file, the edit and the user are still there, the version is the new one;
#   scripts/chroot-smoke.sh on the installed binary (the container image's runtime, tried in a chroot);
#   dpkg -r: the binary, unit and man page gone; /etc/ferry/ferry.yaml, /var/lib/ferry and the user kept;
#   dpkg -P: the configuration, the state and the user gone.
# Needs root and dpkg (skipped with a message otherwise). Refuses to run when anything it would create
# exists already (a package, user or group ferry, /var/lib/ferry, /etc/ferry...): it never deletes what it did
# not make. Purges the package and removes what it made on any exit. FERRY_TEST_PACKAGE=skip skips it, saying so.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${FERRY_TEST_PACKAGE:-}" = "skip" ]; then
    echo "test-package: skipped (FERRY_TEST_PACKAGE=skip): the Debian package and the chroot smoke test did not run"
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "test-package: skipped: installing a package needs root (CI runs as root)"
    exit 0
fi
for tool in dpkg dpkg-deb dpkg-query; do
    if ! command -v "$tool" >/dev/null; then
        echo "test-package: skipped: $tool is missing (not a Debian system)"
        exit 0
    fi
done

existing=()
if dpkg-query -W -f='${db:Status-Abbrev}' ferry 2>/dev/null | grep -q '^[a-z][a-zA-Z]'; then existing+=("the package ferry"); fi
getent passwd ferry >/dev/null && existing+=("the user ferry")
getent group ferry >/dev/null && existing+=("the group ferry")
for path in /var/lib/ferry /var/lib/private/ferry /etc/ferry /usr/bin/ferry /lib/systemd/system/ferry.service \
    /usr/share/man/man1/ferry.1.gz /usr/share/doc/ferry; do
    if [ -e "$path" ] || [ -L "$path" ]; then existing+=("$path"); fi
done
if [ "${#existing[@]}" -gt 0 ]; then
    echo "test-package: refusing to run: this test installs and purges the package ferry, and these exist already:"
    printf '  %s\n' "${existing[@]}"
    echo "  (they are left as they are; remove them, or run the test on another machine)"
    exit 1
fi

work=$(mktemp -d /tmp/ferry-test-package.XXXXXX)
failures=0
started=$SECONDS
cleanup() {
    local status=$?
    if dpkg-query -W -f='${db:Status-Abbrev}' ferry 2>/dev/null | grep -q '^[a-z][a-zA-Z]'; then
        dpkg -P ferry >/dev/null 2>&1 || echo "test-package: cleanup: dpkg -P ferry failed"
    fi
    # Nothing of this existed before the test (checked above).
    getent passwd ferry >/dev/null && userdel ferry
    getent group ferry >/dev/null && groupdel ferry
    rm -rf /var/lib/ferry /var/lib/private/ferry /etc/ferry "$work"
    if [ "$status" -ne 0 ] || [ "$failures" -ne 0 ]; then
        echo "test-package: FAILED ($failures failed checks, exit $status) after $((SECONDS - started)) s"
        [ "$status" -ne 0 ] || exit 1
    fi
}
trap cleanup EXIT

step() { echo "test-package: [$((SECONDS - started)) s] $*"; }
check() { # DESCRIPTION COMMAND...
    local what=$1
    shift
    if "$@"; then echo "  ok   $what"; else echo "  FAIL $what"; failures=$((failures + 1)); fi
}
as_ferry() { setpriv --reuid=ferry --regid=ferry --init-groups -- "$@"; }
status_of() { dpkg-query -W -f='${db:Status-Abbrev}' ferry 2>/dev/null | tr -d ' ' || true; }
exists() { [ -e "$1" ]; }
absent() { [ ! -e "$1" ] && [ ! -L "$1" ]; }

step "building the packages (make deb, twice)"
build_started=$SECONDS
make --no-print-directory deb >"$work/deb.log" 2>&1 || { tail -n 30 "$work/deb.log"; exit 1; }
version=$(.build-static/release/ferry version | awk '{ print $2 }')
next="$version+1"
make --no-print-directory deb VERSION="$next" >>"$work/deb.log" 2>&1 || { tail -n 30 "$work/deb.log"; exit 1; }
arch=$(dpkg --print-architecture)
first=.build-static/deb/ferry_${version}_${arch}.deb
second=.build-static/deb/ferry_${next}_${arch}.deb
echo "  $first ($(du -k "$first" | cut -f1) KiB), $second: built in $((SECONDS - build_started)) s"
dpkg-deb --field "$first" Depends | sed 's/^/  Depends: /'
if command -v lintian >/dev/null; then
    lintian_output=$(lintian --fail-on error,warning "$first" 2>&1) && lintian_status=0 || lintian_status=$?
    check "lintian: no error or warning${lintian_output:+ ($lintian_output)}" test "$lintian_status" -eq 0
fi

step "scripts/check-examples.py (Kubernetes examples, Dockerfile) with the release binary"
examples_status=0
python3 scripts/check-examples.py --ferry .build-static/release/ferry >"$work/examples.log" 2>&1 || examples_status=$?
grep -v '^  ok ' "$work/examples.log" | sed 's/^/  /'
check "check-examples.py: $(grep -c '^  ok ' "$work/examples.log") checks passed, exit $examples_status" test "$examples_status" -eq 0

step "dpkg -i $first"
dpkg -i "$first" </dev/null >"$work/install.log" 2>&1 || { cat "$work/install.log"; exit 1; }
check "installed: $(status_of)" test "$(status_of)" = "ii"
IFS=: read -r _ _ ferry_uid ferry_gid _ ferry_home ferry_shell < <(getent passwd ferry) || true
check "a system user ferry (uid ${ferry_uid:-none} < 1000)" test "${ferry_uid:-1000}" -lt 1000
check "its home is /var/lib/ferry, its shell /usr/sbin/nologin" test "${ferry_home:-}:${ferry_shell:-}" = "/var/lib/ferry:/usr/sbin/nologin"
check "its group is ferry" test "$(getent group "${ferry_gid:-x}" | cut -d: -f1)" = "ferry"
check "it is in group adm ($(id -nG ferry 2>/dev/null))" bash -c 'id -nG ferry | tr " " "\n" | grep -qx adm'
check "/var/lib/ferry is ferry:ferry 700 ($(stat -c '%U:%G %a' /var/lib/ferry 2>/dev/null))" \
    test "$(stat -c '%U:%G %a' /var/lib/ferry 2>/dev/null)" = "ferry:ferry 700"
for path in /usr/bin/ferry /lib/systemd/system/ferry.service /usr/share/man/man1/ferry.1.gz /etc/ferry/ferry.yaml \
    /usr/share/doc/ferry/copyright; do
    check "$path installed" exists "$path"
done
check "the unit runs /usr/bin/ferry" grep -q '^ExecStart=/usr/bin/ferry run --config /etc/ferry/ferry.yaml$' /lib/systemd/system/ferry.service
check "nothing enabled" absent /etc/systemd/system/multi-user.target.wants/ferry.service
check "dpkg -V: the files are the package's" dpkg -V ferry
output=$(as_ferry /usr/bin/ferry version 2>&1) || true
check "ferry version as the user ferry: $output" test "$output" = "ferry $version"
as_ferry /usr/bin/ferry check --config /etc/ferry/ferry.yaml >"$work/check.log" 2>&1 && check_status=0 || check_status=$?
check "ferry check --config /etc/ferry/ferry.yaml as the user ferry (the unit's ExecStartPre): exit $check_status" \
    test "$check_status" -eq 0
[ "$check_status" -eq 0 ] || cat "$work/check.log"
as_ferry sh -c 'echo "written before the upgrade" > /var/lib/ferry/upgrade-marker'
echo "# edited by test-package.sh" >>/etc/ferry/ferry.yaml

step "dpkg -i $second (upgrade)"
uid_before=$(id -u ferry)
dpkg -i "$second" </dev/null >"$work/upgrade.log" 2>&1 || { cat "$work/upgrade.log"; exit 1; }
check "installed version $(dpkg-query -W -f='${Version}' ferry)" test "$(dpkg-query -W -f='${Version}' ferry)" = "$next"
check "the file in /var/lib/ferry is kept" grep -qx "written before the upgrade" /var/lib/ferry/upgrade-marker
check "the edited conffile is kept, without a prompt" grep -qx "# edited by test-package.sh" /etc/ferry/ferry.yaml
check "the user ferry is kept (uid $uid_before)" test "$(id -u ferry 2>/dev/null)" = "$uid_before"
check "still in group adm" bash -c 'id -nG ferry | tr " " "\n" | grep -qx adm'
check "the package's changelog names $next" bash -c "zcat /usr/share/doc/ferry/changelog.gz | head -n 1 | grep -qF '($next)'"
output=$(as_ferry /usr/bin/ferry version 2>&1) || true
# The binary's version is compiled in (Sources/KafkaProducer/FerryVersion.swift); VERSION= names the package.
check "ferry version as the user ferry after the upgrade: $output" test "$output" = "ferry $version"

step "scripts/chroot-smoke.sh /usr/bin/ferry (the container image's runtime)"
smoke_started=$SECONDS
smoke_status=0
scripts/chroot-smoke.sh /usr/bin/ferry >"$work/smoke.log" 2>&1 || smoke_status=$?
sed 's/^/  /' "$work/smoke.log"
check "chroot smoke test: exit $smoke_status in $((SECONDS - smoke_started)) s" test "$smoke_status" -eq 0

step "dpkg -r ferry"
dpkg -r ferry </dev/null >"$work/remove.log" 2>&1 || { cat "$work/remove.log"; exit 1; }
check "status $(status_of): only the configuration is left" test "$(status_of)" = "rc"
for path in /usr/bin/ferry /lib/systemd/system/ferry.service /usr/share/man/man1/ferry.1.gz; do
    check "$path removed" absent "$path"
done
check "/etc/ferry/ferry.yaml kept, with its edit" grep -qx "# edited by test-package.sh" /etc/ferry/ferry.yaml
check "/var/lib/ferry kept, with its file" exists /var/lib/ferry/upgrade-marker
check "the user ferry kept" bash -c 'getent passwd ferry >/dev/null'

step "dpkg -P ferry"
dpkg -P ferry </dev/null >"$work/purge.log" 2>&1 || { cat "$work/purge.log"; exit 1; }
check "not installed: status '$(status_of)'" test -z "$(status_of)"
check "/etc/ferry removed" absent /etc/ferry
check "/var/lib/ferry removed" absent /var/lib/ferry
check "the user ferry removed" bash -c '! getent passwd ferry >/dev/null'
check "the group ferry removed" bash -c '! getent group ferry >/dev/null'
check "adm no longer lists ferry" bash -c '! getent group adm | cut -d: -f4 | tr , "\n" | grep -qx ferry'

if [ "$failures" -ne 0 ]; then exit 1; fi
step "ok"
