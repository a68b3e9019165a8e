/* auth.c: the access phase, allow/deny (moved here from request.c) and
 * auth_basic. The user file is read on each request that needs it, as
 * nginx does, so a changed htpasswd file needs no reload. Hashes: crypt_r
 * (libcrypt/libxcrypt) knows bcrypt, "$5$" and "$6$" and traditional DES;
 * "{SHA}" is base64(SHA-1), "$apr1$" Apache's MD5 scheme, both done here
 * with OpenSSL. */
#include "auth.h"
#include "answer.h"
#include "log.h"
#include "util.h"

#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define USER_FILE_MAX (1 << 20)

static const char itoa64[] = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

static char *to64(char *p, unsigned long v, int n)
{
    while (n-- > 0) {
        *p++ = itoa64[v & 0x3f];
        v >>= 6;
    }
    return p;
}

static void md5_update(EVP_MD_CTX *c, const void *p, size_t n)
{
    EVP_DigestUpdate(c, p, n);
}

/* Apache's "$apr1$" (apr_md5.c, nginx's ngx_crypt_apr1): MD5-crypt with
 * its own magic, 1000 rounds. out gets "$apr1$salt$hash". */
static int apr1(const char *pw, size_t plen, const char *setting, char *out, size_t cap)
{
    const char *salt = setting + 6, *end = salt;
    unsigned char fin[16];
    unsigned int flen = 0;
    size_t slen, i;
    EVP_MD_CTX *c = EVP_MD_CTX_new(), *c1 = EVP_MD_CTX_new();
    const EVP_MD *md5 = EVP_md5();
    char *p;
    int ok = 0;

    while (*end != '\0' && *end != '$' && end - salt < 8)
        end++;
    slen = (size_t)(end - salt);
    if (c == NULL || c1 == NULL || md5 == NULL || cap < 6 + slen + 1 + 22 + 1)
        goto done;
    EVP_DigestInit_ex(c, md5, NULL);
    md5_update(c, pw, plen);
    md5_update(c, "$apr1$", 6);
    md5_update(c, salt, slen);
    EVP_DigestInit_ex(c1, md5, NULL);
    md5_update(c1, pw, plen);
    md5_update(c1, salt, slen);
    md5_update(c1, pw, plen);
    EVP_DigestFinal_ex(c1, fin, &flen);
    for (long n = (long)plen; n > 0; n -= 16)
        md5_update(c, fin, n > 16 ? 16 : (size_t)n);
    memset(fin, 0, sizeof(fin));
    for (i = plen; i != 0; i >>= 1)
        md5_update(c, (i & 1) ? (const void *)fin : (const void *)pw, 1);
    EVP_DigestFinal_ex(c, fin, &flen);
    for (i = 0; i < 1000; i++) {
        EVP_DigestInit_ex(c1, md5, NULL);
        if (i & 1)
            md5_update(c1, pw, plen);
        else
            md5_update(c1, fin, 16);
        if (i % 3)
            md5_update(c1, salt, slen);
        if (i % 7)
            md5_update(c1, pw, plen);
        if (i & 1)
            md5_update(c1, fin, 16);
        else
            md5_update(c1, pw, plen);
        EVP_DigestFinal_ex(c1, fin, &flen);
    }
    p = out + snprintf(out, cap, "$apr1$%.*s$", (int)slen, salt);
    p = to64(p, ((unsigned long)fin[0] << 16) | ((unsigned long)fin[6] << 8) | fin[12], 4);
    p = to64(p, ((unsigned long)fin[1] << 16) | ((unsigned long)fin[7] << 8) | fin[13], 4);
    p = to64(p, ((unsigned long)fin[2] << 16) | ((unsigned long)fin[8] << 8) | fin[14], 4);
    p = to64(p, ((unsigned long)fin[3] << 16) | ((unsigned long)fin[9] << 8) | fin[15], 4);
    p = to64(p, ((unsigned long)fin[4] << 16) | ((unsigned long)fin[10] << 8) | fin[5], 4);
    p = to64(p, fin[11], 2);
    *p = '\0';
    ok = 1;
done:
    EVP_MD_CTX_free(c);
    EVP_MD_CTX_free(c1);
    return ok;
}

int auth_password_ok(const char *pw, size_t plen, const char *hash)
{
    char buf[128];
    size_t hlen = strlen(hash);
    if (strncmp(hash, "{PLAIN}", 7) == 0)
        return hlen - 7 == plen && CRYPTO_memcmp(hash + 7, pw, plen) == 0;
    if (strncmp(hash, "{SHA}", 5) == 0) {
        unsigned char d[EVP_MAX_MD_SIZE];
        unsigned int dl = 0;
        if (!EVP_Digest(pw, plen, d, &dl, EVP_sha1(), NULL))
            return 0;
        EVP_EncodeBlock((unsigned char *)buf, d, (int)dl);
        return strlen(buf) == hlen - 5 && CRYPTO_memcmp(buf, hash + 5, hlen - 5) == 0;
    }
    if (strncmp(hash, "$apr1$", 6) == 0)
        return apr1(pw, plen, hash, buf, sizeof(buf)) && strlen(buf) == hlen &&
               CRYPTO_memcmp(buf, hash, hlen) == 0;
    {
        /* crypt_r wants a C string: a password with a NUL never matches */
        struct crypt_data *cd;
        char *key;
        const char *res;
        int ok;
        if (memchr(pw, '\0', plen) != NULL)
            return 0;
        cd = xcalloc(1, sizeof(*cd));
        key = xstrndup(pw, plen);
        res = crypt_r(key, hash, cd);
        ok = res != NULL && res[0] != '*' && strlen(res) == hlen &&
             CRYPTO_memcmp(res, hash, hlen) == 0;
        OPENSSL_cleanse(key, plen);
        free(key);
        free(cd);
        return ok;
    }
}

/* 1: a rule allows, 0: a rule denies, -1: no rule matches. */
static int access_allowed(const struct srv_conf *c, const struct sockaddr *peer)
{
    unsigned char a[16] = {0};
    int family = peer->sa_family;
    if (family == AF_INET)
        memcpy(a, &((const struct sockaddr_in *)peer)->sin_addr, 4);
    else if (family == AF_INET6) {
        const unsigned char *v6 = ((const struct sockaddr_in6 *)peer)->sin6_addr.s6_addr;
        static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (memcmp(v6, mapped, 12) == 0) {
            family = AF_INET;
            memcpy(a, v6 + 12, 4);
        } else {
            memcpy(a, v6, 16);
        }
    }
    for (size_t i = 0; i < c->naccess; i++) {
        const struct access_rule *r = &c->access[i];
        int match = 1;
        if (r->family != 0) {
            if (r->family != family)
                continue;
            for (int k = 0; k < 16 && match; k++)
                match = (a[k] & r->mask[k]) == r->addr[k];
        }
        if (match)
            return r->allow;
    }
    return -1; /* no rule matched: nginx's NGX_DECLINED */
}

/* Reads the whole user file (nginx reads it per request too). NULL with
 * *status: 403 when it does not exist, 500 when it cannot be read (nginx). */
static char *read_user_file(const char *path, const struct log_ctx *log, int *status)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    char *buf;
    size_t len = 0;
    *status = 500;
    if (fd < 0) {
        int e = errno;
        if (e == ENOENT)
            *status = 403;
        log_error(e == ENOENT ? LL_ERR : LL_CRIT, log, "open() \"%s\" failed (%d: %s)", path, e,
                  strerror(e));
        return NULL;
    }
    buf = xmalloc(USER_FILE_MAX + 1);
    for (;;) {
        ssize_t n = read(fd, buf + len, USER_FILE_MAX - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            log_error(LL_ERR, log, "read() \"%s\" failed (%d: %s)", path, errno, strerror(errno));
            close(fd);
            free(buf);
            return NULL;
        }
        if (n == 0 || (len += (size_t)n) == USER_FILE_MAX)
            break;
    }
    close(fd);
    buf[len] = '\0';
    return buf;
}

int auth_basic_decode(const char *h, size_t hlen, unsigned char *buf, size_t cap, size_t *user_len)
{
    const unsigned char *colon;
    int n;
    while (hlen > 0 && (*h == ' ' || *h == '\t'))
        h++, hlen--;
    if (hlen < 6 || strncasecmp(h, "Basic ", 6) != 0)
        return -1;
    h += 6;
    hlen -= 6;
    while (hlen > 0 && h[0] == ' ')
        h++, hlen--;
    while (hlen > 0 && (h[hlen - 1] == ' ' || h[hlen - 1] == '\t'))
        hlen--;
    if (hlen == 0 || hlen % 4 != 0 || hlen / 4 * 3 >= cap ||
        (n = EVP_DecodeBlock(buf, (const unsigned char *)h, (int)hlen)) < 0)
        return -1;
    if (h[hlen - 1] == '=') /* EVP_DecodeBlock counts the padding as bytes */
        n -= h[hlen - 2] == '=' ? 2 : 1;
    colon = memchr(buf, ':', (size_t)n);
    if (colon == NULL)
        return -1;
    *user_len = (size_t)(colon - buf);
    return n;
}

/* auth_basic: 0 (the user and password match a line of the file), 401
 * (none given, unknown user, wrong password), or 403 / 500 (no file, or
 * an unreadable one). */
static int basic_auth(struct answer *x)
{
    const struct srv_conf *c = x->conf;
    const struct log_ctx *log = x->env->log;
    size_t hlen = 0, user_len = 0, plen;
    const char *h = answer_header(x, "authorization", &hlen), *pw;
    unsigned char dec[1024];
    char *file, *line, *save = NULL;
    int n, rc = 401, found = 0;

    x->auth_realm = c->auth_basic;
    if (h == NULL || (n = auth_basic_decode(h, hlen, dec, sizeof(dec), &user_len)) < 0) {
        log_error(LL_ERR, log, "no user/password was provided for basic authentication");
        return 401;
    }
    pw = (const char *)dec + user_len + 1;
    plen = (size_t)n - user_len - 1;
    if ((file = read_user_file(c->auth_basic_user_file, log, &rc)) == NULL)
        return rc;
    rc = 401;
    for (line = strtok_r(file, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
        char *sep, *hash, *end;
        size_t ll = strlen(line);
        if (ll > 0 && line[ll - 1] == '\r')
            line[--ll] = '\0';
        if (line[0] == '#' || (sep = strchr(line, ':')) == NULL)
            continue;
        if ((size_t)(sep - line) != user_len || memcmp(line, dec, user_len) != 0)
            continue;
        found = 1;
        hash = sep + 1;
        if ((end = strchr(hash, ':')) != NULL) /* "user:hash:comment" */
            *end = '\0';
        if (auth_password_ok(pw, plen, hash))
            rc = 0;
        else
            log_error(LL_ERR, log, "user \"%.*s\": password mismatch", (int)user_len, dec);
        break;
    }
    if (!found)
        log_error(LL_ERR, log, "user \"%.*s\" was not found in \"%s\"", (int)user_len, dec,
                  c->auth_basic_user_file);
    free(file);
    OPENSSL_cleanse(dec, sizeof(dec));
    return rc;
}

int auth_access(struct answer *x)
{
    const struct srv_conf *c = x->conf;
    int auth_on = c->auth_basic != NULL && strcmp(c->auth_basic, "off") != 0 &&
                  c->auth_basic_user_file != NULL;
    int allowed = access_allowed(c, x->env->peer), rc;

    if (!c->satisfy_any) { /* all: the access module runs first, as in nginx */
        if (allowed == 0) {
            log_error(LL_ERR, x->env->log, "access forbidden by rule, request: \"%.*s\"",
                      (int)x->tlen, x->target);
            return 403;
        }
        return auth_on ? basic_auth(x) : 0;
    }
    /* any: one that allows is enough; else 401 wins over 403 */
    if (allowed == 1)
        return 0;
    if (!auth_on)
        return allowed == 0 ? 403 : 0;
    rc = basic_auth(x);
    if (rc != 401)
        return rc;
    if (allowed == 0)
        log_error(LL_ERR, x->env->log, "access forbidden by rule, request: \"%.*s\"", (int)x->tlen,
                  x->target);
    return rc;
}
