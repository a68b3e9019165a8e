/* Variable names, nginx's parsing rules and expansion through a getter. */
#include "unit.h"
#include "../../src/vars.c"

/* A getter that answers "<id:key>" for every variable, and nothing for $2. */
static int fake_get(void *arg, const struct var_ref *v, const char **val, size_t *len)
{
    static char buf[64];
    (void)arg;
    if (v->id == VAR_CAPTURE && v->key[0] == '2')
        return 0;
    *len = (size_t)snprintf(buf, sizeof(buf), "<%d:%.*s>", (int)v->id, (int)v->klen, v->key);
    *val = buf;
    return 1;
}

static const char *fake_header(const void *req, const char *lname, size_t *len)
{
    (void)req;
    if (strcmp(lname, "x-real-ip") == 0) {
        *len = 9;
        return "192.0.2.9";
    }
    if (strcmp(lname, "cookie") == 0) {
        *len = 22;
        return "a=1; sid=s3; Other=x  ";
    }
    return NULL;
}

/* The family's value as a string, "(none)" when absent. */
static const char *fam(enum var_id id, const char *key, const struct vars_src *src)
{
    static char out[128];
    struct var_ref v = {id, key, strlen(key), 0};
    const char *val;
    size_t len;
    if (!vars_family(&v, src, &val, &len))
        return "(none)";
    snprintf(out, sizeof(out), "%.*s", (int)len, val);
    return out;
}

static const char *ex(const char *text)
{
    static char out[256];
    static char err[128];
    struct vars_tpl *t = vars_compile(text, err, sizeof(err));
    if (t == NULL)
        return err;
    vars_render(t, fake_get, NULL, out, sizeof(out));
    vars_tpl_free(t);
    return out;
}

/* Renders into a buffer of cap bytes. */
static size_t ex_small(const char *text, char *out, size_t cap)
{
    char err[128];
    struct vars_tpl *t = vars_compile(text, err, sizeof(err));
    size_t n = t != NULL ? vars_render(t, fake_get, NULL, out, cap) : 0;
    vars_tpl_free(t);
    return n;
}

static const char *check(const char *text)
{
    static char err[128];
    if (vars_check(text, err, sizeof(err)) == KT_OK)
        return "ok";
    return err;
}

int main(void)
{
    char out[8], want[64];
    int errcode;
    PCRE2_SIZE erroff;
    pcre2_code *re;

    CHECK_STR(check("https://$http_host$request_uri"), "ok");
    CHECK_STR(check("/x?a=$arg_foo&c=$cookie_sid&$is_args$args"), "ok");
    CHECK_STR(check("${scheme}://${host}"), "ok");
    CHECK_STR(check("/$1.$2 $9"), "ok");
    CHECK_STR(check("no variables"), "ok");
    CHECK_STR(check("/x?$nosuchvar"), "unknown \"nosuchvar\" variable");
    CHECK_STR(check("$http_"), "unknown \"http_\" variable");
    CHECK_STR(check("cost: $"), "invalid variable name");
    CHECK_STR(check("${uri"), "invalid variable name");
    CHECK_STR(check("$d"), "unknown \"d\" variable");

    /* named captures of a regex become variables */
    re = pcre2_compile((PCRE2_SPTR) "^(www\\.)?(?<d>.+)\\.example$", PCRE2_ZERO_TERMINATED, 0,
                       &errcode, &erroff, NULL);
    CHECK(re != NULL);
    vars_add_captures(re);
    vars_add_captures(re); /* once only */
    CHECK(ncapture_names == 1);
    CHECK_STR(check("$d.$2"), "ok");
    pcre2_code_free(re);

    CHECK_STR(ex("$scheme"), "<0:scheme>");
    snprintf(want, sizeof(want), "/<%d:1>.x", VAR_CAPTURE);
    CHECK_STR(ex("/$1.$2x"), want); /* $2 is empty; "x" stays */
    snprintf(want, sizeof(want), "<%d:x_real_ip>-", VAR_HTTP);
    CHECK_STR(ex("$http_x_real_ip-"), want);
    snprintf(want, sizeof(want), "<%d:foo>", VAR_ARG);
    CHECK_STR(ex("${arg_foo}"), want);
    snprintf(want, sizeof(want), "<%d:d>.", VAR_NAMED_CAPTURE);
    CHECK_STR(ex("$d."), want);
    CHECK_STR(ex("plain"), "plain");
    CHECK(vars_any("a$b") && !vars_any("ab"));

    {
        static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                                   "X-Tag:  t-1 \r\nContent-Length: 3\r\n\r\n";
        struct vars_src src = {fake_header, NULL, "a=1&Foo=bar&e=&x", 16, head, sizeof(head) - 1};
        CHECK_STR(fam(VAR_HTTP, "X_Real_IP", &src), "192.0.2.9");
        CHECK_STR(fam(VAR_HTTP, "host", &src), "(none)");
        CHECK_STR(fam(VAR_COOKIE, "sid", &src), "s3");
        CHECK_STR(fam(VAR_COOKIE, "other", &src), "x  ");
        CHECK_STR(fam(VAR_COOKIE, "si", &src), "(none)");
        CHECK_STR(fam(VAR_ARG, "foo", &src), "bar"); /* names are caseless, as in nginx */
        CHECK_STR(fam(VAR_ARG, "e", &src), "");
        CHECK_STR(fam(VAR_ARG, "x", &src), "(none)");
        CHECK_STR(fam(VAR_SENT_HTTP, "content_type", &src), "text/plain");
        CHECK_STR(fam(VAR_SENT_HTTP, "x_tag", &src), "t-1");
        CHECK_STR(fam(VAR_SENT_HTTP, "http", &src), "(none)"); /* not the status line */
        src.head = NULL;
        CHECK_STR(fam(VAR_SENT_HTTP, "content_type", &src), "(none)");
    }

    /* truncated to the buffer, always terminated */
    CHECK(ex_small("abcdefghij", out, sizeof(out)) == 7);
    CHECK_STR(out, "abcdefg");
    CHECK(ex_small("$uri", out, sizeof(out)) == 7);
    CHECK(out[7] == '\0');
    CHECK_STR(ex("a$nosuch"), "unknown \"nosuch\" variable"); /* compile fails as check does */
    CHECK_STR(ex("$$uri"), "invalid variable name");
    snprintf(want, sizeof(want), "x<%d:uri>y<%d:args>", VAR_URI, VAR_ARGS);
    CHECK_STR(ex("x${uri}y$args"), want);
    vars_reset_captures();
    CHECK_STR(check("$d"), "unknown \"d\" variable");
    return unit_done();
}
