/* h2: the HTTP/1.1 head the pipeline writes becomes an HTTP/2 header list
 * (":status", names lowercased, connection-specific fields gone); method
 * names map to llhttp's numbers; cookie crumbs are joined into one field;
 * the userspace path's deferred file reads land in their frames' places. */
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
    {
        /* h2_reads_run: payload places between frame headers, two files, a
         * gap in one of them, then a read past the end of the file */
        char path[] = "/tmp/ktlsd-test_h2.XXXXXX", data[100], out[64];
        int fd = mkstemp(path), fd2 = dup(fd);
        struct h2 h;
        CHECK(fd >= 0 && fd2 >= 0);
        unlink(path);
        for (int i = 0; i < 100; i++)
            data[i] = (char)('0' + i % 75);
        CHECK(write(fd, data, sizeof(data)) == (ssize_t)sizeof(data));
        memset(&h, 0, sizeof(h));
        memset(out, '#', sizeof(out));
        h.out = out;
        h.rd[h.nrd++] = (struct read_slot){fd, 10, 2, 5};   /* one preadv: 10..24 */
        h.rd[h.nrd++] = (struct read_slot){fd, 15, 9, 10};  /* after a 2-byte "header" */
        h.rd[h.nrd++] = (struct read_slot){fd, 50, 21, 3};  /* not contiguous: a new call */
        h.rd[h.nrd++] = (struct read_slot){fd2, 53, 26, 4}; /* another fd: a new call */
        CHECK(h2_reads_run(&h) == KT_OK && h.nrd == 0);
        CHECK(memcmp(out + 2, data + 10, 5) == 0 && memcmp(out + 7, "##", 2) == 0);
        CHECK(memcmp(out + 9, data + 15, 10) == 0 && memcmp(out + 19, "##", 2) == 0);
        CHECK(memcmp(out + 21, data + 50, 3) == 0 && memcmp(out + 24, "##", 2) == 0);
        CHECK(memcmp(out + 26, data + 53, 4) == 0 && out[30] == '#' && out[1] == '#');
        h.rd[h.nrd++] = (struct read_slot){fd, 95, 0, 10}; /* the file has 5 of them */
        CHECK(h2_reads_run(&h) == KT_ERROR && h.nrd == 0);
        close(fd);
        close(fd2);
    }
    printf("%d passed, %d failed\n", unit_pass, unit_fail);
    return unit_fail != 0;
}
