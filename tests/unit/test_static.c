/* Path normalisation: the first of two layers that keep requests under root. */
#include "unit.h"
#include "../../src/static.c"

static const char *norm(const char *in, int *status)
{
    static char out[256];
    size_t len = 0;
    *status = static_normalize(in, strlen(in), out, sizeof(out), &len);
    return *status ? NULL : out;
}

static void ok(const char *in, const char *want)
{
    int st;
    const char *got = norm(in, &st);
    CHECK_STR(got, want);
}

static void bad(const char *in, int want)
{
    int st;
    norm(in, &st);
    if (st != want)
        fprintf(stderr, "  input %s: status %d, want %d\n", in, st, want);
    CHECK(st == want);
}

int main(void)
{
    ok("/", "/");
    ok("/index.html", "/index.html");
    ok("/a/b/", "/a/b/");
    ok("//a///b", "/a/b");
    ok("/a/./b", "/a/b");
    ok("/a/.", "/a/");
    ok("/a/..", "/");
    ok("/a/b/../c", "/a/c");
    ok("/a/b/../../c/", "/c/");
    ok("/a%20b", "/a b");
    ok("/%61%62c", "/abc");
    ok("/a%2fb", "/a/b");
    ok("/a?x=../../..", "/a");
    ok("/a#frag", "/a");
    bad("/%2e%2e%2fetc", 400);
    bad("/..", 400);
    bad("/../etc/passwd", 400);
    bad("/a/../../etc/passwd", 400);
    bad("/%2e%2e/etc/passwd", 400);
    bad("/a/%2e%2e/%2e%2e/x", 400);
    bad("/a%00b", 400);
    bad("/a%zz", 400);
    bad("/a%2", 400);
    bad("/a%", 400);
    bad("relative", 400);
    bad("", 400);
    {
        char longpath[300];
        memset(longpath, 'a', sizeof(longpath));
        longpath[0] = '/';
        longpath[299] = '\0';
        bad(longpath, 414);
    }
    /* ranges, as nginx parses them */
    {
        struct range rg[8];
        size_t n;
#define R(v, size) static_ranges(v, strlen(v), size, -1, rg, 8, &n)
        CHECK(R("bytes=0-0", 100) == 206 && n == 1 && rg[0].start == 0 && rg[0].end == 1);
        CHECK(R("bytes=99-", 100) == 206 && rg[0].start == 99 && rg[0].end == 100);
        CHECK(R("bytes=-1", 100) == 206 && rg[0].start == 99 && rg[0].end == 100);
        CHECK(R("bytes=-500", 100) == 206 && rg[0].start == 0 && rg[0].end == 100);
        CHECK(R("bytes=10-2000", 100) == 206 && rg[0].end == 100);
        CHECK(R("bytes=0-1,5-6", 100) == 206 && n == 2 && rg[1].start == 5 && rg[1].end == 7);
        CHECK(R("bytes= 0 - 1 , 5-6", 100) == 206 && n == 2);
        CHECK(R("bytes=100-", 100) == 416);
        CHECK(R("bytes=200-300", 100) == 416);
        CHECK(R("bytes=abc", 100) == 416);
        CHECK(R("bytes=5-2", 100) == 416);
        CHECK(R("bytes=0-", 0) == 200); /* nothing to cut from an empty file */
        CHECK(R("items=0-1", 100) == 200);
        CHECK(R("bytes=0-99,0-99", 100) == 200); /* overlap past the size: whole file */
        CHECK(R("bytes=99999999999999999999-", 100) == 416);
        CHECK(static_ranges("bytes=0-1,3-4,6-7", 17, 100, 2, rg, 8, &n) == 200); /* max_ranges */
#undef R
    }
    /* conditional requests: RFC 9110 13.2.2 order */
    {
        struct conditions c;
        const char *etag = "\"5f5a1b2c-1a4\"";
        time_t mtime = 1614834367; /* Thu, 04 Mar 2021 05:06:07 GMT */
#define SET(field, v) (c.field = v, c.field##_len = strlen(v))
        memset(&c, 0, sizeof(c));
        CHECK(static_conditions(&c, etag, mtime, 1, IMS_EXACT) == 0);
        SET(if_none_match, "\"5f5a1b2c-1a4\"");
        CHECK(static_conditions(&c, etag, mtime, 1, IMS_EXACT) == 304);
        CHECK(static_conditions(&c, etag, mtime, 0, IMS_EXACT) == 412);
        SET(if_none_match, "\"x\", W/\"5f5a1b2c-1a4\"");
        CHECK(static_conditions(&c, etag, mtime, 1, IMS_EXACT) == 304); /* weak comparison */
        SET(if_none_match, "*");
        CHECK(static_conditions(&c, etag, mtime, 1, IMS_EXACT) == 304);
        SET(if_none_match, "\"other\"");
        SET(if_modified_since, "Thu, 04 Mar 2021 05:06:07 GMT");
        CHECK(static_conditions(&c, etag, mtime, 1, IMS_EXACT) == 0); /* INM present: IMS ignored */
        memset(&c, 0, sizeof(c));
        SET(if_modified_since, "Thu, 04 Mar 2021 05:06:07 GMT");
        CHECK(static_conditions(&c, etag, mtime, 1, IMS_EXACT) == 304);
        SET(if_modified_since, "Thu, 04 Mar 2021 06:06:07 GMT");
        CHECK(static_conditions(&c, etag, mtime, 1, IMS_EXACT) == 0);
        CHECK(static_conditions(&c, etag, mtime, 1, IMS_BEFORE) == 304);
        CHECK(static_conditions(&c, etag, mtime, 1, IMS_OFF) == 0);
        SET(if_modified_since, "garbage");
        CHECK(static_conditions(&c, etag, mtime, 1, IMS_BEFORE) == 0);
        memset(&c, 0, sizeof(c));
        SET(if_match, "\"nope\"");
        CHECK(static_conditions(&c, etag, mtime, 1, IMS_EXACT) == 412);
        SET(if_match, "W/\"5f5a1b2c-1a4\""); /* weak never matches strongly */
        CHECK(static_conditions(&c, etag, mtime, 1, IMS_EXACT) == 412);
        SET(if_match, "\"a\", \"5f5a1b2c-1a4\"");
        CHECK(static_conditions(&c, etag, mtime, 1, IMS_EXACT) == 0);
        memset(&c, 0, sizeof(c));
        SET(if_unmodified_since, "Thu, 04 Mar 2021 05:06:06 GMT");
        CHECK(static_conditions(&c, etag, mtime, 1, IMS_EXACT) == 412);
        SET(if_unmodified_since, "Thursday, 04-Mar-21 05:06:07 GMT"); /* RFC 850 */
        CHECK(static_conditions(&c, etag, mtime, 1, IMS_EXACT) == 0);
#undef SET
        CHECK(static_if_range(etag, strlen(etag), etag, mtime) == 1);
        CHECK(static_if_range("\"x\"", 3, etag, mtime) == 0);
        CHECK(static_if_range("Thu, 04 Mar 2021 05:06:07 GMT", 29, etag, mtime) == 1);
        CHECK(static_if_range("Thu, 04 Mar 2021 05:06:08 GMT", 29, etag, mtime) == 0);
    }
    /* Accept-Encoding q-values */
    {
#define Q(v, c) static_accepts(v, strlen(v), c)
        CHECK(Q("gzip", "gzip") == 1000);
        CHECK(Q("deflate, gzip;q=0.5", "gzip") == 500);
        CHECK(Q("gzip;q=0", "gzip") == 0);
        CHECK(Q("deflate, gzip; q=0", "gzip") == 0);
        CHECK(Q("GZIP", "gzip") == 1000);
        CHECK(Q("*", "br") == 1000);
        CHECK(Q("*;q=0.2, gzip;q=0", "gzip") == 0);
        CHECK(Q("*;q=0.2", "gzip") == 200);
        CHECK(Q("br;q=0.001", "br") == 1);
        CHECK(Q("identity", "gzip") == 0);
        CHECK(Q("gzipx", "gzip") == 0);
#undef Q
    }
    /* ETag: nginx's "mtime-size" in hex */
    {
        struct stat st;
        char e[64];
        memset(&st, 0, sizeof(st));
        st.st_mtime = 0x5f5a1b2c;
        st.st_size = 0x1a4;
        static_etag(e, sizeof(e), &st);
        CHECK_STR(e, "\"5f5a1b2c-1a4\"");
    }
    return unit_done();
}
