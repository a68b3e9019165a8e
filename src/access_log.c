/* access_log.c: access logs: log_format templates compiled once and rendered
 * per request (nginx's escaping), and buffered files (buffer=, flush=,
 * gzip=, if=) or syslog targets. The error log is log.c. */
#include "log.h"
#include "syslog.h"
#include "util.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

/* --- log_format ------------------------------------------------------- */

static const struct {
    const char *name;
    enum log_var var;
} var_names[] = {
    {"remote_addr", LV_REMOTE_ADDR},
    {"time_local", LV_TIME_LOCAL},
    {"request", LV_REQUEST},
    {"status", LV_STATUS},
    {"body_bytes_sent", LV_BODY_BYTES_SENT},
    {"bytes_sent", LV_BYTES_SENT},
    {"http_referer", LV_HTTP_REFERER},
    {"http_user_agent", LV_HTTP_USER_AGENT},
    {"request_uri", LV_REQUEST_URI},
    {"request_method", LV_REQUEST_METHOD},
    {"request_time", LV_REQUEST_TIME},
    {"ssl_protocol", LV_SSL_PROTOCOL},
    {"ssl_cipher", LV_SSL_CIPHER},
    {"ktls", LV_KTLS},
    {"ssl_client_verify", LV_SSL_CLIENT_VERIFY},
    {"ssl_client_s_dn", LV_SSL_CLIENT_S_DN},
    {"server_name", LV_SERVER_NAME},
    {"host", LV_HOST},
    {"msec", LV_MSEC},
    {"connection", LV_CONNECTION},
    {"connection_requests", LV_CONNECTION_REQUESTS},
    {"remote_user", LV_REMOTE_USER},
    {"http_x_forwarded_for", LV_HTTP_X_FORWARDED_FOR},
    {"ktls_mode", LV_KTLS_MODE},
    {"pid", LV_PID},
    {"request_length", LV_REQUEST_LENGTH},
};

struct log_op {
    enum log_var var;
    size_t off, len; /* literal: a span of text; family: the name's rest */
    enum var_id family;
};

struct log_format {
    char *name;
    char *text;
    struct log_op *ops;
    size_t nops;
    int sent_headers; /* names a $sent_http_ variable */
    enum log_escape escape;
    struct var_ref reqvars[LOG_MAX_REQUEST_VARS]; /* keys point into text */
    size_t nreqvars;
};

static void add_op(struct log_format *f, enum log_var var, size_t off, size_t len)
{
    if (var == LV_LITERAL && len == 0)
        return;
    f->ops = xrealloc(f->ops, (f->nops + 1) * sizeof(*f->ops));
    f->ops[f->nops++] = (struct log_op){var, off, len, VAR_HTTP};
}

struct log_format *log_format_compile(const char *name, const char *text, char *err, size_t errlen)
{
    struct log_format *f = xcalloc(1, sizeof(*f));
    size_t lit = 0, i = 0, n = strlen(text);

    f->name = xstrdup(name);
    f->text = xstrdup(text);
    while (i < n) {
        size_t start, end, j;
        int braced;
        if (text[i] != '$') {
            i++;
            continue;
        }
        add_op(f, LV_LITERAL, lit, i - lit);
        braced = text[i + 1] == '{';
        start = i + 1 + (size_t)braced;
        for (end = start; end < n; end++) {
            char c = text[end];
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_'))
                break;
        }
        if (end == start || (braced && text[end] != '}')) {
            snprintf(err, errlen, "invalid variable name in log_format \"%s\"", name);
            goto fail;
        }
        for (j = 0; j < ARRAY_LEN(var_names); j++)
            if (strlen(var_names[j].name) == end - start &&
                strncmp(var_names[j].name, text + start, end - start) == 0)
                break;
        if (j == ARRAY_LEN(var_names)) { /* the variables vars.c knows */
            struct var_ref ref;
            char msg[128];
            size_t span = vars_parse(text + i, &ref, msg, sizeof(msg));
            if (span == 0) {
                snprintf(err, errlen, "%s", msg);
                goto fail;
            }
            end = i + span - (size_t)braced; /* "$1abc": "$1", then text */
            ref.key = f->text + (ref.key - text);
            if (ref.id != VAR_HTTP && ref.id != VAR_ARG && ref.id != VAR_COOKIE &&
                ref.id != VAR_SENT_HTTP) { /* valued by request.c while answering */
                if (f->nreqvars == LOG_MAX_REQUEST_VARS) {
                    snprintf(err, errlen, "more than %d request variables in log_format \"%s\"",
                             LOG_MAX_REQUEST_VARS, name);
                    goto fail;
                }
                add_op(f, LV_REQUEST_VAR, f->nreqvars, 0);
                f->reqvars[f->nreqvars++] = ref;
                i = end + (size_t)braced;
                lit = i;
                continue;
            }
            add_op(f, LV_FAMILY, (size_t)(ref.key - f->text), ref.klen);
            f->ops[f->nops - 1].family = ref.id;
            f->sent_headers |= ref.id == VAR_SENT_HTTP;
            i = end + (size_t)braced;
            lit = i;
            continue;
        }
        add_op(f, var_names[j].var, 0, 0);
        i = end + (size_t)braced;
        lit = i;
    }
    add_op(f, LV_LITERAL, lit, n - lit);
    return f;
fail:
    log_format_free(f);
    return NULL;
}

const char *log_format_name(const struct log_format *f)
{
    return f->name;
}

void log_format_set_escape(struct log_format *f, enum log_escape escape)
{
    f->escape = escape;
}

void log_format_free(struct log_format *f)
{
    if (f == NULL)
        return;
    free(f->name);
    free(f->text);
    free(f->ops);
    free(f);
}

struct log_format *log_format_combined(void)
{
    static struct log_format *combined;
    char err[128];
    if (combined == NULL)
        combined =
            log_format_compile("combined",
                               "$remote_addr - $remote_user [$time_local] \"$request\" $status "
                               "$body_bytes_sent \"$http_referer\" \"$http_user_agent\"",
                               err, sizeof(err));
    return combined;
}

/* escape=json, as nginx's ngx_escape_json: '"' and '\\' get a backslash,
 * control bytes \n \r \t \b \f or \u00XX; other bytes (UTF-8) go as
 * they are. */
static size_t put_json(char *out, size_t pos, size_t cap, struct str s)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < s.len && pos < cap; i++) {
        unsigned char c = (unsigned char)s.p[i];
        const char *short_form = c == '"'    ? "\\\""
                                 : c == '\\' ? "\\\\"
                                 : c == '\n' ? "\\n"
                                 : c == '\r' ? "\\r"
                                 : c == '\t' ? "\\t"
                                 : c == '\b' ? "\\b"
                                 : c == '\f' ? "\\f"
                                             : NULL;
        if (short_form != NULL) {
            if (pos + 2 > cap)
                return cap;
            out[pos++] = short_form[0];
            out[pos++] = short_form[1];
        } else if (c < 0x20) {
            if (pos + 6 > cap)
                return cap;
            memcpy(out + pos, "\\u00", 4);
            out[pos + 4] = hex[c >> 4];
            out[pos + 5] = hex[c & 15];
            pos += 6;
        } else {
            out[pos++] = (char)c;
        }
    }
    return pos;
}

/* Appends a variable's value as nginx does. By default '"', '\\' and
 * bytes outside printable ASCII become \xHH so that a line cannot be
 * forged, and a value that is not there is "-"; escape=json and
 * escape=none: see enum log_escape. */
static size_t put_escaped(char *out, size_t pos, size_t cap, struct str s, enum log_escape esc)
{
    static const char hex[] = "0123456789ABCDEF";
    if (s.p == NULL || s.len == 0) {
        if (pos < cap && esc != LOG_ESCAPE_JSON)
            out[pos++] = '-';
        return pos;
    }
    if (esc == LOG_ESCAPE_JSON)
        return put_json(out, pos, cap, s);
    for (size_t i = 0; i < s.len && pos < cap; i++) {
        unsigned char c = (unsigned char)s.p[i];
        if (esc == LOG_ESCAPE_DEFAULT && (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')) {
            if (pos + 4 > cap)
                return cap;
            out[pos++] = '\\';
            out[pos++] = 'x';
            out[pos++] = hex[c >> 4];
            out[pos++] = hex[c & 15];
        } else {
            out[pos++] = (char)c;
        }
    }
    return pos;
}

size_t log_format_render(const struct log_format *f, const struct log_vars *v, char *out,
                         size_t cap)
{
    size_t pos = 0;
    if (cap == 0)
        return 0;
    cap--; /* room for '\n' */
    for (size_t i = 0; i < f->nops && pos < cap; i++) {
        const struct log_op *op = &f->ops[i];
        switch (op->var) {
        case LV_LITERAL:
            pos = buf_printf(out, pos, cap, "%.*s", (int)op->len, f->text + op->off);
            break;
        case LV_TIME_LOCAL:
            pos = buf_printf(out, pos, cap, "%s", time_now.log_local);
            break;
        case LV_STATUS:
            pos = buf_printf(out, pos, cap, "%03ld", v->status);
            break;
        case LV_BODY_BYTES_SENT:
            pos = buf_printf(out, pos, cap, "%llu", v->body_bytes);
            break;
        case LV_BYTES_SENT:
            pos = buf_printf(out, pos, cap, "%llu", v->bytes);
            break;
        case LV_REQUEST_TIME:
            pos = buf_printf(out, pos, cap, "%.3f", v->request_time);
            break;
        case LV_MSEC:
            pos = buf_printf(out, pos, cap, "%.3f", v->msec);
            break;
        case LV_CONNECTION:
            pos = buf_printf(out, pos, cap, "%lu", v->connection);
            break;
        case LV_CONNECTION_REQUESTS:
            pos = buf_printf(out, pos, cap, "%lu", v->connection_requests);
            break;
        case LV_PID:
            pos = buf_printf(out, pos, cap, "%d", log_pid());
            break;
        case LV_REQUEST_LENGTH:
            pos = buf_printf(out, pos, cap, "%llu", v->request_length);
            break;
        case LV_REQUEST_VAR: /* as nginx: "-" when not found, nothing when empty */
            if (op->off < v->nreqv && v->reqv[op->off].p != NULL && v->reqv[op->off].len == 0)
                break;
            pos = put_escaped(out, pos, cap,
                              op->off < v->nreqv ? v->reqv[op->off] : (struct str){NULL, 0},
                              f->escape);
            break;
        case LV_FAMILY: {
            struct var_ref ref = {op->family, f->text + op->off, op->len, 0};
            struct str s = {NULL, 0};
            if (!vars_family(&ref, &v->src, &s.p, &s.len))
                s.p = NULL;
            else if (s.len == 0) /* found but empty: nothing, as nginx */
                break;
            pos = put_escaped(out, pos, cap, s, f->escape);
            break;
        }
        default:
            pos = put_escaped(out, pos, cap, v->v[op->var], f->escape);
            break;
        }
    }
    if (pos > cap)
        pos = cap;
    out[pos++] = '\n';
    return pos;
}

/* --- access logs ------------------------------------------------------ */

#define ACCESS_BUF 65536
#define ACCESS_LINE_MAX 8192

struct access_log {
    char *path;
    int fd;
    const struct log_format *fmt;
    char *buf;
    size_t len;
    /* access_log's buffer=, flush=, gzip=, if= (access_log_options) */
    size_t cap;                  /* buffer size */
    double flush_every, flushed; /* 0: only when full (nginx's buffer= without flush=) */
    int gzip;                    /* level, 0: none */
    struct log_format *own;      /* with if=: the format, then "\x01" and the condition */
    struct syslog_target *sl;    /* "syslog:...": each line a datagram, no buffer */
};

int access_log_wants_head(const struct access_log *l)
{
    return l != NULL && l->fmt->sent_headers;
}

size_t access_log_request_vars(const struct access_log *l, const struct var_ref **refs)
{
    if (l == NULL)
        return 0;
    *refs = l->fmt->reqvars;
    return l->fmt->nreqvars;
}

struct access_log *access_log_open(const char *path, const struct log_format *f)
{
    struct access_log *l;
    int fd;

    if (strncmp(path, "syslog:", 7) == 0) {
        struct syslog_target *t = log_syslog_open(path);
        if (t == NULL)
            return NULL;
        l = xcalloc(1, sizeof(*l));
        l->path = xstrdup(path);
        l->fd = t->fd;
        l->fmt = f;
        l->sl = t;
        l->cap = ACCESS_BUF;
        return l;
    }
    if (strcmp(path, "/dev/stdout") == 0)
        fd = dup(1);
    else
        fd = log_open_file(path);
    if (fd < 0)
        return NULL;
    l = xcalloc(1, sizeof(*l));
    l->path = xstrdup(path);
    l->fd = fd;
    l->fmt = f;
    l->cap = ACCESS_BUF;
    l->flush_every = 1; /* ktlsd's default: a 64k buffer, written each second */
    return l;
}

int access_log_options(struct access_log *l, size_t buffer, double flush, int gzip,
                       const char *cond, char *err, size_t errlen)
{
    if (buffer > 0 || flush > 0 || gzip > 0) { /* nginx: flush= or gzip alone take 64k */
        l->cap = buffer > 0 ? buffer : ACCESS_BUF;
        l->flush_every = flush;
    }
    l->gzip = gzip;
    if (cond != NULL) {
        /* one format renders the line and the condition together, so that
         * the condition's request variables are valued as the line's are */
        size_t n = strlen(l->fmt->text) + strlen(cond) + 2;
        char *text = xmalloc(n);
        snprintf(text, n, "%s\x01%s", l->fmt->text, cond);
        l->own = log_format_compile(l->fmt->name, text, err, errlen);
        free(text);
        if (l->own == NULL)
            return KT_ERROR;
        l->fmt = l->own;
    }
    return KT_OK;
}

double access_log_interval(const struct access_log *l)
{
    return l->flush_every;
}

void access_log_tick(struct access_log *l, double now)
{
    if (l->flush_every > 0 && now - l->flushed >= l->flush_every - 0.001) {
        access_log_flush(l);
        l->flushed = now;
    }
}

/* gzip=: each flush is a gzip member of its own (nginx's layout; zcat
 * reads the concatenation). Returns the compressed copy or NULL. */
static char *gzip_member(struct access_log *l, size_t *len)
{
    z_stream z;
    size_t cap;
    char *out;
    memset(&z, 0, sizeof(z));
    if (deflateInit2(&z, l->gzip, Z_DEFLATED, MAX_WBITS + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return NULL;
    cap = deflateBound(&z, (uLong)l->len);
    out = xmalloc(cap);
    z.next_in = (Bytef *)l->buf;
    z.avail_in = (uInt)l->len;
    z.next_out = (Bytef *)out;
    z.avail_out = (uInt)cap;
    if (deflate(&z, Z_FINISH) != Z_STREAM_END) {
        deflateEnd(&z);
        free(out);
        return NULL;
    }
    *len = cap - z.avail_out;
    deflateEnd(&z);
    return out;
}

void access_log_flush(struct access_log *l)
{
    size_t off = 0, total = l->len;
    char *z = NULL, *data = l->buf;
    if (l->gzip > 0 && l->len > 0 && (z = gzip_member(l, &total)) != NULL)
        data = z;
    while (off < total) {
        ssize_t w = write(l->fd, data + off, total - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            log_error(LL_ALERT, NULL,
                      "write() to access log \"%s\" failed (%d: %s), %zu bytes lost", l->path,
                      errno, strerror(errno), total - off);
            break;
        }
        off += (size_t)w;
    }
    free(z);
    l->len = 0;
}

void access_log_write(struct access_log *l, const struct log_vars *v)
{
    char line[ACCESS_LINE_MAX * 2], *mark;
    size_t n;
    if (l->buf == NULL)
        l->buf = xmalloc(l->cap);
    if (l->own == NULL) {
        n = log_format_render(l->fmt, v, line, ACCESS_LINE_MAX);
    } else { /* "LINE\x01CONDITION\n": logged unless the condition is "" or "0" */
        n = log_format_render(l->fmt, v, line, sizeof(line) - 1);
        mark = memrchr(line, '\x01', n);
        if (mark == NULL)
            return;
        /* "" or "0"; "-" is how a variable without a value renders here */
        if (mark + 2 == line + n || (mark + 3 == line + n && (mark[1] == '0' || mark[1] == '-')))
            return;
        n = (size_t)(mark - line);
        if (n > ACCESS_LINE_MAX - 1)
            n = ACCESS_LINE_MAX - 1;
        line[n++] = '\n';
    }
    if (l->sl != NULL) {
        syslog_send(l->sl, -1, line, n > 0 ? n - 1 : 0); /* without its "\n" */
        return;
    }
    if (l->cap - l->len < n)
        access_log_flush(l);
    if (n > l->cap) { /* a line longer than buffer=: written alone */
        ssize_t w = write(l->fd, line, n);
        (void)w;
        return;
    }
    memcpy(l->buf + l->len, line, n);
    l->len += n;
}

int access_log_reopen(struct access_log *l)
{
    access_log_flush(l);
    if (strcmp(l->path, "/dev/stdout") == 0 || l->sl != NULL)
        return KT_OK;
    return log_reopen(l->path, l->fd);
}

void access_log_close(struct access_log *l)
{
    if (l == NULL)
        return;
    if (l->buf != NULL)
        access_log_flush(l);
    close(l->fd);
    free(l->buf);
    free(l->path);
    if (l->own != NULL)
        log_format_free(l->own);
    free(l->sl);
    free(l);
}
