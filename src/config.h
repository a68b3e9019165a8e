/* config.h: the parsed configuration. config.c and its config_*.c read
 * nginx syntax through a table of directives (config_table.c); everything
 * else only reads these structs. */
#ifndef KTLSD_CONFIG_H
#define KTLSD_CONFIG_H

#include <stddef.h>
#include <stdio.h>
#include <sys/socket.h>

#include <openssl/ssl.h>

#include <sys/types.h>
#include <time.h>

struct access_log;
struct map_conf;
struct rewrite_op;
struct log_format;

#define CONF_UNSET (-1)

enum { PROTO_TLS12 = 1, PROTO_TLS13 = 2 };

/* the listen backlog when backlog= is not given: nginx's NGX_LISTEN_BACKLOG on Linux */
#define LISTEN_BACKLOG 511

struct listen_conf {
    struct sockaddr_storage addr;
    socklen_t addrlen;
    char text[80]; /* "127.0.0.1:8443" as written, for logs */
    int ssl;
    int http2; /* "listen ... http2": the old form of "http2 on" */
    int default_server;
    int backlog;
    const char *file;
    int line;
    /* listen options (nginx's): CONF_UNSET where not given */
    int ipv6only;     /* default on, as nginx */
    int reuseport;    /* one socket per worker */
    int fastopen;     /* TCP_FASTOPEN queue length */
    int so_keepalive; /* 0 unset (the system's), 1 on (with the values below, 0: system's), -1 off
                       */
    int keepidle, keepintvl, keepcnt;
    int rcvbuf, sndbuf;
};

struct conf_cmd {
    char *name, *value;
};

struct mime_table;

enum {
    EXPIRES_OFF,
    EXPIRES_EPOCH,
    EXPIRES_MAX,
    EXPIRES_TIME,
    EXPIRES_VAR,
    EXPIRES_MODIFIED,
    EXPIRES_DAILY
};
enum { STATIC_OFF, STATIC_ON, STATIC_ALWAYS };
enum { SYMLINKS_OFF, SYMLINKS_ON, SYMLINKS_IF_NOT_OWNER };
/* ssl_session_cache's first form; SCACHE_ON takes builtin and/or shared. */
enum { SCACHE_OFF, SCACHE_NONE, SCACHE_ON };

/* A root or alias directory, held open (O_PATH) for files to be opened
 * beneath it, and looked at again at most once a second: a root that is a
 * symlink flipped to a new release, or a directory deleted and made anew,
 * is followed as nginx follows it (nginx resolves the path per request). */
struct static_dir {
    const char *path;
    int fd; /* -1: cannot be opened now (its requests get 404) */
    dev_t dev;
    ino_t ino;
    time_t checked;
};

/* open_file_cache and its family, as set for a location. */
struct fdcache_conf {
    int max;         /* 0: off */
    double inactive; /* seconds unused before an entry is closed */
    double valid;    /* seconds an entry is trusted before it is checked */
    int min_uses;    /* lookups within inactive before a file is kept */
    int errors;      /* keep "not found" and the like too */
};

enum { IMS_OFF, IMS_EXACT, IMS_BEFORE };
enum { VERIFY_OFF, VERIFY_ON, VERIFY_OPTIONAL, VERIFY_OPTIONAL_NO_CA };
enum { AUTOINDEX_HTML, AUTOINDEX_JSON, AUTOINDEX_XML };
enum {
    GZIP_PROXIED_EXPIRED = 1,
    GZIP_PROXIED_NO_CACHE = 2,
    GZIP_PROXIED_NO_STORE = 4,
    GZIP_PROXIED_PRIVATE = 8,
    GZIP_PROXIED_NO_LM = 16,
    GZIP_PROXIED_NO_ETAG = 32,
    GZIP_PROXIED_AUTH = 64,
    GZIP_PROXIED_ANY = 128
};

struct vars_tpl;
struct limit_zone;

/* limit_conn ZONE NUMBER, or limit_req zone=ZONE [burst=N] [nodelay | delay=N]. */
struct limit_use {
    struct limit_zone *zone;
    long conn;  /* limit_conn: the most requests at once per key */
    long burst; /* limit_req: in milli-requests, as nginx counts excess */
    long delay; /* limit_req: excess (milli-requests) served without delay; LONG_MAX: nodelay */
};

/* A level whose add_header values name variables has at most this many
 * add_header lines (request.c expands them into a fixed array). */
#define ADD_HEADERS_MAX 64

struct add_header {
    char *name, *value;
    int always;
    struct vars_tpl *tpl; /* the value, when it names variables; else NULL */
};

struct error_page {
    int code;     /* the status it catches */
    int new_code; /* "=CODE"; -1: "=" (the error page's own status); 0: keep the status */
    char *uri;    /* "/path", "@named" or an absolute URL */
};

struct access_rule {
    int allow;
    int family; /* 0: all */
    unsigned char addr[16], mask[16];
};

/* Settings that may appear in http{} and server{}; a server inherits what it
 * does not set from http{} (nginx's merge), then from the built-in defaults. */
struct srv_conf {
    char *root;
    char **index;
    size_t nindex;
    char *access_log_path; /* "off" disables */
    char *access_log_format;
    int sendfile;
    int ktls;
    double keepalive_timeout;
    int keepalive_requests;
    double client_header_timeout;
    double send_timeout;
    char **ssl_certificate; /* one or more (RSA + ECDSA), paired by order with */
    size_t nssl_certificate;
    char **ssl_certificate_key; /* ... these */
    size_t nssl_certificate_key;
    char *ssl_password_file;
    char *ssl_dhparam;
    char *ssl_ecdh_curve;
    int ssl_buffer_size;
    int ssl_stapling;
    char *ssl_stapling_file;
    int ssl_stapling_verify;
    char *ssl_trusted_certificate;
    char *ssl_client_certificate;
    int ssl_verify_client; /* VERIFY_* */
    int ssl_verify_depth;
    int ktls_zerocopy_sendfile;
    int http2;                         /* offer h2 by ALPN (h2.c) */
    int http2_max_concurrent_streams;  /* SETTINGS_MAX_CONCURRENT_STREAMS */
    long long http2_chunk_size;        /* largest DATA payload */
    long long http2_body_preread_size; /* SETTINGS_INITIAL_WINDOW_SIZE */
    double http2_idle_timeout;         /* CONF_UNSET: keepalive_timeout */
    int ssl_protocols;
    char *ssl_ciphers;
    struct conf_cmd *ssl_conf_cmds;
    size_t nssl_conf_cmds;
    int ssl_conf_cmds_set;
    int ssl_prefer_server_ciphers;
    int ssl_session_tickets;
    double ssl_session_timeout;
    int ssl_session_cache;         /* SCACHE_* */
    long ssl_cache_builtin;        /* 0: no builtin cache; -1: OpenSSL's default size */
    char *ssl_cache_zone;          /* shared:NAME:SIZE, or NULL */
    long long ssl_cache_zone_size; /* bytes */
    char **ssl_ticket_keys;        /* ssl_session_ticket_key files; the first seals */
    size_t nssl_ticket_keys;
    int tcp_nodelay;
    int server_tokens;
    char *default_type;
    /* locations and static-file semantics */
    char *alias;
    char **try_files;
    size_t ntry_files;
    int expires;         /* EXPIRES_*, CONF_UNSET */
    double expires_time; /* seconds, may be negative */
    struct add_header *add_headers;
    size_t nadd_headers;
    int add_headers_set;
    int autoindex;
    struct error_page *error_pages;
    size_t nerror_pages;
    int error_pages_set;
    int gzip_static; /* STATIC_* */
    int gzip_vary;
    int brotli_static;
    struct mime_table *types;
    int types_set;
    long long client_max_body_size;
    int large_header_bufs; /* large_client_header_buffers NUMBER SIZE */
    long long large_header_size;
    int disable_symlinks;                /* SYMLINKS_* */
    struct fdcache_conf open_file_cache; /* open_file_cache and its family */
    int etag;
    int if_modified_since; /* IMS_* */
    int max_ranges;        /* -1: unlimited */
    int status_page;       /* ktlsd_status */
    struct access_rule *access;
    size_t naccess;
    int access_set;
    /* values with variables, compiled once the configuration is merged */
    struct vars_tpl **try_tpl; /* of try_files[] */
    struct vars_tpl *dir_tpl;  /* of alias, else root */
    /* the rewrite module: return, rewrite, set, break, if, in file order */
    struct rewrite_op *rw;
    size_t nrw;
    char *expires_var;            /* "expires $var": EXPIRES_VAR */
    struct vars_tpl *expires_tpl; /* of expires_var */
    /* limits and access (limit.c, auth.c) */
    long long limit_rate;       /* bytes per second; 0: none */
    long long limit_rate_after; /* bytes sent before the limit applies */
    struct limit_use *limit_conns;
    size_t nlimit_conns;
    int limit_conns_set;
    struct limit_use *limit_reqs;
    size_t nlimit_reqs;
    int limit_reqs_set;
    int limit_conn_status;
    int limit_req_status;
    int limit_conn_log_level; /* LL_* */
    int limit_req_log_level;
    int limit_conn_dry_run; /* count and log, refuse nothing */
    int limit_req_dry_run;
    char *auth_basic; /* the realm; "off": none */
    char *auth_basic_user_file;
    int satisfy_any;
    /* compression, content knobs, logging (compress.c, answer.c, log.c) */
    int gzip;
    char **gzip_types; /* "*": any; text/html always */
    size_t ngzip_types;
    int gzip_comp_level;
    long long gzip_min_length;
    int gzip_proxied; /* GZIP_PROXIED_* bits */
    char **gzip_disable;
    size_t ngzip_disable;
    void **gzip_disable_re; /* pcre2_code per gzip_disable (NULL: "msie6") */
    int gzip_http_version;  /* 10 or 11 */
    int brotli;
    char **brotli_types;
    size_t nbrotli_types;
    int brotli_comp_level;
    long long brotli_min_length;
    char *charset; /* NULL or "off": none */
    char **charset_types;
    size_t ncharset_types;
    double keepalive_header; /* keepalive_timeout's second value; CONF_UNSET: none */
    int log_not_found;
    int autoindex_exact_size;
    int autoindex_localtime;
    int autoindex_format;        /* AUTOINDEX_* */
    long long access_log_buffer; /* access_log buffer=; CONF_UNSET: inherited with the log */
    double access_log_flush;     /* flush= */
    int access_log_gzip;         /* gzip[=level] */
    char *access_log_if;         /* if= */
    char *error_log;             /* error_log here (http, server, location); NULL: the main one */
    int error_log_level;
    struct error_log *error_log_dest; /* opened (server.c), shared by path: config->elogs */
};

enum { LOC_PREFIX, LOC_EXACT, LOC_PREFIX_NOREGEX, LOC_REGEX, LOC_REGEX_CASELESS, LOC_NAMED };

struct location {
    struct srv_conf c;
    int kind;
    char *pattern;
    size_t plen;
    void *re; /* pcre2_code */
    void *md; /* its pcre2_match_data, made once: workers match one request at a time */
    int internal;
    const char *file;
    int line;
    struct static_dir dir; /* root or alias directory, opened when activated */
};

struct server_conf {
    struct srv_conf c;
    struct listen_conf *listens;
    size_t nlistens;
    char **names;
    size_t nnames;
    void **name_re; /* per name: pcre2_code of a "~regex" name, else NULL */
    void **name_md; /* its match data */
    struct location **locs;
    size_t nlocs;
    const char *file;
    int line;
    char *status_zone; /* counted apart on the status page under this name */
    /* filled when the config is activated */
    int zone; /* 1 + status_zone's index on the status page; 0: none */
    SSL_CTX *ssl_ctx;
    struct access_log *access_log;
    struct static_dir dir;   /* root */
    const struct config *cf; /* its configuration (the "map" variables) */
};

struct named_format {
    struct log_format *fmt;
    const char *file;
    int line;
};

/* A configuration file as it was read: ktlsd -T prints these. */
struct conf_file {
    char *path;
    char *text;
    size_t len;
};

struct config {
    char *path;
    int worker_processes; /* 0 = auto */
    char *error_log;
    int error_log_level;
    char *pid_file;
    char *user, *group;
    int worker_connections;
    double worker_shutdown_timeout; /* 0: wait for in-flight requests forever */
    struct srv_conf http;
    int have_http;
    struct server_conf **servers;
    size_t nservers;
    struct named_format *formats;
    size_t nformats;
    char **strings; /* file names kept alive for server_conf->file */
    size_t nstrings;
    struct conf_file *files; /* every file read, main first, then includes in order */
    size_t nfiles;
    struct map_conf **maps; /* "map" blocks */
    size_t nmaps;
    struct limit_zone **zones; /* limit_conn_zone, limit_req_zone: shared by the workers */
    size_t nzones;
    /* compression, content knobs, listen options, logging */
    long long compress_cache_size; /* per worker */
    long worker_rlimit_nofile;     /* 0: unchanged */
    char *worker_cpu_affinity;     /* "auto" or masks, as written; NULL: none */
    struct error_log **elogs;      /* the error_log files of http/server/location, one per path */
    size_t nelogs;
    int multi_accept;
};

/* Parses path. On error returns NULL and writes "FILE:LINE: message" into err. */
struct config *config_load(const char *path, char *err, size_t errlen);
void config_free(struct config *cf);
/* Writes every file the configuration was read from, main file first, each as
 * "# configuration file PATH:" and its text, as nginx -T does. */
void config_dump(const struct config *cf, FILE *out);
int config_worker_count(const struct config *cf);

#endif
