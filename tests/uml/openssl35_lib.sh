# shellcheck shell=bash
# tests/uml/openssl35_lib.sh: sourced (after uml_lib.sh) by the tests of ktlsd
# built against OpenSSL 3.5 (tests/uml/ktls_openssl35*.sh); not a test itself.
# o35_binary: skip unless scripts/install-deps.sh --test unpacked Debian 13's
# OpenSSL 3.5 (/opt/ktlsd-openssl35) and sid's libc ($UML_SID); then K35 (and
# KTLSD) is a ktlsd running with 3.5: $KTLSD when it does, else one built with
# cmake -DKTLSD_OPENSSL_DIR -DKTLSD_GLIBC_DIR in $BUILDDIR/openssl35 (the temp
# dir without BUILDDIR; a failed build is a failure).
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	echo "SKIP: openssl35_lib.sh is a helper library for tests/uml/ktls_openssl35*.sh"
	exit 77
fi
OSSL35=${OPENSSL35:-/opt/ktlsd-openssl35} # scripts/install-deps.sh --test (OPENSSL35=DIR: the same there)

o35_binary() {
	local B src
	[ "$MODE" = ktlsd ] || skip "ktlsd only (nginx here is built with Debian 12's OpenSSL 3.0)"
	[ -e "$OSSL35/.debs" ] || skip "no $OSSL35 (scripts/install-deps.sh --test unpacks OpenSSL 3.5)"
	if [ ! -x "$UML_SID/linux" ] || [ ! -x "$UML_SID/ld.so" ]; then
		skip "no $UML_SID (scripts/install-deps.sh --test)"
	fi
	src=${SRCDIR:-$(cd "$UML_HERE/../.." && pwd)}
	if "$KTLSD" -V 2>/dev/null | grep -q '^built with OpenSSL 3\.5.*running with OpenSSL 3\.5'; then
		K35=$KTLSD
		return 0
	fi
	B=${BUILDDIR:+$BUILDDIR/openssl35}
	B=${B:-$T/build35}
	log "building ktlsd against $OSSL35 in $B"
	mkdir -p "$B"
	# (flock: both tests may build in $BUILDDIR/openssl35 at once under ctest -j)
	# shellcheck disable=SC2016 # sh -c's own positional parameters
	if ! flock "$B/.lock" sh -c 'cmake -S "$1" -B "$2" -DCMAKE_BUILD_TYPE=Release -DKTLSD_WERROR=ON \
		-DKTLSD_OPENSSL_DIR="$3" -DKTLSD_GLIBC_DIR="$4" && cmake --build "$2" --target ktlsd -j2' \
		sh "$src" "$B" "$OSSL35" "$UML_SID" >"$T/build35.log" 2>&1; then
		fail "ktlsd builds against $OSSL35"
		tail -n 30 "$T/build35.log" | sed 's/^/#   | /'
		finish
	fi
	K35=$B/ktlsd
	KTLSD=$K35
}
