/* mime.c: small open-addressing tables from extension to MIME type. */
#include "mime.h"
#include "util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct entry {
    char *ext;
    char *type;
};

struct mime_table {
    struct entry *slots;
    size_t cap, used;
};

static struct mime_table *global;

/* The essentials for a static site, used when /etc/mime.types is missing. */
static const char *const builtin[][2] = {
    {"html", "text/html"},        {"htm", "text/html"},
    {"css", "text/css"},          {"txt", "text/plain"},
    {"js", "text/javascript"},    {"mjs", "text/javascript"},
    {"json", "application/json"}, {"xml", "text/xml"},
    {"svg", "image/svg+xml"},     {"png", "image/png"},
    {"jpg", "image/jpeg"},        {"jpeg", "image/jpeg"},
    {"gif", "image/gif"},         {"webp", "image/webp"},
    {"avif", "image/avif"},       {"ico", "image/x-icon"},
    {"woff", "font/woff"},        {"woff2", "font/woff2"},
    {"ttf", "font/ttf"},          {"otf", "font/otf"},
    {"pdf", "application/pdf"},   {"zip", "application/zip"},
    {"gz", "application/gzip"},   {"tar", "application/x-tar"},
    {"wasm", "application/wasm"}, {"mp4", "video/mp4"},
    {"webm", "video/webm"},       {"mp3", "audio/mpeg"},
    {"ogg", "audio/ogg"},         {"m3u8", "application/vnd.apple.mpegurl"},
    {"ts", "video/mp2t"},         {"iso", "application/octet-stream"},
    {"md", "text/markdown"},      {"csv", "text/csv"},
    {"wav", "audio/wav"},
};

static size_t hash(const char *s, size_t len)
{
    size_t h = 5381;
    for (size_t i = 0; i < len; i++)
        h = h * 33 + (unsigned char)tolower((unsigned char)s[i]);
    return h;
}

static struct entry *find(const struct mime_table *t, const char *ext, size_t len)
{
    if (t->cap == 0)
        return NULL;
    for (size_t i = hash(ext, len) & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
        struct entry *e = &t->slots[i];
        if (e->ext == NULL || (strlen(e->ext) == len && strncasecmp(e->ext, ext, len) == 0))
            return e;
    }
}

struct mime_table *mime_table_new(void)
{
    return xcalloc(1, sizeof(struct mime_table));
}

void mime_table_add(struct mime_table *t, const char *ext, const char *type)
{
    struct entry *e;
    if ((t->used + 1) * 2 > t->cap) {
        struct mime_table bigger = {xcalloc(t->cap ? t->cap * 2 : 256, sizeof(struct entry)),
                                    t->cap ? t->cap * 2 : 256, t->used};
        for (size_t i = 0; i < t->cap; i++)
            if (t->slots[i].ext != NULL)
                *find(&bigger, t->slots[i].ext, strlen(t->slots[i].ext)) = t->slots[i];
        free(t->slots);
        *t = bigger;
    }
    e = find(t, ext, strlen(ext));
    if (e->ext != NULL)
        return;
    e->ext = xstrdup(ext);
    for (char *p = e->ext; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    e->type = xstrdup(type);
    t->used++;
}

void mime_table_free(struct mime_table *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->cap; i++) {
        free(t->slots[i].ext);
        free(t->slots[i].type);
    }
    free(t->slots);
    free(t);
}

const char *mime_table_lookup(const struct mime_table *t, const char *name, size_t len,
                              const char *dflt)
{
    const struct entry *e;
    for (size_t i = len; i > 0; i--) {
        if (name[i - 1] == '/')
            return dflt;
        if (name[i - 1] == '.') {
            e = find(t, name + i, len - i);
            return e != NULL && e->ext != NULL ? e->type : dflt;
        }
    }
    return dflt;
}

static void load_builtin(struct mime_table *t)
{
    for (size_t i = 0; i < ARRAY_LEN(builtin); i++)
        mime_table_add(t, builtin[i][0], builtin[i][1]);
}

int mime_load(const char *path)
{
    FILE *f = fopen(path, "re");
    char line[1024];
    int n = 0;

    if (f == NULL) {
        if (global == NULL) {
            global = mime_table_new();
            load_builtin(global);
        }
        return -1;
    }
    mime_table_free(global); /* a file loaded later replaces what was there */
    global = mime_table_new();
    while (fgets(line, sizeof(line), f) != NULL) {
        char *save, *type, *ext;
        if (line[0] == '#')
            continue;
        type = strtok_r(line, " \t\r\n", &save);
        if (type == NULL || strchr(type, '/') == NULL)
            continue;
        while ((ext = strtok_r(NULL, " \t\r\n", &save)) != NULL) {
            mime_table_add(global, ext, type);
            n++;
        }
    }
    fclose(f);
    load_builtin(global); /* fills gaps only: the file's entries win */
    return n;
}

const char *mime_lookup(const char *name, size_t len, const char *dflt)
{
    if (global == NULL) {
        global = mime_table_new();
        load_builtin(global);
    }
    return mime_table_lookup(global, name, len, dflt);
}
