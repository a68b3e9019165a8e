/* tls_ctx.c: what a server block's TLS directives do to its SSL_CTX, and
 * the per-connection answers that follow from them: certificates (several
 * per server, RSA and ECDSA, with encrypted keys), DH parameters, groups,
 * record size, OCSP stapling from a file, client certificates, and kTLS
 * zero-copy sendfile. tls.c makes the SSL_CTX and runs connections; this
 * file fills in the server's settings (nginx's ngx_http_ssl_module). */
#include "config.h"
#include "log.h"
#include "tls.h"
#include "util.h"

#include <errno.h>
#include <linux/tls.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#ifndef SOL_TLS
#define SOL_TLS 282
#endif
/* Linux 5.19 UAPI; with older headers the kernel answers ENOPROTOOPT. */
#ifndef TLS_TX_ZEROCOPY_RO
#define TLS_TX_ZEROCOPY_RO 3
#endif

#define MAX_PASSWORDS 64

/* What connections need from their server's settings, hung on the SSL_CTX
 * (freed with it). A copy, not a pointer into the configuration. */
struct tls_srv {
    int verify;   /* VERIFY_* */
    int zerocopy; /* ktls_zerocopy_sendfile */
    unsigned char *staple;
    size_t staple_len;
    X509 *staple_cert; /* the certificate the response is for; NULL: every one */
};

static int srv_index = -1;

static void srv_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
    struct tls_srv *t = ptr;
    (void)parent;
    (void)ad;
    (void)idx;
    (void)argl;
    (void)argp;
    if (t == NULL)
        return;
    free(t->staple);
    X509_free(t->staple_cert);
    free(t);
}

static struct tls_srv *srv_of(SSL *ssl)
{
    return srv_index < 0 ? NULL : SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), srv_index);
}

/* --- certificates and keys ------------------------------------------------ */

struct passwords {
    char *pw[MAX_PASSWORDS];
    int n;
    int current;
};

/* ssl_password_file: one passphrase a line, tried in turn for each key
 * (nginx's ngx_ssl_read_password_file). */
static int passwords_read(struct passwords *pw, const char *path, char *err, size_t errlen)
{
    char line[1024];
    FILE *f = fopen(path, "re");
    if (f == NULL) {
        snprintf(err, errlen, "open() \"%s\" failed (%d: %s)", path, errno, strerror(errno));
        return KT_ERROR;
    }
    while (fgets(line, sizeof(line), f) != NULL && pw->n < MAX_PASSWORDS) {
        line[strcspn(line, "\r\n")] = '\0';
        pw->pw[pw->n++] = xstrdup(line);
    }
    fclose(f);
    if (pw->n == 0) {
        snprintf(err, errlen, "no passphrases in \"%s\"", path);
        return KT_ERROR;
    }
    return KT_OK;
}

static void passwords_free(struct passwords *pw)
{
    for (int i = 0; i < pw->n; i++) {
        OPENSSL_cleanse(pw->pw[i], strlen(pw->pw[i]));
        free(pw->pw[i]);
    }
    pw->n = 0;
}

/* OpenSSL's PEM callback: the passphrase being tried, or none at all (the
 * default callback would prompt on the terminal). */
static int password_cb(char *buf, int size, int rwflag, void *arg)
{
    const struct passwords *pw = arg;
    size_t len;
    (void)rwflag;
    if (pw == NULL || pw->current >= pw->n)
        return 0;
    len = strlen(pw->pw[pw->current]);
    if (len > (size_t)size)
        len = (size_t)size;
    memcpy(buf, pw->pw[pw->current], len);
    return (int)len;
}

static int key_load(SSL_CTX *ctx, const char *path, struct passwords *pw, char *err, size_t errlen)
{
    BIO *bio = BIO_new_file(path, "r");
    EVP_PKEY *key = NULL;
    int tries = pw->n > 0 ? pw->n : 1;
    if (bio == NULL) {
        snprintf(err, errlen, "cannot load certificate key \"%s\" (SSL: %s)", path,
                 tls_error_text());
        return KT_ERROR;
    }
    for (pw->current = 0; pw->current < tries && key == NULL; pw->current++) {
        if (pw->current > 0) {
            ERR_clear_error();
            BIO_reset(bio);
        }
        key = PEM_read_bio_PrivateKey(bio, NULL, password_cb, pw);
    }
    BIO_free(bio);
    if (key == NULL) {
        snprintf(err, errlen, "cannot load certificate key \"%s\"%s (SSL: %s)", path,
                 pw->n > 0 ? " with any passphrase of ssl_password_file" : "", tls_error_text());
        return KT_ERROR;
    }
    if (SSL_CTX_use_PrivateKey(ctx, key) != 1) {
        EVP_PKEY_free(key);
        snprintf(err, errlen, "cannot use certificate key \"%s\" (SSL: %s)", path,
                 tls_error_text());
        return KT_ERROR;
    }
    EVP_PKEY_free(key);
    return KT_OK;
}

/* Each ssl_certificate with the ssl_certificate_key of the same rank. An
 * RSA and an ECDSA certificate take different slots of the SSL_CTX, and
 * OpenSSL serves each client the one its signature_algorithms allow
 * (tls1_set_server_sigalgs / tls_choose_sigalg), as nginx relies on. */
static int certs_load(SSL_CTX *ctx, const struct srv_conf *c, char *err, size_t errlen)
{
    struct passwords pw = {.n = 0};
    int rc = KT_ERROR;
    if (c->ssl_password_file != NULL &&
        passwords_read(&pw, c->ssl_password_file, err, errlen) != KT_OK)
        return KT_ERROR;
    for (size_t i = 0; i < c->nssl_certificate; i++) {
        if (SSL_CTX_use_certificate_chain_file(ctx, c->ssl_certificate[i]) != 1) {
            snprintf(err, errlen, "cannot load certificate \"%s\" (SSL: %s)", c->ssl_certificate[i],
                     tls_error_text());
            goto out;
        }
        if (key_load(ctx, c->ssl_certificate_key[i], &pw, err, errlen) != KT_OK)
            goto out;
        /* the current certificate is the one just loaded */
        if (SSL_CTX_check_private_key(ctx) != 1) {
            snprintf(err, errlen, "certificate \"%s\" and key \"%s\" do not match (SSL: %s)",
                     c->ssl_certificate[i], c->ssl_certificate_key[i], tls_error_text());
            goto out;
        }
    }
    rc = KT_OK;
out:
    passwords_free(&pw);
    return rc;
}

/* ssl_dhparam: PEM "DH PARAMETERS" for the TLS 1.2 DHE suites, which an
 * ssl_ciphers list must name to have them (they are not in the default). */
static int dhparam_load(SSL_CTX *ctx, const char *path, char *err, size_t errlen)
{
    BIO *bio = BIO_new_file(path, "r");
    EVP_PKEY *dh;
    if (bio == NULL) {
        snprintf(err, errlen, "BIO_new_file(\"%s\") failed (SSL: %s)", path, tls_error_text());
        return KT_ERROR;
    }
    dh = PEM_read_bio_Parameters(bio, NULL);
    BIO_free(bio);
    if (dh == NULL || !EVP_PKEY_is_a(dh, "DH")) {
        EVP_PKEY_free(dh);
        snprintf(err, errlen, "cannot read DH parameters from \"%s\" (SSL: %s)", path,
                 tls_error_text());
        return KT_ERROR;
    }
    if (SSL_CTX_set0_tmp_dh_pkey(ctx, dh) != 1) {
        EVP_PKEY_free(dh);
        snprintf(err, errlen, "SSL_CTX_set0_tmp_dh_pkey(\"%s\") failed (SSL: %s)", path,
                 tls_error_text());
        return KT_ERROR;
    }
    return KT_OK;
}

/* --- OCSP stapling -------------------------------------------------------- */

static int status_cb(SSL *ssl, void *arg)
{
    struct tls_srv *t = srv_of(ssl);
    unsigned char *copy;
    (void)arg;
    if (t == NULL || t->staple == NULL)
        return SSL_TLSEXT_ERR_NOACK;
    /* with two certificates, only the one the response is about gets it */
    if (t->staple_cert != NULL && X509_cmp(SSL_get_certificate(ssl), t->staple_cert) != 0)
        return SSL_TLSEXT_ERR_NOACK;
    copy = OPENSSL_memdup(t->staple, t->staple_len); /* OpenSSL frees what it is given */
    if (copy == NULL)
        return SSL_TLSEXT_ERR_NOACK;
    SSL_set_tlsext_status_ocsp_resp(ssl, copy, (long)t->staple_len);
    return SSL_TLSEXT_ERR_OK;
}

/* ssl_stapling_verify: the response from the file must be signed by its
 * issuer (or a responder it delegated to) as trusted through
 * ssl_trusted_certificate, or the system's CAs, and say "good" and be
 * current for one of the server's certificates; that one staples it.
 * Checked at start and on every reload, which is when the file is read. */
static int staple_verify(SSL_CTX *ctx, const struct srv_conf *c, OCSP_RESPONSE *resp,
                         struct tls_srv *t, char *err, size_t errlen)
{
    OCSP_BASICRESP *basic = OCSP_response_get1_basic(resp);
    X509_STORE *store = X509_STORE_new();
    int rc = KT_ERROR, found = 0;

    if (basic == NULL || store == NULL) {
        snprintf(err, errlen, "OCSP response in \"%s\" has no basic response (SSL: %s)",
                 c->ssl_stapling_file, tls_error_text());
        goto out;
    }
    if (c->ssl_trusted_certificate != NULL
            ? X509_STORE_load_file(store, c->ssl_trusted_certificate) != 1
            : X509_STORE_set_default_paths(store) != 1) {
        snprintf(err, errlen, "cannot load trusted certificates \"%s\" (SSL: %s)",
                 c->ssl_trusted_certificate ? c->ssl_trusted_certificate : "(system default)",
                 tls_error_text());
        goto out;
    }
    for (int r = SSL_CTX_set_current_cert(ctx, SSL_CERT_SET_FIRST); r == 1 && !found;
         r = SSL_CTX_set_current_cert(ctx, SSL_CERT_SET_NEXT)) {
        X509 *cert = SSL_CTX_get0_certificate(ctx), *issuer = NULL;
        STACK_OF(X509) *chain = NULL;
        OCSP_CERTID *id;
        int status, reason;
        ASN1_GENERALIZEDTIME *rev, *thisupd, *nextupd;
        SSL_CTX_get0_chain_certs(ctx, &chain);
        for (int i = 0; i < sk_X509_num(chain); i++)
            if (X509_check_issued(sk_X509_value(chain, i), cert) == X509_V_OK)
                issuer = sk_X509_value(chain, i);
        if (issuer == NULL) { /* look in the trusted certificates */
            X509_STORE_CTX *sctx = X509_STORE_CTX_new();
            if (sctx != NULL && X509_STORE_CTX_init(sctx, store, cert, NULL) == 1)
                X509_STORE_CTX_get1_issuer(&issuer, sctx, cert);
            X509_STORE_CTX_free(sctx);
        } else {
            X509_up_ref(issuer);
        }
        if (issuer == NULL)
            continue;
        id = OCSP_cert_to_id(NULL, cert, issuer);
        X509_free(issuer);
        if (id == NULL)
            continue;
        if (OCSP_resp_find_status(basic, id, &status, &reason, &rev, &thisupd, &nextupd) == 1) {
            found = 1;
            if (OCSP_basic_verify(basic, chain, store, 0) != 1) {
                snprintf(err, errlen, "OCSP response in \"%s\" does not verify (SSL: %s)",
                         c->ssl_stapling_file, tls_error_text());
            } else if (status != V_OCSP_CERTSTATUS_GOOD) {
                snprintf(err, errlen, "OCSP response in \"%s\" says the certificate is %s",
                         c->ssl_stapling_file, OCSP_cert_status_str(status));
            } else if (OCSP_check_validity(thisupd, nextupd, 300, -1) != 1) {
                snprintf(err, errlen, "OCSP response in \"%s\" is out of date (SSL: %s)",
                         c->ssl_stapling_file, tls_error_text());
            } else {
                X509_up_ref(cert);
                t->staple_cert = cert;
                rc = KT_OK;
            }
        }
        OCSP_CERTID_free(id);
    }
    if (!found)
        snprintf(err, errlen, "OCSP response in \"%s\" is for none of the server's certificates",
                 c->ssl_stapling_file);
out:
    X509_STORE_free(store);
    OCSP_BASICRESP_free(basic);
    return rc;
}

/* ssl_stapling on: ktlsd staples the DER response that ssl_stapling_file
 * names (made by a cron job, `openssl ocsp ... -respout`), read again on
 * every reload; it does not fetch responses itself (no resolver, no
 * outgoing connections). Without a file, a certificate with no OCSP URL
 * gets nginx's warning and no stapling, and one with a URL is an error
 * that says to use ssl_stapling_file. */
static int stapling_set(SSL_CTX *ctx, const struct srv_conf *c, struct tls_srv *t, char *err,
                        size_t errlen)
{
    OCSP_RESPONSE *resp;
    unsigned char *der = NULL;
    BIO *bio;
    int len;

    if (c->ssl_stapling_file == NULL) {
        for (size_t i = 0; i < c->nssl_certificate; i++) {
            X509 *cert = NULL;
            STACK_OF(OPENSSL_STRING) * urls;
            bio = BIO_new_file(c->ssl_certificate[i], "r");
            if (bio != NULL)
                cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
            BIO_free(bio);
            if (cert == NULL)
                continue; /* certs_load read it: cannot happen */
            urls = X509_get1_ocsp(cert);
            X509_free(cert);
            if (urls == NULL || sk_OPENSSL_STRING_num(urls) == 0) {
                X509_email_free(urls);
                log_error(LL_WARN, NULL,
                          "\"ssl_stapling\" ignored, no OCSP responder URL in the certificate "
                          "\"%s\"",
                          c->ssl_certificate[i]);
                continue;
            }
            X509_email_free(urls);
            snprintf(err, errlen,
                     "\"ssl_stapling\" needs \"ssl_stapling_file\": ktlsd does not fetch OCSP "
                     "responses from the responder of \"%s\"; save them with `openssl ocsp "
                     "-respout` and name the file",
                     c->ssl_certificate[i]);
            return KT_ERROR;
        }
        ERR_clear_error();
        return KT_OK;
    }
    bio = BIO_new_file(c->ssl_stapling_file, "rb");
    resp = bio != NULL ? d2i_OCSP_RESPONSE_bio(bio, NULL) : NULL;
    BIO_free(bio);
    if (resp == NULL) {
        snprintf(err, errlen, "cannot read OCSP response (DER) from \"%s\" (SSL: %s)",
                 c->ssl_stapling_file, tls_error_text());
        return KT_ERROR;
    }
    if (OCSP_response_status(resp) != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
        snprintf(err, errlen, "OCSP response in \"%s\" is \"%s\", not \"successful\"",
                 c->ssl_stapling_file, OCSP_response_status_str(OCSP_response_status(resp)));
        OCSP_RESPONSE_free(resp);
        return KT_ERROR;
    }
    if (c->ssl_stapling_verify && staple_verify(ctx, c, resp, t, err, errlen) != KT_OK) {
        OCSP_RESPONSE_free(resp);
        return KT_ERROR;
    }
    len = i2d_OCSP_RESPONSE(resp, &der);
    OCSP_RESPONSE_free(resp);
    if (len <= 0) {
        snprintf(err, errlen, "i2d_OCSP_RESPONSE() failed (SSL: %s)", tls_error_text());
        return KT_ERROR;
    }
    t->staple = xmalloc((size_t)len);
    memcpy(t->staple, der, (size_t)len);
    t->staple_len = (size_t)len;
    OPENSSL_free(der);
    SSL_CTX_set_tlsext_status_cb(ctx, status_cb);
    return KT_OK;
}

/* --- client certificates -------------------------------------------------- */

/* Every chain is accepted in the handshake and judged per request, as
 * nginx does: a client without a valid certificate gets an HTTP answer
 * (400 with nginx's 495/496 page, or what error_page says) instead of a
 * TLS alert that browsers show as a broken connection. */
static int verify_cb(int ok, X509_STORE_CTX *sctx)
{
    (void)ok;
    (void)sctx;
    return 1;
}

/* A session carries the verification result of its client certificate:
 * resumed on a server that trusts other CAs (or verifies differently), it
 * would pass there unchecked. OpenSSL resumes a session only where the
 * session id context is the one it was made under, so a verifying server
 * gets its own: a hash of its verify settings and CA files (nginx's
 * ngx_ssl_session_id_context hashes the same). */
static int verify_sid_ctx(SSL_CTX *ctx, const struct srv_conf *c, char *err, size_t errlen)
{
    const char *files[] = {c->ssl_client_certificate, c->ssl_trusted_certificate};
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    char head[64];
    EVP_MD_CTX *h = EVP_MD_CTX_new();
    int ok = h != NULL && EVP_DigestInit_ex(h, EVP_sha256(), NULL) == 1;

    snprintf(head, sizeof(head), "ktlsd verify %d depth %d", c->ssl_verify_client,
             c->ssl_verify_depth);
    ok = ok && EVP_DigestUpdate(h, head, strlen(head)) == 1;
    for (size_t i = 0; i < ARRAY_LEN(files) && ok; i++) {
        char buf[4096];
        size_t n;
        FILE *f;
        if (files[i] == NULL)
            continue;
        if ((f = fopen(files[i], "re")) == NULL) {
            snprintf(err, errlen, "open() \"%s\" failed (%d: %s)", files[i], errno,
                     strerror(errno));
            EVP_MD_CTX_free(h);
            return KT_ERROR;
        }
        while (ok && (n = fread(buf, 1, sizeof(buf), f)) > 0)
            ok = EVP_DigestUpdate(h, buf, n) == 1;
        fclose(f);
    }
    ok = ok && EVP_DigestFinal_ex(h, md, &mdlen) == 1 &&
         SSL_CTX_set_session_id_context(ctx, md, mdlen) == 1;
    EVP_MD_CTX_free(h);
    if (!ok) {
        snprintf(err, errlen, "cannot set the session id context (SSL: %s)", tls_error_text());
        return KT_ERROR;
    }
    return KT_OK;
}

static int client_verify_set(SSL_CTX *ctx, const struct srv_conf *c, char *err, size_t errlen)
{
    /* trusted for verification, but not named to the client; loaded (and
     * so checked by -t) whether or not anything verifies, as nginx does */
    if (c->ssl_trusted_certificate != NULL &&
        SSL_CTX_load_verify_locations(ctx, c->ssl_trusted_certificate, NULL) != 1) {
        snprintf(err, errlen, "cannot load trusted certificates \"%s\" (SSL: %s)",
                 c->ssl_trusted_certificate, tls_error_text());
        return KT_ERROR;
    }
    if (c->ssl_verify_client == VERIFY_OFF)
        return KT_OK;
    if (verify_sid_ctx(ctx, c, err, errlen) != KT_OK)
        return KT_ERROR;
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, verify_cb);
    SSL_CTX_set_verify_depth(ctx, c->ssl_verify_depth);
    if (c->ssl_client_certificate != NULL) {
        STACK_OF(X509_NAME) * names;
        if (SSL_CTX_load_verify_locations(ctx, c->ssl_client_certificate, NULL) != 1) {
            snprintf(err, errlen, "cannot load client certificates \"%s\" (SSL: %s)",
                     c->ssl_client_certificate, tls_error_text());
            return KT_ERROR;
        }
        /* the CAs the CertificateRequest names, so that clients pick a match */
        names = SSL_load_client_CA_file(c->ssl_client_certificate);
        if (names == NULL) {
            snprintf(err, errlen, "cannot read CA names from \"%s\" (SSL: %s)",
                     c->ssl_client_certificate, tls_error_text());
            return KT_ERROR;
        }
        SSL_CTX_set_client_CA_list(ctx, names);
    }
    return KT_OK;
}

/* ssl_verify_client optional_no_ca: these failures only mean the issuer is
 * unknown here (nginx's ngx_ssl_verify_error_optional). */
static int verify_error_optional(long e)
{
    return e == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT ||
           e == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN || e == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT ||
           e == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY ||
           e == X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE;
}

int tls_client_verify(SSL *ssl, const struct log_ctx *log)
{
    struct tls_srv *t = srv_of(ssl);
    long rc;
    if (t == NULL || t->verify == VERIFY_OFF)
        return 0;
    rc = SSL_get_verify_result(ssl);
    if (rc != X509_V_OK && (t->verify != VERIFY_OPTIONAL_NO_CA || !verify_error_optional(rc))) {
        log_error(LL_INFO, log, "client SSL certificate verify error: (%ld:%s)", rc,
                  X509_verify_cert_error_string(rc));
        return 495;
    }
    if (t->verify == VERIFY_ON && SSL_get0_peer_certificate(ssl) == NULL) {
        log_error(LL_INFO, log, "client sent no required SSL certificate");
        return 496;
    }
    return 0;
}

const char *tls_client_verify_text(SSL *ssl)
{
    static char text[160];
    long rc;
    if (SSL_get0_peer_certificate(ssl) == NULL)
        return "NONE";
    rc = SSL_get_verify_result(ssl);
    if (rc == X509_V_OK)
        return "SUCCESS";
    snprintf(text, sizeof(text), "FAILED:%s", X509_verify_cert_error_string(rc));
    return text;
}

size_t tls_client_s_dn(SSL *ssl, char *buf, size_t cap)
{
    X509 *cert = SSL_get0_peer_certificate(ssl);
    BIO *bio;
    int n;
    if (cert == NULL || cap == 0 || (bio = BIO_new(BIO_s_mem())) == NULL)
        return 0;
    X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253);
    n = BIO_read(bio, buf, (int)(cap - 1));
    BIO_free(bio);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    return (size_t)n;
}

/* --- kTLS zero-copy sendfile ---------------------------------------------- */

/* ktls_zerocopy_sendfile on: TLS_TX_ZEROCOPY_RO (Linux 5.19) lets a NIC
 * that encrypts (kTLS device offload, TLS_HW) take sendfile(2)'s page-cache
 * pages directly instead of an in-kernel copy. The kernel uses it for
 * device offload only (Documentation/networking/tls.rst): with software
 * kTLS it accepts the option and encrypts from a copy as before. The catch,
 * and why it is off by default: the NIC reads the pages again if TCP
 * retransmits, so a file changed while being sent can put bytes on the
 * wire that differ from those first sent (and fail the record's MAC). OpenSSL 3.2 sets this itself
 * with SSL_OP_ENABLE_KTLS_TX_ZEROCOPY_SENDFILE; 3.0 has no such option, so ktlsd sets the socket
 * option once kTLS TX is on. Returns 1 when it is on. */
int tls_ktls_zerocopy(SSL *ssl, const struct log_ctx *log)
{
    static int unsupported;
    struct tls_srv *t = srv_of(ssl);
    int one = 1;
    socklen_t len = sizeof(one);
    if (t == NULL || !t->zerocopy || unsupported || !tls_ktls_tx(ssl))
        return 0;
    if (setsockopt(SSL_get_fd(ssl), SOL_TLS, TLS_TX_ZEROCOPY_RO, &one, sizeof(one)) != 0) {
        int e = errno;
        if (e == ENOPROTOOPT || e == EINVAL) { /* Linux < 5.19: once is enough to know */
            unsupported = 1;
            log_error(LL_NOTICE, log,
                      "ktls_zerocopy_sendfile: the kernel has no TLS_TX_ZEROCOPY_RO (Linux "
                      "5.19+): kTLS copies (%d: %s)",
                      e, strerror(e));
        } else {
            log_error(LL_ERR, log, "setsockopt(TLS_TX_ZEROCOPY_RO) failed (%d: %s)", e,
                      strerror(e));
        }
        return 0;
    }
    /* counted as on when the kernel says so */
    one = 0;
    return getsockopt(SSL_get_fd(ssl), SOL_TLS, TLS_TX_ZEROCOPY_RO, &one, &len) == 0 && one != 0;
}

/* --- the server's settings ------------------------------------------------ */

int tls_ctx_configure(SSL_CTX *ctx, const struct srv_conf *c, char *err, size_t errlen)
{
    struct tls_srv *t;

    if (srv_index < 0)
        srv_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, srv_free);
    t = xcalloc(1, sizeof(*t));
    t->verify = c->ssl_verify_client;
    t->zerocopy = c->ktls_zerocopy_sendfile;
    if (SSL_CTX_set_ex_data(ctx, srv_index, t) != 1) {
        free(t);
        snprintf(err, errlen, "SSL_CTX_set_ex_data() failed (SSL: %s)", tls_error_text());
        return KT_ERROR;
    }
    if (certs_load(ctx, c, err, errlen) != KT_OK)
        return KT_ERROR;
    if (c->ssl_dhparam != NULL && dhparam_load(ctx, c->ssl_dhparam, err, errlen) != KT_OK)
        return KT_ERROR;
    /* ssl_ecdh_curve auto: OpenSSL's own list (X25519, P-256, X448, P-521, P-384) */
    if (c->ssl_ecdh_curve != NULL && strcmp(c->ssl_ecdh_curve, "auto") != 0 &&
        SSL_CTX_set1_groups_list(ctx, c->ssl_ecdh_curve) != 1) {
        snprintf(err, errlen, "SSL_CTX_set1_groups_list(\"%s\") failed (SSL: %s)",
                 c->ssl_ecdh_curve, tls_error_text());
        return KT_ERROR;
    }
    /* Smaller records for userspace TLS. OpenSSL 3.0 turns kTLS off for a
     * connection whose max_send_fragment is not 16384 (ssl/t1_enc.c and
     * tls13_enc.c: "ktls supports only the maximum fragment size"): a
     * server asking for both gets the small records, in userspace. */
    if (c->ssl_buffer_size < 16384) {
        SSL_CTX_set_max_send_fragment(ctx, (long)c->ssl_buffer_size);
        if (c->ktls)
            log_error(LL_WARN, NULL,
                      "\"ssl_buffer_size %d\" keeps this server's connections on userspace TLS: "
                      "kTLS (OpenSSL 3.0) sends 16k records only",
                      c->ssl_buffer_size);
    }
    if (c->ssl_stapling && stapling_set(ctx, c, t, err, errlen) != KT_OK)
        return KT_ERROR;
    if (client_verify_set(ctx, c, err, errlen) != KT_OK)
        return KT_ERROR;
    return KT_OK;
}
