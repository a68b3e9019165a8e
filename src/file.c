/* file.c: the file handler (nginx's static module, h2o's file.c): maps
 * the URI to a path beneath the root or alias, opens the file or its
 * .br/.gz variant, applies the validators and conditional requests, and
 * answers 200, 206 (one range, or multipart/byteranges), 304 or 412, or a
 * directory's index or listing. What it cannot serve it returns as an HTTP
 * status (404, 403, 301 with x->redirect...); request.c answers that,
 * applying error_page. */
#include "file.h"
#include "answer.h"
#include "http_head.h"
#include "autoindex.h"
#include "fcache.h"
#include "fdcache.h"
#include "log.h"
#include "reqvars.h"
#include "static.h"
#include "util.h"
#include "vars.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_RANGES 64
/* A root or alias with variables ("alias /srv/$1", "root /srv/$host"), or
 * the alias of a regex location: the directory up to the first variable
 * (or the last '/') is opened, once per request and directive, and the
 * expanded rest goes in front of the path beneath it, so that no value can
 * climb out of that directory. Writes "/REST" into rel; returns the fd or
 * -1, with *rlen the length written. */
static int dynamic_dir(struct answer *x, const char *tpl, char *rel, size_t cap, size_t *rlen)
{
    const char *dollar = strchr(tpl, '$');
    size_t plen = dollar != NULL ? (size_t)(dollar - tpl) : strlen(tpl), n;
    while (plen > 0 && tpl[plen - 1] != '/')
        plen--;
    if (plen == 0 || plen >= sizeof(x->docroot))
        return -1;
    if (x->dyn_tpl != tpl) {
        if (x->dyn_fd >= 0)
            close(x->dyn_fd);
        memcpy(x->docroot, tpl, plen);
        x->docroot[plen] = '\0';
        x->dyn_fd = static_root_open(x->docroot);
        x->dyn_tpl = tpl;
    }
    x->in_dir = 1;
    n = reqvars_expand(x, x->conf->dir_tpl, x->docroot, sizeof(x->docroot));
    x->in_dir = 0;
    if (x->dyn_fd < 0 || n < plen || n - plen + 2 > cap)
        return -1;
    rel[0] = '/';
    memcpy(rel + 1, x->docroot + plen, n - plen + 1);
    *rlen = n - plen + 1;
    return x->dyn_fd;
}

/* The request's directory: where it lives on disk (root or alias) and the
 * path beneath it. An alias replaces the location's prefix: nginx joins
 * the two as strings, so "location /i { alias /srv/pub; }" maps "/i../x"
 * to "/srv/pub../x" and "/ix" to "/srv/pubx", outside the alias. ktlsd
 * serves only what lies beneath the alias directory: a rest that does not
 * start a new path segment is a 404, and "/i" itself is the directory (a
 * 301 to "/i/"). In a regex location the alias (with its captures) is the
 * whole path, as in nginx. Returns 0, 404 or 414 (too long). */
int file_map_path(struct answer *x, const char *uri, size_t ulen, int *dir_fd, char *rel,
                  size_t cap)
{
    const char *dir = x->conf->alias != NULL ? x->conf->alias : x->conf->root, *p = uri;
    int alias = x->loc != NULL && x->conf->alias != NULL;
    size_t n = ulen, o = 0;
    char last = dir[0] != '\0' ? dir[strlen(dir) - 1] : '\0';

    /* "root" inside an "if": not the location's directory, opened per request */
    int if_root = x->loc != NULL && x->conf != &x->loc->c && x->loc->c.root != NULL &&
                  x->conf->root != NULL && strcmp(x->conf->root, x->loc->c.root) != 0;

    if ((alias && x->loc->re != NULL) || vars_any(dir) || if_root) {
        *dir_fd = dynamic_dir(x, dir, rel, cap, &o);
        if (*dir_fd < 0)
            return 404;
        if (alias && x->loc->re != NULL)
            return 0;
        last = rel[o - 1];
    } else { /* a location's own root that cannot be opened is a 404: never another
              * directory's file */
        *dir_fd = static_dir_fd(x->loc != NULL ? &x->loc->dir : &x->srv->dir, time_now.sec);
    }
    if (alias) {
        p = uri + x->loc->plen;
        n = ulen - x->loc->plen;
        if (o + n + 2 > cap)
            return 414;
        if (n == 0) { /* the alias directory itself ("location /d/ { alias /srv/; }": "./") */
            if (o == 0)
                memcpy(rel, uri[ulen - 1] == '/' ? "./" : ".", uri[ulen - 1] == '/' ? 3 : 2);
            return 0;
        }
        if (p[0] != '/' && last != '/')
            return 404;
        if (o == 0 && p[0] != '/')
            rel[o++] = '/';
        memcpy(rel + o, p, n);
        rel[o + n] = '\0';
        return 0;
    }
    if (o + n + 1 > cap)
        return 414;
    memcpy(rel + o, p, n);
    rel[o + n] = '\0';
    return 0;
}

/* Opens name.gz / name.br next to the file when the client takes it;
 * replaces fd/st and returns the coding, or NULL. *vary is set when a
 * variant exists, whether or not it was chosen (nginx's gzip_vary). */
static const char *precompressed(struct answer *x, int dir_fd, const char *rel, int *fd,
                                 struct stat *st, int *vary)
{
    static const char *const codings[2] = {"br", "gzip"};
    const char *ae;
    size_t aelen = 0;
    int q[2] = {0, 0}, order[2] = {0, 1};
    char alt[URI_MAX + 4];

    if (x->conf->gzip_static == STATIC_OFF && x->conf->brotli_static == STATIC_OFF)
        return NULL;
    ae = answer_header(x, "accept-encoding", &aelen);
    if (x->conf->brotli_static == STATIC_ON && ae != NULL)
        q[0] = static_accepts(ae, aelen, "br");
    if (x->conf->gzip_static == STATIC_ALWAYS)
        q[1] = 1000;
    else if (x->conf->gzip_static == STATIC_ON && ae != NULL)
        q[1] = static_accepts(ae, aelen, "gzip");
    if (q[1] > q[0]) { /* gzip first only when preferred; ties go to br */
        order[0] = 1;
        order[1] = 0;
    }
    for (int k = 0; k < 2; k++) {
        int i = order[k], afd;
        struct stat ast;
        if ((i == 0 ? x->conf->brotli_static : x->conf->gzip_static) == STATIC_OFF)
            continue;
        snprintf(alt, sizeof(alt), "%s.%s", rel, i == 0 ? "br" : "gz");
        afd = static_open_file(dir_fd, alt, x->conf->disable_symlinks, &ast);
        if (afd < 0)
            continue;
        if (!S_ISREG(ast.st_mode)) {
            close(afd);
            continue;
        }
        /* nginx adds Vary for "on" (the answer depends on the client), not
         * for "always" */
        *vary = x->conf->gzip_vary && (i == 0 || x->conf->gzip_static == STATIC_ON);
        if (q[i] == 0) {
            close(afd);
            continue;
        }
        if (*fd >= 0)
            close(*fd);
        *fd = afd;
        *st = ast;
        return codings[i];
    }
    return NULL;
}

static int answer_file_variant(struct answer *x, int fd, struct stat *st, const char *name,
                               size_t namelen, const char *coding, int vary);

/* A regular file: a precompressed variant if one fits, then validators,
 * conditions, ranges and the head. The file stays open in r->fd for the
 * send segments. */
static int answer_file(struct answer *x, int fd, struct stat *st, const char *name, size_t namelen,
                       int dir_fd, const char *rel)
{
    int vary = 0;
    const char *coding = NULL;
    if (!x->no_error_page)
        coding = precompressed(x, dir_fd, rel, &fd, st, &vary);
    return answer_file_variant(x, fd, st, name, namelen, coding, vary);
}

#define GO_ON (-1) /* a step that did not answer: the next one does (DONE is 0) */

/* An error_page's body from a file: nginx keeps its ETag, but sends no
 * Last-Modified and no ranges. */
static int answer_page_file(struct answer *x, struct response *resp, struct stat *st,
                            const char *coding, char *etag)
{
    resp->last_modified = 0;
    resp->etag = x->conf->etag ? etag : NULL;
    resp->content_length = st->st_size;
    if (coding == NULL && answer_compressed(x, resp, st, x->body_mem))
        return DONE;
    answer_head(x, resp);
    if (!answer_head_only(x))
        answer_body(x, 0, (size_t)st->st_size);
    return DONE;
}

/* If-Match, If-Unmodified-Since, If-None-Match, If-Modified-Since: 412,
 * a 304 answered (DONE), or GO_ON to answer in full. */
static int answer_conditions(struct answer *x, struct response *resp, struct stat *st)
{
    struct conditions c = {0};
    int cond;
    c.if_match = answer_header(x, "if-match", &c.if_match_len);
    c.if_unmodified_since = answer_header(x, "if-unmodified-since", &c.if_unmodified_since_len);
    c.if_none_match = answer_header(x, "if-none-match", &c.if_none_match_len);
    c.if_modified_since = answer_header(x, "if-modified-since", &c.if_modified_since_len);
    cond = static_conditions(&c, resp->etag, st->st_mtime, 1, x->conf->if_modified_since);
    if (cond == 412) {
        reply_drop_fd(x->r);
        return 412;
    }
    if (cond == 304) {
        resp->status = 304;
        resp->content_type = NULL;
        resp->content_encoding = NULL;
        answer_head(x, resp);
        return DONE;
    }
    return GO_ON;
}

/* multipart/byteranges: part heads in one allocation, file ranges between
 * them, as nginx lays them out. */
static int answer_multipart(struct answer *x, struct response *resp, struct stat *st,
                            const struct range *ranges, size_t n)
{
    static unsigned long counter;
    struct reply *r = x->r;
    char ctype[80], *mem, *p;
    size_t each = 256 + strlen(resp->content_type), total = 0;
    unsigned long boundary = ++counter + (unsigned long)getpid() * 1000003UL;
    int len;
    mem = p = xmalloc(each * (n + 1));
    r->mem = mem;
    snprintf(ctype, sizeof(ctype), "multipart/byteranges; boundary=%020lu", boundary);
    for (size_t i = 0; i < n; i++) {
        len = snprintf(p, each,
                       "\r\n--%020lu\r\nContent-Type: %s\r\nContent-Range: bytes "
                       "%lld-%lld/%lld\r\n\r\n",
                       boundary, resp->content_type, (long long)ranges[i].start,
                       (long long)ranges[i].end - 1, (long long)st->st_size);
        if (!answer_head_only(x)) {
            reply_add_mem(r, p, (size_t)len);
            answer_body(x, ranges[i].start, (size_t)(ranges[i].end - ranges[i].start));
        }
        total += (size_t)len + (size_t)(ranges[i].end - ranges[i].start);
        p += len;
    }
    len = snprintf(p, each, "\r\n--%020lu--\r\n", boundary);
    if (!answer_head_only(x))
        reply_add_mem(r, p, (size_t)len);
    total += (size_t)len;
    resp->status = 206;
    x->part_type = resp->content_type;
    resp->content_type = ctype;
    resp->content_length = (long long)total;
    answer_head(x, resp);
    return DONE;
}

/* A Range header (If-Range permitting): 416, one range (206), several
 * (multipart), or GO_ON to answer the whole file. */
static int answer_ranges(struct answer *x, struct response *resp, struct stat *st, const char *v,
                         size_t vlen)
{
    struct range ranges[MAX_RANGES];
    size_t n = 0, irlen;
    int rs = 200;
    const char *ir = answer_header(x, "if-range", &irlen);
    if (ir == NULL || static_if_range(ir, irlen, resp->etag, st->st_mtime))
        rs = static_ranges(v, vlen, st->st_size, x->conf->max_ranges, ranges, MAX_RANGES, &n);
    if (rs == 416) {
        snprintf(x->crange, sizeof(x->crange), "bytes */%lld", (long long)st->st_size);
        reply_drop_fd(x->r);
        x->content_range = x->crange;
        return 416;
    }
    if (rs != 206)
        return GO_ON;
    if (n > 1)
        return answer_multipart(x, resp, st, ranges, n);
    resp->status = 206;
    snprintf(x->crange, sizeof(x->crange), "bytes %lld-%lld/%lld", (long long)ranges[0].start,
             (long long)ranges[0].end - 1, (long long)st->st_size);
    resp->content_range = x->crange;
    resp->content_length = ranges[0].end - ranges[0].start;
    answer_head(x, resp);
    if (!answer_head_only(x))
        answer_body(x, ranges[0].start, (size_t)(ranges[0].end - ranges[0].start));
    return DONE;
}

static int answer_file_variant(struct answer *x, int fd, struct stat *st, const char *name,
                               size_t namelen, const char *coding, int vary)
{
    struct response resp;
    char etag[64];
    int status = x->page_status ? x->page_status : 200, rv;
    const char *v;
    size_t vlen;

    x->r->fd = fd;
    if (x->method == HTTP_POST && !x->no_error_page) {
        reply_drop_fd(x->r);
        return 405;
    }
    if (x->conf->etag)
        static_etag(etag, sizeof(etag), st);
    answer_response(x, &resp, status);
    resp.content_type = answer_type(x, name, namelen);
    resp.last_modified = st->st_mtime;
    resp.etag = x->conf->etag && status == 200 ? etag : NULL;
    resp.content_encoding = coding;
    resp.vary = vary;
    if (status != 200)
        return answer_page_file(x, &resp, st, coding, etag);
    if ((rv = answer_conditions(x, &resp, st)) != GO_ON)
        return rv;
    if (coding == NULL && answer_compressed(x, &resp, st, x->body_mem))
        return DONE; /* nginx: a compressed answer has no ranges */
    v = coding == NULL ? answer_header(x, "range", &vlen)
                       : NULL; /* nginx: no ranges of a variant */
    if (v != NULL && (rv = answer_ranges(x, &resp, st, v, vlen)) != GO_ON)
        return rv;
    resp.accept_ranges = coding == NULL;
    resp.content_length = st->st_size;
    answer_head(x, &resp);
    if (!answer_head_only(x))
        answer_body(x, 0, (size_t)st->st_size);
    return DONE;
}

/* Small files may come from fcache when their bytes pass through user space
 * anyway (userspace TLS, or sendfile off) and no variant is to be looked for:
 * with kTLS or plain sendfile the kernel reads the page cache itself. */
static int cacheable_here(const struct answer *x)
{
    int zero_copy = x->conf->sendfile && (!x->env->ssl || x->env->ktls_tx);
    return !zero_copy && x->conf->gzip_static == STATIC_OFF &&
           x->conf->brotli_static == STATIC_OFF && x->conf->disable_symlinks == SYMLINKS_OFF;
}

/* The file for a response the kernel sends (kTLS or plain sendfile):
 * through the open_file_cache when the location has one and no variant or
 * symlink rule needs a fresh open; the reply then holds the cache's
 * reference instead of the descriptor. */
static int open_for_sendfile(struct answer *x, int dir_fd, const char *rel, struct stat *st)
{
    const struct srv_conf *c = x->conf;
    if (c->open_file_cache.max > 0 && c->gzip_static == STATIC_OFF &&
        c->brotli_static == STATIC_OFF && c->disable_symlinks == SYMLINKS_OFF)
        return fdcache_open(&c->open_file_cache, dir_fd, rel, st, time_now.sec, &x->r->fd_ref);
    return static_open_file(dir_fd, rel, c->disable_symlinks, st);
}

/* log_not_found off: a file that is not there is not an error to log. */
static int log_missing(const struct answer *x, int e)
{
    return x->conf->log_not_found || (e != ENOENT && e != ENOTDIR && e != ENAMETOOLONG);
}

/* A URI that names a directory: the first index file that exists (an
 * internal redirect to it), else the autoindex listing, else 403. */
static int serve_directory(struct answer *x, int dir_fd, char *rel, size_t cap)
{
    size_t rl = strlen(rel);
    struct stat st;
    int fd;
    for (size_t i = 0; i < x->conf->nindex; i++) {
        snprintf(rel + rl, cap - rl, "%s", x->conf->index[i]);
        fd = static_open_file(dir_fd, rel, x->conf->disable_symlinks, &st);
        if (fd < 0) {
            if (errno == ENOENT)
                continue;
            log_error(LL_ERR, x->env->log, "open() \"%s%s\" failed (%d: %s)", reqvars_dir(x), rel,
                      errno, strerror(errno));
            return static_errno_status(errno);
        }
        close(fd);
        if (S_ISREG(st.st_mode)) { /* nginx's index module: an internal redirect to the
                                    * file, whose location may differ (and runs its
                                    * rewrite steps) */
            size_t il = strlen(x->conf->index[i]);
            if (x->ulen + il >= sizeof(x->uri) - 256)
                return 414;
            memcpy(x->uri + x->ulen, x->conf->index[i], il + 1);
            x->ulen += il;
            x->internal = 1;
            return REDIRECT;
        }
    }
    rel[rl] = '\0';
    fd = static_open_file(dir_fd, rel, x->conf->disable_symlinks, &st);
    if (fd < 0) {
        int e = errno;
        if (log_missing(x, e))
            log_error(LL_ERR, x->env->log, "\"%s%s\" is not found (%d: %s)", reqvars_dir(x), rel, e,
                      strerror(e));
        return static_errno_status(e);
    }
    close(fd);
    if (x->conf->autoindex)
        return x->method == HTTP_POST ? 405 : autoindex_answer(x, dir_fd, rel);
    log_error(LL_ERR, x->env->log, "directory index of \"%s%s\" is forbidden", reqvars_dir(x), rel);
    return 403;
}

/* A directory named without its "/": 301 to the URI with it (and the
 * query), with no error_page. */
static int redirect_slash(struct answer *x)
{
    char loc[URI_MAX + 8];
    int n = snprintf(loc, sizeof(loc), "%.*s/%s%.*s", (int)x->ulen, x->uri, x->alen ? "?" : "",
                     (int)x->alen, x->args);
    x->no_error_page = 1;
    x->redirect = x->redirect_buf;
    x->redirect_len = n > 0 && (size_t)n < sizeof(x->redirect_buf) ? (size_t)n : 0;
    memcpy(x->redirect_buf, loc, x->redirect_len);
    return 301;
}

/* Serves uri from the location's directory: a file, a directory's index,
 * an autoindex listing, or the matching error. */
int file_serve(struct answer *x)
{
    char rel[URI_MAX + 256];
    struct stat st;
    int dir_fd, fd;

    int st_map = file_map_path(x, x->uri, x->ulen, &dir_fd, rel, URI_MAX);
    if (st_map == 404)
        log_error(LL_ERR, x->env->log, "\"%s%.*s\" is not found (outside the alias)",
                  reqvars_dir(x), (int)(x->ulen - x->loc->plen), x->uri + x->loc->plen);
    if (st_map != 0)
        return st_map;
    if (dir_fd < 0) {
        log_error(LL_ERR, x->env->log, "root \"%s\" cannot be opened", reqvars_dir(x));
        return 404;
    }
    if (rel[strlen(rel) - 1] == '/')
        return serve_directory(x, dir_fd, rel, sizeof(rel));
    if (cacheable_here(x)) { /* one open at most, cached or not */
        x->body_mem = fcache_get(dir_fd, rel, &st, &fd, &x->r->cached);
        if (x->body_mem != NULL)
            return answer_file_variant(x, -1, &st, rel, strlen(rel), NULL, 0);
    } else {
        fd = open_for_sendfile(x, dir_fd, rel, &st);
    }
    if (fd < 0 && errno == ENOENT && !x->no_error_page) {
        /* only FILE.gz / FILE.br on disk: served to clients that take it */
        int vary = 0;
        const char *coding;
        fd = -1;
        coding = precompressed(x, dir_fd, rel, &fd, &st, &vary);
        if (coding != NULL)
            return answer_file_variant(x, fd, &st, rel, strlen(rel), coding, vary);
        errno = ENOENT;
    }
    if (fd < 0) {
        int e = errno;
        if (log_missing(x, e))
            log_error(static_errno_status(e) == 500 ? LL_CRIT : LL_ERR, x->env->log,
                      "open() \"%s%s\" failed (%d: %s)", reqvars_dir(x), rel, e, strerror(e));
        return static_errno_status(e);
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return redirect_slash(x);
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        log_error(LL_ERR, x->env->log, "\"%s%s\" is not a regular file", reqvars_dir(x), rel);
        return 403;
    }
    return answer_file(x, fd, &st, rel, strlen(rel), dir_fd, rel);
}
