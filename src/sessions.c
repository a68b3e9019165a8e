/* sessions.c: TLS session resumption across workers and reloads.
 *
 * Two ways to resume, both set up here on each server block's SSL_CTX:
 *
 * Session IDs (TLS 1.2) and stateful TLS 1.3 tickets (ssl_session_tickets
 * off: OpenSSL 3.0 then issues tickets that only name a session in the
 * cache) need a cache that every worker sees. "ssl_session_cache
 * shared:NAME:SIZE" maps one in shared memory in the master before the
 * fork; OpenSSL reaches it through the new/get/remove callbacks. It is a
 * log in a ring buffer: sessions (as DER) are appended at the tail, the
 * oldest are dropped at the head when space runs out or they expire, and a
 * hash table finds them by ID. Like nginx's cache, eviction is by age of
 * insertion, and a megabyte holds about 4000 sessions (256 bytes each on
 * average: a TLS 1.2 session without a client certificate is about 150
 * bytes of DER). A zone with the same name and size is kept by the master
 * from one generation to the next, so a reload loses no session.
 *
 * Tickets (ssl_session_tickets on) are sealed with keys that every worker
 * must share and that must outlive a reload: from ssl_session_ticket_key
 * files (nginx's formats, read by the master), or made by the master in
 * shared memory and rotated every ssl_session_timeout, the two previous
 * keys kept for decryption (a ticket sealed with one of them is accepted
 * and replaced by a fresh one). */
#include "sessions.h"
#include "config.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#define MAX_DER 4096          /* larger sessions are not cached (nginx's limit) */
#define BYTES_PER_SESSION 256 /* sizes the hash table: about 4000 sessions per MB */
#define AUTO_KEYS 3           /* the current key and two previous ones */

/* --- the shared cache ---------------------------------------------------- */

/* One session in the ring. size 0 marks the unused end of the ring after
 * which the log goes on at offset 0. */
struct rec {
    uint32_t size; /* bytes, this header included, a multiple of 8 */
    uint32_t next; /* next record in the hash chain: offset + 1; 0 ends it */
    int64_t expire;
    uint16_t derlen;
    uint8_t idlen;
    uint8_t live; /* 0: removed, waiting for the head to pass */
    uint8_t id[SSL_MAX_SSL_SESSION_ID_LENGTH];
};

/* The zone: this header, the hash buckets, the ring. Offsets, never
 * pointers, so that every process may map it anywhere. */
struct scache {
    pthread_mutex_t lock; /* process-shared and robust */
    size_t arena_off, cap;
    size_t head, tail, used; /* the ring: live bytes from head to tail */
    uint32_t nbuckets;
    unsigned long count;
};

static uint32_t *buckets(struct scache *c)
{
    return (uint32_t *)(c + 1);
}

static struct rec *rec_at(struct scache *c, size_t off)
{
    return (struct rec *)((unsigned char *)c + c->arena_off + off);
}

static size_t align8(size_t n)
{
    return (n + 7) & ~(size_t)7;
}

/* FNV-1a: session IDs are random, but a client picks the ones it sends. */
static uint32_t id_hash(const unsigned char *id, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++)
        h = (h ^ id[i]) * 16777619u;
    return h;
}

static uint32_t *bucket_of(struct scache *c, const unsigned char *id, size_t len)
{
    return &buckets(c)[id_hash(id, len) % c->nbuckets];
}

static void cache_clear(struct scache *c)
{
    memset(buckets(c), 0, c->nbuckets * sizeof(uint32_t));
    c->head = c->tail = c->used = 0;
    c->count = 0;
}

static struct scache *cache_new(size_t size)
{
    pthread_mutexattr_t a;
    struct scache *c = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (c == MAP_FAILED)
        return NULL;
    c->nbuckets = (uint32_t)(size / BYTES_PER_SESSION);
    c->arena_off = align8(sizeof(*c) + c->nbuckets * sizeof(uint32_t));
    c->cap = (size - c->arena_off) & ~(size_t)7;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
    pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    pthread_mutex_init(&c->lock, &a);
    pthread_mutexattr_destroy(&a);
    cache_clear(c);
    return c;
}

/* A worker that died holding the lock may have left the ring half
 * updated: start the cache afresh rather than follow a broken chain. */
static int cache_lock(struct scache *c)
{
    int r = pthread_mutex_lock(&c->lock);
    if (r == EOWNERDEAD) {
        cache_clear(c);
        pthread_mutex_consistent(&c->lock);
        return KT_OK;
    }
    return r == 0 ? KT_OK : KT_ERROR;
}

static void cache_unlock(struct scache *c)
{
    pthread_mutex_unlock(&c->lock);
}

static size_t cache_find(struct scache *c, const unsigned char *id, size_t len)
{
    for (uint32_t o = *bucket_of(c, id, len); o != 0; o = rec_at(c, o - 1)->next) {
        const struct rec *r = rec_at(c, o - 1);
        if (r->idlen == len && memcmp(r->id, id, len) == 0)
            return o;
    }
    return 0;
}

static void cache_unlink(struct scache *c, size_t off)
{
    struct rec *r = rec_at(c, off);
    uint32_t *pp = bucket_of(c, r->id, r->idlen);
    while (*pp != 0) {
        if (*pp - 1 == off) {
            *pp = r->next;
            break;
        }
        pp = &rec_at(c, *pp - 1)->next;
    }
    r->live = 0;
    c->count--;
}

/* Frees the oldest record, or the unused end of the ring. */
static void cache_drop_oldest(struct scache *c)
{
    struct rec *r;
    if (c->used == 0)
        return;
    r = rec_at(c, c->head);
    if (r->size == 0) {
        c->used -= c->cap - c->head;
        c->head = 0;
        return;
    }
    if (r->live)
        cache_unlink(c, c->head);
    c->used -= r->size;
    c->head += r->size;
    if (c->head == c->cap)
        c->head = 0;
}

/* Drops from the head what has expired or was removed (nginx expires the
 * oldest sessions before it stores one). */
static void cache_expire(struct scache *c, int64_t now)
{
    while (c->used > 0) {
        const struct rec *r = rec_at(c, c->head);
        if (r->size != 0 && r->live && r->expire > now)
            break;
        cache_drop_oldest(c);
    }
}

/* need bytes at the tail, dropping the oldest records until they are free;
 * returns the offset, or -1 when need exceeds the whole ring. */
static long cache_alloc(struct scache *c, size_t need)
{
    size_t off;
    if (need > c->cap)
        return -1;
    for (;;) {
        if (c->used == 0)
            c->head = c->tail = 0;
        if (c->used == 0 || c->tail > c->head) {
            /* free: [tail, cap) and [0, head) */
            if (c->cap - c->tail >= need)
                break;
            if (c->tail < c->cap) {
                rec_at(c, c->tail)->size = 0;
                c->used += c->cap - c->tail;
            }
            c->tail = 0;
            continue;
        }
        /* free: [tail, head); tail == head means full */
        if (c->head - c->tail >= need)
            break;
        cache_drop_oldest(c);
    }
    off = c->tail;
    c->tail += need;
    c->used += need;
    return (long)off;
}

static void cache_store(struct scache *c, const unsigned char *id, size_t idlen,
                        const unsigned char *der, size_t derlen, int64_t expire, int64_t now)
{
    size_t need = align8(sizeof(struct rec) + derlen), o;
    uint32_t *b;
    struct rec *r;
    long off;
    cache_expire(c, now);
    if ((o = cache_find(c, id, idlen)) != 0)
        cache_unlink(c, o - 1);
    if ((off = cache_alloc(c, need)) < 0)
        return;
    r = rec_at(c, (size_t)off);
    memset(r, 0, sizeof(*r));
    r->size = (uint32_t)need;
    r->expire = expire;
    r->derlen = (uint16_t)derlen;
    r->idlen = (uint8_t)idlen;
    r->live = 1;
    memcpy(r->id, id, idlen);
    memcpy(r + 1, der, derlen);
    b = bucket_of(c, id, idlen);
    r->next = *b;
    *b = (uint32_t)off + 1;
    c->count++;
}

/* Copies the session's DER into der (MAX_DER bytes); 0 when absent. */
static size_t cache_fetch(struct scache *c, const unsigned char *id, size_t idlen,
                          unsigned char *der, int64_t now)
{
    size_t o = cache_find(c, id, idlen);
    struct rec *r;
    if (o == 0)
        return 0;
    r = rec_at(c, o - 1);
    if (r->expire <= now) {
        cache_unlink(c, o - 1);
        return 0;
    }
    memcpy(der, r + 1, r->derlen);
    return r->derlen;
}

static void cache_remove(struct scache *c, const unsigned char *id, size_t idlen)
{
    size_t o = cache_find(c, id, idlen);
    if (o != 0)
        cache_unlink(c, o - 1);
}

/* Zones by name, kept by the master across reloads. A reload that changes
 * a zone's size gets a new one; the old mapping stays with the generation
 * that still uses it (its workers, and any worker restarted for it). */
struct zone {
    char *name;
    long long size;
    struct scache *cache;
    unsigned pass;
    struct zone *next;
};
static struct zone *zones;
static unsigned pass;

void sessions_begin(void)
{
    pass++;
}

static struct scache *zone_get(const char *name, long long size, char *err, size_t errlen)
{
    struct zone *z;
    struct scache *c;
    for (z = zones; z != NULL && strcmp(z->name, name) != 0; z = z->next)
        ;
    if (z != NULL && z->size == size) {
        z->pass = pass;
        return z->cache;
    }
    if (z != NULL && z->pass == pass) {
        snprintf(err, errlen,
                 "the size %lld of shared memory zone \"%s\" conflicts with already declared "
                 "size %lld",
                 size, name, z->size);
        return NULL;
    }
    c = cache_new((size_t)size);
    if (c == NULL) {
        snprintf(err, errlen, "mmap(%lld) for shared memory zone \"%s\" failed (%d: %s)", size,
                 name, errno, strerror(errno));
        return NULL;
    }
    if (z == NULL) {
        z = xcalloc(1, sizeof(*z));
        z->name = xstrdup(name);
        z->next = zones;
        zones = z;
    }
    z->size = size;
    z->cache = c;
    z->pass = pass;
    return c;
}

/* --- ticket keys --------------------------------------------------------- */

struct tkey {
    unsigned char name[16], aes[32], hmac[32];
    int size; /* 48: AES-128 and a 16-byte HMAC key; 80: AES-256, 32 bytes; 0: none */
};

/* The master's keys, in shared memory; a seqlock, the master the only writer. */
struct auto_keys {
    unsigned seq; /* odd while the master rewrites keys */
    time_t rotate_at;
    long period;
    struct tkey k[AUTO_KEYS];
};
static struct auto_keys *autok;

/* Per SSL_CTX (ex_data): its cache zone and its ssl_session_ticket_key keys. */
struct ctx_data {
    struct scache *cache;
    struct tkey *keys;
    size_t nkeys;
};
static int ctx_index = -1;
static int ssl_index = -1; /* the ctx_data of the SSL's first SSL_CTX */

/* OpenSSL runs the session and ticket callbacks of the SSL_CTX a
 * connection started with (its listener's default server) even after SNI
 * moved it to another server's: a TLS 1.2 session or ticket is looked up
 * before the switch, a new one stored or sealed after it. So both sides
 * use the first SSL_CTX's cache and keys (nginx's session_ctx), or a
 * ticket sealed for a name-based server would never open again. */
void sessions_bind(SSL *ssl)
{
    if (ssl_index >= 0)
        SSL_set_ex_data(ssl, ssl_index, SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ctx_index));
}

static const struct ctx_data *data_of(SSL *ssl)
{
    const struct ctx_data *d = ssl_index >= 0 ? SSL_get_ex_data(ssl, ssl_index) : NULL;
    return d != NULL ? d : SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ctx_index);
}

static int key_make(struct tkey *k)
{
    k->size = 80;
    return RAND_bytes(k->name, sizeof(k->name)) == 1 && RAND_bytes(k->aes, sizeof(k->aes)) == 1 &&
                   RAND_bytes(k->hmac, sizeof(k->hmac)) == 1
               ? KT_OK
               : KT_ERROR;
}

static int auto_keys_init(long period, char *err, size_t errlen)
{
    if (period < 1)
        period = 1;
    if (autok == NULL) {
        struct auto_keys *a =
            mmap(NULL, sizeof(*a), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (a == MAP_FAILED) {
            snprintf(err, errlen, "mmap() for the session ticket keys failed (%d: %s)", errno,
                     strerror(errno));
            return KT_ERROR;
        }
        if (key_make(&a->k[0]) != KT_OK) {
            snprintf(err, errlen, "RAND_bytes() for a session ticket key failed");
            munmap(a, sizeof(*a));
            return KT_ERROR;
        }
        a->period = period;
        a->rotate_at = time(NULL) + period;
        autok = a;
    }
    /* keys outlive the longest ssl_session_timeout of any server */
    if (period > autok->period)
        autok->period = period;
    return KT_OK;
}

void sessions_tick(void)
{
    struct tkey fresh;
    time_t now = time(NULL);
    if (autok == NULL || now < autok->rotate_at || key_make(&fresh) != KT_OK)
        return;
    __atomic_store_n(&autok->seq, autok->seq + 1, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_RELEASE);
    memmove(&autok->k[1], &autok->k[0], (AUTO_KEYS - 1) * sizeof(autok->k[0]));
    autok->k[0] = fresh;
    __atomic_store_n(&autok->seq, autok->seq + 1, __ATOMIC_RELEASE);
    autok->rotate_at = now + autok->period;
    OPENSSL_cleanse(&fresh, sizeof(fresh));
}

static void auto_keys_read(struct tkey *out)
{
    unsigned s1, s2;
    do {
        s1 = __atomic_load_n(&autok->seq, __ATOMIC_ACQUIRE);
        memcpy(out, autok->k, sizeof(autok->k));
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        s2 = __atomic_load_n(&autok->seq, __ATOMIC_RELAXED);
    } while ((s1 & 1) != 0 || s1 != s2);
}

/* nginx's files: 48 bytes = name(16) AES-128 key(16) HMAC key(16);
 * 80 bytes = name(16) HMAC key(32) AES-256 key(32). */
static int key_load(const char *path, struct tkey *k, char *err, size_t errlen)
{
    unsigned char buf[80];
    struct stat st;
    ssize_t n = -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) != 0) {
        snprintf(err, errlen, "open() \"%s\" failed (%d: %s)", path, errno, strerror(errno));
        if (fd >= 0)
            close(fd);
        return KT_ERROR;
    }
    if (st.st_size == 48 || st.st_size == 80)
        n = read(fd, buf, (size_t)st.st_size);
    close(fd);
    if (n != 48 && n != 80) {
        snprintf(err, errlen, "\"%s\" must be 48 or 80 bytes", path);
        return KT_ERROR;
    }
    memset(k, 0, sizeof(*k));
    k->size = (int)n;
    memcpy(k->name, buf, 16);
    if (n == 48) {
        memcpy(k->aes, buf + 16, 16);
        memcpy(k->hmac, buf + 32, 16);
    } else {
        memcpy(k->hmac, buf + 16, 32);
        memcpy(k->aes, buf + 48, 32);
    }
    OPENSSL_cleanse(buf, sizeof(buf));
    return KT_OK;
}

static int key_init(const struct tkey *k, const unsigned char *iv, EVP_CIPHER_CTX *ectx,
                    EVP_MAC_CTX *hctx, int enc)
{
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
        OSSL_PARAM_construct_end()};
    const EVP_CIPHER *cipher = k->size == 48 ? EVP_aes_128_cbc() : EVP_aes_256_cbc();
    if (EVP_MAC_init(hctx, k->hmac, k->size == 48 ? 16 : 32, params) != 1)
        return KT_ERROR;
    if (enc)
        return EVP_EncryptInit_ex(ectx, cipher, NULL, k->aes, iv) == 1 ? KT_OK : KT_ERROR;
    return EVP_DecryptInit_ex(ectx, cipher, NULL, k->aes, iv) == 1 ? KT_OK : KT_ERROR;
}

/* OpenSSL's ticket callback: seal with the first key; open with any key
 * whose name the ticket carries, and ask for a new ticket (return 2) when
 * it was not the first, or always in TLS 1.3: without one a TLS 1.3 client
 * is left with the ticket it just used, which OpenSSL 3.0's client does not
 * offer again, so every other connection would be a full handshake.
 * 0: unknown key (a full handshake), -1: error. */
static int ticket_key_cb(SSL *ssl, unsigned char name[16], unsigned char *iv, EVP_CIPHER_CTX *ectx,
                         EVP_MAC_CTX *hctx, int enc)
{
    const struct ctx_data *d = data_of(ssl);
    struct tkey copy[AUTO_KEYS];
    const struct tkey *keys = copy;
    size_t n = AUTO_KEYS;
    int r = -1;
    if (d != NULL && d->nkeys > 0) {
        keys = d->keys;
        n = d->nkeys;
    } else if (autok != NULL) {
        auto_keys_read(copy);
    } else {
        return enc ? -1 : 0;
    }
    if (enc) {
        if (RAND_bytes(iv, 16) == 1 /* AES-CBC's IV */ &&
            key_init(&keys[0], iv, ectx, hctx, 1) == KT_OK) {
            memcpy(name, keys[0].name, 16);
            r = 1;
        }
    } else {
        r = 0;
        for (size_t i = 0; i < n; i++) {
            if (keys[i].size == 0 || memcmp(name, keys[i].name, 16) != 0)
                continue;
            /* TLS 1.3: always a new ticket, as OpenSSL does with its own
             * keys (and nginx): the client may not offer one twice */
            r = key_init(&keys[i], iv, ectx, hctx, 0) != KT_OK ? -1
                : i == 0 && SSL_version(ssl) != TLS1_3_VERSION ? 1
                                                               : 2;
            break;
        }
    }
    if (keys == copy)
        OPENSSL_cleanse(copy, sizeof(copy));
    return r;
}

/* --- OpenSSL's session cache callbacks ----------------------------------- */

static struct scache *cache_of(SSL *ssl)
{
    const struct ctx_data *d = data_of(ssl);
    return d != NULL ? d->cache : NULL;
}

/* A new session: store its DER under its ID. With tickets on, a TLS 1.3
 * session travels whole in its (stateless) ticket: nothing to store. */
static int new_session_cb(SSL *ssl, SSL_SESSION *sess)
{
    const struct ctx_data *d = data_of(ssl);
    unsigned char der[MAX_DER], *p = der;
    const unsigned char *id;
    unsigned int idlen;
    int len;
    int64_t now = (int64_t)time(NULL);
    if (d == NULL || d->cache == NULL ||
        (SSL_version(ssl) == TLS1_3_VERSION && !(SSL_get_options(ssl) & SSL_OP_NO_TICKET)))
        return 0;
    len = i2d_SSL_SESSION(sess, NULL);
    id = SSL_SESSION_get_id(sess, &idlen);
    if (len <= 0 || len > MAX_DER || idlen == 0 || idlen > SSL_MAX_SSL_SESSION_ID_LENGTH)
        return 0;
    i2d_SSL_SESSION(sess, &p);
    if (cache_lock(d->cache) != KT_OK)
        return 0;
    cache_store(d->cache, id, idlen, der, (size_t)len,
                (int64_t)SSL_SESSION_get_time(sess) + SSL_SESSION_get_timeout(sess), now);
    cache_unlock(d->cache);
    return 0; /* we keep no reference to sess */
}

static SSL_SESSION *get_session_cb(SSL *ssl, const unsigned char *id, int idlen, int *copy)
{
    struct scache *c = cache_of(ssl);
    unsigned char der[MAX_DER];
    const unsigned char *p = der;
    size_t len;
    *copy = 0; /* the reference d2i_SSL_SESSION makes goes to OpenSSL */
    if (c == NULL || idlen <= 0 || idlen > SSL_MAX_SSL_SESSION_ID_LENGTH || cache_lock(c) != KT_OK)
        return NULL;
    len = cache_fetch(c, id, (size_t)idlen, der, (int64_t)time(NULL));
    cache_unlock(c);
    return len > 0 ? d2i_SSL_SESSION(NULL, &p, (long)len) : NULL;
}

static void remove_session_cb(SSL_CTX *ctx, SSL_SESSION *sess)
{
    const struct ctx_data *d = SSL_CTX_get_ex_data(ctx, ctx_index);
    const unsigned char *id;
    unsigned int idlen;
    if (d == NULL || d->cache == NULL)
        return;
    id = SSL_SESSION_get_id(sess, &idlen);
    if (idlen == 0 || idlen > SSL_MAX_SSL_SESSION_ID_LENGTH || cache_lock(d->cache) != KT_OK)
        return;
    cache_remove(d->cache, id, idlen);
    cache_unlock(d->cache);
}

/* --- set-up -------------------------------------------------------------- */

static void ctx_data_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
                          void *argp)
{
    struct ctx_data *d = ptr;
    (void)parent;
    (void)ad;
    (void)idx;
    (void)argl;
    (void)argp;
    if (d == NULL)
        return;
    if (d->keys != NULL)
        OPENSSL_cleanse(d->keys, d->nkeys * sizeof(*d->keys));
    free(d->keys);
    free(d);
}

int sessions_attach(SSL_CTX *ctx, const struct srv_conf *c, char *err, size_t errlen)
{
    struct ctx_data *d;
    long mode = SSL_SESS_CACHE_SERVER;

    if (ctx_index < 0)
        ctx_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, ctx_data_free);
    if (ssl_index < 0)
        ssl_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
    d = xcalloc(1, sizeof(*d));
    if (ctx_index < 0 || SSL_CTX_set_ex_data(ctx, ctx_index, d) != 1) {
        free(d);
        snprintf(err, errlen, "SSL_CTX_set_ex_data() failed");
        return KT_ERROR;
    }
    SSL_CTX_set_session_id_context(ctx, (const unsigned char *)"ktlsd", 5);
    SSL_CTX_set_timeout(ctx, (long)c->ssl_session_timeout);

    switch (c->ssl_session_cache) {
    case SCACHE_OFF: /* clients are told that sessions are never reused */
        mode = SSL_SESS_CACHE_OFF;
        break;
    case SCACHE_NONE: /* session IDs handed out, nothing kept (nginx's "none") */
        mode |= SSL_SESS_CACHE_NO_INTERNAL_STORE;
        break;
    default:
        if (c->ssl_cache_builtin == 0)
            mode |= SSL_SESS_CACHE_NO_INTERNAL;
        else if (c->ssl_cache_builtin > 0)
            SSL_CTX_sess_set_cache_size(ctx, c->ssl_cache_builtin);
        if (c->ssl_cache_zone != NULL) {
            d->cache = zone_get(c->ssl_cache_zone, c->ssl_cache_zone_size, err, errlen);
            if (d->cache == NULL)
                return KT_ERROR;
            SSL_CTX_sess_set_new_cb(ctx, new_session_cb);
            SSL_CTX_sess_set_get_cb(ctx, get_session_cb);
            SSL_CTX_sess_set_remove_cb(ctx, remove_session_cb);
        }
        break;
    }
    SSL_CTX_set_session_cache_mode(ctx, mode);

    if (!c->ssl_session_tickets)
        return KT_OK;
    if (c->nssl_ticket_keys > 0) {
        d->keys = xcalloc(c->nssl_ticket_keys, sizeof(*d->keys));
        d->nkeys = c->nssl_ticket_keys;
        for (size_t i = 0; i < c->nssl_ticket_keys; i++)
            if (key_load(c->ssl_ticket_keys[i], &d->keys[i], err, errlen) != KT_OK)
                return KT_ERROR;
    } else if (auto_keys_init((long)c->ssl_session_timeout, err, errlen) != KT_OK) {
        return KT_ERROR;
    }
    if (SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, ticket_key_cb) != 1) {
        snprintf(err, errlen, "SSL_CTX_set_tlsext_ticket_key_evp_cb() failed (SSL: %s)",
                 ERR_reason_error_string(ERR_get_error()));
        return KT_ERROR;
    }
    return KT_OK;
}
