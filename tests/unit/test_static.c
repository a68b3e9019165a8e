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
    return unit_done();
}
