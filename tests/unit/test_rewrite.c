/* The rewrite module's "if" conditions (nginx's parsing of the words
 * between the parentheses, and their evaluation) and map's lookups. */
#include "unit.h"
#include "../../src/map.c"
#include "../../src/rewrite.c"

#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

static struct answer x;
static struct request_env env; /* $args needs no more */

/* cond WORDS...: parses the words of "if ... {" (NULL-terminated). */
static int parse(struct rewrite_cond *c, char *err, size_t errlen, ...)
{
    char *a[8];
    int n = 0;
    va_list ap;
    va_start(ap, errlen);
    while (n < 8 && (a[n] = va_arg(ap, char *)) != NULL)
        n++;
    va_end(ap);
    return rewrite_cond_parse(c, a, n, err, errlen);
}

/* Whether the condition holds with $args set to args. */
static int holds(const char *args, ...)
{
    char *a[8], err[256];
    int n = 0, r;
    struct rewrite_cond c;
    va_list ap;
    va_start(ap, args);
    while (n < 8 && (a[n] = va_arg(ap, char *)) != NULL)
        n++;
    va_end(ap);
    if (rewrite_cond_parse(&c, a, n, err, sizeof(err)) != KT_OK) {
        fprintf(stderr, "  parse: %s\n", err);
        return -1;
    }
    x.alen = (size_t)snprintf(x.args, sizeof(x.args), "%s", args);
    r = rewrite_cond_eval(&x, &c);
    cond_free(&c);
    return r;
}

int main(void)
{
    struct rewrite_cond c;
    char err[256], dir[] = "/tmp/ktlsd-unit-rw.XXXXXX", path[300];
    const struct map_entry *e;
    struct map_conf *m;
    int rc = 0;

    x.env = &env;
    /* parsing: "(" and ")" glued or apart, operators, errors */
    CHECK(parse(&c, err, sizeof(err), "($args)", NULL) == KT_OK && c.op == COND_VAR);
    cond_free(&c);
    CHECK(parse(&c, err, sizeof(err), "(", "$args", ")", NULL) == KT_OK && c.op == COND_VAR);
    cond_free(&c);
    CHECK(parse(&c, err, sizeof(err), "($args", "!=", "x)", NULL) == KT_OK && c.op == COND_NEQ);
    cond_free(&c);
    CHECK(parse(&c, err, sizeof(err), "($args", "~*", "^a(b)", ")", NULL) == KT_OK &&
          c.op == COND_RE && c.re != NULL);
    cond_free(&c);
    CHECK(parse(&c, err, sizeof(err), "(!-e", "$args)", NULL) == KT_OK && c.op == COND_NE);
    cond_free(&c);
    CHECK(parse(&c, err, sizeof(err), "$args", NULL) == KT_ERROR);
    CHECK_STR(err, "invalid condition \"$args\"");
    CHECK(parse(&c, err, sizeof(err), "($args", "==", "x)", NULL) == KT_ERROR);
    CHECK_STR(err, "unexpected \"==\" in condition");
    CHECK(parse(&c, err, sizeof(err), "(-z", "/x)", NULL) == KT_ERROR);
    CHECK_STR(err, "unknown condition \"-z\"");
    CHECK(parse(&c, err, sizeof(err), "($nosuch)", NULL) == KT_ERROR);
    CHECK_STR(err, "unknown \"nosuch\" variable");
    CHECK(parse(&c, err, sizeof(err), "(x", "=", "y)", NULL) == KT_ERROR);
    CHECK(parse(&c, err, sizeof(err), "($args", "~", "(", ")", NULL) == KT_ERROR);
    CHECK(strncmp(err, "pcre2_compile() failed", 22) == 0);

    /* evaluation: $var is false when empty or "0" */
    CHECK(holds("", "($args)", NULL) == 0);
    CHECK(holds("0", "($args)", NULL) == 0);
    CHECK(holds("00", "($args)", NULL) == 1);
    CHECK(holds("a=1", "($args", "=", "a=1)", NULL) == 1);
    CHECK(holds("a=1", "($args", "=", "A=1)", NULL) == 0);
    CHECK(holds("a=1", "($args", "!=", "a=2)", NULL) == 1);
    CHECK(holds("ABC", "($args", "~", "^abc$)", NULL) == 0);
    CHECK(holds("ABC", "($args", "~*", "^abc$)", NULL) == 1);
    CHECK(holds("ABC", "($args", "!~", "^abc$)", NULL) == 1);
    CHECK(holds("ABC", "($args", "!~*", "^abc$)", NULL) == 0);
    /* a regex with groups leaves its captures */
    CHECK(holds("12-ab", "($args", "~", "^(\\d+)-(\\w+)$)", NULL) == 1);
    CHECK(x.cap[1].n == 3 && x.cap[1].ov[2] == 0 && x.cap[1].ov[3] == 2 &&
          strncmp(x.cap[1].subject + x.cap[1].ov[4], "ab", 2) == 0);

    /* -f -d -e -x on what $args names */
    if (mkdtemp(dir) == NULL)
        return 1;
    snprintf(path, sizeof(path), "%s/f", dir);
    close(open(path, O_CREAT | O_WRONLY, 0700));
    CHECK(holds(path, "(-f", "$args)", NULL) == 1);
    CHECK(holds(path, "(-d", "$args)", NULL) == 0);
    CHECK(holds(path, "(-e", "$args)", NULL) == 1);
    CHECK(holds(path, "(-x", "$args)", NULL) == 1);
    CHECK(holds(dir, "(-d", "$args)", NULL) == 1);
    CHECK(holds(dir, "(!-f", "$args)", NULL) == 1);
    chmod(path, 0600);
    CHECK(holds(path, "(!-x", "$args)", NULL) == 1);
    unlink(path);
    CHECK(holds(path, "(!-e", "$args)", NULL) == 1);
    rmdir(dir);

    /* map: exact keys are caseless, then hostnames wildcards, then regexes */
    m = map_new("$host", "$m", err, sizeof(err));
    CHECK(m != NULL);
    if (m != NULL) {
        char *e1[] = {"hostnames"}, *e2[] = {"Example.org", "1"}, *e3[] = {"*.example.org", "2"},
             *e4[] = {"www.example.*", "3"}, *e5[] = {"~^(?<sub>\\w+)\\.test$", "4"},
             *e6[] = {"\\default", "5"}, *e7[] = {"example.org", "6"}, *e8[] = {"a", "b", "c"};
        CHECK(map_add(m, e1, 1, err, sizeof(err)) == KT_OK && m->hostnames);
        CHECK(map_add(m, e2, 2, err, sizeof(err)) == KT_OK);
        CHECK(map_add(m, e3, 2, err, sizeof(err)) == KT_OK);
        CHECK(map_add(m, e4, 2, err, sizeof(err)) == KT_OK);
        CHECK(map_add(m, e5, 2, err, sizeof(err)) == KT_OK);
        CHECK(map_add(m, e6, 2, err, sizeof(err)) == KT_OK);
        CHECK(map_add(m, e7, 2, err, sizeof(err)) == KT_ERROR);
        CHECK_STR(err, "conflicting parameter \"example.org\"");
        CHECK(map_add(m, e8, 3, err, sizeof(err)) == KT_ERROR);
        e = map_find(m, "EXAMPLE.org.", 12, &rc);
        CHECK(e != NULL && strcmp(e->key, "example.org") == 0);
        e = map_find(m, "a.b.example.org", 15, &rc);
        CHECK(e != NULL && strcmp(e->key, "*.example.org") == 0);
        e = map_find(m, "www.example.net", 15, &rc);
        CHECK(e != NULL && strcmp(e->key, "www.example.*") == 0);
        e = map_find(m, "abc.test", 8, &rc);
        CHECK(e != NULL && e->re != NULL && rc == 2);
        e = map_find(m, "default", 7, &rc);
        CHECK(e != NULL && strcmp(e->key, "default") == 0);
        CHECK(map_find(m, "nope", 4, &rc) == NULL);
        CHECK(map_find(m, "", 0, &rc) == NULL);
        map_free(m);
    }
    CHECK(map_new("$uri", "nodollar", err, sizeof(err)) == NULL);
    CHECK(map_new("$uri", "$uri", err, sizeof(err)) == NULL);
    CHECK_STR(err, "the duplicate \"uri\" variable");
    vars_reset_captures();
    return unit_done();
}
