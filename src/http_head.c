/* http_head.c: the response side of HTTP/1.1 text: reason phrases, the
 * status line and headers (http_head, whose text HTTP/2 also reads back),
 * HTTP dates, nginx's error page bodies. */
#include "http_head.h"
#include "config.h"
#include "http.h"
#include "util.h"
#include "version.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

const char *http_reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 204:
        return "No Content";
    case 206:
        return "Partial Content";
    case 301:
        return "Moved Permanently";
    case 302:
        return "Moved Temporarily";
    case 303:
        return "See Other";
    case 307:
        return "Temporary Redirect";
    case 308:
        return "Permanent Redirect";
    case 304:
        return "Not Modified";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 402:
        return "Payment Required";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Not Allowed";
    case 406:
        return "Not Acceptable";
    case 408:
        return "Request Time-out";
    case 409:
        return "Conflict";
    case 410:
        return "Gone";
    case 411:
        return "Length Required";
    case 412:
        return "Precondition Failed";
    case 413:
        return "Request Entity Too Large";
    case 414:
        return "Request-URI Too Large";
    case 415:
        return "Unsupported Media Type";
    case 416:
        return "Requested Range Not Satisfiable";
    case 421:
        return "Misdirected Request";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case HTTP_HEADER_TOO_LARGE:
        return "Bad Request";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Temporarily Unavailable";
    case 504:
        return "Gateway Time-out";
    case 507:
        return "Insufficient Storage";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "Unknown";
    }
}

/* The statuses nginx adds "expires" and "add_header" (without "always") to. */
static int cacheable(int status)
{
    switch (status) {
    case 200:
    case 201:
    case 204:
    case 206:
    case 301:
    case 302:
    case 303:
    case 304:
    case 307:
    case 308:
        return 1;
    default:
        return 0;
    }
}

/* nginx's ngx_next_time: today's SECONDS past local midnight, or
 * tomorrow's when that has passed. */
static time_t next_time_of_day(time_t now, long seconds)
{
    struct tm tm;
    time_t next;
    localtime_r(&now, &tm);
    tm.tm_hour = (int)(seconds / 3600);
    tm.tm_min = (int)(seconds / 60 % 60);
    tm.tm_sec = (int)(seconds % 60);
    tm.tm_isdst = -1;
    next = mktime(&tm);
    if (next > now)
        return next;
    tm.tm_mday++;
    tm.tm_isdst = -1;
    return mktime(&tm);
}

#define ADD(...) (pos = buf_printf(out, pos, cap, __VA_ARGS__))

/* expires: Expires and Cache-Control, for a cacheable status. */
static size_t put_expires(char *out, size_t cap, size_t pos, const struct response *resp)
{
    char date[40];
    switch (resp->expires) {
    case EXPIRES_EPOCH:
        ADD("Expires: Thu, 01 Jan 1970 00:00:01 GMT\r\nCache-Control: no-cache\r\n");
        break;
    case EXPIRES_MAX:
        ADD("Expires: Thu, 31 Dec 2037 23:55:55 GMT\r\nCache-Control: max-age=315360000\r\n");
        break;
    case EXPIRES_TIME:
        time_http_date(date, sizeof(date), time_now.sec + (time_t)resp->expires_time);
        if (resp->expires_time < 0)
            ADD("Expires: %s\r\nCache-Control: no-cache\r\n", date);
        else
            ADD("Expires: %s\r\nCache-Control: max-age=%lld\r\n", date,
                (long long)resp->expires_time);
        break;
    case EXPIRES_MODIFIED: /* from Last-Modified; none without it */
    case EXPIRES_DAILY: {  /* the next such time of day */
        time_t at = resp->expires == EXPIRES_DAILY
                        ? next_time_of_day(time_now.sec, (long)resp->expires_time)
                        : resp->last_modified + (time_t)resp->expires_time;
        long long max_age = (long long)(at - time_now.sec);
        if (resp->expires == EXPIRES_MODIFIED && resp->last_modified == 0)
            break;
        time_http_date(date, sizeof(date), at);
        if (resp->expires_time < 0 || max_age < 0)
            ADD("Expires: %s\r\nCache-Control: no-cache\r\n", date);
        else
            ADD("Expires: %s\r\nCache-Control: max-age=%lld\r\n", date, max_age);
        break;
    }
    }
    return pos;
}

size_t http_head(char *out, size_t cap, const struct response *resp)
{
    char date[40];
    int status = resp->status;
    int n = snprintf(out, cap, "HTTP/1.1 %d %s\r\nServer: %s\r\nDate: %s\r\n", status,
                     http_reason(status), resp->server, time_now.http_date);
    size_t pos = n > 0 ? (size_t)n : 0;

    if (resp->content_type != NULL)
        ADD("Content-Type: %s\r\n", resp->content_type);
    if (resp->content_length >= 0)
        ADD("Content-Length: %lld\r\n", resp->content_length);
    if (resp->last_modified != 0) {
        time_http_date(date, sizeof(date), resp->last_modified);
        ADD("Last-Modified: %s\r\n", date);
    }
    ADD("Connection: %s\r\n", resp->keepalive ? "keep-alive" : "close");
    if (resp->keepalive && resp->keepalive_header > 0)
        ADD("Keep-Alive: timeout=%ld\r\n", resp->keepalive_header);
    if (resp->content_range != NULL)
        ADD("Content-Range: %s\r\n", resp->content_range);
    if (resp->vary)
        ADD("Vary: Accept-Encoding\r\n");
    if (resp->etag != NULL)
        ADD("ETag: %s\r\n", resp->etag);
    if (resp->content_encoding != NULL)
        ADD("Content-Encoding: %s\r\n", resp->content_encoding);
    if (resp->location != NULL)
        ADD("Location: %.*s\r\n", (int)resp->location_len, resp->location);
    if (resp->allow)
        ADD("Allow: GET, HEAD\r\n");
    if (resp->auth_realm != NULL)
        ADD("WWW-Authenticate: Basic realm=\"%s\"\r\n", resp->auth_realm);
    if (cacheable(resp->status) && resp->expires != EXPIRES_OFF)
        pos = put_expires(out, cap, pos, resp);
    for (size_t i = 0; i < resp->nadd; i++)
        if ((resp->add[i].always || cacheable(resp->status)) &&
            resp->add[i].value[0] != '\0') /* nginx sends no empty header */
            ADD("%s: %s\r\n", resp->add[i].name, resp->add[i].value);
    if (resp->accept_ranges)
        ADD("Accept-Ranges: bytes\r\n");
    ADD("\r\n");
    return pos < cap ? pos : 0;
}

#undef ADD

time_t http_parse_date(const char *s, size_t len)
{
    char buf[64];
    struct tm tm;
    const char *end;
    static const char *const formats[] = {"%a, %d %b %Y %H:%M:%S GMT", "%A, %d-%b-%y %H:%M:%S GMT",
                                          "%a %b %e %H:%M:%S %Y"};
    if (len == 0 || len >= sizeof(buf))
        return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    for (size_t i = 0; i < ARRAY_LEN(formats); i++) {
        memset(&tm, 0, sizeof(tm));
        end = strptime(buf, formats[i], &tm);
        if (end != NULL && *end == '\0')
            return timegm(&tm);
    }
    return -1;
}

const char *http_error_body(int status, int tokens, size_t *len)
{
    static char body[512];
    const char *sig = tokens ? "ktlsd/" KTLSD_VERSION : "ktlsd";
    const char *reason = status == 302   ? "Found" /* nginx's page titles */
                         : status == 401 ? "Authorization Required"
                                         : http_reason(status);
    int n;
    const char *why = status == HTTP_HEADER_TOO_LARGE ? "Request Header Or Cookie Too Large"
                      : status == 495                 ? "The SSL certificate error"
                      : status == 496                 ? "No required SSL certificate was sent"
                      : status == 497 ? "The plain HTTP request was sent to HTTPS port"
                                      : NULL;
    if (why != NULL) { /* nginx's 494 to 497 pages: a 400 that says why */
        n = snprintf(body, sizeof(body),
                     "<html>\r\n<head><title>400 %s</title></head>\r\n<body>\r\n<center><h1>400 "
                     "Bad Request</h1></center>\r\n<center>%s</center>\r\n<hr><center>%s</"
                     "center>\r\n</body>\r\n</html>\r\n",
                     why, why, sig);
        *len = (size_t)n;
        return body;
    }
    n = snprintf(body, sizeof(body),
                 "<html>\r\n<head><title>%d %s</title></head>\r\n<body>\r\n<center><h1>%d "
                 "%s</h1></center>\r\n"
                 "<hr><center>%s</center>\r\n</body>\r\n</html>\r\n",
                 status, reason, status, reason, sig);
    *len = (size_t)n;
    return body;
}
