/* h2: the HTTP/1.1 head the pipeline writes becomes an HTTP/2 header list
 * (":status", names lowercased, connection-specific fields gone); method
 * names map to llhttp's numbers; cookie crumbs are joined into one field. */
#include "unit.h"
#include "../../src/h2.c"

static const nghttp2_nv *find(const nghttp2_nv *nv, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (nv[i].namelen == strlen(name) && memcmp(nv[i].name, name, nv[i].namelen) == 0)
            return &nv[i];
    return NULL;
}

static int value_is(const nghttp2_nv *v, const char *want)
{
    return v != NULL && v->valuelen == strlen(want) && memcmp(v->value, want, v->valuelen) == 0;
}

static void add(struct h2_stream *st, const char *name, const char *value)
{
    struct header h;
    CHECK(stream_put(st, (const uint8_t *)name, strlen(name), &h.name));
    CHECK(stream_put(st, (const uint8_t *)value, strlen(value), &h.value));
    st->req.headers[st->req.nheaders++] = h;
}

int main(void)
{
    char head[] =
        "HTTP/1.1 206 Partial Content\r\nServer: ktlsd\r\nContent-Type: text/plain\r\n"
        "Connection: keep-alive\r\nKeep-Alive: timeout=5\r\nTransfer-Encoding: chunked\r\n"
        "X-Custom-Header:  spaced value\r\nContent-Range: bytes 0-1/10\r\n\r\nBODY";
    nghttp2_nv nv[16];
    char status[4];
    size_t n = h2_head_to_nv(head, strlen(head) - 4, nv, 16, status);

    CHECK(n == 5);
    CHECK(value_is(find(nv, n, ":status"), "206"));
    CHECK(value_is(find(nv, n, "server"), "ktlsd"));
    CHECK(value_is(find(nv, n, "content-type"), "text/plain"));
    CHECK(value_is(find(nv, n, "x-custom-header"), "spaced value"));
    CHECK(value_is(find(nv, n, "content-range"), "bytes 0-1/10"));
    CHECK(find(nv, n, "connection") == NULL);
    CHECK(find(nv, n, "keep-alive") == NULL);
    CHECK(find(nv, n, "transfer-encoding") == NULL);
    CHECK(h2_head_to_nv(head, 5, nv, 16, status) == 0); /* no status line */

    CHECK(method_of((const uint8_t *)"GET", 3) == HTTP_GET);
    CHECK(method_of((const uint8_t *)"HEAD", 4) == HTTP_HEAD);
    CHECK(method_of((const uint8_t *)"DELETE", 6) == HTTP_DELETE);
    CHECK(method_of((const uint8_t *)"get", 3) == -1);
    CHECK(method_of((const uint8_t *)"BREW", 4) == -1);

    {
        struct h2_stream st;
        size_t len;
        const char *v;
        memset(&st, 0, sizeof(st));
        st.rcap = 4096;
        st.ralloc = 16; /* grows while the fields arrive */
        st.rbuf = xmalloc(st.ralloc);
        add(&st, "cookie", "a=1");
        add(&st, "user-agent", "t");
        add(&st, "cookie", "b=2");
        add(&st, "cookie", "c=3");
        join_cookies(&st);
        st.req.base = st.rbuf;
        CHECK(st.req.nheaders == 2);
        v = http_header(&st.req, "cookie", &len);
        CHECK(v != NULL && len == 13 && memcmp(v, "a=1; b=2; c=3", 13) == 0);
        v = http_header(&st.req, "user-agent", &len);
        CHECK(v != NULL && len == 1 && v[0] == 't');
        /* past large_client_header_buffers: 494 */
        {
            struct span sp;
            st.rcap = st.rlen + 4;
            CHECK(!stream_put(&st, (const uint8_t *)"cookie", 6, &sp));
            CHECK(st.req.error == HTTP_HEADER_TOO_LARGE);
        }
        free(st.rbuf);
    }
    printf("%d passed, %d failed\n", unit_pass, unit_fail);
    return unit_fail != 0;
}
