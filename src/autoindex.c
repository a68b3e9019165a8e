/* autoindex.c: nginx's directory listing page (ngx_http_autoindex_module). */
#include "autoindex.h"
#include "answer.h"
#include "http_head.h"
#include "log.h"
#include "reqvars.h"
#include "static.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
/* --- files ------------------------------------------------------------------ */

static int cmp_names(const void *a, const void *b)
{
    const struct dirent *const *da = a, *const *db = b;
    int dira = (*da)->d_type == DT_DIR, dirb = (*db)->d_type == DT_DIR;
    if (dira != dirb)
        return dirb - dira; /* directories first, as nginx lists them */
    return strcmp((*da)->d_name, (*db)->d_name);
}

static size_t put_escaped_html(char *out, size_t o, size_t cap, const char *s, size_t max_chars,
                               int uri)
{
    size_t chars = 0;
    for (; *s && o + 8 < cap && chars < max_chars; s++, chars++) {
        unsigned char c = (unsigned char)*s;
        if (uri && (c <= ' ' || c >= 0x7f || strchr("\"#%&'+<>?\\^`{|}", c) != NULL)) {
            o += (size_t)snprintf(out + o, cap - o, "%%%02X", c);
        } else if (c == '<') {
            memcpy(out + o, "&lt;", 4);
            o += 4;
        } else if (c == '>') {
            memcpy(out + o, "&gt;", 4);
            o += 4;
        } else if (c == '&') {
            memcpy(out + o, "&amp;", 5);
            o += 5;
        } else if (c == '"' && !uri) {
            memcpy(out + o, "&quot;", 6);
            o += 6;
        } else {
            out[o++] = (char)c;
        }
    }
    return o;
}

/* autoindex_exact_size off: nginx's rounded sizes ("  123K"). */
static int human_size(char *out, size_t cap, long long len)
{
    long long size = len;
    char scale = '\0';
    if (len > 1024LL * 1024 * 1024 - 1) {
        size =
            len / (1024LL * 1024 * 1024) + (len % (1024LL * 1024 * 1024) > 1024LL * 1024 * 512 - 1);
        scale = 'G';
    } else if (len > 1024 * 1024 - 1) {
        size = len / (1024 * 1024) + (len % (1024 * 1024) > 1024 * 512 - 1);
        scale = 'M';
    } else if (len > 9999) {
        size = len / 1024 + (len % 1024 > 511);
        scale = 'K';
    }
    return scale ? snprintf(out, cap, "%6lld%c", size, scale) : snprintf(out, cap, " %6lld", size);
}

/* JSON string contents (nginx's ngx_escape_json). */
static size_t put_json(char *out, size_t o, size_t cap, const char *s)
{
    for (; *s && o + 8 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            out[o++] = '\\';
            out[o++] = (char)c;
        } else if (c < 0x20) {
            o += (size_t)snprintf(out + o, cap - o, "\\u%04x", c);
        } else {
            out[o++] = (char)c;
        }
    }
    return o;
}

/* The listing as nginx's autoindex_format json or xml. */
static size_t list_data(const struct answer *x, DIR *d, struct dirent **list, size_t n, char *page,
                        size_t cap)
{
    int json = x->conf->autoindex_format == AUTOINDEX_JSON;
    size_t o =
        (size_t)snprintf(page, cap, "%s", json ? "[" : "<?xml version=\"1.0\"?>\r\n<list>\r\n");
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        struct tm tm;
        char date[48];
        int isdir = list[i]->d_type == DT_DIR, isfile;
        if (fstatat(dirfd(d), list[i]->d_name, &st, 0) != 0)
            memset(&st, 0, sizeof(st));
        isfile = !isdir && S_ISREG(st.st_mode);
        gmtime_r(&st.st_mtime, &tm);
        if (json) {
            strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
            o += (size_t)snprintf(page + o, cap - o, "\r\n{ \"name\":\"");
            o = put_json(page, o, cap, list[i]->d_name);
            o += (size_t)snprintf(page + o, cap - o, "\", \"type\":\"%s\", \"mtime\":\"%s\"",
                                  isdir    ? "directory"
                                  : isfile ? "file"
                                           : "other",
                                  date);
            if (isfile)
                o += (size_t)snprintf(page + o, cap - o, ", \"size\":%lld", (long long)st.st_size);
            o += (size_t)snprintf(page + o, cap - o, " },");
        } else {
            const char *tag = isdir ? "directory" : isfile ? "file" : "other";
            strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", &tm);
            o += (size_t)snprintf(page + o, cap - o, "<%s mtime=\"%s\"", tag, date);
            if (isfile)
                o += (size_t)snprintf(page + o, cap - o, " size=\"%lld\"", (long long)st.st_size);
            o += (size_t)snprintf(page + o, cap - o, ">");
            o = put_escaped_html(page, o, cap, list[i]->d_name, SIZE_MAX, 0);
            o += (size_t)snprintf(page + o, cap - o, "</%s>\r\n", tag);
        }
    }
    if (json && n > 0)
        o--; /* the last comma */
    o += (size_t)snprintf(page + o, cap - o, "%s", json ? "\r\n]" : "</list>\r\n");
    return o < cap ? o : cap - 1;
}

/* The HTML listing's name column, as nginx's NGX_HTTP_AUTOINDEX_NAME_LEN:
 * a longer name is cut to leave room for "..>", and the date starts one
 * space after the column. */
#define NAME_WIDTH 50
#define NAME_CUT (NAME_WIDTH - 3) /* "..&gt;" shows as three characters */
#define DATE_COLUMN (NAME_WIDTH + 1)

/* The directory's entries but hidden ones, sorted by name, their d_type
 * set by fstatat (directories are listed with a "/"). */
static struct dirent **read_entries(DIR *d, size_t *count)
{
    struct dirent **list = NULL, *e;
    size_t n = 0, ncap = 0;
    while ((e = readdir(d)) != NULL) {
        struct stat st;
        if (e->d_name[0] == '.')
            continue;
        if (n == ncap) {
            ncap = ncap ? ncap * 2 : 64;
            list = xrealloc(list, ncap * sizeof(*list));
        }
        list[n] = xmalloc(sizeof(struct dirent));
        memcpy(list[n], e, sizeof(struct dirent));
        if (fstatat(dirfd(d), e->d_name, &st, 0) == 0)
            list[n]->d_type = S_ISDIR(st.st_mode) ? DT_DIR : DT_REG;
        n++;
    }
    if (n > 1) /* qsort(NULL, 0) is undefined */
        qsort(list, n, sizeof(*list), cmp_names);
    *count = n;
    return list;
}

/* One row of the HTML listing: the link, its name padded (or cut) to the
 * name column, the date, the size. */
static size_t html_row(const struct answer *x, DIR *d, const struct dirent *e, char *page, size_t o,
                       size_t cap)
{
    struct stat st;
    struct tm tm;
    char date[32], size[32];
    int isdir = e->d_type == DT_DIR;
    size_t namelen = strlen(e->d_name) + (size_t)isdir, shown, pad;
    if (fstatat(dirfd(d), e->d_name, &st, 0) != 0)
        memset(&st, 0, sizeof(st));
    o += (size_t)snprintf(page + o, cap - o, "<a href=\"");
    o = put_escaped_html(page, o, cap, e->d_name, SIZE_MAX, 1);
    o += (size_t)snprintf(page + o, cap - o, "%s\">", isdir ? "/" : "");
    shown = namelen > NAME_WIDTH ? NAME_CUT : namelen - (size_t)isdir;
    o = put_escaped_html(page, o, cap, e->d_name, shown, 0);
    if (namelen > NAME_WIDTH)
        o += (size_t)snprintf(page + o, cap - o, "..&gt;</a>");
    else
        o += (size_t)snprintf(page + o, cap - o, "%s</a>", isdir ? "/" : "");
    pad = namelen > NAME_WIDTH ? 1 : DATE_COLUMN - namelen;
    if (x->conf->autoindex_localtime)
        localtime_r(&st.st_mtime, &tm);
    else
        gmtime_r(&st.st_mtime, &tm);
    strftime(date, sizeof(date), "%d-%b-%Y %H:%M", &tm);
    if (!x->conf->autoindex_exact_size && isdir)
        snprintf(size, sizeof(size), "%7s", "-");
    else if (!x->conf->autoindex_exact_size)
        human_size(size, sizeof(size), (long long)st.st_size);
    else if (isdir)
        snprintf(size, sizeof(size), "%19s", "-");
    else
        snprintf(size, sizeof(size), "%19lld", (long long)st.st_size);
    return o + (size_t)snprintf(page + o, cap - o, "%*s%s %s\r\n", (int)pad, "", date, size);
}

/* nginx's HTML listing: a title, "../", then a row per entry. */
static size_t html_page(const struct answer *x, DIR *d, struct dirent **list, size_t n, char *page,
                        size_t cap)
{
    size_t o = (size_t)snprintf(page, cap, "<html>\r\n<head><title>Index of ");
    o = put_escaped_html(page, o, cap, x->uri, SIZE_MAX, 0);
    o += (size_t)snprintf(page + o, cap - o, "</title></head>\r\n<body>\r\n<h1>Index of ");
    o = put_escaped_html(page, o, cap, x->uri, SIZE_MAX, 0);
    o += (size_t)snprintf(page + o, cap - o, "</h1><hr><pre><a href=\"../\">../</a>\r\n");
    for (size_t i = 0; i < n; i++)
        o = html_row(x, d, list[i], page, o, cap);
    return o + (size_t)snprintf(page + o, cap - o, "</pre><hr></body>\r\n</html>\r\n");
}

/* nginx's autoindex page: directories first, then files, by name; hidden
 * files left out; names escaped for HTML and for the link. Or the same
 * list as JSON or XML (autoindex_format). */
int autoindex_answer(struct answer *x, int dir_fd, const char *rel)
{
    int fd = static_open_dir(dir_fd, rel, x->conf->disable_symlinks);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    struct dirent **list;
    size_t n, cap, o;
    char *page;
    const char *ctype = "text/html";
    struct response resp;

    if (d == NULL) {
        if (fd >= 0)
            close(fd);
        log_error(LL_ERR, x->env->log, "opendir() \"%s%s\" failed (%d: %s)", reqvars_dir(x), rel,
                  errno, strerror(errno));
        return errno == ENOENT ? 404 : 403;
    }
    list = read_entries(d, &n);
    cap = 512 + 2 * x->ulen * 6 + n * (300 + 6 * 256);
    page = xmalloc(cap);
    if (x->conf->autoindex_format != AUTOINDEX_HTML) {
        o = list_data(x, d, list, n, page, cap);
        ctype = x->conf->autoindex_format == AUTOINDEX_JSON ? "application/json" : "text/xml";
    } else {
        o = html_page(x, d, list, n, page, cap);
    }
    for (size_t i = 0; i < n; i++)
        free(list[i]);
    free(list);
    closedir(d);
    answer_response(x, &resp, 200);
    resp.content_type = ctype;
    resp.content_length = answer_head_only(x) ? -1 : (long long)o;
    answer_head(x, &resp);
    x->r->mem = page;
    if (!answer_head_only(x))
        reply_add_mem(x->r, page, o);
    return DONE;
}
