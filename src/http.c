/* http.c: llhttp callbacks fill struct request with spans of the read
 * buffer (no copies); response heads are printed into the send buffer. */
#include "http.h"
#include "util.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static int span_extend(struct span *s, const struct request *r, const char *at, size_t len, size_t max)
{
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
    if (r->in_value) {
        r->in_value = 0;
        r->cur_name = (struct span){0, 0};
    }
    return span_extend(&r->cur_name, r, at, len, UINT16_MAX);
}

static int on_header_value(llhttp_t *p, const char *at, size_t len)
{
    struct request *r = p->data;
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
    if (r->nheaders == HTTP_MAX_HEADERS) {
        r->error = 431;
        return -1;
    }
    if (r->cur_name.len == 4 && strncasecmp(r->base + r->cur_name.off, "host", 4) == 0)
        r->host_count++;
    r->headers[r->nheaders++] = (struct header){r->cur_name, r->cur_value};
    return 0;
}

static int on_headers_complete(llhttp_t *p)
{
    struct request *r = p->data;
    r->headers_done = 1;
    r->method = p->method;
    r->http_major = p->http_major;
    r->http_minor = p->http_minor;
    return 0;
}

/* Request bodies (allowed on GET, pointless for static files) are read and
 * dropped: the spans never point at them. */
static int on_body(llhttp_t *p, const char *at, size_t len)
{
    struct request *r = p->data;
    (void)len;
    if (r->body_off == 0)
        r->body_off = (uint16_t)(at - r->base);
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
    r->parser.data = r;
}

int http_parse(struct request *r, const char *buf, size_t len, size_t *parsed)
{
    llhttp_errno_t e;
    size_t start = *parsed;

    r->base = buf;
    if (llhttp_get_errno(&r->parser) == HPE_PAUSED)
        llhttp_resume(&r->parser);
    if (start == len)
        return KT_AGAIN;
    e = llhttp_execute(&r->parser, buf + start, len - start);
    if (e == HPE_OK) {
        *parsed = len;
        return KT_AGAIN;
    }
    if (e == HPE_PAUSED) {
        *parsed = (size_t)(llhttp_get_error_pos(&r->parser) - buf);
        /* the parser's own checks done, the ones RFC 9112 leaves to us */
        if (r->http_major != 1)
            r->error = r->http_major == 0 ? 400 : 505;
        else if (r->http_minor >= 1 && r->host_count == 0)
            r->error = 400; /* RFC 9112 3.2: a client MUST send Host in 1.1 */
        else if (r->host_count > 1)
            r->error = 400;
        return r->error ? KT_ERROR : KT_OK;
    }
    if (r->error == 0)
        r->error = 400;
    return KT_ERROR;
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

const char *http_reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Not Allowed";
    case 408: return "Request Time-out";
    case 412: return "Precondition Failed";
    case 413: return "Request Entity Too Large";
    case 414: return "Request-URI Too Large";
    case 416: return "Requested Range Not Satisfiable";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Temporarily Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
    }
}

size_t http_head(char *out, size_t cap, const struct response *resp)
{
    char lm[40];
    int n = snprintf(out, cap, "HTTP/1.1 %d %s\r\nServer: %s\r\nDate: %s\r\n", resp->status,
                     http_reason(resp->status), resp->server, time_now.http_date);
    size_t pos = n > 0 ? (size_t)n : 0;

#define ADD(...)                                                                                   \
    do {                                                                                           \
        if (pos < cap) {                                                                           \
            n = snprintf(out + pos, cap - pos, __VA_ARGS__);                                       \
            pos += n > 0 ? (size_t)n : 0;                                                          \
        }                                                                                          \
    } while (0)
    if (resp->content_type != NULL)
        ADD("Content-Type: %s\r\n", resp->content_type);
    if (resp->content_length >= 0)
        ADD("Content-Length: %lld\r\n", resp->content_length);
    if (resp->last_modified != 0) {
        time_http_date(lm, sizeof(lm), resp->last_modified);
        ADD("Last-Modified: %s\r\n", lm);
    }
    if (resp->location != NULL)
        ADD("Location: %.*s\r\n", (int)resp->location_len, resp->location);
    if (resp->allow)
        ADD("Allow: GET, HEAD\r\n");
    ADD("Connection: %s\r\n", resp->keepalive ? "keep-alive" : "close");
    ADD("\r\n");
#undef ADD
    return pos < cap ? pos : 0;
}

const char *http_error_body(int status, size_t *len)
{
    static char body[512];
    int n = snprintf(body, sizeof(body),
                     "<html>\r\n<head><title>%d %s</title></head>\r\n<body>\r\n<center><h1>%d %s</h1></center>\r\n"
                     "<hr><center>ktlsd</center>\r\n</body>\r\n</html>\r\n",
                     status, http_reason(status), status, http_reason(status));
    *len = (size_t)n;
    return body;
}
