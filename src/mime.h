/* mime.h: file extension -> Content-Type, from /etc/mime.types or a
 * built-in table when that file is missing. */
#ifndef KTLSD_MIME_H
#define KTLSD_MIME_H

#include <stddef.h>

/* Loads a mime.types file (Debian's format: "type ext ext ..."); returns the
 * number of extensions loaded, or -1 when the file cannot be read, in which
 * case the built-in table stays in use. */
int mime_load(const char *path);
/* Type for a file name (by its last extension, case-insensitive), or dflt. */
const char *mime_lookup(const char *name, size_t len, const char *dflt);

#endif
