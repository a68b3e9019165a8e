/* mime.h: file extension -> Content-Type tables: the process-wide one from
 * /etc/mime.types (or a built-in list when that file is missing), and those
 * that "types { }" blocks build. */
#ifndef KTLSD_MIME_H
#define KTLSD_MIME_H

#include <stddef.h>

struct mime_table;

struct mime_table *mime_table_new(void);
/* The first definition of an extension wins, as in nginx's types{}. */
void mime_table_add(struct mime_table *t, const char *ext, const char *type);
void mime_table_free(struct mime_table *t);
/* Type for a file name by its last extension (case-insensitive), or dflt. */
const char *mime_table_lookup(const struct mime_table *t, const char *name, size_t len,
                              const char *dflt);

/* The process-wide table. mime_load reads a mime.types file (Debian's
 * format: "type ext ext ..."); returns the number of extensions loaded, or
 * -1 when the file cannot be read (the built-in list stays in use). */
int mime_load(const char *path);
const char *mime_lookup(const char *name, size_t len, const char *dflt);

#endif
