/* log.h: the error log (levels, context; log.c) and buffered access logs with
 * nginx-style log_format templates (access_log.c). */
#ifndef KTLSD_LOG_H
#define KTLSD_LOG_H

#include <stdarg.h>
#include <stddef.h>

#include "vars.h"

/* nginx's levels, most severe first. */
enum log_level { LL_EMERG, LL_ALERT, LL_CRIT, LL_ERR, LL_WARN, LL_NOTICE, LL_INFO, LL_DEBUG };

/* What a log line says about the connection it concerns (nginx's ngx_log_t
 * with its action): "*ID message while ACTION, client: PEER". */
struct error_log;
struct log_ctx {
    unsigned long id;
    const char *peer;
    const char *action;
    const struct error_log *dest; /* error_log of the request's server or location; NULL: main */
};

/* Returns the level for a name ("error", "warn", ...) or -1. */
int log_level_parse(const char *name);
/* Opens path ("stderr" for standard error) for the error log; on failure
 * leaves the previous log in place and returns KT_ERROR with errno set. */
int log_error_open(const char *path, int level);
void log_error_set_pid_tag(int pid);
/* The pid lines are tagged with ($pid): the worker's, or this process's. */
int log_pid(void);
/* An error_log of http{}, server{} or location{}: the messages of the
 * requests there go to it instead of the main one (nginx). NULL with errno
 * on failure. */
struct error_log *error_log_open(const char *path, int level);
int error_log_reopen(struct error_log *l);
int error_log_is(const struct error_log *l, const char *path, int level);
void error_log_close(struct error_log *l);
int log_error_level(void);
#define log_enabled(level) ((level) <= log_error_level())
void log_error(int level, const struct log_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void log_verror(int level, const struct log_ctx *ctx, const char *fmt, va_list ap);

/* For both kinds of log: opens "syslog:..." (the whole path); NULL with
 * errno on failure. And reopens path (O_APPEND, creating) onto fd, after
 * rotation. */
struct syslog_target;
struct syslog_target *log_syslog_open(const char *path);
int log_reopen(const char *path, int fd);
/* A log file opened for appending (created 0644, close-on-exec); -1 with
 * errno on failure. */
int log_open_file(const char *path);

/* --- access logs ------------------------------------------------------ */

/* The variables a log_format can name, filled by the connection. Strings may
 * be NULL or empty: they render as "-". */
enum log_var {
    LV_LITERAL,
    LV_REMOTE_ADDR,
    LV_TIME_LOCAL,
    LV_REQUEST,
    LV_STATUS,
    LV_BODY_BYTES_SENT,
    LV_BYTES_SENT,
    LV_HTTP_REFERER,
    LV_HTTP_USER_AGENT,
    LV_REQUEST_URI,
    LV_REQUEST_METHOD,
    LV_REQUEST_TIME,
    LV_SSL_PROTOCOL,
    LV_SSL_CIPHER,
    LV_KTLS,
    LV_SERVER_NAME,
    LV_HOST,
    LV_MSEC,
    LV_CONNECTION,
    LV_CONNECTION_REQUESTS,
    LV_REMOTE_USER,
    LV_HTTP_X_FORWARDED_FOR,
    LV_SSL_CLIENT_VERIFY,
    LV_SSL_CLIENT_S_DN,
    LV_KTLS_MODE,      /* "tx=sw rx=sw": which kind of kTLS the kernel runs (ktls_info.h) */
    LV_PID,            /* the worker's process id */
    LV_REQUEST_LENGTH, /* bytes of the request read: line, headers, body */
    LV_FAMILY,         /* $http_NAME, $arg_NAME, $cookie_NAME, $sent_http_NAME: from src */
    LV_REQUEST_VAR,    /* any other variable vars.c knows: from reqv */
    LV__COUNT
};

struct str {
    const char *p;
    size_t len;
};

struct log_vars {
    struct str v[LV__COUNT];
    long status;
    unsigned long long body_bytes, bytes, request_length;
    double request_time, msec;
    unsigned long connection, connection_requests;
    struct vars_src src;
    const struct str *reqv; /* the request variables the format names, in order */
    size_t nreqv;
};

/* A format names at most this many request variables ($uri, $scheme, ...). */
#define LOG_MAX_REQUEST_VARS 16

struct log_format;
/* Compiles an nginx log_format string; on an unknown variable returns NULL
 * and writes the reason into err. */
struct log_format *log_format_compile(const char *name, const char *text, char *err, size_t errlen);
const char *log_format_name(const struct log_format *f);
/* log_format's escape=: how values are written (nginx's three). */
enum log_escape {
    LOG_ESCAPE_DEFAULT, /* '"', '\\', control and non-ASCII bytes as \xHH; none: "-" */
    LOG_ESCAPE_JSON,    /* a JSON string's escapes; none: "" (a JSON log is one line away) */
    LOG_ESCAPE_NONE     /* as they are; none: "-" */
};
void log_format_set_escape(struct log_format *f, enum log_escape escape);
void log_format_free(struct log_format *f);
/* The built-in "combined" format. */
struct log_format *log_format_combined(void);
/* Renders one line (with '\n') into out; returns the length, truncated to cap. */
size_t log_format_render(const struct log_format *f, const struct log_vars *v, char *out,
                         size_t cap);

struct access_log;
/* Opens (O_APPEND, creating) an access log; NULL with errno on failure. */
struct access_log *access_log_open(const char *path, const struct log_format *f);
void access_log_write(struct access_log *l, const struct log_vars *v);
/* Whether its format names a $sent_http_ variable (the head must be kept). */
int access_log_wants_head(const struct access_log *l);
/* The request variables its format names ($uri, $scheme, $1, ...), in order:
 * request.c takes their values while answering, for log_vars.reqv. */
size_t access_log_request_vars(const struct access_log *l, const struct var_ref **refs);
void access_log_flush(struct access_log *l);
/* access_log's buffer=SIZE, flush=TIME, gzip[=LEVEL] and if=CONDITION
 * (nginx's): 0 / NULL for those not given. Without buffer=, flush= or gzip
 * the log keeps ktlsd's default (a 64k buffer written each second). */
int access_log_options(struct access_log *l, size_t buffer, double flush, int gzip,
                       const char *cond, char *err, size_t errlen);
/* Its flush= interval (0: only when full), and the worker's timer call:
 * writes the buffer when the interval has passed. */
double access_log_interval(const struct access_log *l);
void access_log_tick(struct access_log *l, double now);
/* Reopens the file under its path (after rotation). */
int access_log_reopen(struct access_log *l);
void access_log_close(struct access_log *l);

#endif
