/* config.h: the parsed configuration. config.c reads nginx syntax through a
 * table of directives; everything else only reads these structs. */
#ifndef KTLSD_CONFIG_H
#define KTLSD_CONFIG_H

#include <stddef.h>
#include <sys/socket.h>

#include <openssl/ssl.h>

struct access_log;
struct log_format;

#define CONF_UNSET (-1)

enum { PROTO_TLS12 = 1, PROTO_TLS13 = 2 };

struct listen_conf {
    struct sockaddr_storage addr;
    socklen_t addrlen;
    char text[80];        /* "127.0.0.1:8443" as written, for logs */
    int ssl;
    int default_server;
    int backlog;
    const char *file;
    int line;
};

struct conf_cmd {
    char *name, *value;
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
    char *ssl_certificate;
    char *ssl_certificate_key;
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
};

struct server_conf {
    struct srv_conf c;
    struct listen_conf *listens;
    size_t nlistens;
    char **names;
    size_t nnames;
    const char *file;
    int line;
    /* filled when the config is activated */
    SSL_CTX *ssl_ctx;
    struct access_log *access_log;
    int root_fd;
};

struct named_format {
    struct log_format *fmt;
    const char *file;
    int line;
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
};

/* Parses path. On error returns NULL and writes "FILE:LINE: message" into err. */
struct config *config_load(const char *path, char *err, size_t errlen);
void config_free(struct config *cf);
int config_worker_count(const struct config *cf);

#endif
