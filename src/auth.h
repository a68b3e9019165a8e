/* auth.h: auth_basic with an htpasswd file (nginx's
 * ngx_http_auth_basic_module): bcrypt "$2y$", SHA-512 and SHA-256 crypt
 * ("$6$", "$5$"), Apache's MD5 "$apr1$", "{SHA}" and "{PLAIN}", the forms
 * htpasswd writes and nginx reads. */
#ifndef KTLSD_AUTH_H
#define KTLSD_AUTH_H

#include <stddef.h>

struct answer;

/* The access phase of x's location: allow/deny and auth_basic, joined by
 * "satisfy all" (both must pass) or "satisfy any" (one is enough), in
 * nginx's order. Returns 0 to go on, 403, 401 (x->auth_realm set for the
 * WWW-Authenticate header) or 500 (the user file cannot be read). */
int auth_access(struct answer *x);

/* The credentials of an "Authorization: Basic" value, decoded into buf:
 * returns their length with *user_len set (the password follows the ':'),
 * or -1 when the value holds no Basic credentials. Also for $remote_user. */
int auth_basic_decode(const char *h, size_t hlen, unsigned char *buf, size_t cap, size_t *user_len);

/* Whether password matches an htpasswd hash: 1 yes, 0 no. */
int auth_password_ok(const char *password, size_t plen, const char *hash);

#endif
