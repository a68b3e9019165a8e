#!/usr/bin/env bash
# The Debian package: CPack builds ktlsd_VERSION_ARCH.deb from the build
# directory; it holds what a service needs; lintian finds no error or
# warning; and it installs, upgrades, is removed and purged in a throw-away
# root (dpkg --root with DPKG_ROOT-aware maintainer scripts run outside a
# chroot: no systemd is booted and the host is not touched), keeping a
# changed configuration file on upgrade and removal.
# shellcheck source=../lib.sh disable=SC2119,SC2034
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
need cpack dpkg dpkg-deb dpkg-shlibdeps
[ -f "$BUILDDIR/CPackConfig.cmake" ] || skip "$BUILDDIR has no CPackConfig.cmake (configure with CMake first)"

# what the host's systemd and dpkg know, to compare after the installs
host_state() {
    ls -lR /etc/systemd/system /var/lib/systemd/deb-systemd-helper-enabled 2>/dev/null
    dpkg-query -W -f='${Status}\n' ktlsd 2>/dev/null
}
HOST_BEFORE=$(host_state)

# ---------------------------------------------------------------- build
VERSION=$(sed -n 's/^set(CPACK_PACKAGE_VERSION "\(.*\)")$/\1/p' "$BUILDDIR/CPackConfig.cmake")
ARCH=$(dpkg --print-architecture)
cpack -G DEB --config "$BUILDDIR/CPackConfig.cmake" -B "$T/pkg" >"$T/cpack.log" 2>&1 ||
    { fail "cpack failed"; sed 's/^/#   /' "$T/cpack.log" | tail -n 20; finish; }
DEB=$T/pkg/ktlsd_${VERSION}_${ARCH}.deb
check "cpack made $(basename "$DEB")" test -f "$DEB"

dpkg-deb -c "$DEB" | awk '{ print $6 }' | sed 's|^\./|/|' >"$T/contents"
for f in /usr/sbin/ktlsd /etc/ktlsd/ktlsd.conf /lib/systemd/system/ktlsd.service /lib/systemd/system/ktlsd.socket \
    /usr/lib/sysusers.d/ktlsd.conf /usr/lib/tmpfiles.d/ktlsd.conf /etc/logrotate.d/ktlsd \
    /usr/lib/modules-load.d/ktlsd.conf /usr/share/ktlsd/html/index.html /usr/share/man/man8/ktlsd.8.gz \
    /usr/share/man/man5/ktlsd.conf.5.gz /usr/share/doc/ktlsd/copyright /usr/share/doc/ktlsd/changelog.gz; do
    check "package holds $f" grep -qx -- "$f" "$T/contents"
done
expect_eq "/etc/ktlsd/ktlsd.conf /etc/logrotate.d/ktlsd " "$(dpkg-deb -f "$DEB" Package >/dev/null &&
    dpkg-deb --ctrl-tarfile "$DEB" | tar -xO ./conffiles | tr '\n' ' ')" "conffiles: the configuration and the logrotate snippet"
expect_match 'libssl3' "$(dpkg-deb -f "$DEB" Depends)" "Depends: computed by dpkg-shlibdeps"
expect_match '(^|, )openssl(,|$| )' "$(dpkg-deb -f "$DEB" Depends)" "Depends: openssl (the postinst makes the certificate)"
expect_match '^License: BSD-2-Clause$' "$(dpkg-deb --fsys-tarfile "$DEB" | tar -xO ./usr/share/doc/ktlsd/copyright | grep '^License:' | sort -u)" \
    "copyright: DEP-5, BSD-2-Clause"

# ---------------------------------------------------------------- lintian
if command -v lintian >/dev/null 2>&1; then
    lintian --tag-display-limit 0 -I "$DEB" >"$T/lintian.log" 2>&1
    log "lintian:"
    grep -E '^[EWIP]: ' "$T/lintian.log" | sed 's/^/#   /'
    expect_eq 0 "$(grep -cE '^[EW]: ' "$T/lintian.log")" "lintian: no error, no warning"
else
    log "lintian not installed: that check skipped"
fi

# ---------------------------------------------------------------- install into a throw-away root
R=$T/root
mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates" "$R/etc"
: >"$R/var/lib/dpkg/status"
# no shared libraries in the root: dependencies are not what is tested here
DPKG=(dpkg --root="$R" --force-script-chrootless --force-depends --force-confold)
"${DPKG[@]}" -i "$DEB" >"$T/install.log" 2>&1
expect_eq 0 "$?" "dpkg -i into the root"
check "binary installed" test -x "$R/usr/sbin/ktlsd"
expect_file_match '^ktlsd:x:[0-9]+:[0-9]+:' "$R/etc/passwd" "postinst: user ktlsd created (sysusers or adduser)"
check "postinst: /var/log/ktlsd created" test -d "$R/var/log/ktlsd"
check "postinst: default page in /var/www/ktlsd" cmp -s "$SRCDIR/www/index.html" "$R/var/www/ktlsd/index.html"
if command -v openssl >/dev/null 2>&1; then
    check "postinst: a self-signed certificate" openssl x509 -noout -in "$R/etc/ktlsd/cert.pem"
    expect_eq 640 "$(stat -c %a "$R/etc/ktlsd/key.pem")" "postinst: the key is not world-readable"
fi
if command -v deb-systemd-helper >/dev/null 2>&1; then
    check "postinst: the service is enabled (in the root)" \
        test -L "$R/etc/systemd/system/multi-user.target.wants/ktlsd.service"
fi

# the packaged configuration is valid: its paths moved into the root
sed "s#/etc/ktlsd/#$R/etc/ktlsd/#g; s#/var/#$R/var/#g; s#/run/ktlsd/#$R/run/#g" \
    "$R/etc/ktlsd/ktlsd.conf" >"$T/packaged.conf"
if [ -f "$R/etc/ktlsd/cert.pem" ]; then
    OUT=$("$R/usr/sbin/ktlsd" -t -c "$T/packaged.conf" 2>&1)
    expect_match 'test is successful' "$OUT" "the packaged ktlsd.conf passes ktlsd -t"
fi

# ---------------------------------------------------------------- upgrade, remove, purge
echo "# changed by the administrator" >>"$R/etc/ktlsd/ktlsd.conf"
echo "<p>mine</p>" >"$R/var/www/ktlsd/index.html"
CERT_SUM=$(md5sum <"$R/etc/ktlsd/cert.pem" 2>/dev/null)
# a newer version of the same package
cpack -G DEB --config "$BUILDDIR/CPackConfig.cmake" -B "$T/pkg2" -D CPACK_PACKAGE_VERSION="$VERSION+1" \
    >"$T/cpack2.log" 2>&1
DEB2=$(compgen -G "$T/pkg2/ktlsd_*.deb" | head -n 1)
"${DPKG[@]}" -i "${DEB2:-$DEB}" >"$T/upgrade.log" 2>&1
expect_eq 0 "$?" "upgrade to $(basename "${DEB2:-$DEB}")"
expect_file_match 'Unpacking ktlsd .* over ' "$T/upgrade.log" "it was an upgrade"
check "upgrade: the changed conffile is kept" grep -q 'changed by the administrator' "$R/etc/ktlsd/ktlsd.conf"
check "upgrade: the administrator's page is kept" grep -q mine "$R/var/www/ktlsd/index.html"
expect_eq "$CERT_SUM" "$(md5sum <"$R/etc/ktlsd/cert.pem" 2>/dev/null)" "upgrade: the certificate is kept"

"${DPKG[@]}" -r ktlsd >"$T/remove.log" 2>&1
expect_eq 0 "$?" "dpkg -r"
check_not "remove: the binary is gone" test -e "$R/usr/sbin/ktlsd"
check "remove: the configuration stays" grep -q 'changed by the administrator' "$R/etc/ktlsd/ktlsd.conf"

"${DPKG[@]}" -P ktlsd >"$T/purge.log" 2>&1
expect_eq 0 "$?" "dpkg -P"
check_not "purge: the configuration is gone" test -e "$R/etc/ktlsd/ktlsd.conf"
check_not "purge: the generated certificate is gone" test -e "$R/etc/ktlsd/cert.pem"
check_not "purge: the logs are gone" test -e "$R/var/log/ktlsd"
check "purge: the administrator's page stays" grep -q mine "$R/var/www/ktlsd/index.html"
check_not "purge: the package's style.css is gone" test -e "$R/var/www/ktlsd/style.css"
check "purge: the ktlsd user stays (Debian leaves system users)" grep -q '^ktlsd:' "$R/etc/passwd"
expect_eq "" "$(grep -l ktlsd "$R"/var/lib/dpkg/status)" "dpkg has forgotten the package"
check "the host's systemd and dpkg state were not touched" test "$HOST_BEFORE" = "$(host_state)"

finish
