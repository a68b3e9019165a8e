/* config.h: the parsed configuration. config.c reads nginx syntax through a
 * table of directives; everything else only reads these structs. */
#ifndef KTLSD_CONFIG_H
#define KTLSD_CONFIG_H

#include <stddef.h>
#include <stdio.h>
#include <sys/socket.h>

#include <openssl/ssl.h>

#include "static.h"

struct access_log;
struct log_format;

#define CONF_UNSET (-1)

enum { PROTO_TLS12 = 1, PROTO_TLS13 = 2 };

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
};

struct conf_cmd {
    char *name, *value;
};

struct mime_table;

enum { EXPIRES_OFF, EXPIRES_EPOCH, EXPIRES_MAX, EXPIRES_TIME };
enum { STATIC_OFF, STATIC_ON, STATIC_ALWAYS };
enum { SYMLINKS_OFF, SYMLINKS_ON, SYMLINKS_IF_NOT_OWNER };
enum { IMS_OFF, IMS_EXACT, IMS_BEFORE };
enum { VERIFY_OFF, VERIFY_ON, VERIFY_OPTIONAL, VERIFY_OPTIONAL_NO_CA };

struct vars_tpl;

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
    int ssl_early_data;
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
    int return_code;   /* CONF_UNSET: none */
    char *return_text; /* URL for redirects, body otherwise; may be NULL */
    int gzip_static;   /* STATIC_* */
    int gzip_vary;
    int brotli_static;
    struct mime_table *types;
    int types_set;
    long long client_max_body_size;
    int large_header_bufs; /* large_client_header_buffers NUMBER SIZE */
    long long large_header_size;
    int disable_symlinks; /* SYMLINKS_* */
    int etag;
    int if_modified_since; /* IMS_* */
    int max_ranges;        /* -1: unlimited */
    int status_page;       /* ktlsd_status */
    struct access_rule *access;
    size_t naccess;
    int access_set;
    /* values with variables, compiled once the configuration is merged */
    struct vars_tpl *return_tpl; /* of return_text */
    struct vars_tpl **try_tpl;   /* of try_files[] */
    struct vars_tpl *dir_tpl;    /* of alias, else root */
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
    /* filled when the config is activated */
    SSL_CTX *ssl_ctx;
    struct access_log *access_log;
    struct static_dir dir; /* root */
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
};

/* Parses path. On error returns NULL and writes "FILE:LINE: message" into err. */
struct config *config_load(const char *path, char *err, size_t errlen);
void config_free(struct config *cf);
/* Writes every file the configuration was read from, main file first, each as
 * "# configuration file PATH:" and its text, as nginx -T does. */
void config_dump(const struct config *cf, FILE *out);
int config_worker_count(const struct config *cf);

#endif
