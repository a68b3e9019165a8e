/* config_table.c: every directive ktlsd knows, one row each (nginx's
 * ngx_command_t arrays, redis's static_configs[]). A row gives the name,
 * where it may appear, its argument counts, its setter and the field it
 * fills: kind, offset and default. config_merge.c initialises, merges and
 * frees the fields by walking these rows, so a directive of a plain kind
 * (flag, number, size, time, string, list, keyword) is its row alone; a
 * setter of its own is for special parsing, hooks for fields that go
 * together or hold structs. The defaults are ktlsd's (nginx's unless
 * said). */
#include "config_int.h"
#include "log.h"

#include <limits.h>
#include <stddef.h>

#define HS (CTX_HTTP | CTX_SERVER)
#define HSL (CTX_HTTP | CTX_SERVER | CTX_LOC)
#define RW_CTX (CTX_SERVER | CTX_LOC | CTX_SIF | CTX_LIF)

/* The field of a row, with its default once merged. */
#define SRV_INT(f, d) .off = offsetof(struct srv_conf, f), .kind = CK_INT, .dflt = (d)
#define SRV_SIZE(f, d) .off = offsetof(struct srv_conf, f), .kind = CK_SIZE, .dflt = (d)
#define SRV_TIME(f, d) .off = offsetof(struct srv_conf, f), .kind = CK_TIME, .dflt = (d)
#define SRV_STR(f, d) .off = offsetof(struct srv_conf, f), .kind = CK_STR, .dflt_str = (d)
#define SRV_LIST(f)                                                                                \
    .off = offsetof(struct srv_conf, f), .kind = CK_LIST,                                          \
    .count_off = offsetof(struct srv_conf, n##f)
/* A field its setter (and hooks, if any) alone look after. */
#define SRV_FIELD(f) .off = offsetof(struct srv_conf, f), .kind = CK_NONE
#define MAIN_INT(f, d) .off = offsetof(struct config, f), .kind = CK_INT, .dflt = (d)
#define MAIN_SIZE(f, d) .off = offsetof(struct config, f), .kind = CK_SIZE, .dflt = (d)
#define MAIN_TIME(f, d) .off = offsetof(struct config, f), .kind = CK_TIME, .dflt = (d)
#define MAIN_STR(f) .off = offsetof(struct config, f), .kind = CK_STR
/* No field of its own: a block, a check, or a setter that fills several. */
#define NOFIELD .kind = CK_NONE
#define BOUNDS(l, h) .lo = (l), .hi = (h)
/* keywords: the field is the index of the one given (clang-format would
 * take the compound literal for a block) */
/* clang-format off */
#define WORDS(...) .words = (const char *const[]){__VA_ARGS__, NULL}
/* clang-format on */
#define HOOKS(h) .hooks = &conf_hooks_##h

/* amin/amax count arguments after the name; amax BLOCK marks a block
 * directive ("name {"). The order is the merge's: keepalive_timeout comes
 * before http2_idle_timeout, its default. */
const struct conf_directive conf_directives[] = {
    {"worker_processes", CTX_MAIN, TARGET_MAIN, 1, 1, conf_set_worker_processes,
     MAIN_INT(worker_processes, 1), BOUNDS(1, 1024)},
    {"error_log", CTX_MAIN | HSL, TARGET_SRV, 1, 2, conf_set_error_log, HOOKS(error_log)},
    {"pid", CTX_MAIN, TARGET_MAIN, 1, 1, conf_set_str, MAIN_STR(pid_file)},
    {"user", CTX_MAIN, TARGET_MAIN, 1, 2, conf_set_user, NOFIELD},
    {"events", CTX_MAIN, TARGET_MAIN, 0, BLOCK, conf_block_events, NOFIELD},
    {"http", CTX_MAIN, TARGET_MAIN, 0, BLOCK, conf_block_http, NOFIELD},
    {"worker_shutdown_timeout", CTX_MAIN, TARGET_MAIN, 1, 1, conf_set_time,
     MAIN_TIME(worker_shutdown_timeout, 0), BOUNDS(0, 86400)},
    {"worker_connections", CTX_EVENTS, TARGET_MAIN, 1, 1, conf_set_num,
     MAIN_INT(worker_connections, 512), BOUNDS(1, 1 << 20)},
    {"server", CTX_HTTP, TARGET_MAIN, 0, BLOCK, conf_block_server, NOFIELD},
    {"log_format", CTX_HTTP, TARGET_MAIN, 2, -1, conf_set_log_format, NOFIELD},
    {"access_log", HSL, TARGET_SRV, 1, 6, conf_set_access_log,
     SRV_STR(access_log_path, "/var/log/ktlsd/access.log"), HOOKS(access_log)},
    {"sendfile", HSL, TARGET_SRV, 1, 1, conf_set_flag, SRV_INT(sendfile, 1)},
    {"ktls", HS, TARGET_SRV, 1, 1, conf_set_flag, SRV_INT(ktls, 1)},
    {"tcp_nodelay", HSL, TARGET_SRV, 1, 1, conf_set_flag, SRV_INT(tcp_nodelay, 1)},
    {"server_tokens", HSL, TARGET_SRV, 1, 1, conf_set_flag, SRV_INT(server_tokens, 1)},
    {"keepalive_timeout", HSL, TARGET_SRV, 1, 2, conf_set_keepalive_timeout,
     SRV_TIME(keepalive_timeout, 75), BOUNDS(0, 86400), HOOKS(keepalive)},
    {"keepalive_requests", HSL, TARGET_SRV, 1, 1, conf_set_num, SRV_INT(keepalive_requests, 1000),
     BOUNDS(0, INT_MAX)},
    {"client_header_timeout", HS, TARGET_SRV, 1, 1, conf_set_time,
     SRV_TIME(client_header_timeout, 60), BOUNDS(0, 86400)},
    {"send_timeout", HSL, TARGET_SRV, 1, 1, conf_set_time, SRV_TIME(send_timeout, 60),
     BOUNDS(0, 86400)},
    {"root", HSL | CTX_LIF, TARGET_SRV, 1, 1, conf_set_dir, SRV_STR(root, "/var/www/ktlsd")},
    {"index", HSL, TARGET_SRV, 1, -1, conf_set_index, SRV_LIST(index), .dflt_str = "index.html"},
    {"default_type", HSL, TARGET_SRV, 1, 1, conf_set_str,
     SRV_STR(default_type, "application/octet-stream")},
    /* the certificate list goes whole, with its keys (the hooks) */
    {"ssl_certificate", HS, TARGET_SRV, 1, 1, conf_set_path_list, SRV_LIST(ssl_certificate),
     .flags = CF_NOMERGE, HOOKS(ssl_certificate)},
    {"ssl_certificate_key", HS, TARGET_SRV, 1, 1, conf_set_path_list, SRV_LIST(ssl_certificate_key),
     .flags = CF_NOMERGE},
    {"ssl_password_file", HS, TARGET_SRV, 1, 1, conf_set_str, SRV_STR(ssl_password_file, NULL)},
    {"ssl_dhparam", HS, TARGET_SRV, 1, 1, conf_set_str, SRV_STR(ssl_dhparam, NULL)},
    {"ssl_ecdh_curve", HS, TARGET_SRV, 1, 1, conf_set_str, SRV_STR(ssl_ecdh_curve, NULL)},
    {"ssl_buffer_size", HS, TARGET_SRV, 1, 1, conf_set_ssl_buffer_size,
     SRV_INT(ssl_buffer_size, 16384)},
    {"ssl_early_data", HS, TARGET_SRV, 1, 1, conf_set_ssl_early_data, NOFIELD},
    {"ssl_stapling", HS, TARGET_SRV, 1, 1, conf_set_flag, SRV_INT(ssl_stapling, 0)},
    {"ssl_stapling_file", HS, TARGET_SRV, 1, 1, conf_set_str, SRV_STR(ssl_stapling_file, NULL)},
    {"ssl_stapling_verify", HS, TARGET_SRV, 1, 1, conf_set_flag, SRV_INT(ssl_stapling_verify, 0)},
    {"ssl_trusted_certificate", HS, TARGET_SRV, 1, 1, conf_set_str,
     SRV_STR(ssl_trusted_certificate, NULL)},
    {"ssl_client_certificate", HS, TARGET_SRV, 1, 1, conf_set_str,
     SRV_STR(ssl_client_certificate, NULL)},
    {"ssl_verify_client", HS, TARGET_SRV, 1, 1, conf_set_enum,
     SRV_INT(ssl_verify_client, VERIFY_OFF), WORDS("off", "on", "optional", "optional_no_ca")},
    {"ssl_verify_depth", HS, TARGET_SRV, 1, 1, conf_set_num, SRV_INT(ssl_verify_depth, 1),
     BOUNDS(0, 100)},
    {"ktls_zerocopy_sendfile", HS, TARGET_SRV, 1, 1, conf_set_flag,
     SRV_INT(ktls_zerocopy_sendfile, 0)},
    {"ssl_protocols", HS, TARGET_SRV, 1, 6, conf_set_ssl_protocols,
     SRV_INT(ssl_protocols, PROTO_TLS12 | PROTO_TLS13)},
    {"ssl_ciphers", HS, TARGET_SRV, 1, 1, conf_set_str, SRV_STR(ssl_ciphers, NULL)},
    {"ssl_conf_command", HS, TARGET_SRV, 2, 2, conf_set_ssl_conf_command, SRV_FIELD(ssl_conf_cmds),
     HOOKS(ssl_conf_command)},
    {"ssl_prefer_server_ciphers", HS, TARGET_SRV, 1, 1, conf_set_flag,
     SRV_INT(ssl_prefer_server_ciphers, 1)},
    {"ssl_session_tickets", HS, TARGET_SRV, 1, 1, conf_set_flag, SRV_INT(ssl_session_tickets, 1)},
    /* ktlsd's default: OpenSSL's cache in each worker */
    {"ssl_session_cache", HS, TARGET_SRV, 1, 2, conf_set_ssl_session_cache,
     SRV_INT(ssl_session_cache, SCACHE_ON), HOOKS(ssl_session_cache)},
    {"ssl_session_ticket_key", HS, TARGET_SRV, 1, 1, conf_set_list, SRV_LIST(ssl_ticket_keys)},
    {"ssl_session_timeout", HS, TARGET_SRV, 1, 1, conf_set_time, SRV_TIME(ssl_session_timeout, 300),
     BOUNDS(0, 86400 * 7)},
    {"listen", CTX_SERVER, TARGET_SERVER, 1, 16, conf_set_listen, NOFIELD},
    {"http2", HS, TARGET_SRV, 1, 1, conf_set_flag, SRV_INT(http2, 0)},
    {"http2_max_concurrent_streams", HS, TARGET_SRV, 1, 1, conf_set_num,
     SRV_INT(http2_max_concurrent_streams, 128), BOUNDS(1, 65536)},
    /* nginx: 8k; 16k fills a TLS record */
    {"http2_chunk_size", HS | CTX_LOC, TARGET_SRV, 1, 1, conf_set_http2_chunk_size,
     SRV_SIZE(http2_chunk_size, 16 * 1024)},
    {"http2_body_preread_size", HS, TARGET_SRV, 1, 1, conf_set_size,
     SRV_SIZE(http2_body_preread_size, 64 * 1024)},
    /* default: keepalive_timeout (the hook) */
    {"http2_idle_timeout", HS, TARGET_SRV, 1, 1, conf_set_time, SRV_TIME(http2_idle_timeout, 0),
     BOUNDS(0, 86400), HOOKS(http2_idle)},
    {"server_name", CTX_SERVER, TARGET_SERVER, 1, -1, conf_set_server_name,
     .off = offsetof(struct server_conf, names), .count_off = offsetof(struct server_conf, nnames)},
    {"location", CTX_SERVER, TARGET_SERVER, 1, BLOCK, conf_block_location, NOFIELD},
    {"types", HSL, TARGET_SRV, 0, BLOCK, conf_block_types, SRV_FIELD(types), HOOKS(types)},
    {"alias", CTX_LOC, TARGET_SRV, 1, 1, conf_set_dir, SRV_STR(alias, NULL), .flags = CF_NOMERGE},
    {"internal", CTX_LOC, TARGET_LOC, 0, 0, conf_set_on,
     .off = offsetof(struct location, internal)},
    {"try_files", CTX_SERVER | CTX_LOC, TARGET_SRV, 2, -1, conf_set_try_files, SRV_LIST(try_files),
     .flags = CF_NOMERGE},
    {"expires", HSL | CTX_LIF, TARGET_SRV, 1, 2, conf_set_expires, SRV_INT(expires, EXPIRES_OFF),
     HOOKS(expires)},
    {"add_header", HSL | CTX_LIF, TARGET_SRV, 2, 3, conf_set_add_header, SRV_FIELD(add_headers),
     HOOKS(add_header)},
    {"autoindex", HSL, TARGET_SRV, 1, 1, conf_set_flag, SRV_INT(autoindex, 0)},
    {"error_page", HSL, TARGET_SRV, 2, 32, conf_set_error_page, SRV_FIELD(error_pages),
     HOOKS(error_page)},
    {"gzip_static", HSL, TARGET_SRV, 1, 1, conf_set_static, SRV_INT(gzip_static, STATIC_OFF),
     WORDS("off", "on", "always")},
    {"gzip_vary", HSL, TARGET_SRV, 1, 1, conf_set_flag, SRV_INT(gzip_vary, 1)},
    {"brotli_static", HSL, TARGET_SRV, 1, 1, conf_set_static, SRV_INT(brotli_static, STATIC_OFF),
     WORDS("off", "on", "always")},
    {"client_max_body_size", HSL, TARGET_SRV, 1, 1, conf_set_size,
     SRV_SIZE(client_max_body_size, 1024 * 1024)},
    {"large_client_header_buffers", HS, TARGET_SRV, 2, 2, conf_set_large_header_buffers,
     SRV_INT(large_header_bufs, 4), HOOKS(large_header)},
    {"disable_symlinks", HSL, TARGET_SRV, 1, 2, conf_set_symlinks,
     SRV_INT(disable_symlinks, SYMLINKS_OFF), WORDS("off", "on", "if_not_owner")},
    {"etag", HSL, TARGET_SRV, 1, 1, conf_set_flag, SRV_INT(etag, 1)},
    /* RFC 9110 13.1.3; nginx: exact */
    {"if_modified_since", HSL, TARGET_SRV, 1, 1, conf_set_enum,
     SRV_INT(if_modified_since, IMS_BEFORE), WORDS("off", "exact", "before")},
    {"max_ranges", HSL, TARGET_SRV, 1, 1, conf_set_num, SRV_INT(max_ranges, -1),
     BOUNDS(0, INT_MAX)},
    {"open_file_cache", HSL, TARGET_SRV, 1, 2, conf_set_open_file_cache,
     SRV_INT(open_file_cache.max, 0), HOOKS(open_file_cache)},
    {"open_file_cache_valid", HSL, TARGET_SRV, 1, 1, conf_set_time,
     SRV_TIME(open_file_cache.valid, 60), BOUNDS(0, 86400)},
    {"open_file_cache_min_uses", HSL, TARGET_SRV, 1, 1, conf_set_num,
     SRV_INT(open_file_cache.min_uses, 1), BOUNDS(1, INT_MAX)},
    {"open_file_cache_errors", HSL, TARGET_SRV, 1, 1, conf_set_flag,
     SRV_INT(open_file_cache.errors, 0)},
    /* a location's own: its "if"s take it (conf_srv_finish) */
    {"ktlsd_status", CTX_LOC, TARGET_SRV, 0, 0, conf_set_on, SRV_FIELD(status_page)},
    {"status_zone", CTX_SERVER, TARGET_SERVER, 1, 1, conf_set_str,
     .off = offsetof(struct server_conf, status_zone)},
    {"allow", HSL, TARGET_SRV, 1, 1, conf_set_access, SRV_FIELD(access), HOOKS(access)},
    {"deny", HSL, TARGET_SRV, 1, 1, conf_set_access, NOFIELD}, /* allow's list */
    /* rewrite module: map, if, set, rewrite, break; the level's steps are
     * freed with the "if" row */
    {"map", CTX_HTTP, TARGET_MAIN, 2, BLOCK, conf_block_map, NOFIELD},
    {"if", CTX_SERVER | CTX_LOC, TARGET_SRV, 1, BLOCK, conf_block_if, SRV_FIELD(rw),
     HOOKS(rewrite)},
    {"set", RW_CTX, TARGET_SRV, 2, 2, conf_set_rewrite, NOFIELD},
    {"rewrite", RW_CTX, TARGET_SRV, 2, 3, conf_set_rewrite, NOFIELD},
    {"break", RW_CTX, TARGET_SRV, 0, 0, conf_set_rewrite, NOFIELD},
    {"return", RW_CTX, TARGET_SRV, 1, 2, conf_set_rewrite, NOFIELD},
    /* limits and access: limit_rate, limit_conn, limit_req, auth_basic, satisfy */
    {"limit_rate", HSL, TARGET_SRV, 1, 1, conf_set_limit_size, SRV_SIZE(limit_rate, 0)},
    {"limit_rate_after", HSL, TARGET_SRV, 1, 1, conf_set_limit_size, SRV_SIZE(limit_rate_after, 0)},
    {"limit_conn_zone", CTX_HTTP, TARGET_MAIN, 2, 2, conf_set_limit_zone, NOFIELD},
    {"limit_conn", HSL, TARGET_SRV, 2, 2, conf_set_limit_conn, SRV_FIELD(limit_conns),
     HOOKS(limit_conn)},
    {"limit_conn_status", HSL, TARGET_SRV, 1, 1, conf_set_num, SRV_INT(limit_conn_status, 503),
     BOUNDS(400, 599)},
    {"limit_conn_log_level", HSL, TARGET_SRV, 1, 1, conf_set_limit_level,
     SRV_INT(limit_conn_log_level, LL_ERR), WORDS("info", "notice", "warn", "error")},
    {"limit_req_zone", CTX_HTTP, TARGET_MAIN, 3, 4, conf_set_limit_zone, NOFIELD},
    {"limit_req", HSL, TARGET_SRV, 1, 3, conf_set_limit_req, SRV_FIELD(limit_reqs),
     HOOKS(limit_req)},
    {"limit_req_status", HSL, TARGET_SRV, 1, 1, conf_set_num, SRV_INT(limit_req_status, 503),
     BOUNDS(400, 599)},
    {"limit_req_log_level", HSL, TARGET_SRV, 1, 1, conf_set_limit_level,
     SRV_INT(limit_req_log_level, LL_ERR), WORDS("info", "notice", "warn", "error")},
    {"limit_conn_dry_run", HSL, TARGET_SRV, 1, 1, conf_set_flag, SRV_INT(limit_conn_dry_run, 0)},
    {"limit_req_dry_run", HSL, TARGET_SRV, 1, 1, conf_set_flag, SRV_INT(limit_req_dry_run, 0)},
    {"auth_basic", HSL, TARGET_SRV, 1, 1, conf_set_auth_str, SRV_STR(auth_basic, NULL)},
    {"auth_basic_user_file", HSL, TARGET_SRV, 1, 1, conf_set_auth_str,
     SRV_STR(auth_basic_user_file, NULL)},
    {"satisfy", HSL, TARGET_SRV, 1, 1, conf_set_enum, SRV_INT(satisfy_any, 0), WORDS("all", "any")},
    /* compression, content knobs, listen options, logging */
    {"gzip", HSL, TARGET_SRV, 1, 1, conf_set_flag, SRV_INT(gzip, 0)},
    {"gzip_types", HSL, TARGET_SRV, 1, -1, conf_set_types_list, SRV_LIST(gzip_types)},
    {"gzip_comp_level", HSL, TARGET_SRV, 1, 1, conf_set_num, SRV_INT(gzip_comp_level, 1),
     BOUNDS(1, 9)},
    {"gzip_min_length", HSL, TARGET_SRV, 1, 1, conf_set_size, SRV_SIZE(gzip_min_length, 20)},
    {"gzip_proxied", HSL, TARGET_SRV, 1, 9, conf_set_gzip_proxied, SRV_INT(gzip_proxied, 0)},
    {"gzip_disable", HSL, TARGET_SRV, 1, -1, conf_set_gzip_disable, SRV_LIST(gzip_disable)},
    {"gzip_http_version", HSL, TARGET_SRV, 1, 1, conf_set_gzip_http_version,
     SRV_INT(gzip_http_version, 11)},
    {"gzip_buffers", HSL, TARGET_SRV, 2, 2, conf_set_gzip_buffers, NOFIELD},
    {"brotli", HSL, TARGET_SRV, 1, 1, conf_set_flag, SRV_INT(brotli, 0)},
    {"brotli_types", HSL, TARGET_SRV, 1, -1, conf_set_types_list, SRV_LIST(brotli_types)},
    {"brotli_comp_level", HSL, TARGET_SRV, 1, 1, conf_set_num, SRV_INT(brotli_comp_level, 6),
     BOUNDS(0, 11)},
    {"brotli_min_length", HSL, TARGET_SRV, 1, 1, conf_set_size, SRV_SIZE(brotli_min_length, 20)},
    {"compress_cache_size", CTX_HTTP, TARGET_MAIN, 1, 1, conf_set_size,
     MAIN_SIZE(compress_cache_size, 32LL * 1024 * 1024)},
    {"charset", HSL, TARGET_SRV, 1, 1, conf_set_str, SRV_STR(charset, NULL)},
    {"charset_types", HSL, TARGET_SRV, 1, -1, conf_set_types_list, SRV_LIST(charset_types)},
    {"source_charset", HSL, TARGET_SRV, 1, 1, conf_set_source_charset, NOFIELD},
    /* tcp_nopush: ktlsd already writes a response's head and first body bytes together
     * (one TLS record or one writev), which is what TCP_CORK buys nginx */
    {"tcp_nopush", HSL, TARGET_SRV, 1, 1, conf_set_noop_flag, NOFIELD},
    {"resolver", HSL, TARGET_SRV, 1, -1, conf_set_resolver, NOFIELD},
    {"resolver_timeout", HSL, TARGET_SRV, 1, 1, conf_set_resolver_timeout, NOFIELD},
    {"types_hash_max_size", HSL, TARGET_SRV, 1, 1, conf_set_noop_size, NOFIELD},
    {"types_hash_bucket_size", HSL, TARGET_SRV, 1, 1, conf_set_noop_size, NOFIELD},
    {"server_names_hash_max_size", CTX_HTTP, TARGET_MAIN, 1, 1, conf_set_noop_size, NOFIELD},
    {"server_names_hash_bucket_size", CTX_HTTP, TARGET_MAIN, 1, 1, conf_set_noop_size, NOFIELD},
    {"variables_hash_max_size", CTX_HTTP, TARGET_MAIN, 1, 1, conf_set_noop_size, NOFIELD},
    {"variables_hash_bucket_size", CTX_HTTP, TARGET_MAIN, 1, 1, conf_set_noop_size, NOFIELD},
    {"worker_rlimit_nofile", CTX_MAIN, TARGET_MAIN, 1, 1, conf_set_rlimit_nofile, NOFIELD},
    {"worker_cpu_affinity", CTX_MAIN, TARGET_MAIN, 1, 64, conf_set_cpu_affinity,
     MAIN_STR(worker_cpu_affinity)},
    {"multi_accept", CTX_EVENTS, TARGET_MAIN, 1, 1, conf_set_flag, MAIN_INT(multi_accept, 0)},
    {"accept_mutex", CTX_EVENTS, TARGET_MAIN, 1, 1, conf_set_accept_mutex, NOFIELD},
    {"use", CTX_EVENTS, TARGET_MAIN, 1, 1, conf_set_use, NOFIELD},
    {"load_module", CTX_MAIN, TARGET_MAIN, 1, 1, conf_set_load_module, NOFIELD},
    {"open_log_file_cache", HSL, TARGET_SRV, 1, 4, conf_set_open_log_file_cache, NOFIELD},
    {"log_not_found", HSL, TARGET_SRV, 1, 1, conf_set_flag, SRV_INT(log_not_found, 1)},
    {"autoindex_exact_size", HSL, TARGET_SRV, 1, 1, conf_set_flag,
     SRV_INT(autoindex_exact_size, 1)},
    {"autoindex_localtime", HSL, TARGET_SRV, 1, 1, conf_set_flag, SRV_INT(autoindex_localtime, 0)},
    {"autoindex_format", HSL, TARGET_SRV, 1, 1, conf_set_enum,
     SRV_INT(autoindex_format, AUTOINDEX_HTML), WORDS("html", "json", "xml")},
};

const size_t conf_ndirectives = sizeof(conf_directives) / sizeof(conf_directives[0]);
