/* log_format compilation and rendering, nginx's escaping, the combined format. */
#include "unit.h"
#include "../../src/access_log.c"

#define S(x) ((struct str){x, sizeof(x) - 1})

static const char *render_escaped(const char *fmt, const struct log_vars *v, enum log_escape esc)
{
    static char out[1024];
    char err[128];
    struct log_format *f = log_format_compile("t", fmt, err, sizeof(err));
    size_t n;
    if (f == NULL)
        return "compile error";
    log_format_set_escape(f, esc);
    n = log_format_render(f, v, out, sizeof(out));
    out[n - 1] = '\0'; /* drop the newline, checked separately */
    log_format_free(f);
    return out;
}

static const char *render(const char *fmt, const struct log_vars *v)
{
    return render_escaped(fmt, v, LOG_ESCAPE_DEFAULT);
}

/* escape=json (nginx's ngx_escape_json) and escape=none; $pid, $request_length. */
static void test_escapes(void)
{
    struct log_vars v;
    char pid[32];
    memset(&v, 0, sizeof(v));
    v.v[LV_HTTP_USER_AGENT] = S("a\"b\\c\n\x01\xc3\xa9");
    v.request_length = 77;
    CHECK_STR(render_escaped("{\"ua\":\"$http_user_agent\",\"ref\":\"$http_referer\"}", &v,
                             LOG_ESCAPE_JSON),
              "{\"ua\":\"a\\\"b\\\\c\\n\\u0001\xc3\xa9\",\"ref\":\"\"}");
    CHECK_STR(render_escaped("$http_user_agent|$http_referer", &v, LOG_ESCAPE_DEFAULT),
              "a\\x22b\\x5Cc\\x0A\\x01\\xC3\\xA9|-");
    CHECK_STR(render_escaped("$http_user_agent|$http_referer", &v, LOG_ESCAPE_NONE),
              "a\"b\\c\n\x01\xc3\xa9|-");
    CHECK_STR(render("$request_length", &v), "77");
    snprintf(pid, sizeof(pid), "%d", (int)getpid());
    CHECK_STR(render("$pid", &v), pid);
}

int main(void)
{
    struct log_vars v;
    char err[128], out[64];
    size_t n;

    test_escapes();
    memset(&v, 0, sizeof(v));
    time_update(0);
    v.v[LV_REMOTE_ADDR] = S("192.0.2.1");
    v.v[LV_REQUEST] = S("GET /a HTTP/1.1");
    v.v[LV_HTTP_USER_AGENT] = S("curl/7.88");
    v.v[LV_KTLS] = S("tx+rx");
    v.v[LV_KTLS_MODE] = S("tx=sw rx=sw");
    v.v[LV_SSL_PROTOCOL] = S("TLSv1.2");
    v.v[LV_SSL_CIPHER] = S("ECDHE-ECDSA-AES128-GCM-SHA256");
    v.status = 200;
    v.body_bytes = 1234;
    v.request_time = 0.0123;

    CHECK_STR(render("$remote_addr $status $body_bytes_sent", &v), "192.0.2.1 200 1234");
    CHECK_STR(render("$ssl_protocol/$ssl_cipher ktls=$ktls", &v),
              "TLSv1.2/ECDHE-ECDSA-AES128-GCM-SHA256 ktls=tx+rx");
    CHECK_STR(render("[$ktls_mode]", &v), "[tx=sw rx=sw]");
    CHECK_STR(render("${status}x $request_time", &v), "200x 0.012");
    CHECK_STR(render("[$http_referer]", &v), "[-]"); /* empty -> "-" */
    CHECK_STR(render("no variables", &v), "no variables");
    CHECK(log_format_compile("x", "$$status", err, sizeof(err)) == NULL);
    {
        struct log_format *f = log_format_combined();
        const char *want = "192.0.2.1 - - [01/Jan/1970:00:00:00 +0000] \"GET /a HTTP/1.1\" 200 "
                           "1234 \"-\" \"curl/7.88\"\n";
        char line[512];
        setenv("TZ", "UTC", 1);
        time_now.sec = -1;
        time_update(0);
        n = log_format_render(f, &v, line, sizeof(line));
        line[n] = '\0';
        CHECK_STR(line, want);
    }
    /* escaping: quotes, backslashes and control bytes cannot forge a line */
    v.v[LV_HTTP_USER_AGENT] = S("a\"b\\c\nd\x7f");
    CHECK_STR(render("$http_user_agent", &v), "a\\x22b\\x5Cc\\x0Ad\\x7F");
    /* unknown variables and bad names are compile errors */
    CHECK(log_format_compile("x", "$nosuchvar", err, sizeof(err)) == NULL);
    CHECK(strstr(err, "nosuchvar") != NULL);
    CHECK(log_format_compile("x", "${status", err, sizeof(err)) == NULL);
    CHECK(log_format_compile("x", "trailing $", err, sizeof(err)) == NULL);
    /* truncation keeps the newline and stays inside the buffer */
    {
        struct log_format *f =
            log_format_compile("x", "$request $request $request", err, sizeof(err));
        memset(out, 'Z', sizeof(out));
        n = log_format_render(f, &v, out, 20);
        CHECK(n <= 20);
        CHECK(out[n - 1] == '\n');
        CHECK(out[20] == 'Z');
        log_format_free(f);
    }
    return unit_done();
}
