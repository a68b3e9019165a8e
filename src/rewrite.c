/* rewrite.c: the steps of nginx's rewrite module (return, rewrite, set,
 * break, if) as parsed from the configuration and as run for a request.
 * The answers themselves (a return, a redirect) are request.c's: a list
 * ends with what is to be done, and request.c does it. */
#include "rewrite.h"
#include "answer.h"
#include "reqvars.h"
#include "static.h"
#include "util.h"
#include "vars.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static struct rewrite_op *add_op(struct srv_conf *c, int kind)
{
    c->rw = xrealloc(c->rw, (c->nrw + 1) * sizeof(*c->rw));
    memset(&c->rw[c->nrw], 0, sizeof(c->rw[0]));
    c->rw[c->nrw].kind = kind;
    return &c->rw[c->nrw++];
}

static void *regex(const char *pat, int caseless, void **md, char *err, size_t errlen)
{
    int code;
    PCRE2_SIZE off;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED,
                                   caseless ? PCRE2_CASELESS : 0, &code, &off, NULL);
    if (re == NULL) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(code, msg, sizeof(msg));
        snprintf(err, errlen, "pcre2_compile() failed: %s in \"%s\" at \"%s\"", (char *)msg, pat,
                 pat + off);
        return NULL;
    }
    *md = pcre2_match_data_create_from_pattern(re, NULL);
    vars_add_captures(re);
    return re;
}

static int starts_absolute(const char *s)
{
    return strncmp(s, "http://", 7) == 0 || strncmp(s, "https://", 8) == 0 ||
           strncmp(s, "$scheme", 7) == 0;
}

/* nginx's ngx_http_rewrite_return, ngx_http_rewrite, ngx_http_rewrite_set
 * and ngx_http_rewrite_break. */
int rewrite_add(struct srv_conf *c, const char *name, char **a, int n, char *err, size_t errlen)
{
    struct rewrite_op op = {0};
    char *end;
    long v;
    if (strcmp(name, "break") == 0) {
        add_op(c, RW_BREAK);
        return KT_OK;
    }
    if (strcmp(name, "return") == 0) {
        op.kind = RW_RETURN;
        if (n == 1 && starts_absolute(a[0])) {
            op.code = 302;
            op.text = a[0];
        } else {
            v = strtol(a[0], &end, 10);
            if (a[0][0] < '0' || a[0][0] > '9' || *end != '\0' || v > 999) {
                snprintf(err, errlen, "invalid return code \"%s\"", a[0]);
                return KT_ERROR;
            }
            op.code = (int)v;
            op.text = n == 2 ? a[1] : NULL;
        }
    } else if (strcmp(name, "set") == 0) {
        op.kind = RW_SET;
        if (a[0][0] != '$') {
            snprintf(err, errlen, "invalid variable name \"%s\"", a[0]);
            return KT_ERROR;
        }
        if ((op.index = vars_add_user(a[0] + 1, err, errlen)) < 0)
            return KT_ERROR;
        op.text = a[1];
    } else { /* rewrite */
        op.kind = RW_REWRITE;
        op.code = RWF_NONE;
        if (n == 3) {
            static const char *const flags[] = {"last", "break", "redirect", "permanent"};
            for (int i = 0; i < 4; i++)
                if (strcmp(a[2], flags[i]) == 0)
                    op.code = RWF_LAST + i;
            if (op.code == RWF_NONE) {
                snprintf(err, errlen, "invalid parameter \"%s\"", a[2]);
                return KT_ERROR;
            }
        }
        if (starts_absolute(a[1]) && op.code != RWF_PERMANENT)
            op.code = RWF_REDIRECT;
        if ((op.re = regex(a[0], 0, &op.md, err, errlen)) == NULL)
            return KT_ERROR;
        op.text = a[1];
        op.add_args = 1;
    }
    if (op.text != NULL) {
        char *t = xstrdup(op.text);
        size_t len = strlen(t);
        if (op.kind == RW_REWRITE && len > 0 && t[len - 1] == '?') { /* drops the arguments */
            t[len - 1] = '\0';
            op.add_args = 0;
        }
        if ((op.tpl = vars_compile(t, err, errlen)) == NULL) {
            free(t);
            pcre2_match_data_free(op.md);
            pcre2_code_free(op.re);
            return KT_ERROR;
        }
        op.text = t;
        if (op.kind == RW_REWRITE && strchr(t, '?') != NULL) { /* new arguments */
            char *path = xstrndup(t, (size_t)(strchr(t, '?') - t));
            op.path_tpl = vars_compile(path, err, errlen);
            op.args_tpl = vars_compile(strchr(t, '?') + 1, err, errlen);
            free(path);
        }
    }
    *add_op(c, op.kind) = op;
    return KT_OK;
}

/* nginx's ngx_http_rewrite_if_condition: "(" and ")" come glued to the
 * first and last words or as words of their own. */
int rewrite_cond_parse(struct rewrite_cond *cond, char **a, int n, char *err, size_t errlen)
{
    static const struct {
        const char *word;
        int op;
    } tests[] = {{"-f", COND_F},   {"!-f", COND_NF}, {"-d", COND_D}, {"-e", COND_E},
                 {"!-d", COND_ND}, {"!-e", COND_NE}, {"-x", COND_X}, {"!-x", COND_NX}};
    char *w[8], first[1024], last[1024];
    int k = 0;
    size_t len;
    memset(cond, 0, sizeof(*cond));
    if (n < 1 || a[0][0] != '(' || n > 6)
        goto invalid;
    if (a[0][1] != '\0') {
        snprintf(first, sizeof(first), "%s", a[0] + 1);
        w[k++] = first;
    }
    for (int i = 1; i < n; i++)
        w[k++] = a[i];
    if (k == 0)
        goto invalid;
    len = strlen(w[k - 1]);
    if (len == 0 || w[k - 1][len - 1] != ')')
        goto invalid;
    if (len == 1) {
        k--;
    } else {
        snprintf(last, sizeof(last), "%.*s", (int)(len - 1), w[k - 1]);
        w[k - 1] = last;
    }
    if (k == 0)
        goto invalid;
    if (w[0][0] == '$' && w[0][1] != '\0') {
        if ((cond->left = vars_compile(w[0], err, errlen)) == NULL)
            return KT_ERROR;
        if (k == 1) {
            cond->op = COND_VAR;
            return KT_OK;
        }
        if (k != 3) {
            snprintf(err, errlen, "unexpected \"%s\" in condition", w[k > 3 ? 3 : 1]);
            goto fail;
        }
        if (strcmp(w[1], "=") == 0 || strcmp(w[1], "!=") == 0) {
            cond->op = w[1][0] == '=' ? COND_EQ : COND_NEQ;
            if ((cond->right = vars_compile(w[2], err, errlen)) == NULL)
                goto fail;
            return KT_OK;
        }
        if (strcmp(w[1], "~") == 0 || strcmp(w[1], "~*") == 0 || strcmp(w[1], "!~") == 0 ||
            strcmp(w[1], "!~*") == 0) {
            cond->op = w[1][0] == '!' ? COND_NRE : COND_RE;
            cond->re = regex(w[2], w[1][strlen(w[1]) - 1] == '*', &cond->md, err, errlen);
            if (cond->re == NULL)
                goto fail;
            return KT_OK;
        }
        snprintf(err, errlen, "unexpected \"%s\" in condition", w[1]);
        goto fail;
    }
    if (k == 2)
        for (size_t i = 0; i < ARRAY_LEN(tests); i++)
            if (strcmp(w[0], tests[i].word) == 0) {
                cond->op = tests[i].op;
                if ((cond->left = vars_compile(w[1], err, errlen)) == NULL)
                    return KT_ERROR;
                return KT_OK;
            }
    if (k == 2 && (w[0][0] == '-' || w[0][0] == '!')) {
        snprintf(err, errlen, "unknown condition \"%s\"", w[0]);
        return KT_ERROR;
    }
invalid:
    snprintf(err, errlen, "invalid condition \"%s\"", n > 0 ? a[0] : "if");
fail:
    vars_tpl_free(cond->left);
    vars_tpl_free(cond->right);
    cond->left = cond->right = NULL;
    return KT_ERROR;
}

int rewrite_add_if(struct srv_conf *c, char **a, int n, struct location *ifloc, char *err,
                   size_t errlen)
{
    struct rewrite_cond cond;
    if (rewrite_cond_parse(&cond, a, n, err, errlen) != KT_OK)
        return KT_ERROR;
    struct rewrite_op *op = add_op(c, RW_IF);
    op->cond = cond;
    op->ifloc = ifloc;
    return KT_OK;
}

/* A regex matched: $1..$9 and the named captures now come from it, as
 * nginx's r->captures (only a regex with groups replaces them). */
static void captured(struct answer *x, const pcre2_code *re, pcre2_match_data *md, int rc,
                     const char *s, size_t len)
{
    uint32_t groups = 0;
    pcre2_pattern_info(re, PCRE2_INFO_CAPTURECOUNT, &groups);
    if (groups > 0)
        reqvars_captures(&x->cap[1], re, md, rc, s, len);
}

int rewrite_cond_eval(struct answer *x, const struct rewrite_cond *cond)
{
    char left[URI_MAX], right[URI_MAX];
    size_t n = reqvars_expand(x, cond->left, left, sizeof(left));
    struct stat st;
    int rc;
    switch (cond->op) {
    case COND_VAR:
        return n > 0 && !(n == 1 && left[0] == '0');
    case COND_EQ:
    case COND_NEQ: {
        size_t m = reqvars_expand(x, cond->right, right, sizeof(right));
        return (n == m && memcmp(left, right, n) == 0) == (cond->op == COND_EQ);
    }
    case COND_RE:
    case COND_NRE:
        rc = pcre2_match(cond->re, (PCRE2_SPTR)left, n, 0, 0, cond->md, NULL);
        if (rc >= 0)
            captured(x, cond->re, cond->md, rc, left, n);
        return (rc >= 0) == (cond->op == COND_RE);
    default:
        break;
    }
    rc = stat(left, &st) == 0;
    switch (cond->op) {
    case COND_F:
    case COND_NF:
        return (rc && S_ISREG(st.st_mode)) == (cond->op == COND_F);
    case COND_D:
    case COND_ND:
        return (rc && S_ISDIR(st.st_mode)) == (cond->op == COND_D);
    case COND_E:
    case COND_NE:
        return rc == (cond->op == COND_E);
    default: /* nginx's ngx_is_exec: the owner's execute bit */
        return (rc && (st.st_mode & S_IXUSR) == S_IXUSR) == (cond->op == COND_X);
    }
}

static int hexval(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* nginx's ngx_unescape_uri(NGX_UNESCAPE_REDIRECT) on a redirect's
 * Location, up to its first '?': %XX of a byte above '%' and below 0x7f
 * becomes the byte, other escapes stay. With the captures escaped as
 * arguments before, a space stays %20 and a '?' in a capture comes back
 * as '?'. Returns the new length. */
static size_t unescape_redirect(char *s, size_t n)
{
    size_t i = 0, o = 0;
    for (; i < n && s[i] != '?'; i++) {
        int hi, lo;
        if (s[i] == '%' && i + 2 < n && (hi = hexval(s[i + 1])) >= 0 &&
            (lo = hexval(s[i + 2])) >= 0 && hi * 16 + lo > '%' && hi * 16 + lo < 0x7f) {
            s[o++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            s[o++] = s[i];
        }
    }
    memmove(s + o, s + i, n - i);
    o += n - i;
    s[o] = '\0';
    return o;
}

/* A rewrite whose regex matched (nginx's ngx_http_script_regex_start_code
 * and end_code): a redirect, or the new URI and arguments. */
/* A rewritten path, whose bytes are meant as they are, normalised ("..",
 * "//") without decoding it again: '%', '?' and '#' go in escaped. */
static int set_path(struct answer *x, const char *p, size_t n)
{
    char enc[URI_MAX];
    size_t o = 0;
    for (size_t i = 0; i < n && o + 4 < sizeof(enc); i++) {
        if (p[i] == '%' || p[i] == '?' || p[i] == '#')
            o += (size_t)snprintf(enc + o, sizeof(enc) - o, "%%%02X", (unsigned char)p[i]);
        else
            enc[o++] = p[i];
    }
    return static_normalize(enc, o, x->uri, sizeof(x->uri) - 256, &x->ulen);
}

static int do_rewrite(struct answer *x, const struct rewrite_op *op, struct rewrite_result *res)
{
    char *out = x->redirect_buf;
    size_t cap = sizeof(x->redirect_buf), n, plen;
    const char *qm = memchr(x->target, '?', x->tlen);
    /* nginx escapes the captures a redirect copies, or an internal rewrite
     * copies into new arguments, when the request's path had escapes or a
     * '+' (r->quoted_uri, r->plus_in_uri) */
    int quoted;
    plen = qm != NULL ? (size_t)(qm - x->target) : x->tlen;
    quoted = memchr(x->target, '%', plen) != NULL || memchr(x->target, '+', plen) != NULL;
    if (op->code == RWF_REDIRECT || op->code == RWF_PERMANENT) {
        x->escape_captures = quoted;
        n = reqvars_expand(x, op->tpl, out, cap);
        x->escape_captures = 0;
        n = unescape_redirect(out, n);
        if (op->add_args && x->alen > 0)
            n += (size_t)snprintf(out + n, cap - n, "%c%.*s", op->args_tpl != NULL ? '&' : '?',
                                  (int)x->alen, x->args);
        res->code = op->code == RWF_PERMANENT ? 301 : 302;
        res->text = out;
        res->len = n < cap ? n : cap - 1;
        res->tpl = NULL;
        return RW_ANSWER;
    }
    n = reqvars_expand(x, op->args_tpl != NULL ? op->path_tpl : op->tpl, out, cap);
    if (op->args_tpl != NULL) {
        char args[URI_MAX];
        size_t m;
        x->escape_captures = quoted;
        m = reqvars_expand(x, op->args_tpl, args, sizeof(args));
        x->escape_captures = 0;
        if (op->add_args && x->alen > 0 && m + 1 < sizeof(args))
            snprintf(args + m, sizeof(args) - m, "&%.*s", (int)x->alen, x->args);
        x->alen = (size_t)snprintf(x->args, sizeof(x->args), "%s", args);
        if (x->alen >= sizeof(x->args))
            x->alen = sizeof(x->args) - 1;
    } else if (!op->add_args) {
        x->alen = 0;
        x->args[0] = '\0';
    }
    if (n == 0 || set_path(x, out, n) != 0) {
        res->code = 500; /* nginx: "the rewritten URI has a zero length" */
        res->text = NULL;
        res->tpl = NULL;
        return RW_ANSWER;
    }
    x->uri_changed = op->code != RWF_BREAK;
    x->internal = 1; /* nginx: a rewritten request may enter "internal" locations */
    return op->code == RWF_LAST ? RW_LAST : op->code == RWF_BREAK ? RW_STOP : RW_GO_ON;
}

int rewrite_run(struct answer *x, const struct srv_conf *c, int in_location,
                struct rewrite_result *res)
{
    char val[URI_MAX];
    for (size_t i = 0; i < c->nrw; i++) {
        const struct rewrite_op *op = &c->rw[i];
        int rc;
        switch (op->kind) {
        case RW_RETURN:
            res->code = op->code;
            res->text = op->text;
            res->tpl = op->tpl;
            res->len = 0;
            return RW_ANSWER;
        case RW_BREAK:
            x->uri_changed = 0;
            return RW_STOP;
        case RW_SET:
            reqvars_set(x, op->index, val, reqvars_expand(x, op->tpl, val, sizeof(val)));
            break;
        case RW_IF:
            if (!rewrite_cond_eval(x, &op->cond))
                break;
            if (in_location)
                x->conf = &op->ifloc->c;
            rc = rewrite_run(x, &op->ifloc->c, in_location, res);
            if (rc != RW_GO_ON)
                return rc;
            break;
        case RW_REWRITE:
            rc = pcre2_match(op->re, (PCRE2_SPTR)x->uri, x->ulen, 0, 0, op->md, NULL);
            if (rc < 0)
                break;
            captured(x, op->re, op->md, rc, x->uri, x->ulen);
            rc = do_rewrite(x, op, res);
            if (rc != RW_GO_ON)
                return rc;
            break;
        }
    }
    return RW_GO_ON;
}

static void cond_free(struct rewrite_cond *c)
{
    vars_tpl_free(c->left);
    vars_tpl_free(c->right);
    pcre2_match_data_free(c->md);
    pcre2_code_free(c->re);
}

void rewrite_free(struct rewrite_op *ops, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(ops[i].text);
        vars_tpl_free(ops[i].tpl);
        vars_tpl_free(ops[i].path_tpl);
        vars_tpl_free(ops[i].args_tpl);
        pcre2_match_data_free(ops[i].md);
        pcre2_code_free(ops[i].re);
        cond_free(&ops[i].cond);
    }
    free(ops);
}
