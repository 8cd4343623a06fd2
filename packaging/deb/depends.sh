#!/bin/sh
# Prints the Depends: field for the package of the binary $1: the Debian package of every library `ldd`
# lists (the dynamic loader included), each at least the upstream version installed on the build machine
# (what the binary was linked against), then `adduser | passwd` for postinst's user. A fully static binary
# (ldd: "not a dynamic executable") depends on adduser | passwd only.
set -e
binary=$1
[ -x "$binary" ] || { echo "depends.sh: $binary is not an executable" >&2; exit 1; }

owner() {
    # dpkg knows a library by the path its package shipped; with merged /usr that may be /lib or /usr/lib.
    for candidate in "$1" "$(readlink -f "$1")"; do
        for path in "$candidate" "${candidate#/usr}" "/usr$candidate"; do
            package=$(dpkg-query -S "$path" 2>/dev/null | head -n 1 | cut -d: -f1) || true
            if [ -n "$package" ]; then echo "$package"; return 0; fi
        done
    done
    echo "depends.sh: no Debian package owns $1" >&2
    return 1
}

packages=""
for library in $(ldd "$binary" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
    package=$(owner "$library")
    case " $packages " in *" $package "*) ;; *) packages="$packages $package" ;; esac
done

depends=""
for package in $packages; do
    version=$(dpkg-query -W -f='${Version}' "$package" | sed 's/-[^-]*$//')
    depends="$depends${depends:+, }$package (>= $version)"
done
echo "$depends${depends:+, }adduser | passwd"
