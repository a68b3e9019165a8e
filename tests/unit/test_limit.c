/* limit_req's leaky bucket and the zone's table (nginx's arithmetic). */
#include "unit.h"
#include "../../src/limit.c"

int main(void)
{
    char err[256];
    struct limit_zone z = {.name = "z", .kind = LIMIT_REQ, .rate = 2000, .size = 32768};
    struct limit_use u = {.zone = &z, .burst = 2000, .delay = 0};
    struct limit_node *nd;
    int fresh;
    int64_t seen;
    unsigned char k1[4] = {127, 0, 0, 1}, k2[4] = {10, 0, 0, 1};

    CHECK(limit_zone_map(&z, err, sizeof(err)) == KT_OK);
    CHECK(z.shm->nnodes > 100);
    /* 2r/s, burst 2: at one instant 3 pass (excess 0, 1000, 2000), the 4th not */
    nd = lookup(z.shm, LIMIT_REQ, k1, 4, hash_key(k1, 4), &fresh);
    CHECK(nd != NULL && fresh);
    CHECK(req_account(&u, nd, fresh, 1000, &seen) == 0);
    nd = lookup(z.shm, LIMIT_REQ, k1, 4, hash_key(k1, 4), &fresh);
    CHECK(!fresh);
    CHECK(req_account(&u, nd, fresh, 1000, &seen) == 1000);
    CHECK(req_account(&u, nd, 0, 1000, &seen) == 2000);
    CHECK(req_account(&u, nd, 0, 1000, &seen) == -1 && seen == 3000);
    /* half a second drains one request at 2r/s */
    CHECK(req_account(&u, nd, 0, 1500, &seen) == 2000);
    /* another key has its own bucket */
    nd = lookup(z.shm, LIMIT_REQ, k2, 4, hash_key(k2, 4), &fresh);
    CHECK(nd != NULL && fresh);
    CHECK(req_account(&u, nd, fresh, 1500, &seen) == 0);
    /* limit_conn nodes: a key held is found again; count 0 frees the node */
    z.kind = LIMIT_CONN;
    memset(z.shm->nodes, 0, z.shm->nnodes * sizeof(struct limit_node));
    nd = lookup(z.shm, LIMIT_CONN, k1, 4, hash_key(k1, 4), &fresh);
    nd->count = 1;
    CHECK(lookup(z.shm, LIMIT_CONN, k1, 4, hash_key(k1, 4), &fresh) == nd && !fresh);
    limit_release(&(struct limit_hold){&z, (uint32_t)(nd - z.shm->nodes)}, 1);
    CHECK(nd->count == 0);
    munmap(z.shm, z.size);
    return unit_done();
}
