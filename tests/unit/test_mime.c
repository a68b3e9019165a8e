/* MIME lookup: built-in table, /etc/mime.types format, case and edge cases. */
#include "unit.h"
#include "../../src/mime.c"

#define L(s) s, strlen(s)

int main(void)
{
    const char *d = "application/octet-stream";
    FILE *f;

    /* before any file: the built-in table */
    CHECK_STR(mime_lookup(L("/index.html"), d), "text/html");
    CHECK_STR(mime_lookup(L("/a/b/STYLE.CSS"), d), "text/css");
    CHECK_STR(mime_lookup(L("/noext"), d), d);
    CHECK_STR(mime_lookup(L("/dir.d/noext"), d), d);
    CHECK_STR(mime_lookup(L("/x.unknownext"), d), d);
    CHECK_STR(mime_lookup(L("/trailingdot."), d), d);

    /* a file in Debian's format wins over the built-in table */
    f = fopen("/tmp/ktlsd-test-mime.types", "w");
    CHECK(f != NULL);
    fputs("# comment\n\ntext/x-ktlsd   kt ktl\napplication/x-first html\nbroken-line-without-slash "
          "foo\n",
          f);
    fclose(f);
    CHECK(mime_load("/tmp/ktlsd-test-mime.types") == 3);
    CHECK_STR(mime_lookup(L("/a.kt"), d), "text/x-ktlsd");
    CHECK_STR(mime_lookup(L("/a.KTL"), d), "text/x-ktlsd");
    CHECK_STR(mime_lookup(L("/a.html"), d), "application/x-first");
    CHECK_STR(mime_lookup(L("/a.foo"), d), d);
    CHECK_STR(mime_lookup(L("/a.png"), d), "image/png"); /* gaps filled from the built-in table */
    remove("/tmp/ktlsd-test-mime.types");

    /* a missing file: -1, table still usable */
    CHECK(mime_load("/nonexistent/mime.types") == -1);
    CHECK_STR(mime_lookup(L("/a.css"), d), "text/css");

    /* the real one, when the machine has it */
    if (mime_load("/etc/mime.types") > 0) {
        CHECK_STR(mime_lookup(L("/a.json"), d), "application/json");
        CHECK_STR(mime_lookup(L("/a.pdf"), d), "application/pdf");
    }
    /* many entries force the table to grow */
    for (int i = 0; i < 2000; i++) {
        char ext[16];
        snprintf(ext, sizeof(ext), "e%d", i);
        mime_table_add(global, ext, "x/y");
    }
    CHECK_STR(mime_lookup(L("/f.e1999"), d), "x/y");
    CHECK_STR(mime_lookup(L("/f.css"), d), "text/css");
    return unit_done();
}
