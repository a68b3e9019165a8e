# packaging/cpack.cmake: what a system installation holds besides the binary,
# and CPack's Debian package of it:
#
#   make package        -> ktlsd_VERSION_amd64.deb in the build directory
#   (or: cpack -G DEB --config CPackConfig.cmake)
#
# Files go to absolute Debian paths (/etc/ktlsd, /lib/systemd/system, ...):
# a system service has one place for each, and "make install" puts them
# there too. Checked by tests/integration/package.sh (lintian, and dpkg into
# a throw-away root) and tests/integration/unit_file.sh (systemd-analyze).

set(KTLSD_PACKAGE_MAINTAINER "ktlsd maintainers <maintainers@ktlsd.example.org>"
    CACHE STRING "Maintainer field of the Debian package")

set(_pkg ${CMAKE_CURRENT_SOURCE_DIR}/packaging)
set(_gen ${CMAKE_CURRENT_BINARY_DIR}/packaging)
file(MAKE_DIRECTORY ${_gen})

# Man pages and the changelog are installed compressed (Debian policy 12.3,
# 12.7), made at configure time: gzip -n for reproducible archives.
find_program(KTLSD_GZIP gzip REQUIRED)
configure_file(${_pkg}/man/ktlsd.8 ${_gen}/ktlsd.8 @ONLY)
configure_file(${_pkg}/man/ktlsd.conf.5 ${_gen}/ktlsd.conf.5 @ONLY)
configure_file(${_pkg}/debian/changelog.in ${_gen}/changelog @ONLY)
foreach(f ktlsd.8 ktlsd.conf.5 changelog)
  execute_process(COMMAND ${KTLSD_GZIP} -9nf ${_gen}/${f} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "gzip ${_gen}/${f} failed")
  endif()
endforeach()

# --- install rules ------------------------------------------------------------
# the binary: install(TARGETS ktlsd ...) in CMakeLists.txt, /usr/sbin/ktlsd
install(FILES ${CMAKE_CURRENT_SOURCE_DIR}/conf/ktlsd.conf DESTINATION /etc/ktlsd)
install(FILES ${_pkg}/ktlsd.logrotate DESTINATION /etc/logrotate.d RENAME ktlsd)
install(FILES ${_pkg}/ktlsd.service ${_pkg}/ktlsd.socket DESTINATION /lib/systemd/system)
install(FILES ${_pkg}/ktlsd.sysusers DESTINATION /usr/lib/sysusers.d RENAME ktlsd.conf)
install(FILES ${_pkg}/ktlsd.tmpfiles DESTINATION /usr/lib/tmpfiles.d RENAME ktlsd.conf)
install(FILES ${_pkg}/ktlsd.modules-load DESTINATION /usr/lib/modules-load.d RENAME ktlsd.conf)
# the default page: postinst copies it to /var/www/ktlsd when that has none
# (a package must not own files under /var/www)
install(FILES ${CMAKE_CURRENT_SOURCE_DIR}/www/index.html ${CMAKE_CURRENT_SOURCE_DIR}/www/style.css
        DESTINATION share/ktlsd/html)
install(FILES ${_gen}/ktlsd.8.gz DESTINATION share/man/man8)
install(FILES ${_gen}/ktlsd.conf.5.gz DESTINATION share/man/man5)
install(FILES ${_pkg}/debian/copyright ${_gen}/changelog.gz DESTINATION share/doc/ktlsd)

# --- CPack: Debian package ---------------------------------------------------
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME ktlsd)
set(CPACK_PACKAGE_VENDOR "ktlsd")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "${KTLSD_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "static-file HTTPS server with kernel TLS")
set(CPACK_PACKAGE_DESCRIPTION
    "ktlsd serves files over HTTP/1.1 on TLS 1.2 and 1.3. After the handshake it
hands the record layer to the Linux kernel (kTLS) and sends file bodies with
SSL_sendfile, from the page cache to the socket without a copy through user
space. It reads a subset of nginx's configuration syntax.
.
The package runs it as a hardened systemd service (Type=notify, socket
activation, reload without dropping a request) under its own user.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_WARN_ON_ABSOLUTE_INSTALL_DESTINATION OFF)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT) # ktlsd_VERSION_ARCH.deb
set(CPACK_DEBIAN_PACKAGE_SECTION httpd)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON) # dpkg-shlibdeps: libssl3, libev4, libsystemd0...
# openssl: the postinst makes the first certificate with it; without one the
# service cannot start
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser, openssl")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "logrotate, systemd")
set(CPACK_DEBIAN_PACKAGE_PROVIDES "httpd")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${_pkg}/debian/conffiles ${_pkg}/debian/postinst ${_pkg}/debian/prerm ${_pkg}/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

include(CPack)
