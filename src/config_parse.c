/* config_parse.c: nginx syntax read into the table's directives. A
 * tokenizer, "include" (globs, nesting bounded), the blocks (events, http,
 * server, location, types, if, map) and a recursive block parser; every
 * error is "FILE:LINE: message". */
#include "config_int.h"
#include "log.h"
#include "map.h"
#include "mime.h"
#include "rewrite.h"
#include "util.h"
#include "vars.h"

#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#define MAX_ARGS 64
#define MAX_INCLUDE_DEPTH 16

int conf_second_reading;

void conf_perr(struct conf_parser *p, const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(p->err, p->errlen, "%s:%d: ", p->file, p->line);
    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < p->errlen)
        vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
    va_end(ap);
}

/* A warning at FILE:LINE. */
static void conf_vlog(struct conf_parser *p, int level, const char *fmt, va_list ap)
{
    char msg[512];
    if (conf_second_reading) /* said by the first */
        return;
    vsnprintf(msg, sizeof(msg), fmt, ap);
    log_error(level, NULL, "%s:%d: %s", p->file, p->line, msg);
}

void conf_pwarn(struct conf_parser *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    conf_vlog(p, LL_WARN, fmt, ap);
    va_end(ap);
}

void conf_pnotice(struct conf_parser *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    conf_vlog(p, LL_NOTICE, fmt, ap);
    va_end(ap);
}

const char *conf_keep_string(struct config *cf, const char *s)
{
    cf->strings = xrealloc(cf->strings, (cf->nstrings + 1) * sizeof(char *));
    return cf->strings[cf->nstrings++] = xstrdup(s);
}

/* --- tokenizer ----------------------------------------------------------- */

enum tok { T_WORD, T_SEMI, T_OPEN, T_CLOSE, T_EOF, T_ERR };

static enum tok next_token(struct conf_parser *p, char **word)
{
    char *b = p->buf;
    for (;;) {
        while (p->pos < p->len && strchr(" \t\r\n", b[p->pos])) {
            if (b[p->pos] == '\n')
                p->line++;
            p->pos++;
        }
        if (p->pos < p->len && b[p->pos] == '#') {
            while (p->pos < p->len && b[p->pos] != '\n')
                p->pos++;
            continue;
        }
        break;
    }
    if (p->pos >= p->len)
        return T_EOF;
    switch (b[p->pos]) {
    case ';':
        p->pos++;
        return T_SEMI;
    case '{':
        p->pos++;
        return T_OPEN;
    case '}':
        p->pos++;
        return T_CLOSE;
    }
    if (b[p->pos] == '"' || b[p->pos] == '\'') {
        char q = b[p->pos++];
        size_t out = p->pos, start = p->pos;
        /* unescape in place: \" \' \\ \n \r \t as nginx does */
        while (p->pos < p->len && b[p->pos] != q) {
            char c = b[p->pos++];
            if (c == '\n')
                p->line++;
            if (c == '\\' && p->pos < p->len) {
                char e = b[p->pos++];
                c = e == 'n' ? '\n' : e == 'r' ? '\r' : e == 't' ? '\t' : e;
                if (e != q && e != '\\' && e != 'n' && e != 'r' && e != 't')
                    b[out++] = '\\';
            }
            b[out++] = c;
        }
        if (p->pos >= p->len) {
            conf_perr(p, "unexpected end of file, expecting %c", q);
            return T_ERR;
        }
        p->pos++;
        if (p->pos < p->len && !strchr(" \t\r\n;{})", b[p->pos])) {
            conf_perr(p, "unexpected \"%c\" after a quoted string", b[p->pos]);
            return T_ERR;
        }
        b[out] = '\0';
        *word = xstrdup(b + start);
        return T_WORD;
    }
    size_t start = p->pos;
    while (p->pos < p->len && !strchr(" \t\r\n;{}\"'", b[p->pos]))
        p->pos++;
    /* a word ends at a delimiter which we may overwrite only after we've read it */
    *word = xstrndup(b + start, p->pos - start);
    return T_WORD;
}

/* next_token() allocates every word (quoted or bare); the statement owns them. */
static void free_args(char **args, int n)
{
    for (int i = 0; i < n; i++)
        free(args[i]);
}

static int do_include(struct conf_parser *p, const char *pattern, unsigned ctx, void *conf)
{
    char full[PATH_MAX];
    glob_t g;
    int r, rc = KT_OK;

    if (pattern[0] != '/') {
        const char *slash = strrchr(p->cf->path, '/');
        int dirlen = slash ? (int)(slash - p->cf->path) : 1;
        snprintf(full, sizeof(full), "%.*s/%s", dirlen, slash ? p->cf->path : ".", pattern);
    } else {
        snprintf(full, sizeof(full), "%s", pattern);
    }
    r = glob(full, 0, NULL, &g);
    if (r == GLOB_NOMATCH) {
        if (strpbrk(full, "*?[") == NULL) {
            conf_perr(p, "open() \"%s\" failed (%d: %s)", full, ENOENT, strerror(ENOENT));
            return KT_ERROR;
        }
        return KT_OK;
    }
    if (r != 0) {
        conf_perr(p, "include \"%s\": glob() failed", full);
        return KT_ERROR;
    }
    for (size_t i = 0; i < g.gl_pathc && rc == KT_OK; i++)
        rc = conf_parse_file(p, g.gl_pathv[i], ctx, conf);
    globfree(&g);
    return rc;
}

/* The struct a row's offset is in, from the block being read (conf): the
 * configuration, the server or location itself, or the settings of the
 * http, server, location or "if" level. */
static void *row_target(struct conf_parser *p, const struct conf_directive *d, unsigned ctx,
                        void *conf)
{
    if (d->target == TARGET_MAIN)
        return p->cf;
    if (d->target == TARGET_SERVER || d->target == TARGET_LOC)
        return conf;
    if (ctx == CTX_SERVER)
        return &((struct server_conf *)conf)->c;
    if (ctx == CTX_LOC || ctx == CTX_SIF || ctx == CTX_LIF)
        return &((struct location *)conf)->c;
    return conf;
}

static int run_directive(struct conf_parser *p, unsigned ctx, void *conf, char **args, int nargs,
                         int is_block)
{
    const struct conf_directive *d = NULL;

    if (ctx == CTX_TYPES) { /* "type ext ext ...;" in a types block */
        struct srv_conf *c = conf;
        if (is_block || nargs < 2) {
            conf_perr(p, "invalid entry in \"types\" block");
            return KT_ERROR;
        }
        for (int i = 1; i < nargs; i++)
            mime_table_add(c->types, args[i], args[0]);
        return KT_OK;
    }
    if (strcmp(args[0], "include") == 0) {
        if (nargs != 2 || is_block) {
            conf_perr(p, "invalid number of arguments in \"include\" directive");
            return KT_ERROR;
        }
        return do_include(p, args[1], ctx, conf);
    }
    if (ctx == CTX_MAP) { /* "KEY VALUE;" in a map block */
        char msg[512];
        if (is_block || map_add(conf, args, nargs, msg, sizeof(msg)) != KT_OK) {
            conf_perr(p, "%s", is_block ? "unexpected \"{\"" : msg);
            return KT_ERROR;
        }
        return KT_OK;
    }
    for (size_t i = 0; i < conf_ndirectives; i++)
        if (strcmp(conf_directives[i].name, args[0]) == 0) {
            d = &conf_directives[i];
            break;
        }
    if (d == NULL) {
        conf_perr(p, "unknown directive \"%s\"", args[0]);
        return KT_ERROR;
    }
    if (d->set == conf_block_location && ctx == CTX_LOC) {
        conf_perr(p, "nested \"location\" blocks are not supported by ktlsd");
        return KT_ERROR;
    }
    if (!(d->ctx & ctx) && (ctx & (CTX_SIF | CTX_LIF)) && (d->ctx & (CTX_SERVER | CTX_LOC))) {
        conf_perr(p, "\"%s\" directive inside \"if\" is not supported by ktlsd", d->name);
        return KT_ERROR;
    }
    if (!(d->ctx & ctx)) {
        conf_perr(p, "\"%s\" directive is not allowed here", d->name);
        return KT_ERROR;
    }
    if (d->amax == BLOCK && !is_block) {
        conf_perr(p, "directive \"%s\" has no opening \"{\"", d->name);
        return KT_ERROR;
    }
    if (d->amax != BLOCK && is_block) {
        conf_perr(p, "unexpected \"{\" after \"%s\" directive", d->name);
        return KT_ERROR;
    }
    if (nargs - 1 < d->amin || (d->amax >= 0 && nargs - 1 > d->amax)) {
        conf_perr(p, "invalid number of arguments in \"%s\" directive", d->name);
        return KT_ERROR;
    }
    p->ctx = ctx;
    return d->set(p, d, args + 1, nargs - 1, row_target(p, d, ctx, conf));
}

/* Parses statements. A nested block ends at its "}" (end of file there is
 * an error); a file ends at its end ("}" there is an error). */
static int parse_block(struct conf_parser *p, unsigned ctx, void *conf, int file_level)
{
    char *args[MAX_ARGS];
    int nargs = 0, rc = KT_OK;

    for (;;) {
        char *w = NULL;
        enum tok t = next_token(p, &w);
        if (t == T_ERR) {
            rc = KT_ERROR;
            break;
        }
        if (t == T_WORD) {
            if (nargs == MAX_ARGS) {
                free(w);
                conf_perr(p, "too many arguments");
                rc = KT_ERROR;
                break;
            }
            args[nargs++] = w; /* every word is its own allocation */
            continue;
        }
        if (t == T_EOF) {
            if (nargs > 0) {
                conf_perr(p, "unexpected end of file, expecting \";\" or \"}\"");
                rc = KT_ERROR;
            } else if (!file_level) {
                conf_perr(p, "unexpected end of file, expecting \"}\"");
                rc = KT_ERROR;
            }
            break;
        }
        if (t == T_CLOSE) {
            if (nargs > 0 || file_level) {
                conf_perr(p, "unexpected \"}\"");
                rc = KT_ERROR;
            }
            break;
        }
        if (nargs == 0) {
            conf_perr(p, "unexpected \"%s\"", t == T_SEMI ? ";" : "{");
            rc = KT_ERROR;
            break;
        }
        if (t == T_OPEN && ++p->depth > 32) {
            conf_perr(p, "blocks nested too deeply");
            rc = KT_ERROR;
            break;
        }
        rc = run_directive(p, ctx, conf, args, nargs, t == T_OPEN);
        if (t == T_OPEN)
            p->depth--;
        free_args(args, nargs);
        nargs = 0;
        if (rc != KT_OK)
            break;
    }
    free_args(args, nargs);
    return rc;
}

/* Keeps the text of a file read for ktlsd -T, in the order parsing began: the
 * main file first, then each include where it is. Returns 1 when it took text;
 * 0 for a file already kept (included twice: nginx dumps it once). */
static int keep_file(struct config *cf, const char *path, char *text, size_t len)
{
    for (size_t i = 0; i < cf->nfiles; i++)
        if (strcmp(cf->files[i].path, path) == 0)
            return 0;
    cf->files = xrealloc(cf->files, (cf->nfiles + 1) * sizeof(*cf->files));
    cf->files[cf->nfiles++] = (struct conf_file){xstrdup(path), text, len};
    return 1;
}

int conf_parse_file(struct conf_parser *parent, const char *path, unsigned ctx, void *conf)
{
    struct conf_parser p = {
        .cf = parent->cf, .line = 1, .err = parent->err, .errlen = parent->errlen};
    struct stat st;
    FILE *f;
    int rc, e, kept;

    p.includes = parent->includes + 1;
    if (p.includes > MAX_INCLUDE_DEPTH) {
        conf_perr(parent, "includes nested too deeply (include loop?)");
        return KT_ERROR;
    }
    f = fopen(path, "re");
    e = errno;
    if (f != NULL &&
        (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > (16 << 20))) {
        e = S_ISREG(st.st_mode) ? EFBIG : EISDIR;
        fclose(f);
        f = NULL;
    }
    if (f == NULL) {
        if (parent->file != NULL)
            conf_perr(parent, "open() \"%s\" failed (%d: %s)", path, e, strerror(e));
        else
            snprintf(parent->err, parent->errlen, "open() \"%s\" failed (%d: %s)", path, e,
                     strerror(e));
        return KT_ERROR;
    }
    p.len = (size_t)st.st_size;
    p.buf = xmalloc(p.len + 1);
    if (fread(p.buf, 1, p.len, f) != p.len)
        p.len = 0;
    fclose(f);
    p.buf[p.len] = '\0';
    p.file = conf_keep_string(p.cf, path);
    kept = keep_file(p.cf, p.file, p.buf, p.len);
    rc = parse_block(&p, ctx, conf, 1);
    if (!kept)
        free(p.buf);
    return rc;
}
int conf_block_events(struct conf_parser *p, const struct conf_directive *d, char **a, int n,
                      void *conf)
{
    (void)d;
    (void)a;
    (void)n;
    return parse_block(p, CTX_EVENTS, conf, 0);
}

int conf_block_http(struct conf_parser *p, const struct conf_directive *d, char **a, int n,
                    void *conf)
{
    struct config *cf = conf;
    (void)d;
    (void)a;
    (void)n;
    if (cf->have_http) {
        conf_perr(p, "\"http\" directive is duplicate");
        return KT_ERROR;
    }
    cf->have_http = 1;
    return parse_block(p, CTX_HTTP, &cf->http, 0);
}

int conf_block_server(struct conf_parser *p, const struct conf_directive *d, char **a, int n,
                      void *conf)
{
    struct config *cf = p->cf;
    struct server_conf *s = xcalloc(1, sizeof(*s));
    s->dir.fd = -1;
    (void)d;
    (void)a;
    (void)n;
    (void)conf;
    conf_srv_init(&s->c);
    s->file = conf_keep_string(cf, p->file);
    s->line = p->line;
    s->cf = cf;
    cf->servers = xrealloc(cf->servers, (cf->nservers + 1) * sizeof(*cf->servers));
    cf->servers[cf->nservers++] = s;
    return parse_block(p, CTX_SERVER, s, 0);
}

int conf_block_location(struct conf_parser *p, const struct conf_directive *d, char **a, int n,
                        void *conf)
{
    struct server_conf *s = conf;
    struct location *l = xcalloc(1, sizeof(*l));
    const char *mod = n == 2 ? a[0] : NULL, *pat = a[n - 1];
    (void)d;
    if (n > 2) {
        free(l);
        conf_perr(p, "invalid number of arguments in \"location\" directive");
        return KT_ERROR;
    }
    conf_srv_init(&l->c);
    l->dir.fd = -1;
    l->file = conf_keep_string(p->cf, p->file);
    l->line = p->line;
    l->kind = LOC_PREFIX;
    if (mod == NULL && pat[0] == '=' && pat[1] != '\0') { /* "location =/x" */
        l->kind = LOC_EXACT;
        pat++;
    } else if (mod != NULL) {
        if (strcmp(mod, "=") == 0)
            l->kind = LOC_EXACT;
        else if (strcmp(mod, "^~") == 0)
            l->kind = LOC_PREFIX_NOREGEX;
        else if (strcmp(mod, "~") == 0)
            l->kind = LOC_REGEX;
        else if (strcmp(mod, "~*") == 0)
            l->kind = LOC_REGEX_CASELESS;
        else {
            conf_perr(p, "invalid location modifier \"%s\"", mod);
            goto fail;
        }
    } else if (pat[0] == '@') {
        l->kind = LOC_NAMED;
        l->internal = 1;
    }
    l->pattern = xstrdup(pat);
    l->plen = strlen(pat);
    if (l->kind == LOC_REGEX || l->kind == LOC_REGEX_CASELESS) {
        int errcode;
        PCRE2_SIZE erroff;
        l->re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED,
                              l->kind == LOC_REGEX_CASELESS ? PCRE2_CASELESS : 0, &errcode, &erroff,
                              NULL);
        if (l->re == NULL) {
            PCRE2_UCHAR msg[256];
            pcre2_get_error_message(errcode, msg, sizeof(msg));
            conf_perr(p, "pcre2_compile() failed: %s in \"%s\" at \"%s\"", (char *)msg, pat,
                      pat + erroff);
            goto fail;
        }
        l->md = pcre2_match_data_create_from_pattern(l->re, NULL);
        vars_add_captures(l->re);
    } else if (l->kind != LOC_NAMED && pat[0] != '/') {
        conf_perr(p, "location \"%s\" must start with \"/\"", pat);
        goto fail;
    }
    s->locs = xrealloc(s->locs, (s->nlocs + 1) * sizeof(*s->locs));
    s->locs[s->nlocs++] = l;
    return parse_block(p, CTX_LOC, l, 0);
fail:
    free(l->pattern);
    free(l);
    return KT_ERROR;
}

int conf_block_types(struct conf_parser *p, const struct conf_directive *d, char **a, int n,
                     void *conf)
{
    struct srv_conf *c = conf;
    (void)d;
    (void)a;
    (void)n;
    if (c->types == NULL)
        c->types = mime_table_new();
    c->types_set = 1;
    return parse_block(p, CTX_TYPES, c, 0);
}

/* "if (...) { ... }": its block has settings of its own (nginx's implicit
 * location), merged from the level it is in once that is merged. */
int conf_block_if(struct conf_parser *p, const struct conf_directive *d, char **a, int n,
                  void *conf)
{
    struct location *l = xcalloc(1, sizeof(*l));
    char msg[512];
    unsigned ctx = p->ctx == CTX_SERVER ? CTX_SIF : CTX_LIF;
    (void)d;
    conf_srv_init(&l->c);
    l->dir.fd = -1;
    l->file = conf_keep_string(p->cf, p->file);
    l->line = p->line;
    if (rewrite_add_if(conf, a, n, l, msg, sizeof(msg)) != KT_OK) {
        free(l);
        conf_perr(p, "%s", msg);
        return KT_ERROR;
    }
    return parse_block(p, ctx, l, 0);
}

/* "map SOURCE $RESULT { ... }" */
int conf_block_map(struct conf_parser *p, const struct conf_directive *d, char **a, int n,
                   void *conf)
{
    struct config *cf = conf;
    char msg[512];
    struct map_conf *m = map_new(a[0], a[1], msg, sizeof(msg));
    (void)d;
    (void)n;
    if (m == NULL) {
        conf_perr(p, "%s", msg);
        return KT_ERROR;
    }
    cf->maps = xrealloc(cf->maps, (cf->nmaps + 1) * sizeof(*cf->maps));
    cf->maps[cf->nmaps++] = m;
    return parse_block(p, CTX_MAP, m, 0);
}
