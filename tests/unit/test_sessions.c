/* sessions: the shared cache's ring against a model. Random stores of
 * random sizes (IDs reused, so that entries get replaced), removals and
 * fetches: a fetch returns the latest DER stored under an ID or nothing
 * (evicted), the newest sessions are always there (eviction takes the
 * oldest first), the hash chains hold exactly the live entries, and an
 * expired session is never returned. Ticket keys: rotation keeps the two
 * previous keys for opening. */
#include "unit.h"
#include "../../src/sessions.c"

#include <stdlib.h>

#define IDS 300

static unsigned char model[IDS][MAX_DER];
static size_t model_len[IDS];
static unsigned long order[IDS]; /* when each ID was last stored */

static void make_id(int i, unsigned char id[32])
{
    memset(id, 0, 32);
    memcpy(id, &i, sizeof(i));
    id[31] = (unsigned char)(i * 7);
}

static unsigned long chained(struct scache *c)
{
    unsigned long n = 0;
    for (uint32_t b = 0; b < c->nbuckets; b++)
        for (uint32_t o = buckets(c)[b]; o != 0; o = rec_at(c, o - 1)->next)
            n++;
    return n;
}

int main(void)
{
    struct scache *c = cache_new(64 * 1024);
    unsigned char id[32], der[MAX_DER], got[MAX_DER];
    unsigned long t = 0;
    int bad_chain = 0, bad_data = 0, missing_newest = 0, bad_used = 0;

    CHECK(c != NULL);
    srand(1);
    for (int step = 0; step < 200000; step++) {
        int i = rand() % IDS, op = rand() % 10;
        make_id(i, id);
        if (op < 5) {
            size_t len = 40 + (size_t)(rand() % (op == 0 ? 3000 : 400));
            for (size_t k = 0; k < len; k++)
                der[k] = (unsigned char)rand();
            cache_store(c, id, 32, der, len, 1000, 0);
            memcpy(model[i], der, len);
            model_len[i] = len;
            order[i] = ++t;
        } else if (op == 5) {
            cache_remove(c, id, 32);
            model_len[i] = 0;
        } else {
            size_t n = cache_fetch(c, id, 32, got, 0);
            if (n != 0 && (n != model_len[i] || memcmp(got, model[i], n) != 0))
                bad_data++;
        }
        if (c->used > c->cap)
            bad_used++;
        if (step % 97 == 0 && chained(c) != c->count)
            bad_chain++;
        /* the session stored last is always there */
        if (op < 5 && cache_fetch(c, id, 32, got, 0) != model_len[i])
            missing_newest++;
    }
    CHECK(bad_data == 0);
    CHECK(bad_chain == 0);
    CHECK(bad_used == 0);
    CHECK(missing_newest == 0);
    CHECK(c->count > 50); /* 64 KB of ~300-byte sessions: most of the ring in use */

    /* eviction is oldest first: the newest sessions that fit in half the
     * ring are all present */
    {
        size_t budget = c->cap / 2, present = 0, expected = 0;
        for (unsigned long want = t; want > 0 && budget > 0; want--) {
            for (int i = 0; i < IDS; i++) {
                if (order[i] != want || model_len[i] == 0)
                    continue;
                if (align8(sizeof(struct rec) + model_len[i]) > budget) {
                    budget = 0;
                    break;
                }
                budget -= align8(sizeof(struct rec) + model_len[i]);
                make_id(i, id);
                expected++;
                present += cache_fetch(c, id, 32, got, 0) == model_len[i];
            }
        }
        CHECK(expected > 10);
        CHECK(present == expected);
    }

    /* expiry: a session past its time is not returned, and goes */
    make_id(IDS + 1, id);
    cache_store(c, id, 32, der, 100, 50, 0);
    CHECK(cache_fetch(c, id, 32, got, 49) == 100);
    CHECK(cache_fetch(c, id, 32, got, 50) == 0);
    CHECK(cache_find(c, id, 32) == 0);

    /* too large for the ring: not stored, nothing breaks */
    cache_clear(c);
    CHECK(cache_alloc(c, c->cap + 8) < 0);
    CHECK(c->used == 0);

    /* ticket keys: a ticket sealed before a rotation still opens after
     * one or two (and asks for a new ticket), not after three */
    {
        char err[256];
        SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
        SSL *ssl = SSL_new(ctx);
        EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
        EVP_MAC_CTX *h = EVP_MAC_CTX_new(mac);
        EVP_CIPHER_CTX *e = EVP_CIPHER_CTX_new();
        unsigned char name[16], iv[16];
        int renewals[4];
        CHECK(auto_keys_init(60, err, sizeof(err)) == KT_OK);
        CHECK(ticket_key_cb(ssl, name, iv, e, h, 1) == 1);
        /* the current key: a new ticket only in TLS 1.3 (an SSL not yet
         * connected says TLS 1.3, the highest it may speak) */
        CHECK(ticket_key_cb(ssl, name, iv, e, h, 0) ==
              (SSL_version(ssl) == TLS1_3_VERSION ? 2 : 1));
        for (int i = 0; i < 4; i++) {
            autok->rotate_at = 0; /* due */
            sessions_tick();
            renewals[i] = ticket_key_cb(ssl, name, iv, e, h, 0);
        }
        CHECK(renewals[0] == 2 && renewals[1] == 2); /* previous keys: open, renew */
        CHECK(renewals[2] == 0 && renewals[3] == 0); /* gone: a full handshake */
        CHECK(autok->rotate_at > time(NULL));        /* the next one period later */
        EVP_CIPHER_CTX_free(e);
        EVP_MAC_CTX_free(h);
        EVP_MAC_free(mac);
        SSL_free(ssl);
        SSL_CTX_free(ctx);
    }

    return unit_done();
}
