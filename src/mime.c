/* mime.c: a small open-addressing table from extension to MIME type. */
#include "mime.h"
#include "util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct entry {
    char *ext;
    const char *type;
};

static struct entry *table;
static size_t cap, used;
static char **types; /* owned type strings */
static size_t ntypes;

/* The essentials for a static site, used when /etc/mime.types is missing. */
static const char *const builtin[][2] = {
    {"html", "text/html"}, {"htm", "text/html"}, {"css", "text/css"}, {"txt", "text/plain"},
    {"js", "text/javascript"}, {"mjs", "text/javascript"}, {"json", "application/json"},
    {"xml", "text/xml"}, {"svg", "image/svg+xml"}, {"png", "image/png"}, {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"}, {"gif", "image/gif"}, {"webp", "image/webp"}, {"avif", "image/avif"},
    {"ico", "image/x-icon"}, {"woff", "font/woff"}, {"woff2", "font/woff2"}, {"ttf", "font/ttf"},
    {"otf", "font/otf"}, {"pdf", "application/pdf"}, {"zip", "application/zip"},
    {"gz", "application/gzip"}, {"tar", "application/x-tar"}, {"wasm", "application/wasm"},
    {"mp4", "video/mp4"}, {"webm", "video/webm"}, {"mp3", "audio/mpeg"}, {"ogg", "audio/ogg"},
    {"m3u8", "application/vnd.apple.mpegurl"}, {"ts", "video/mp2t"}, {"iso", "application/octet-stream"},
    {"md", "text/markdown"}, {"csv", "text/csv"}, {"wav", "audio/wav"},
};

static size_t hash(const char *s, size_t len)
{
    size_t h = 5381;
    for (size_t i = 0; i < len; i++)
        h = h * 33 + (unsigned char)tolower((unsigned char)s[i]);
    return h;
}

static void put(const char *ext, size_t len, const char *type);

static void grow(void)
{
    struct entry *old = table;
    size_t oldcap = cap;
    cap = cap ? cap * 2 : 256;
    table = xcalloc(cap, sizeof(*table));
    used = 0;
    for (size_t i = 0; i < oldcap; i++)
        if (old[i].ext != NULL) {
            put(old[i].ext, strlen(old[i].ext), old[i].type);
            free(old[i].ext);
        }
    free(old);
}

/* The first definition of an extension wins, as in nginx's types{}. */
static void put(const char *ext, size_t len, const char *type)
{
    size_t i;
    if ((used + 1) * 2 > cap)
        grow();
    for (i = hash(ext, len) & (cap - 1); table[i].ext != NULL; i = (i + 1) & (cap - 1))
        if (strlen(table[i].ext) == len && strncasecmp(table[i].ext, ext, len) == 0)
            return;
    table[i].ext = xstrndup(ext, len);
    for (size_t k = 0; k < len; k++)
        table[i].ext[k] = (char)tolower((unsigned char)table[i].ext[k]);
    table[i].type = type;
    used++;
}

static void load_builtin(void)
{
    for (size_t i = 0; i < ARRAY_LEN(builtin); i++)
        put(builtin[i][0], strlen(builtin[i][0]), builtin[i][1]);
}

int mime_load(const char *path)
{
    FILE *f = fopen(path, "re");
    char line[1024];
    int n = 0;

    if (f == NULL) {
        if (table == NULL)
            load_builtin();
        return -1;
    }
    /* start afresh: a file loaded after lookups still takes precedence */
    for (size_t i = 0; i < cap; i++) {
        free(table[i].ext);
        table[i].ext = NULL;
    }
    used = 0;
    while (fgets(line, sizeof(line), f) != NULL) {
        char *save, *type, *ext;
        if (line[0] == '#')
            continue;
        type = strtok_r(line, " \t\r\n", &save);
        if (type == NULL || strchr(type, '/') == NULL)
            continue;
        types = xrealloc(types, (ntypes + 1) * sizeof(char *));
        types[ntypes++] = type = xstrdup(type);
        while ((ext = strtok_r(NULL, " \t\r\n", &save)) != NULL) {
            put(ext, strlen(ext), type);
            n++;
        }
    }
    fclose(f);
    load_builtin(); /* fills gaps only: the file's entries win */
    return n;
}

const char *mime_lookup(const char *name, size_t len, const char *dflt)
{
    const char *dot = NULL;
    size_t elen;
    if (table == NULL)
        load_builtin();
    for (size_t i = len; i > 0; i--) {
        if (name[i - 1] == '/')
            break;
        if (name[i - 1] == '.') {
            dot = name + i;
            break;
        }
    }
    if (dot == NULL)
        return dflt;
    elen = (size_t)(name + len - dot);
    for (size_t i = hash(dot, elen) & (cap - 1); table[i].ext != NULL; i = (i + 1) & (cap - 1))
        if (strlen(table[i].ext) == elen && strncasecmp(table[i].ext, dot, elen) == 0)
            return table[i].type;
    return dflt;
}
