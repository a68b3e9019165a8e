/* The llhttp-backed request parser: spans, pipelining, limits, smuggling shapes. */
#include "unit.h"
#include "../../src/http.c"

static int parse_all(struct request *r, const char *text, size_t *parsed)
{
    *parsed = 0;
    http_request_init(r);
    return http_parse(r, text, strlen(text), parsed);
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
    }
    return unit_done();
}
