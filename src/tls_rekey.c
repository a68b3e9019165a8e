/* tls_rekey.c: following a TLS 1.3 KeyUpdate under kTLS TX (one of the
 * kTLS/OpenSSL quirks; tls.c holds the others and calls in here): the
 * server's traffic secret kept from the keylog callback, the kernel probed
 * for a second TLS_TX, OpenSSL's own KeyUpdate flushed, the next key
 * derived (RFC 8446 7.2) and installed. */
#include "tls_rekey.h"

#include <errno.h>
#include <linux/tls.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/kdf.h>

/* TLS 1.3 KeyUpdate under kTLS TX.
 *
 * A TLS 1.3 peer may send KeyUpdate(update_requested) at any time. OpenSSL
 * 3.0 then owes a KeyUpdate of its own; it sends it the next time its state
 * machine runs (SSL_write, SSL_do_handshake, or an SSL_read that meets the
 * next handshake message) and switches its own write key after it, but it
 * never gives the kernel the new key (no setsockopt TLS_TX: seen under
 * Linux 7.2 with OpenSSL 3.0.19), so every record after that would be
 * sealed with the old key while the peer expects the new one: "bad record
 * mac" (nginx with kTLS fails so). ktlsd follows the update itself, after
 * each read and before anything else is written:
 *
 *   1. the server's traffic secret: the keylog callback hands it over once
 *      (SERVER_TRAFFIC_SECRET_0; OpenSSL 3.0 has no other way out);
 *   2. probe: the kernel's current TX state (getsockopt TLS_TX: key, IV and
 *      record sequence) set again unchanged. Linux 6.14+ takes a second
 *      TLS_TX on TLS 1.3 as a rekey (Documentation/networking/tls.rst "TLS
 *      1.3 Key Updates"); older kernels answer EBUSY. Refused: nothing has
 *      been sent, TLS_KU_REFUSED, the caller closes cleanly (close_notify
 *      under the current key, which the peer still reads);
 *   3. SSL_key_update + SSL_do_handshake: OpenSSL sends its KeyUpdate (the
 *      kernel seals it with the old key, as it must);
 *   4. the next secret (RFC 8446 7.2: HKDF-Expand-Label(secret, "traffic
 *      upd", "", Hash.length)), its key and IV into the kernel with
 *      sequence 0. The message callback counts the KeyUpdates OpenSSL sent,
 *      so one it sent on its own inside SSL_read is followed too.
 *
 * A failure after step 3 leaves no key the peer reads: TLS_KU_BROKEN, the
 * caller closes without close_notify. */
struct rekey {
    unsigned char secret[EVP_MAX_MD_SIZE]; /* the server's application traffic secret */
    size_t len;                            /* 0: not known */
    unsigned sent, installed;              /* KeyUpdates OpenSSL sent / the kernel followed */
};

union ktls_info {
    struct tls_crypto_info base;
    struct tls12_crypto_info_aes_gcm_128 gcm128;
    struct tls12_crypto_info_aes_gcm_256 gcm256;
    struct tls12_crypto_info_aes_ccm_128 ccm128;
    struct tls12_crypto_info_chacha20_poly1305 chacha;
};

static int rekey_index = -1;

static void rekey_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
    (void)parent, (void)ad, (void)idx, (void)argl, (void)argp;
    OPENSSL_clear_free(ptr, sizeof(struct rekey));
}

static void rekey_keylog(const SSL *ssl, const char *line)
{
    static const char tag[] = "SERVER_TRAFFIC_SECRET_0 ";
    struct rekey *k = SSL_get_ex_data(ssl, rekey_index);
    const char *hex = strrchr(line, ' ');
    size_t n;
    if (k == NULL || strncmp(line, tag, sizeof(tag) - 1) != 0 || hex == NULL)
        return;
    n = strlen(++hex) / 2;
    if (n > sizeof(k->secret))
        return;
    for (size_t i = 0; i < n; i++) {
        int hi = OPENSSL_hexchar2int((unsigned char)hex[2 * i]);
        int lo = OPENSSL_hexchar2int((unsigned char)hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return;
        k->secret[i] = (unsigned char)(hi << 4 | lo);
    }
    k->len = n;
}

static void rekey_msg(int write_p, int version, int content_type, const void *buf, size_t len,
                      SSL *ssl, void *arg)
{
    struct rekey *k = SSL_get_ex_data(ssl, rekey_index);
    (void)version, (void)arg;
    if (k != NULL && write_p && content_type == SSL3_RT_HANDSHAKE && len > 0 &&
        *(const unsigned char *)buf == SSL3_MT_KEY_UPDATE)
        k->sent++;
}

/* For SSL_CTXs with kTLS on: the two callbacks above. */
void tls_rekey_attach(SSL_CTX *ctx)
{
    if (rekey_index < 0)
        rekey_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, rekey_free);
    if (rekey_index < 0)
        return;
    SSL_CTX_set_keylog_callback(ctx, rekey_keylog);
    SSL_CTX_set_msg_callback(ctx, rekey_msg);
}

/* Each connection, once any SSL_CTX has kTLS on (SNI may pick that one
 * later): its struct rekey, and the message callback (OpenSSL copies that
 * one from the first SSL_CTX only). */
void tls_rekey_bind(SSL *ssl)
{
    struct rekey *k;
    if (rekey_index < 0 || (k = OPENSSL_zalloc(sizeof(*k))) == NULL)
        return;
    if (SSL_set_ex_data(ssl, rekey_index, k) != 1) {
        OPENSSL_free(k);
        return;
    }
    SSL_set_msg_callback(ssl, rekey_msg);
}

/* HKDF-Expand-Label(secret, label, "", olen), RFC 8446 7.1 */
static int expand_label(const EVP_MD *md, const unsigned char *secret, size_t slen,
                        const char *label, unsigned char *out, size_t olen)
{
    unsigned char info[2 + 1 + 6 + 32 + 1];
    size_t ll = strlen(label), n = 0;
    int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY, ok;
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    EVP_KDF_CTX *kctx = kdf != NULL ? EVP_KDF_CTX_new(kdf) : NULL;
    OSSL_PARAM p[5];
    EVP_KDF_free(kdf);
    info[n++] = (unsigned char)(olen >> 8);
    info[n++] = (unsigned char)olen;
    info[n++] = (unsigned char)(6 + ll);
    memcpy(info + n, "tls13 ", 6);
    memcpy(info + n + 6, label, ll);
    n += 6 + ll;
    info[n++] = 0; /* empty context */
    p[0] = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
    p[1] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)EVP_MD_get0_name(md), 0);
    p[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)secret, slen);
    p[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, n);
    p[4] = OSSL_PARAM_construct_end();
    ok = kctx != NULL && EVP_KDF_derive(kctx, out, olen, p) > 0;
    EVP_KDF_CTX_free(kctx);
    return ok;
}

/* The kernel's crypto_info for KEY and the 12-byte IV (salt: its first 4
 * bytes where the cipher has one), record sequence 0; its size, 0 for a
 * cipher not known here. With key NULL: only the key's length. */
#define KTLS_FILL(s)                                                                               \
    do {                                                                                           \
        if (key != NULL) {                                                                         \
            memcpy((s).key, key, sizeof((s).key));                                                 \
            memcpy((s).salt, iv, sizeof((s).salt));                                                \
            memcpy((s).iv, iv + sizeof((s).salt), sizeof((s).iv));                                 \
            memset((s).rec_seq, 0, sizeof((s).rec_seq));                                           \
        }                                                                                          \
        *keylen = sizeof((s).key);                                                                 \
        return sizeof(s);                                                                          \
    } while (0)

static size_t ktls_fill(union ktls_info *u, const unsigned char *key, const unsigned char *iv,
                        size_t *keylen)
{
    switch (u->base.cipher_type) {
    case TLS_CIPHER_AES_GCM_128:
        KTLS_FILL(u->gcm128);
    case TLS_CIPHER_AES_GCM_256:
        KTLS_FILL(u->gcm256);
    case TLS_CIPHER_AES_CCM_128:
        KTLS_FILL(u->ccm128);
    case TLS_CIPHER_CHACHA20_POLY1305:
        KTLS_FILL(u->chacha);
    }
    return 0;
}

/* Step 4: the secret after the KeyUpdates not yet followed, into the kernel. */
static int rekey_install(SSL *ssl, struct rekey *k, union ktls_info *u)
{
    const EVP_MD *md = SSL_CIPHER_get_handshake_digest(SSL_get_current_cipher(ssl));
    unsigned char key[32], iv[12];
    size_t keylen, size = ktls_fill(u, NULL, NULL, &keylen);
    int ok = md != NULL && size > 0 && keylen <= sizeof(key);
    for (; ok && k->installed < k->sent; k->installed++)
        ok = expand_label(md, k->secret, k->len, "traffic upd", k->secret, k->len);
    ok = ok && expand_label(md, k->secret, k->len, "key", key, keylen) &&
         expand_label(md, k->secret, k->len, "iv", iv, sizeof(iv));
    if (ok) {
        ktls_fill(u, key, iv, &keylen);
        ok = setsockopt(SSL_get_fd(ssl), SOL_TLS, TLS_TX, u, (socklen_t)size) == 0;
    }
    OPENSSL_cleanse(key, sizeof(key));
    OPENSSL_cleanse(u, sizeof(*u));
    return ok;
}

enum tls_ku tls_rekey_follow(SSL *ssl)
{
    struct rekey *k = rekey_index < 0 ? NULL : SSL_get_ex_data(ssl, rekey_index);
    int owed = SSL_get_key_update_type(ssl) != SSL_KEY_UPDATE_NONE;
    int sent = k != NULL && k->sent != k->installed; /* by OpenSSL on its own */
    int fd;
    union ktls_info u;
    socklen_t len = sizeof(u);
    if (!owed && !sent)
        return TLS_KU_NONE;
    fd = SSL_get_fd(ssl);
    memset(&u, 0, sizeof(u));
    if (k == NULL || k->len == 0 || getsockopt(fd, SOL_TLS, TLS_TX, &u, &len) != 0)
        return sent ? TLS_KU_BROKEN : TLS_KU_REFUSED;
    /* step 2: the probe, while nothing has been sent under a key to come */
    if (!sent && setsockopt(fd, SOL_TLS, TLS_TX, &u, len) != 0) {
        OPENSSL_cleanse(&u, sizeof(u));
        return TLS_KU_REFUSED;
    }
    if (owed) {
        ERR_clear_error();
        if (SSL_key_update(ssl, SSL_KEY_UPDATE_NOT_REQUESTED) != 1 || SSL_do_handshake(ssl) != 1 ||
            SSL_get_key_update_type(ssl) != SSL_KEY_UPDATE_NONE) {
            ERR_clear_error();
            OPENSSL_cleanse(&u, sizeof(u));
            return k->sent != k->installed ? TLS_KU_BROKEN : TLS_KU_REFUSED;
        }
    }
    return rekey_install(ssl, k, &u) ? TLS_KU_REKEYED : TLS_KU_BROKEN;
}
