/* config_int.h: what the config_*.c files share and nobody else reads. The
 * parser (config_parse.c) runs the rows of one table of directives
 * (config_table.c, nginx's ngx_command_t, redis's static_configs[]); each
 * row names its setter (config_set*.c) and describes the field it fills:
 * its kind, its offset and its default. config_merge.c initialises, merges
 * (a level takes from its parent what it does not set, then the default)
 * and frees a level's settings by walking the same rows, so a directive of
 * a plain kind is one row and nothing else. */
#ifndef KTLSD_CONFIG_INT_H
#define KTLSD_CONFIG_INT_H

#include "config.h"

#include <stddef.h>

enum {
    CTX_MAIN = 1,
    CTX_EVENTS = 2,
    CTX_HTTP = 4,
    CTX_SERVER = 8,
    CTX_LOC = 16,
    CTX_TYPES = 32,
    CTX_SIF = 64,  /* "if" in a server */
    CTX_LIF = 128, /* "if" in a location */
    CTX_MAP = 256,
};
/* The struct a row's offset is in: struct config, struct srv_conf (of http,
 * a server, a location or an "if"), struct server_conf, struct location. */
enum { TARGET_MAIN, TARGET_SRV, TARGET_SERVER, TARGET_LOC };

/* amax of a block directive ("name ... {") */
#define BLOCK (-2)

struct conf_parser {
    struct config *cf;
    const char *file;
    char *buf;
    size_t pos, len;
    int line;
    int depth;    /* block nesting */
    int includes; /* include nesting */
    unsigned ctx; /* of the directive being run */
    char *err;
    size_t errlen;
};

struct conf_directive;
typedef int conf_set_fn(struct conf_parser *p, const struct conf_directive *d, char **a, int n,
                        void *conf);

/* The field a row fills, as init, merge and free see it. */
enum conf_kind {
    CK_NONE, /* none (a check, a block), or one its hooks look after alone */
    CK_INT,  /* int: flags, numbers, keywords; CONF_UNSET until set */
    CK_SIZE, /* long long bytes; CONF_UNSET until set */
    CK_TIME, /* double seconds; CONF_UNSET until set */
    CK_STR,  /* char *; NULL until set */
    CK_LIST, /* char ** with its size_t count at count_off; empty until set */
};
enum {
    CF_NOMERGE = 1, /* not inherited (nginx's try_files, alias) */
};

/* What a row's field needs beyond its kind: fields set together with it
 * (keepalive_timeout's header value), lists of structs. init runs after
 * the kind's own; merge runs before the kind's own, while the field still
 * tells whether this level set it; free runs before the kind's own. */
struct conf_hooks {
    void (*init)(struct srv_conf *c);
    void (*merge)(struct srv_conf *c, const struct srv_conf *parent);
    void (*free)(struct srv_conf *c);
};

struct conf_directive {
    const char *name;
    unsigned ctx;
    int target;
    int amin, amax; /* argument counts, the name excluded; amax -1: any, BLOCK */
    conf_set_fn *set;
    size_t off;                     /* the field in the target */
    long lo, hi;                    /* bounds for numbers and times */
    const char *const *words;       /* keywords of conf_set_enum: the field is the index */
    enum conf_kind kind;            /* of the field at off */
    size_t count_off;               /* CK_LIST: the count's offset */
    long long dflt;                 /* CK_INT, CK_SIZE, CK_TIME (seconds): once merged */
    const char *dflt_str;           /* CK_STR: the default; CK_LIST: the one item */
    unsigned flags;                 /* CF_* */
    const struct conf_hooks *hooks; /* or NULL */
};

extern const struct conf_directive conf_directives[];
extern const size_t conf_ndirectives;

/* config_parse.c: the reader, errors and warnings at FILE:LINE */
void conf_perr(struct conf_parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* config_load reads the files twice (variables may be used before their
 * "set" or "map"): warnings are given by the first reading only, which
 * reads every line the second does, or stops at the error that stands. */
extern int conf_second_reading;
void conf_pwarn(struct conf_parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void conf_pnotice(struct conf_parser *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* A copy of s that lives as long as cf (FILE of FILE:LINE). */
const char *conf_keep_string(struct config *cf, const char *s);
int conf_parse_file(struct conf_parser *parent, const char *path, unsigned ctx, void *conf);
conf_set_fn conf_block_events, conf_block_http, conf_block_server, conf_block_location,
    conf_block_types, conf_block_if, conf_block_map;

/* config_set.c: the plain kinds, and checks several setters share */
conf_set_fn conf_set_flag, conf_set_num, conf_set_time, conf_set_size, conf_set_str, conf_set_list,
    conf_set_enum, conf_set_on, conf_set_path_list, conf_set_dir, conf_set_try_files,
    conf_set_index, conf_set_noop_size, conf_set_noop_flag, conf_set_types_list, conf_set_rewrite;
int conf_check_vars(struct conf_parser *p, const char *v);
int conf_no_variables(struct conf_parser *p, const char *directive, const char *v);

/* config_set_http.c: connections, files and compression */
conf_set_fn conf_set_keepalive_timeout, conf_set_large_header_buffers, conf_set_http2_chunk_size,
    conf_set_open_file_cache, conf_set_static, conf_set_symlinks, conf_set_expires,
    conf_set_add_header, conf_set_error_page, conf_set_gzip_proxied, conf_set_gzip_disable,
    conf_set_gzip_http_version, conf_set_gzip_buffers, conf_set_source_charset;

/* config_set_tls.c */
conf_set_fn conf_set_ssl_protocols, conf_set_ssl_conf_command, conf_set_ssl_buffer_size,
    conf_set_ssl_early_data, conf_set_ssl_session_cache;

/* config_set_server.c: listen, server_name, the processes */
conf_set_fn conf_set_listen, conf_set_server_name, conf_set_worker_processes, conf_set_user,
    conf_set_rlimit_nofile, conf_set_cpu_affinity, conf_set_use, conf_set_accept_mutex,
    conf_set_load_module, conf_set_resolver, conf_set_resolver_timeout;
/* host (NULL or "*": any) and port into l's address */
int conf_parse_addr(const char *host, const char *port, struct listen_conf *l);

/* config_set_log.c */
conf_set_fn conf_set_error_log, conf_set_access_log, conf_set_log_format,
    conf_set_open_log_file_cache;

/* config_set_limit.c: limits and access */
conf_set_fn conf_set_limit_zone, conf_set_limit_conn, conf_set_limit_req, conf_set_limit_size,
    conf_set_limit_level, conf_set_auth_str, conf_set_access;

/* config_merge.c: a level's settings, driven by the table */
void conf_srv_init(struct srv_conf *c);
void conf_srv_merge(struct srv_conf *c, const struct srv_conf *parent);
void conf_srv_free(struct srv_conf *c);
/* The defaults of struct config's own fields; frees its strings. */
void conf_main_init(struct config *cf);
void conf_main_free(struct config *cf);
/* Compiles a merged level's values that take variables; merges its "if"s. */
int conf_srv_finish(struct srv_conf *c, char *err, size_t errlen);

/* config_merge.c: the hooks of the rows whose fields need more than their kind */
extern const struct conf_hooks conf_hooks_keepalive, conf_hooks_large_header, conf_hooks_http2_idle,
    conf_hooks_ssl_session_cache, conf_hooks_ssl_certificate, conf_hooks_ssl_conf_command,
    conf_hooks_access_log, conf_hooks_error_log, conf_hooks_expires, conf_hooks_open_file_cache,
    conf_hooks_add_header, conf_hooks_error_page, conf_hooks_access, conf_hooks_limit_conn,
    conf_hooks_limit_req, conf_hooks_types, conf_hooks_rewrite;

#endif
