/* request.c: what to answer, and the core of the pipeline. conn.c (or any
 * protocol) hands over a parsed request; this file picks the server block
 * (Host, regex names with captures) and location (nginx's rules, named
 * locations), applies allow/deny, return, try_files and error_page, and
 * hands the rest to the handlers: file.c, status.c. A handler answers, or
 * returns a status that is answered here with nginx's page or the
 * error_page that says where the page is. It never touches the socket. */
#include "request.h"
#include "answer.h"
#include "auth.h"
#include "config.h"
#include "file.h"
#include "http.h"
#include "http_head.h"
#include "limit.h"
#include "log.h"
#include "reqvars.h"
#include "rewrite.h"
#include "static.h"
#include "stats.h"
#include "status.h"
#include "util.h"
#include "vars.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define MAX_REDIRECTS 10

static struct answer the_ctx;

/* --- virtual hosts ---------------------------------------------------------- */

static int name_matches(const char *name, const char *host, size_t len)
{
    size_t n = strlen(name);
    if (n == len && strncasecmp(name, host, len) == 0)
        return 3;
    if (name[0] == '*' && name[1] == '.' && len > n - 1 &&
        strncasecmp(host + len - (n - 1), name + 1, n - 1) == 0)
        return 2;
    if (name[0] == '.' && ((len == n - 1 && strncasecmp(host, name + 1, len) == 0) ||
                           (len > n && strncasecmp(host + len - n, name, n) == 0)))
        return 2;
    if (n > 2 && name[n - 1] == '*' && name[n - 2] == '.' && len > n - 1 &&
        strncasecmp(host, name, n - 1) == 0)
        return 1;
    return 0;
}

/* The server block for a host: exact names, then wildcards, then the first
 * "~regex" name in file order that matches (nginx's order); its captures go
 * to x when there is one. */
static struct server_conf *pick_server(const struct vhosts *vh, const char *host, size_t len,
                                       struct answer *x)
{
    struct server_conf *best = NULL;
    int best_score = 0;
    char lower[256];
    if (host == NULL || vh == NULL)
        return vh != NULL ? vh->dflt : NULL;
    if (len > 0 && host[len - 1] == '.')
        len--;
    for (size_t i = 0; i < vh->n; i++)
        for (size_t j = 0; j < vh->servers[i]->nnames; j++) {
            int score = vh->servers[i]->name_re[j] != NULL
                            ? 0
                            : name_matches(vh->servers[i]->names[j], host, len);
            if (score > best_score) {
                best_score = score;
                best = vh->servers[i];
            }
        }
    if (best != NULL || len >= sizeof(lower))
        return best != NULL ? best : vh->dflt;
    for (size_t k = 0; k < len; k++) /* nginx matches the lowercased Host */
        lower[k] = (host[k] >= 'A' && host[k] <= 'Z') ? (char)(host[k] + 32) : host[k];
    for (size_t i = 0; i < vh->n; i++)
        for (size_t j = 0; j < vh->servers[i]->nnames; j++) {
            pcre2_code *re = vh->servers[i]->name_re[j];
            pcre2_match_data *md = vh->servers[i]->name_md[j];
            int rc;
            if (re == NULL)
                continue;
            rc = pcre2_match(re, (PCRE2_SPTR)lower, len, 0, 0, md, NULL);
            if (rc < 0)
                continue;
            if (x != NULL)
                reqvars_captures(&x->cap[0], re, md, rc, lower, len);
            return vh->servers[i];
        }
    return vh->dflt;
}

struct server_conf *request_server(const struct vhosts *vh, const char *host, size_t len)
{
    return pick_server(vh, host, len, NULL);
}

/* --- locations -------------------------------------------------------------- */

/* nginx's order: an exact "=" match; else the longest prefix, which ends
 * the search if it is "^~"; else the first regex in the file's order; else
 * that longest prefix. */
static struct location *find_location(struct server_conf *s, const char *uri, size_t len, int *rc)
{
    struct location *prefix = NULL;
    for (size_t i = 0; i < s->nlocs; i++) {
        struct location *l = s->locs[i];
        if (l->kind == LOC_EXACT && l->plen == len && memcmp(l->pattern, uri, len) == 0)
            return l;
        if ((l->kind == LOC_PREFIX || l->kind == LOC_PREFIX_NOREGEX) && l->plen <= len &&
            memcmp(l->pattern, uri, l->plen) == 0 && (prefix == NULL || l->plen > prefix->plen))
            prefix = l;
    }
    if (prefix != NULL && prefix->kind == LOC_PREFIX_NOREGEX)
        return prefix;
    for (size_t i = 0; i < s->nlocs; i++) {
        struct location *l = s->locs[i];
        if (l->re == NULL)
            continue;
        int m = pcre2_match(l->re, (PCRE2_SPTR)uri, len, 0, 0, l->md, NULL);
        if (m >= 0) {
            if (rc != NULL)
                *rc = m;
            return l;
        }
    }
    return prefix;
}

static struct location *find_named(const struct server_conf *s, const char *name)
{
    for (size_t i = 0; i < s->nlocs; i++)
        if (s->locs[i]->kind == LOC_NAMED && strcmp(s->locs[i]->pattern, name) == 0)
            return s->locs[i];
    return NULL;
}

/* "scheme://host[:port]" for absolute redirects: the Host the client sent
 * without its port (else the first server_name), then the port ktlsd
 * listens on unless it is the scheme's default (nginx's port_in_redirect). */
static size_t base_url(const struct answer *x, char *out, size_t cap)
{
    const char *host = x->host                                 ? x->host
                       : x->srv->nnames && x->srv->names[0][0] ? x->srv->names[0]
                                                               : "localhost";
    size_t hlen = x->host ? x->hlen : strlen(host);
    int port = x->env->vh != NULL ? x->env->vh->port : 0, n;
    if (port == 0 || port == (x->env->ssl ? 443 : 80))
        n = snprintf(out, cap, "%s://%.*s", x->env->ssl ? "https" : "http", (int)hlen, host);
    else
        n = snprintf(out, cap, "%s://%.*s:%d", x->env->ssl ? "https" : "http", (int)hlen, host,
                     port);
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

/* Serving an error_page: no other error_page applies, and the page goes
 * out with the status it replaces (nginx's 494 to 497 as 400), with the
 * "=CODE" given, or with its own ("=" alone). */
static void error_page_status(struct answer *x, const struct error_page *e, int status)
{
    x->no_error_page = 1;
    x->page_status = e->new_code > 0                                    ? e->new_code
                     : e->new_code < 0                                  ? 0
                     : status >= HTTP_HEADER_TOO_LARGE && status <= 497 ? 400
                                                                        : status;
}

/* An error or redirect with nginx's little HTML page, unless error_page
 * says where the page is. Returns REDIRECT for an internal error_page. */
static int answer_status(struct answer *x, int status, const char *location, size_t location_len)
{
    struct response resp;
    const char *body;
    size_t blen;

    if (!x->no_error_page && status >= 300)
        for (size_t i = 0; i < x->conf->nerror_pages; i++) {
            const struct error_page *e = &x->conf->error_pages[i];
            if (e->code != status)
                continue;
            if (e->uri[0] == '@') { /* a named location: the URI stays */
                x->named = find_named(x->srv, e->uri);
                if (x->named == NULL) {
                    log_error(LL_ERR, x->env->log, "could not find named location \"%s\"", e->uri);
                    break;
                }
                error_page_status(x, e, status);
                x->internal = 1;
                return REDIRECT;
            }
            if (e->uri[0] != '/') { /* error_page 404 https://...: a redirect */
                x->no_error_page = 1;
                return answer_status(x, e->new_code >= 300 && e->new_code < 400 ? e->new_code : 302,
                                     e->uri, strlen(e->uri));
            }
            error_page_status(x, e, status);
            x->internal = 1;
            x->ulen = (size_t)snprintf(x->uri, sizeof(x->uri), "%s", e->uri);
            x->alen = 0;
            return REDIRECT;
        }
    if (status == 400 || status == 413 || status == 414 || status == 431 ||
        (status >= HTTP_HEADER_TOO_LARGE && status <= 497) || status >= 500)
        x->r->close = 1;
    body = http_error_body(status, x->srv->c.server_tokens, &blen);
    /* nginx's 400s with their own page: 494 head too large, 495 and 496
     * client certificate, 497 plain HTTP */
    if (status >= HTTP_HEADER_TOO_LARGE && status <= 497)
        status = 400;
    answer_response(x, &resp, status);
    resp.content_type = "text/html";
    if (strcmp(http_reason(status), "Unknown") == 0) { /* nginx has no page for it */
        blen = 0;
        resp.content_type = NULL;
    }
    if (location != NULL && location[0] == '/') { /* nginx makes them absolute */
        size_t n = base_url(x, x->locbuf, sizeof(x->locbuf));
        n += (size_t)snprintf(x->locbuf + n, sizeof(x->locbuf) - n, "%.*s", (int)location_len,
                              location);
        location = x->locbuf;
        location_len = n < sizeof(x->locbuf) ? n : sizeof(x->locbuf) - 1;
    }
    resp.location = location;
    resp.location_len = location_len;
    resp.allow = status == 405;
    resp.content_range = status == 416 ? x->content_range : NULL;
    if (status == 204 || status == 304 || status < 200)
        blen = 0;
    resp.content_length = (long long)blen;
    if (blen > 0) { /* nginx gzips its own 403 and 404 pages: cached per status */
        struct stat st = {.st_ino = (ino_t)status, .st_size = (off_t)blen};
        if (answer_compressed(x, &resp, &st, body))
            return DONE;
    }
    if (answer_head(x, &resp) != KT_OK && location != NULL && status != 414) {
        /* a redirect whose Location cannot fit (an 8k Host and an 8k
         * query): refused as too long before anything is sent */
        x->no_error_page = 1;
        return answer_status(x, 414, NULL, 0);
    }
    if (!answer_head_only(x) && blen > 0 && x->r->head_len + blen <= x->env->cap) {
        memcpy(x->env->buf + x->r->head_len, body, blen);
        reply_add_mem(x->r, x->env->buf + x->r->head_len, blen);
    }
    return DONE;
}

/* "return", or a rewrite's redirect: text expanded from tpl, or (tpl
 * NULL) text as it is, len bytes. */
static int do_return(struct answer *x, int code, const char *text, const struct vars_tpl *tpl,
                     size_t len)
{
    char val[URI_MAX];
    size_t n = 0;
    struct response resp;

    if (code == 444) { /* nginx closes the connection without an answer:
                        * an empty reply that closes, logged as 444 */
        x->r->status = 444;
        x->r->close = 1;
        return DONE;
    }
    if (text != NULL && tpl != NULL)
        n = reqvars_expand(x, tpl, val, sizeof(val));
    else if (text != NULL) {
        n = len < sizeof(val) ? len : sizeof(val) - 1;
        memcpy(val, text, n);
        val[n] = '\0';
    }
    if (code == 301 || code == 302 || code == 303 || code == 307 || code == 308) {
        x->no_error_page = 1; /* no error_page for our own redirects */
        n = reqvars_header_safe(val, n, sizeof(val));
        return answer_status(x, code, text ? val : NULL, n);
    }
    if (code == 204) {
        answer_response(x, &resp, 204);
        answer_head(x, &resp);
        return DONE;
    }
    /* nginx's ngx_http_rewrite_return_code: an error without text gets
     * its page; any other status goes with the text (maybe none) as
     * the body, typed by the URI's extension as a file would be */
    if (text == NULL && code >= 400)
        return answer_status(x, code, NULL, 0);
    answer_response(x, &resp, code);
    resp.content_type = answer_type(x, x->uri, x->ulen);
    resp.content_length = (long long)n;
    answer_head(x, &resp);
    if (!answer_head_only(x) && x->r->head_len + n <= x->env->cap) {
        memcpy(x->env->buf + x->r->head_len, val, n);
        reply_add_mem(x->r, x->env->buf + x->r->head_len, n);
    }
    return DONE;
}

static void set_uri(struct answer *x, const char *uri)
{
    const char *q = strchr(uri, '?');
    size_t len = q ? (size_t)(q - uri) : strlen(uri);
    if (static_normalize(uri, len, x->uri, sizeof(x->uri), &x->ulen) != 0)
        x->ulen = (size_t)snprintf(x->uri, sizeof(x->uri), "/");
    if (q != NULL)
        x->alen = (size_t)snprintf(x->args, sizeof(x->args), "%s", q + 1);
}

/* A handler's result: DONE, or its status answered here (error_page). */
static int handled(struct answer *x, int st)
{
    const char *to = x->redirect;
    if (st < 100)
        return st;
    x->redirect = NULL;
    return answer_status(x, st, to, to != NULL ? x->redirect_len : 0);
}

/* try_files: the first that exists wins; the last is a fallback URI (an
 * internal redirect) or "=CODE". */
static int try_files(struct answer *x)
{
    const struct srv_conf *c = x->conf;
    char cand[URI_MAX], rel[URI_MAX + 256];
    /* nginx's rules: a candidate written with a trailing "/" must be a
     * directory, any other a file; the URI becomes the candidate without
     * that slash (so "$uri/" on "/dir" ends in the 301 to "/dir/") */
    for (size_t i = 0; i + 1 < c->ntry_files; i++) {
        struct stat st;
        int dir_fd, fd,
            test_dir = c->try_files[i][0] && c->try_files[i][strlen(c->try_files[i]) - 1] == '/';
        size_t n = reqvars_expand(x, c->try_tpl[i], cand, sizeof(cand)), len;
        char norm[URI_MAX];
        if (test_dir && n > 0)
            cand[--n] = '\0';
        if (n == 0 || cand[0] != '/' || static_normalize(cand, n, norm, sizeof(norm), &len) != 0)
            continue;
        if (file_map_path(x, norm, len, &dir_fd, rel, URI_MAX) != 0 || dir_fd < 0)
            continue;
        fd = static_open_file(dir_fd, rel, SYMLINKS_OFF, &st);
        if (fd < 0)
            continue;
        close(fd);
        if ((S_ISDIR(st.st_mode) != 0) != test_dir)
            continue;
        memcpy(x->uri, norm, len + 1);
        x->ulen = len;
        return handled(x, file_serve(x));
    }
    {
        const char *last = c->try_files[c->ntry_files - 1];
        long code;
        char *end;
        if (last[0] == '=') {
            code = strtol(last + 1, &end, 10);
            if (*end == '\0' && code >= 200 && code <= 599)
                return answer_status(x, (int)code, NULL, 0);
        }
        if (last[0] == '@') {
            x->named = find_named(x->srv, last);
            if (x->named == NULL) {
                log_error(LL_ERR, x->env->log, "could not find named location \"%s\"", last);
                return answer_status(x, 500, NULL, 0);
            }
            x->internal = 1;
            return REDIRECT;
        }
        reqvars_expand(x, c->try_tpl[c->ntry_files - 1], cand, sizeof(cand));
        set_uri(x, cand);
        x->internal = 1;
        return REDIRECT;
    }
}

/* A level's rewrite steps (nginx's server_rewrite and rewrite phases):
 * DONE or REDIRECT when they decided, else -1 to go on. */
static int rewrite_phase(struct answer *x, const struct srv_conf *c, int in_location)
{
    struct rewrite_result res;
    int rc;
    if (c->nrw == 0)
        return -1;
    rc = rewrite_run(x, c, in_location, &res);
    if (rc == RW_ANSWER)
        return do_return(x, res.code, res.text, res.tpl, res.len);
    if (in_location && (rc == RW_LAST || (rc == RW_GO_ON && x->uri_changed))) {
        /* the location search starts again, past the server's steps */
        x->uri_changed = 0;
        x->skip_server_rw = 1;
        x->internal = 1;
        return REDIRECT;
    }
    x->uri_changed = 0;
    return -1;
}

static int handle(struct answer *x)
{
    if (x->named != NULL) {
        x->loc = x->named;
        x->named = NULL;
    } else {
        int rc = 0;
        x->loc = NULL;
        x->conf = &x->srv->c;
        if (!x->skip_server_rw && (rc = rewrite_phase(x, &x->srv->c, 0)) >= 0)
            return rc;
        x->skip_server_rw = 0;
        rc = 0;
        x->loc = find_location(x->srv, x->uri, x->ulen, &rc);
        if (x->loc != NULL && x->loc->re != NULL)
            reqvars_captures(&x->cap[1], x->loc->re, x->loc->md, rc, x->uri, x->ulen);
    }
    x->conf = x->loc != NULL ? &x->loc->c : &x->srv->c;
    /* error_log of the location (or server): this request's messages go there */
    ((struct log_ctx *)x->env->log)->dest = x->conf->error_log_dest;
    if (x->loc != NULL && x->loc->internal && !x->internal)
        return answer_status(x, 404, NULL, 0);
    if (x->loc != NULL) {
        int rc = rewrite_phase(x, &x->loc->c, 1);
        if (rc >= 0)
            return rc;
    }
    /* nginx's preaccess (limit_req, limit_conn) and access (allow/deny,
     * auth_basic, satisfy) phases come after its rewrite phase: "deny all;
     * return 200;" answers 200 there */
    {
        double delay = 0;
        int st = limit_request(x, &delay);
        if (delay > 0) {
            x->r->delay = delay; /* conn.c comes back once it has passed */
            return DONE;
        }
        if (st == 0)
            st = auth_access(x);
        if (st != 0)
            return answer_status(x, st, NULL, 0);
    }
    if (x->conf->status_page)
        return handled(x, status_answer(x));
    /* nginx's static handler: other methods get 405 at once; POST gets it
     * only once the file is found (a missing one is still a 404) */
    if (x->method != HTTP_GET && x->method != HTTP_HEAD && x->method != HTTP_POST)
        return answer_status(x, 405, NULL, 0);
    if (x->conf->ntry_files > 0)
        return try_files(x);
    return handled(x, file_serve(x));
}

long long request_body_limit(const struct request_env *env)
{
    /* the limit of the location the path falls in; cheap enough to redo */
    const struct request *rq = env->req;
    struct server_conf *srv;
    const char *host;
    size_t hlen = 0, len;
    struct location *l;
    char norm[URI_MAX];
    host = http_request_host(rq, &hlen);
    srv = request_server(env->vh, host, hlen);
    if (srv == NULL)
        srv = env->srv;
    if (static_normalize(env->rbuf + rq->url.off, rq->url.len, norm, sizeof(norm), &len) != 0)
        return srv->c.client_max_body_size;
    l = find_location(srv, norm, len, NULL);
    return l != NULL ? l->c.client_max_body_size : srv->c.client_max_body_size;
}

/* The request variables the server's access log names ($uri, $scheme, $1,
 * ...): valued now, while the request's state exists, into one block (the
 * values follow the array); the log line is written after the body. */
static void keep_log_values(struct answer *x)
{
    const struct var_ref *refs;
    size_t n = x->r->srv != NULL ? access_log_request_vars(x->r->srv->access_log, &refs) : 0,
           total = n * sizeof(struct str);
    char vals[LOG_MAX_REQUEST_VARS][512], *p;
    size_t lens[LOG_MAX_REQUEST_VARS];
    struct str *out;
    if (n == 0)
        return;
    int found[LOG_MAX_REQUEST_VARS];
    for (size_t i = 0; i < n; i++) {
        const char *v;
        size_t len = 0;
        found[i] = reqvars_get(x, &refs[i], &v, &len);
        if (!found[i])
            len = 0;
        if (len >= sizeof(vals[i]))
            len = sizeof(vals[i]) - 1;
        if (len > 0)
            memcpy(vals[i], v, len);
        lens[i] = len;
        total += len;
    }
    out = xmalloc(total);
    p = (char *)(out + n);
    for (size_t i = 0; i < n; i++) {
        memcpy(p, vals[i], lens[i]);
        out[i] = (struct str){found[i] ? p : NULL, lens[i]}; /* NULL: "-" in the log */
        p += lens[i];
    }
    x->r->log_values = out;
    x->r->nlog_values = n;
}

static void respond(struct answer *x, struct request_env *env, struct reply *r);

void request_respond(struct request_env *env, struct reply *r)
{
    respond(&the_ctx, env, r);
    if (the_ctx.conf != NULL) { /* the location that answered paces the body */
        r->limit_rate = the_ctx.conf->limit_rate;
        r->limit_rate_after = the_ctx.conf->limit_rate_after;
    }
    keep_log_values(&the_ctx);
}

/* The server block by Host, or by the authority of an absolute-form
 * target (RFC 9112 3.2.2), which then leaves *target as its path. */
static void choose_server(struct answer *x, const char **target, size_t *tlen)
{
    size_t alen;
    const char *auth = http_target_authority(*target, *tlen, &alen);
    if (auth != NULL) { /* the path follows the authority */
        size_t rest = *tlen - (size_t)(auth + alen - *target);
        *target = rest > 0 ? auth + alen : "/";
        *tlen = rest > 0 ? rest : 1;
    }
    x->host = http_request_host(x->env->req, &x->hlen);
    if (x->host != NULL) {
        x->srv = pick_server(x->env->vh, x->host, x->hlen, x);
        if (x->srv == NULL)
            x->srv = x->env->srv;
        x->conf = &x->srv->c;
    }
    ((struct log_ctx *)x->env->log)->dest = x->conf->error_log_dest;
}

/* The target and its query ($args, cut to fit). */
static void keep_args(struct answer *x, const char *target, size_t tlen)
{
    const char *q = memchr(target, '?', tlen);
    x->target = target;
    x->tlen = tlen;
    if (q != NULL) {
        size_t alen = tlen - (size_t)(q - target) - 1;
        if (alen >= sizeof(x->args))
            alen = sizeof(x->args) - 1;
        memcpy(x->args, q + 1, alen);
        x->args[alen] = '\0';
        x->alen = alen;
    }
}

static void respond(struct answer *x, struct request_env *env, struct reply *r)
{
    const struct request *rq = env->req;
    const char *target = env->rbuf + rq->url.off;
    size_t tlen = rq->url.len;

    memset(r, 0, offsetof(struct reply, segs));
    r->fd = -1;
    memset(x, 0, offsetof(struct answer, uri));
    x->cap[0].re = x->cap[1].re = NULL;
    x->dyn_fd = -1;
    x->env = env;
    x->r = r;
    x->method = rq->method;
    x->srv = env->srv;
    x->conf = &x->srv->c;
    if (rq->error) {
        r->srv = x->srv;
        answer_status(x, rq->error, NULL, 0);
        return;
    }
    choose_server(x, &target, &tlen);
    r->srv = x->srv;
    keep_args(x, target, tlen);
    {
        int st = static_normalize(target, tlen, x->uri, sizeof(x->uri) - 256, &x->ulen);
        if (st != 0) {
            answer_status(x, st, NULL, 0);
            return;
        }
    }
    if (env->plain_on_tls || env->client_verify) { /* nginx's 497, 495, 496: a 400, or what
                                                     error_page says */
        r->close = 1;
        if (answer_status(x, env->plain_on_tls ? 497 : env->client_verify, NULL, 0) == DONE)
            return;
    }
    for (int i = 0; i <= MAX_REDIRECTS; i++) {
        reply_drop_fd(r);
        if (handle(x) == DONE)
            break;
        if (i == MAX_REDIRECTS) {
            log_error(
                LL_ERR, x->env->log,
                "rewrite or internal redirection cycle while internally redirecting to \"%s\"",
                x->uri);
            x->no_error_page = 1;
            answer_status(x, 500, NULL, 0);
        }
    }
    if (x->dyn_fd >= 0) /* the files it served are open by now */
        close(x->dyn_fd);
}
