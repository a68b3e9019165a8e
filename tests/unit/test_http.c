/* The llhttp-backed request parser: spans, pipelining, limits, smuggling shapes. */
#include "unit.h"
#include "../../src/http.c"
#include "http_head.h"
#include "version.h"

static int parse_all(struct request *r, const char *text, size_t *parsed)
{
    *parsed = 0;
    http_request_init(r);
    return http_parse(r, text, strlen(text), parsed);
}

/* Parses text to its end as conn.c does (resuming after each pause), given
 * step bytes at a time; counts the whole requests. KT_ERROR or KT_AGAIN. */
static int parse_stream(struct request *r, const char *text, size_t step, int *nreq)
{
    size_t parsed = 0, len = strlen(text), avail = 0;
    http_request_init(r);
    *nreq = 0;
    for (;;) {
        int rc = http_parse(r, text, avail, &parsed);
        if (rc == KT_ERROR)
            return KT_ERROR;
        if (rc == KT_OK) {
            *nreq += r->complete;
            continue;
        }
        if (avail == len)
            return KT_AGAIN;
        avail = avail + step < len ? avail + step : len;
    }
}

/* "GET /<n x a> HTTP/1.1" and then the header lines given, in a static buffer */
static const char *long_request(size_t url, const char *mid, size_t value)
{
    static char buf[40000];
    size_t n = 0;
    n += (size_t)sprintf(buf, "GET /");
    memset(buf + n, 'a', url);
    n += url;
    n += (size_t)sprintf(buf + n, " HTTP/1.1\r\nHost: a\r\n%s", mid);
    if (value > 0) {
        n += (size_t)sprintf(buf + n, "X-Big: ");
        memset(buf + n, 'b', value);
        n += value;
        n += (size_t)sprintf(buf + n, "\r\n");
    }
    sprintf(buf + n, "\r\n");
    return buf;
}

int main(void)
{
    struct request r;
    size_t parsed, len;
    const char *v;
    char buf[256];

    /* a simple request, headers by case-insensitive name */
    const char *req =
        "GET /a/b?c HTTP/1.1\r\nHost: example.com\r\nUser-Agent: t\r\nX-Empty:\r\n\r\n";
    CHECK(parse_all(&r, req, &parsed) == KT_OK);
    CHECK(parsed == strlen(req));
    CHECK(r.method == HTTP_GET);
    CHECK(r.url.len == 6 && memcmp(req + r.url.off, "/a/b?c", 6) == 0);
    v = http_header(&r, "HOST", &len);
    CHECK(v != NULL && len == 11 && memcmp(v, "example.com", 11) == 0);
    v = http_header(&r, "x-empty", &len);
    CHECK(v != NULL && len == 0);
    CHECK(http_header(&r, "missing", &len) == NULL);
    CHECK(r.keepalive == 1);

    /* byte by byte gives the same result */
    http_request_init(&r);
    parsed = 0;
    {
        int rc = KT_AGAIN;
        for (size_t i = 1; i <= strlen(req) && rc == KT_AGAIN; i++)
            rc = http_parse(&r, req, i, &parsed);
        CHECK(rc == KT_OK);
        v = http_header(&r, "user-agent", &len);
        CHECK(v != NULL && len == 1 && *v == 't');
    }

    /* pipelining: the parser pauses after each request */
    const char *two = "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nHEAD /2 HTTP/1.1\r\nHost: "
                      "a\r\nConnection: close\r\n\r\n";
    CHECK(parse_all(&r, two, &parsed) == KT_OK);
    CHECK(parsed == strlen("GET /1 HTTP/1.1\r\nHost: a\r\n\r\n"));
    CHECK(http_parse(&r, two, strlen(two), &parsed) == KT_OK);
    CHECK(r.method == HTTP_HEAD);
    CHECK(r.keepalive == 0);
    CHECK(parsed == strlen(two));

    /* HTTP/1.0 closes by default, keeps alive on request */
    CHECK(parse_all(&r, "GET / HTTP/1.0\r\n\r\n", &parsed) == KT_OK);
    CHECK(r.keepalive == 0);
    CHECK(parse_all(&r, "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", &parsed) == KT_OK);
    CHECK(r.keepalive == 1);

    /* errors: Host rules, garbage, smuggling shapes */
    CHECK(parse_all(&r, "GET / HTTP/1.1\r\n\r\n", &parsed) == KT_ERROR && r.error == 400);
    CHECK(parse_all(&r, "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", &parsed) == KT_ERROR &&
          r.error == 400);
    CHECK(parse_all(&r, "GARBAGE\r\n\r\n", &parsed) == KT_ERROR && r.error == 400);
    CHECK(parse_all(&r,
                    "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
                    &parsed) == KT_ERROR &&
          r.error == 400);
    CHECK(
        parse_all(
            &r,
            "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
            &parsed) == KT_ERROR);
    CHECK(parse_all(&r, "GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n folded\r\n\r\n", &parsed) ==
          KT_ERROR);
    CHECK(parse_all(&r, "GET / HTTP/2.0\r\nHost: a\r\n\r\n", &parsed) == KT_ERROR &&
          r.error == 505);

    /* a body on GET is parsed and dropped */
    {
        const char *wb = "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc";
        CHECK(parse_all(&r, wb, &parsed) == KT_OK); /* the head: the body's size can be checked */
        CHECK(r.headers_done && !r.complete);
        CHECK(parsed == strlen(wb) - 3);
        CHECK(http_parse(&r, wb, strlen(wb), &parsed) == KT_OK && r.complete);
        CHECK(r.body_off == strlen(wb) - 3 && r.body_len == 3);
        /* a limit set at the head stops a chunked body that outgrows it */
        const char *ch = "GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
                         "chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
        CHECK(parse_all(&r, ch, &parsed) == KT_OK && !r.complete);
        r.body_limit = 4;
        CHECK(http_parse(&r, ch, strlen(ch), &parsed) == KT_ERROR && r.error == 413);
        CHECK(parse_all(&r, "GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
                        &parsed) == KT_ERROR &&
              r.error == 501);
        CHECK(parse_all(&r, "GET / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", &parsed) ==
                  KT_ERROR &&
              r.error == 400);
        CHECK(parse_all(&r, "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", &parsed) == KT_ERROR &&
              r.error == 400);
        CHECK(parse_all(&r, "GET / HTTP/1.1\r\nHost:\r\n\r\n", &parsed) == KT_ERROR &&
              r.error == 400);
        CHECK(parse_all(&r, "GET / HTTP/1.1\r\nHost: a..b\r\n\r\n", &parsed) == KT_ERROR &&
              r.error == 400);
        CHECK(parse_all(&r,
                        "GET / HTTP/1.1\r\nHost: [::1]:443\r\nExpect: "
                        "100-continue\r\nContent-Length: 1\r\n\r\n",
                        &parsed) == KT_OK &&
              r.expect_continue);
    }

    /* chunk framing: the CR LF after a chunk's data is checked, whole or
     * split across reads (llhttp 8.1 skips any two bytes there) */
    {
        static const char ch[] = "GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
        static const char next[] = "GET /2 HTTP/1.1\r\nHost: a\r\n\r\n";
        char req2[256];
        int nreq;
        for (size_t step = 1; step <= 200; step += step < 8 ? 1 : 50) {
            snprintf(req2, sizeof(req2), "%s5\r\nhello\r\n0\r\n\r\n%s", ch, next);
            CHECK(parse_stream(&r, req2, step, &nreq) == KT_AGAIN && nreq == 2);
            snprintf(req2, sizeof(req2), "%s5\r\nhelloXX0\r\n\r\n%s", ch, next);
            CHECK(parse_stream(&r, req2, step, &nreq) == KT_ERROR && r.error == 400 && nreq == 0);
            snprintf(req2, sizeof(req2), "%s5\r\nhello\rX0\r\n\r\n%s", ch, next);
            CHECK(parse_stream(&r, req2, step, &nreq) == KT_ERROR && r.error == 400);
            snprintf(req2, sizeof(req2), "%s5\r\nhelloX\n0\r\n\r\n%s", ch, next);
            CHECK(parse_stream(&r, req2, step, &nreq) == KT_ERROR && r.error == 400);
            /* chunk extensions (RFC 9112 7.1.1) are accepted and ignored */
            snprintf(req2, sizeof(req2), "%s5;a=1\r\nhello\r\n2;b;c=\"d\"\r\nxy\r\n0\r\n\r\n%s", ch,
                     next);
            CHECK(parse_stream(&r, req2, step, &nreq) == KT_AGAIN && nreq == 2);
            /* with BWS (RFC 9112 7.1.1), as nginx; llhttp 8.1 alone refuses these */
            snprintf(req2, sizeof(req2),
                     "%s5 ;a=1\r\nhello\r\n2; b = \"c d\"\r\nxy\r\n0 ; z\r\n\r\n%s", ch, next);
            CHECK(parse_stream(&r, req2, step, &nreq) == KT_AGAIN && nreq == 2);
            /* bare LFs in the framing, a trailer */
            snprintf(req2, sizeof(req2), "%s5\nhello\n3;e\nabc\r\n0\nX-T: 1\nX-U: 2\r\n\n%s", ch,
                     next);
            CHECK(parse_stream(&r, req2, step, &nreq) == KT_AGAIN && nreq == 2);
            /* not a size, a CR alone */
            snprintf(req2, sizeof(req2), "%sx\r\nhello\r\n0\r\n\r\n%s", ch, next);
            CHECK(parse_stream(&r, req2, step, &nreq) == KT_ERROR && r.error == 400);
            snprintf(req2, sizeof(req2), "%s5;a\rb\r\nhello\r\n0\r\n\r\n%s", ch, next);
            CHECK(parse_stream(&r, req2, step, &nreq) == KT_ERROR && r.error == 400);
            snprintf(req2, sizeof(req2), "%s5\r\nhello\r\n0\r\n\rX%s", ch, next);
            CHECK(parse_stream(&r, req2, step, &nreq) == KT_ERROR && r.error == 400);
        }
        /* the bytes of the body counted (and limited) are the data only */
        CHECK(parse_all(&r, "GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
                        &parsed) == KT_OK);
        {
            const char *b = "GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                            "3 ;x=yyyyyyyy\nabc\n2\r\nde\r\n0\r\n\r\n";
            CHECK(parse_all(&r, b, &parsed) == KT_OK && !r.complete);
            r.body_limit = 5;
            CHECK(http_parse(&r, b, strlen(b), &parsed) == KT_OK && r.complete && r.body_len == 5 &&
                  parsed == strlen(b));
        }
    }

    /* header names: no space or control character inside, nor before the colon (nginx 1.21.1+) */
    CHECK(parse_all(&r, "GET / HTTP/1.1\r\nHost: a\r\nFoo Bar: x\r\n\r\n", &parsed) == KT_ERROR &&
          r.error == 400);
    CHECK(parse_all(&r, "GET / HTTP/1.1\r\nHost: a\r\nFoo : x\r\n\r\n", &parsed) == KT_ERROR &&
          r.error == 400);
    CHECK(parse_all(&r, "GET / HTTP/1.1\r\nHost: a\r\nFoo\t: x\r\n\r\n", &parsed) == KT_ERROR &&
          r.error == 400);
    CHECK(parse_all(&r, "GET / HTTP/1.1\r\nHost: a\r\nFoo-Bar: x y\r\n\r\n", &parsed) == KT_OK);

    /* the version: 1.x is HTTP/1.1 (as nginx), a major above 1 is 505 */
    CHECK(parse_all(&r, "GET / HTTP/9.9\r\nHost: a\r\n\r\n", &parsed) == KT_ERROR &&
          r.error == 505);
    CHECK(parse_all(&r, "GET / HTTP/1.5\r\nHost: a\r\n\r\n", &parsed) == KT_OK &&
          r.http_minor == 5);

    /* bare LF line ends are accepted, as nginx does, whole or byte by byte */
    {
        const char *lf = "GET /x HTTP/1.1\nHost: a\nX-Y: z\r\n\nGET /2 HTTP/1.1\r\nHost: b\n\r\n";
        int nreq;
        CHECK(parse_all(&r, lf, &parsed) == KT_OK && r.complete);
        CHECK(parsed == strlen("GET /x HTTP/1.1\nHost: a\nX-Y: z\r\n\n"));
        v = http_header(&r, "host", &len);
        CHECK(v != NULL && len == 1 && *v == 'a');
        v = http_header(&r, "x-y", &len);
        CHECK(v != NULL && len == 1 && *v == 'z');
        CHECK(r.url.len == 2 && memcmp(lf + r.url.off, "/x", 2) == 0);
        CHECK(http_parse(&r, lf, strlen(lf), &parsed) == KT_OK && r.complete &&
              parsed == strlen(lf));
        v = http_header(&r, "host", &len);
        CHECK(v != NULL && len == 1 && *v == 'b');
        for (size_t step = 1; step < 6; step++)
            CHECK(parse_stream(&r, lf, step, &nreq) == KT_AGAIN && nreq == 2);
        CHECK(parse_all(&r, "GET / HTTP/1.1\nHost: a\nX: \n\n", &parsed) == KT_OK);
        v = http_header(&r, "x", &len);
        CHECK(v != NULL && len == 0);
        /* a bare CR is still an error */
        CHECK(parse_all(&r, "GET / HTTP/1.1\nHost: a\rX: y\n\n", &parsed) == KT_ERROR);
    }

    /* large_client_header_buffers: nginx's packing of lines into 1k, then
     * NUMBER buffers of SIZE */
    {
        int nreq;
        CHECK(parse_all(&r, long_request(8000, "", 0), &parsed) == KT_OK);
        CHECK(parse_all(&r, long_request(8200, "", 0), &parsed) == KT_ERROR && r.error == 414);
        CHECK(parse_all(&r, long_request(1, "", 8000), &parsed) == KT_OK);
        CHECK(parse_all(&r, long_request(1, "", 8200), &parsed) == KT_ERROR &&
              r.error == HTTP_HEADER_TOO_LARGE && r.keepalive == 0);
        /* the lines before the one too large are parsed: the log has the request line */
        CHECK(r.method == HTTP_GET && r.url.len == 2 && r.http_major == 1 && r.http_minor == 1);
        /* a line too long is refused before its end has arrived */
        CHECK(parse_stream(&r, long_request(9000, "", 0), 1000, &nreq) == KT_ERROR &&
              r.error == 414);
        CHECK(parse_stream(&r, long_request(1, "", 9000), 1000, &nreq) == KT_ERROR &&
              r.error == HTTP_HEADER_TOO_LARGE);
        /* 2 1k: a 1000-byte line fits, 1100 does not; four 700-byte lines need three buffers */
        http_request_init(&r);
        http_request_limits(&r, 2, 1024);
        parsed = 0;
        const char *q = long_request(1, "", 1000);
        CHECK(http_parse(&r, q, strlen(q), &parsed) == KT_OK);
        http_request_init(&r);
        http_request_limits(&r, 2, 1024);
        parsed = 0;
        q = long_request(1, "", 1100);
        CHECK(http_parse(&r, q, strlen(q), &parsed) == KT_ERROR &&
              r.error == HTTP_HEADER_TOO_LARGE);
        http_request_init(&r);
        http_request_limits(&r, 2, 1024);
        parsed = 0;
        q = long_request(1100, "", 0);
        CHECK(http_parse(&r, q, strlen(q), &parsed) == KT_ERROR && r.error == 414);
        {
            char mid[4000];
            size_t m = 0;
            for (int i = 0; i < 4; i++) {
                m += (size_t)sprintf(mid + m, "X-%d: ", i);
                memset(mid + m, 'c', 690);
                m += 690;
                m += (size_t)sprintf(mid + m, "\r\n");
            }
            http_request_init(&r);
            http_request_limits(&r, 2, 1024);
            parsed = 0;
            q = long_request(1, mid, 0);
            CHECK(http_parse(&r, q, strlen(q), &parsed) == KT_ERROR &&
                  r.error == HTTP_HEADER_TOO_LARGE);
            http_request_init(&r);
            http_request_limits(&r, 3, 1024);
            parsed = 0;
            CHECK(http_parse(&r, q, strlen(q), &parsed) == KT_OK);
        }
        /* the limits hold for each pipelined request, not for the stream */
        {
            static char pipe[20000];
            snprintf(pipe, sizeof(pipe), "%s", long_request(1, "", 7000));
            snprintf(pipe + strlen(pipe), sizeof(pipe) - strlen(pipe), "%s",
                     long_request(1, "", 7000));
            CHECK(parse_stream(&r, pipe, 4000, &nreq) == KT_AGAIN && nreq == 2);
        }
    }

    /* the URL limit answers 414 */
    {
        static char big[HTTP_MAX_URL + 64];
        memcpy(big, "GET /", 5);
        memset(big + 5, 'a', HTTP_MAX_URL + 10);
        big[HTTP_MAX_URL + 15] = '\0';
        CHECK(parse_all(&r, big, &parsed) == KT_ERROR && r.error == 414);
    }

    /* response heads */
    {
        struct response resp = {.status = 301,
                                .content_type = "text/html",
                                .content_length = 5,
                                .server = "ktlsd",
                                .location = "https://h/d/",
                                .location_len = 12,
                                .keepalive = 1};
        size_t n;
        time_update(0);
        n = http_head(buf, sizeof(buf), &resp);
        buf[n] = '\0';
        CHECK(strncmp(buf, "HTTP/1.1 301 Moved Permanently\r\n", 32) == 0);
        CHECK(strstr(buf, "\r\nLocation: https://h/d/\r\n") != NULL);
        CHECK(strstr(buf, "\r\nContent-Length: 5\r\n") != NULL);
        CHECK(strstr(buf, "\r\nConnection: keep-alive\r\n") != NULL);
        CHECK(strstr(buf, "Date: Thu, 01 Jan 1970 00:00:00 GMT") != NULL);
        CHECK(n > 4 && memcmp(buf + n - 4, "\r\n\r\n", 4) == 0);
        resp.status = 405;
        resp.allow = 1;
        resp.location = NULL;
        n = http_head(buf, sizeof(buf), &resp);
        buf[n] = '\0';
        CHECK(strstr(buf, "\r\nAllow: GET, HEAD\r\n") != NULL);
        CHECK(http_head(buf, 16, &resp) == 0); /* too small: refused, not cut */
        /* 494 and 497 go out as nginx sends them: 400 (request.c maps the
         * status), each with its own page */
        v = http_error_body(497, 0, &len);
        CHECK(strstr(v, "<title>400 The plain HTTP request was sent to HTTPS port</title>") !=
              NULL);
        v = http_error_body(HTTP_HEADER_TOO_LARGE, 0, &len);
        CHECK(strstr(v, "<title>400 Request Header Or Cookie Too Large</title>") != NULL);
        CHECK(strstr(v, "<center><h1>400 Bad Request</h1></center>\r\n<center>Request Header Or "
                        "Cookie Too Large</center>\r\n") != NULL);
        /* signed as the Server header: the version with server_tokens on */
        CHECK(strstr(http_error_body(404, 0, &len), "<hr><center>ktlsd</center>") != NULL);
        CHECK(strstr(http_error_body(404, 1, &len),
                     "<hr><center>ktlsd/" KTLSD_VERSION "</center>") != NULL);
    }
    return unit_done();
}
