/* http.c: llhttp callbacks fill struct request with spans of the read
 * buffer (no copies), chunked framing read as nginx reads it. The response
 * head is http_head.c. */
#include "http.h"
#include "config.h"
#include "util.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* What http_parse does with the bytes before llhttp sees them: give
 * [pos, cut) as they are, then a CR LF from a constant if crlf, then go
 * on from resume (the bytes between are not llhttp's). */
struct feed {
    size_t cut, resume;
    int crlf;
};

/* Where chunk_scan is in a chunked body. */
enum {
    CH_NONE,       /* no chunked body (or its end has been seen) */
    CH_SIZE_START, /* a chunk-size line: a hex digit first */
    CH_SIZE,       /* more hex digits, an extension or the line end */
    CH_EXT,        /* a chunk extension, up to the line end */
    CH_SIZE_CR,    /* LF after the size line's CR */
    CH_DATA,       /* chunk_size bytes of data */
    CH_DATA_END,   /* CR LF (or LF) after the data */
    CH_DATA_CR,    /* LF after the data's CR */
    CH_TRAILER,    /* the start of a trailer line, or the final empty line */
    CH_TRAILER_LINE,
    CH_TRAILER_CR,
    CH_END_CR, /* LF after the final empty line's CR */
};

/* Empty pieces are skipped: a span that ends in the CR LF http_parse
 * feeds for a bare LF is reported as 0 bytes at that static string. */
static int span_extend(struct span *s, const struct request *r, const char *at, size_t len,
                       size_t max)
{
    if (len == 0)
        return 0;
    if (s->len == 0)
        s->off = (uint16_t)(at - r->base);
    if ((size_t)s->len + len > max)
        return -1;
    s->len = (uint16_t)(s->len + len);
    return 0;
}

static int on_message_begin(llhttp_t *p)
{
    struct request *r = p->data;
    r->url = (struct span){0, 0};
    r->body_off = 0;
    r->body_len = r->body_limit = 0;
    r->expect_continue = 0;
    r->cur_name = r->cur_value = (struct span){0, 0};
    r->in_value = 0;
    r->nheaders = 0;
    r->host_count = 0;
    r->error = 0;
    r->url_done = r->headers_done = r->complete = 0;
    return 0;
}

static int on_url(llhttp_t *p, const char *at, size_t len)
{
    struct request *r = p->data;
    if (span_extend(&r->url, r, at, len, HTTP_MAX_URL) != 0) {
        r->error = 414;
        return -1;
    }
    return 0;
}

static int on_url_complete(llhttp_t *p)
{
    ((struct request *)p->data)->url_done = 1;
    return 0;
}

static int on_header_field(llhttp_t *p, const char *at, size_t len)
{
    struct request *r = p->data;
    if (len == 0)
        return 0;
    if (r->in_value) {
        r->in_value = 0;
        r->cur_name = (struct span){0, 0};
    }
    return span_extend(&r->cur_name, r, at, len, UINT16_MAX);
}

/* llhttp 8.1 (not in strict mode) takes "Foo Bar: x" and "Foo : x"; nginx
 * 1.21.1+ answers 400 to a space or control character in a header name,
 * and so do we: a proxy may read such a name differently. The name's
 * bytes and the colon right after it are in the read buffer. */
static int name_valid(const struct request *r, struct span name)
{
    const char *n = r->base + name.off;
    if (name.len == 0 || n[name.len] != ':')
        return 0;
    for (size_t i = 0; i < name.len; i++)
        if ((unsigned char)n[i] <= ' ' || n[i] == 0x7f)
            return 0;
    return 1;
}

static int on_header_value(llhttp_t *p, const char *at, size_t len)
{
    struct request *r = p->data;
    if (len == 0)
        return 0;
    if (!r->in_value) {
        r->in_value = 1;
        r->cur_value = (struct span){0, 0};
    } else if (r->cur_value.len > 0 && at != r->base + r->cur_value.off + r->cur_value.len) {
        /* llhttp 8 accepts obs-fold, handing the continuation over as more
         * value after a gap (the CRLF). RFC 9112 5.2 lets a server reject it;
         * proxies disagree on its meaning, so we do (request smuggling). */
        r->error = 400;
        return -1;
    }
    return span_extend(&r->cur_value, r, at, len, UINT16_MAX);
}

static int on_header_value_complete(llhttp_t *p)
{
    struct request *r = p->data;
    if (!r->in_value) { /* empty value: no on_header_value call */
        r->in_value = 1;
        r->cur_value = (struct span){0, 0};
    }
    if (!name_valid(r, r->cur_name)) {
        r->error = 400;
        return -1;
    }
    if (r->nheaders == HTTP_MAX_HEADERS) {
        r->error = 431;
        return -1;
    }
    if (r->cur_name.len == 4 && strncasecmp(r->base + r->cur_name.off, "host", 4) == 0)
        r->host_count++;
    r->headers[r->nheaders++] = (struct header){r->cur_name, r->cur_value};
    return 0;
}

/* nginx's ngx_http_validate_host: no empty name, no path characters, no
 * "..", nothing that could escape into a file name or a log line. */
static int host_valid(const char *h, size_t len)
{
    if (len == 0 || h[0] == '.')
        return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)h[i];
        if (c <= ' ' || c == '/' || c == '\\' || c >= 0x7f ||
            (c == '.' && i + 1 < len && h[i + 1] == '.'))
            return 0;
    }
    return 1;
}

static int token_is(const char *v, size_t len, const char *word)
{
    size_t n = strlen(word);
    while (len > 0 && (*v == ' ' || *v == '\t')) {
        v++;
        len--;
    }
    while (len > 0 && (v[len - 1] == ' ' || v[len - 1] == '\t'))
        len--;
    return len == n && strncasecmp(v, word, n) == 0;
}

static int on_headers_complete(llhttp_t *p)
{
    struct request *r = p->data;
    const char *v;
    size_t len;
    r->headers_done = 1;
    r->method = p->method;
    r->http_major = p->http_major;
    r->http_minor = p->http_minor;
    /* the parser's own checks done, the ones RFC 9112 leaves to us */
    if (r->http_major > 1) { /* with LENIENT_VERSION, any digit: nginx answers 505 */
        r->error = 505;
        return -1;
    }
    if (r->http_major != 1 || r->host_count > 1 || (r->http_minor >= 1 && r->host_count == 0)) {
        /* RFC 9112 3.2: a client MUST send one Host in 1.1 */
        r->error = 400;
        return -1;
    }
    if ((v = http_header(r, "host", &len)) != NULL && !host_valid(v, len)) {
        r->error = 400;
        return -1;
    }
    if ((v = http_header(r, "transfer-encoding", &len)) != NULL) {
        /* nginx 1.22: chunked only, and only from HTTP/1.1 clients */
        if (p->http_major == 1 && p->http_minor == 0) {
            r->error = 400;
            return -1;
        }
        if (!token_is(v, len, "chunked")) {
            r->error = 501;
            return -1;
        }
    }
    if ((v = http_header(r, "expect", &len)) != NULL && token_is(v, len, "100-continue") &&
        p->http_minor >= 1)
        r->expect_continue = 1;
    if (p->flags & F_CHUNKED)
        r->chunk_state = CH_SIZE_START;
    /* a body follows: stop here so that its size can be checked first */
    if ((p->flags & F_CHUNKED) || (p->flags & F_CONTENT_LENGTH && p->content_length > 0))
        return HPE_PAUSED;
    return 0;
}

/* Request bodies (allowed on GET, pointless for static files) are read and
 * dropped: the spans never point at them. */
static int on_body(llhttp_t *p, const char *at, size_t len)
{
    struct request *r = p->data;
    if (r->body_off == 0)
        r->body_off = (uint16_t)(at - r->base);
    r->body_len += len;
    if (r->body_limit > 0 && r->body_len > r->body_limit) {
        r->error = 413;
        return -1;
    }
    return 0;
}

/* Pause after each request so that pipelined requests are answered one at a
 * time, in order; the caller resumes the parser for the next one. */
static int on_message_complete(llhttp_t *p)
{
    struct request *r = p->data;
    r->complete = 1;
    r->keepalive = llhttp_should_keep_alive(p);
    return HPE_PAUSED;
}

static const llhttp_settings_t settings = {
    .on_message_begin = on_message_begin,
    .on_url = on_url,
    .on_url_complete = on_url_complete,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_header_value_complete = on_header_value_complete,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

void http_request_init(struct request *r)
{
    memset(r, 0, sizeof(*r));
    llhttp_init(&r->parser, HTTP_REQUEST, &settings);
    /* "HTTP/9.9" parses, so that on_headers_complete answers 505 as nginx */
    r->parser.lenient_flags |= LENIENT_VERSION;
    r->parser.data = r;
    r->large_num = HTTP_LARGE_BUFS;
    r->large_size = HTTP_LARGE_BUF_SIZE;
    r->in_head = r->in_request_line = 1;
    r->buf_cap = HTTP_HEADER_BUF;
}

void http_request_limits(struct request *r, unsigned num, unsigned size)
{
    r->large_num = num;
    r->large_size = size;
}

/* A head line that does not fit: 414 while in the request line, else
 * nginx's 494 (400 "Request Header Or Cookie Too Large"). */
static int head_too_large(struct request *r)
{
    r->error = r->in_request_line ? 414 : HTTP_HEADER_TOO_LARGE;
    r->keepalive = 0;
    return KT_ERROR;
}

/* nginx reads a head into a client_header_buffer_size (1k) buffer, then
 * moves the line in progress to a new large buffer each time one fills:
 * a line (with its line end) must fit in one, and a request may take
 * large_client_header_buffers NUMBER of them. The line from line_start
 * has `len` bytes so far, `done` when they end in its LF. */
static int head_line_fits(struct request *r, unsigned len, int done)
{
    unsigned used = r->line_start - r->buf_start + len;
    if (done ? used > r->buf_cap : used >= r->buf_cap) {
        if (++r->nlarge > r->large_num)
            return head_too_large(r);
        r->buf_start = r->line_start;
        r->buf_cap = r->large_size;
        if (done ? len > r->large_size : len >= r->large_size)
            return head_too_large(r);
    }
    return KT_OK;
}

/* Looks at the head's new bytes, buf[r->scanned..len): enforces the
 * buffer limits line by line, and stops at the next bare LF (fed as CR
 * LF). Leaves r->in_head once the empty line has been seen. */
static int head_scan(struct request *r, const char *buf, size_t len, struct feed *f)
{
    while (r->in_head && r->scanned < len) {
        const char *lf = memchr(buf + r->scanned, '\n', len - r->scanned);
        if (lf == NULL) {
            r->scanned = (unsigned)len;
            return head_line_fits(r, (unsigned)len - r->line_start, 0);
        }
        size_t i = (size_t)(lf - buf);
        int cr = i > r->line_start && buf[i - 1] == '\r';
        int empty = i - r->line_start == (size_t)cr;
        r->scanned = (unsigned)i + 1;
        if (head_line_fits(r, (unsigned)(i + 1 - r->line_start), 1) != KT_OK)
            return KT_ERROR;
        r->line_start = (unsigned)i + 1;
        if (!empty)
            r->in_request_line = 0;
        else if (!r->in_request_line) /* (empty lines before a request are skipped) */
            r->in_head = 0;
        if (!cr) {
            *f = (struct feed){i, i + 1, 1};
            return KT_OK;
        }
    }
    return KT_OK;
}

static int hex(char c)
{
    return c >= '0' && c <= '9'                     ? c - '0'
           : (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10
                                                    : -1;
}

enum { SCAN_NEXT, SCAN_FEED, SCAN_BAD }; /* a byte read; a feed set; 400 */

/* A chunk extension, from i to the line end: cut (llhttp never sees it). */
static int cut_extension(struct request *r, const char *buf, size_t len, size_t i, struct feed *f)
{
    size_t j = i;
    while (j < len && buf[j] != '\r' && buf[j] != '\n')
        j++;
    r->scanned = (unsigned)j;
    *f = (struct feed){i, j, 0};
    return SCAN_FEED;
}

/* A bare LF at i: llhttp gets CR LF for it, and the scan goes on in next. */
static int bare_lf(struct request *r, size_t i, int next, struct feed *f)
{
    r->chunk_state = next;
    r->scanned = (unsigned)i + 1;
    *f = (struct feed){i, i + 1, 1};
    return SCAN_FEED;
}

/* A byte of a chunk-size line: hex digits, an extension, CR LF or LF. */
static int size_line_byte(struct request *r, const char *buf, size_t len, size_t i, struct feed *f)
{
    char c = buf[i];
    int h;
    switch (r->chunk_state) {
    case CH_SIZE_START:
    case CH_SIZE:
        if ((h = hex(c)) >= 0) {
            if (r->chunk_size > (~0ULL >> 5))
                return SCAN_BAD;
            r->chunk_size = r->chunk_size * 16 + (unsigned)h;
            r->chunk_state = CH_SIZE;
            return SCAN_NEXT;
        }
        if (r->chunk_state == CH_SIZE_START)
            return SCAN_BAD;
        if (c == ';' || c == ' ' || c == '\t') { /* an extension: cut from here */
            r->chunk_state = CH_EXT;
            return cut_extension(r, buf, len, i, f);
        }
        /* the line end: */
        /* fall through */
    case CH_EXT:
        if (c == '\r') {
            r->chunk_state = CH_SIZE_CR;
            return SCAN_NEXT;
        }
        if (c == '\n')
            return bare_lf(r, i, r->chunk_size > 0 ? CH_DATA : CH_TRAILER, f);
        if (r->chunk_state != CH_EXT)
            return SCAN_BAD;
        return cut_extension(r, buf, len, i, f); /* more of one begun in an earlier read */
    default:                                     /* CH_SIZE_CR */
        if (c != '\n')
            return SCAN_BAD;
        r->chunk_state = r->chunk_size > 0 ? CH_DATA : CH_TRAILER;
        return SCAN_NEXT;
    }
}

/* A byte after a chunk's data, or of the trailer and the final line. */
static int line_end_byte(struct request *r, size_t i, char c, struct feed *f)
{
    int data = r->chunk_state == CH_DATA_END || r->chunk_state == CH_DATA_CR;
    switch (r->chunk_state) {
    case CH_DATA_END:
    case CH_TRAILER_LINE:
        if (c == '\r') {
            r->chunk_state = data ? CH_DATA_CR : CH_TRAILER_CR;
            return SCAN_NEXT;
        }
        if (c == '\n')
            return bare_lf(r, i, data ? CH_SIZE_START : CH_TRAILER, f);
        return data ? SCAN_BAD : SCAN_NEXT;
    case CH_DATA_CR:
    case CH_TRAILER_CR:
        if (c != '\n')
            return SCAN_BAD;
        r->chunk_state = data ? CH_SIZE_START : CH_TRAILER;
        return SCAN_NEXT;
    case CH_TRAILER:
        if (c == '\n')
            return bare_lf(r, i, CH_NONE, f);
        r->chunk_state = c == '\r' ? CH_END_CR : CH_TRAILER_LINE;
        return SCAN_NEXT;
    default: /* CH_END_CR */
        if (c != '\n')
            return SCAN_BAD;
        r->chunk_state = CH_NONE;
        return SCAN_NEXT;
    }
}

/* The framing of a chunked body, read ahead of llhttp 8.1, which differs
 * from nginx: it skips the two bytes after a chunk's data unseen (so
 * "5\r\nhelloXX0\r\n\r\n" passed: a proxy in front would disagree on
 * where the next request starts), refuses the BWS of RFC 9112 7.1.1
 * ("5 ;a=1", "5; a = 1") and bare LFs. Here, as nginx's
 * ngx_http_parse_chunked: a chunk's data ends in CR LF or LF, else 400; an
 * extension is anything up to the line end and is not given to llhttp;
 * each bare LF goes to llhttp as CR LF. Stops at the first change to the
 * bytes (f), at len, or at the body's end. */
static int chunk_scan(struct request *r, const char *buf, size_t len, struct feed *f)
{
    size_t i = r->scanned;
    while (i < len && r->chunk_state != CH_NONE) {
        int s;
        if (r->chunk_state == CH_DATA) {
            size_t n = len - i < r->chunk_size ? len - i : (size_t)r->chunk_size;
            r->chunk_size -= n;
            i += n;
            if (r->chunk_size == 0)
                r->chunk_state = CH_DATA_END;
            continue;
        }
        s = r->chunk_state <= CH_SIZE_CR ? size_line_byte(r, buf, len, i, f)
                                         : line_end_byte(r, i, buf[i], f);
        if (s == SCAN_FEED)
            return KT_OK;
        if (s == SCAN_BAD) {
            r->error = 400;
            return KT_ERROR;
        }
        i++;
    }
    r->scanned = (unsigned)i;
    return KT_OK;
}

/* Parses buf[*parsed..len). A head line that ends in a bare LF is given
 * to llhttp (which wants CR LF) without its LF, then a CR LF from a
 * constant: the spans stay in buf. nginx accepts bare LFs too (RFC 9112
 * 2.2 allows it). Chunked bodies: chunk_scan. */
int http_parse(struct request *r, const char *buf, size_t len, size_t *parsed)
{
    static const char crlf[] = "\r\n";
    llhttp_errno_t e;
    size_t pos = *parsed;
    int in_crlf;

    r->base = buf;
    if (llhttp_get_errno(&r->parser) == HPE_PAUSED)
        llhttp_resume(&r->parser);
    if (r->complete) { /* a new request starts at *parsed: its own buffers */
        r->complete = 0;
        r->in_head = r->in_request_line = 1;
        r->line_start = r->scanned = r->buf_start = (unsigned)pos;
        r->buf_cap = HTTP_HEADER_BUF;
        r->nlarge = 0;
        r->chunk_state = CH_NONE;
        r->chunk_size = 0;
    }
    if (!r->in_head) /* a body: conn.c may have reused the buffer's room */
        r->scanned = (unsigned)pos;
    if (pos == len)
        return KT_AGAIN;
    for (;;) {
        struct feed f = {len, len, 0};
        if (!r->in_head && chunk_scan(r, buf, len, &f) != KT_OK)
            return KT_ERROR;
        if (r->in_head && head_scan(r, buf, len, &f) != KT_OK) {
            /* a line too large: the lines before it are parsed first, so
             * that the log has the request line (an error there wins) */
            int status = r->error;
            if (r->line_start > pos &&
                llhttp_execute(&r->parser, buf + pos, r->line_start - pos) != HPE_OK)
                return KT_ERROR;
            r->error = status;
            r->keepalive = 0;
            r->method = r->parser.method;
            r->http_major = r->parser.http_major;
            r->http_minor = r->parser.http_minor;
            return KT_ERROR;
        }
        in_crlf = 0;
        e = f.cut > pos ? llhttp_execute(&r->parser, buf + pos, f.cut - pos) : HPE_OK;
        if (e == HPE_OK && f.crlf) { /* a bare LF, as CR LF */
            e = llhttp_execute(&r->parser, crlf, 2);
            in_crlf = 1;
        }
        if (e == HPE_OK || in_crlf)
            pos = f.resume;
        if (e != HPE_OK)
            break;
        if (pos == len) {
            *parsed = len;
            return KT_AGAIN;
        }
    }
    if (e == HPE_PAUSED) {
        /* a pause in the constant CR LF (the end of a head): after the bare LF */
        *parsed = in_crlf ? pos : (size_t)(llhttp_get_error_pos(&r->parser) - buf);
        return r->error ? KT_ERROR : KT_OK; /* a request, or the head of one with a body */
    }
    if (r->error == 0)
        r->error = 400;
    return KT_ERROR;
}

size_t http_host_len(const char *host, size_t len)
{
    const char *colon = len > 0 && host[0] != '[' ? memchr(host, ':', len) : NULL;
    return colon != NULL ? (size_t)(colon - host) : len;
}

const char *http_target_authority(const char *t, size_t tlen, size_t *alen)
{
    const char *auth, *slash;
    if (tlen <= 8 || (strncasecmp(t, "http://", 7) != 0 && strncasecmp(t, "https://", 8) != 0))
        return NULL;
    auth = (const char *)memchr(t, ':', tlen) + 3;
    slash = memchr(auth, '/', tlen - (size_t)(auth - t));
    *alen = slash ? (size_t)(slash - auth) : tlen - (size_t)(auth - t);
    return auth;
}

const char *http_request_host(const struct request *r, size_t *len)
{
    const char *h = http_target_authority(r->base + r->url.off, r->url.len, len);
    if (h == NULL)
        h = http_header(r, "host", len);
    *len = h != NULL ? http_host_len(h, *len) : 0;
    return *len > 0 ? h : NULL;
}

const char *http_header(const struct request *r, const char *name, size_t *len)
{
    size_t n = strlen(name);
    for (unsigned i = 0; i < r->nheaders; i++) {
        const struct header *h = &r->headers[i];
        if (h->name.len == n && strncasecmp(r->base + h->name.off, name, n) == 0) {
            *len = h->value.len;
            return r->base + h->value.off;
        }
    }
    return NULL;
}

const char *http_method_name(const struct request *r)
{
    return llhttp_method_name((llhttp_method_t)r->method);
}
