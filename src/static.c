/* static.c: the file side of a request. Paths are normalised first, so
 * no "..", encoded or not, survives to reach the file system (400, as nginx
 * answers); files are then opened beneath the root's directory descriptor
 * with nginx's disable_symlinks rules (openat2 where the kernel has it). The
 * rest are pure functions over headers and stat: ETag, conditional
 * requests, ranges, Accept-Encoding. */
#include "static.h"
#include "config.h"
#include "http.h"
#include "http_head.h"
#include "util.h"
#include "version.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/syscall.h>
#include <unistd.h>
#if KTLSD_HAVE_OPENAT2
#include <linux/openat2.h>
#endif

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int static_normalize(const char *target, size_t len, char *out, size_t cap, size_t *outlen)
{
    size_t o = 0, i;

    if (len == 0 || target[0] != '/' || cap < 2)
        return 400;
    /* decode */
    for (i = 0; i < len && target[i] != '?' && target[i] != '#'; i++) {
        char c = target[i];
        if (c == '%') {
            int h, l;
            if (i + 2 >= len)
                return 400;
            h = hexval(target[i + 1]);
            l = hexval(target[i + 2]);
            if (h < 0 || l < 0)
                return 400;
            c = (char)(h * 16 + l);
            i += 2;
        }
        if (c == '\0')
            return 400;
        if (o + 1 >= cap)
            return 414;
        out[o++] = c;
    }
    /* normalise in place: w never passes r, so one buffer serves */
    {
        size_t r = 0, w = 0;
        int dir = 1; /* the result names a directory: it ends in '/' */
        for (;;) {
            size_t seg, seglen;
            while (r < o && out[r] == '/')
                r++;
            if (r == o)
                break;
            seg = r;
            while (r < o && out[r] != '/')
                r++;
            seglen = r - seg;
            if (seglen == 1 && out[seg] == '.') {
                dir = 1;
                continue;
            }
            if (seglen == 2 && out[seg] == '.' && out[seg + 1] == '.') {
                if (w == 0)
                    return 400; /* above the root, as nginx answers */
                while (out[w - 1] != '/')
                    w--;
                w--;
                dir = 1;
                continue;
            }
            out[w++] = '/';
            memmove(out + w, out + seg, seglen);
            w += seglen;
            dir = r < o;
        }
        if (dir)
            out[w++] = '/';
        o = w;
    }
    out[o] = '\0';
    *outlen = o;
    return 0;
}

int static_root_open(const char *path)
{
    return open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

int static_dir_open(struct static_dir *d, const char *path, time_t now)
{
    struct stat st;
    int fd = static_root_open(path);
    d->path = path;
    d->checked = now;
    if (fd >= 0 && fstat(fd, &st) != 0) {
        close(fd);
        fd = -1;
    }
    if (d->fd >= 0 && d->fd != fd)
        close(d->fd);
    d->fd = fd;
    if (fd >= 0) {
        d->dev = st.st_dev;
        d->ino = st.st_ino;
    }
    return fd;
}

int static_dir_fd(struct static_dir *d, time_t now)
{
    struct stat st;
    if (d->path == NULL || now == d->checked)
        return d->fd;
    d->checked = now;
    if (stat(d->path, &st) != 0 || !S_ISDIR(st.st_mode)) {
        static_dir_close(d); /* gone: 404 until it is back */
        d->checked = now;
        return -1;
    }
    if (d->fd >= 0 && st.st_dev == d->dev && st.st_ino == d->ino)
        return d->fd;
    return static_dir_open(d, d->path, now);
}

void static_dir_close(struct static_dir *d)
{
    if (d->fd >= 0)
        close(d->fd);
    d->fd = -1;
}

#if KTLSD_HAVE_OPENAT2
static int have_openat2 = 1;
#else
static int have_openat2 = 0;
#endif

/* Walks the components of rel beneath root_fd and checks each symlink
 * among them: with SYMLINKS_ON any symlink fails (ELOOP); with
 * SYMLINKS_IF_NOT_OWNER one whose target has another owner fails (EACCES),
 * as nginx's disable_symlinks. Returns 0 or the errno. */
static int check_symlinks(int root_fd, const char *rel, int symlinks)
{
    char part[PATH_MAX];
    size_t n = strlen(rel);
    if (n >= sizeof(part))
        return ENAMETOOLONG;
    for (size_t i = 1; i <= n; i++) {
        struct stat l, t;
        if (rel[i] != '/' && rel[i] != '\0')
            continue;
        memcpy(part, rel, i);
        part[i] = '\0';
        if (fstatat(root_fd, part, &l, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISLNK(l.st_mode))
            continue;
        if (symlinks == SYMLINKS_ON)
            return ELOOP;
        if (fstatat(root_fd, part, &t, 0) != 0 || t.st_uid != l.st_uid)
            return EACCES;
    }
    return 0;
}

/* Whether rel holds a ".." segment. A normalised path never does: one
 * that does was built wrongly (an alias joined to what follows its
 * location, say) and is refused before the file system sees it. */
static int has_dotdot(const char *rel)
{
    for (const char *p = rel; (p = strstr(p, "..")) != NULL; p += 2)
        if ((p == rel || p[-1] == '/') && (p[2] == '/' || p[2] == '\0'))
            return 1;
    return 0;
}

/* Opens rel beneath root_fd, so that no bug in building the path can climb
 * out of the root or alias directory: a ".." segment is refused outright,
 * and openat2 (Linux 5.6) resolves with RESOLVE_BENEATH, which the kernel
 * enforces for every component. How symlinks are treated is nginx's
 * disable_symlinks:
 *   off           followed, wherever they lead (nginx's default): a link
 *                 that leaves the root fails RESOLVE_BENEATH with EXDEV,
 *                 and only then is the (lexically clean) path opened again
 *                 without it;
 *   on            any symlink in the path fails with ELOOP (-> 403);
 *   if_not_owner  followed only when link and target have the same owner.
 * Older kernels get a checked walk with fstatat(AT_SYMLINK_NOFOLLOW) per
 * component for "on". */
static int open_beneath(int root_fd, const char *rel, int symlinks, int extra)
{
    int fd, flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | extra;
    if (has_dotdot(rel)) {
        errno = ENOENT;
        return -1;
    }
    if (symlinks == SYMLINKS_IF_NOT_OWNER && (errno = check_symlinks(root_fd, rel, symlinks)) != 0)
        return -1;
#if KTLSD_HAVE_OPENAT2
    if (have_openat2) {
        struct open_how how = {
            .flags = (unsigned long long)flags,
            .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS |
                       (symlinks == SYMLINKS_ON ? RESOLVE_NO_SYMLINKS : 0),
        };
        fd = (int)syscall(SYS_openat2, root_fd, rel, &how, sizeof(how));
        if (fd >= 0 || (errno != ENOSYS && errno != EXDEV) ||
            (errno == EXDEV && symlinks == SYMLINKS_ON))
            return fd;
        if (errno == ENOSYS)
            have_openat2 = 0; /* kernel < 5.6 */
        else                  /* EXDEV: a symlink that leads out, allowed by "off" */
            return openat(root_fd, rel, flags);
    }
#endif
    if (symlinks == SYMLINKS_ON) { /* no openat2: the same rule, walked here */
        if ((errno = check_symlinks(root_fd, rel, symlinks)) != 0)
            return -1;
        flags |= O_NOFOLLOW;
    }
    return openat(root_fd, rel, flags);
}

static const char *relative(const char *path)
{
    return path[0] != '/' ? path : path[1] ? path + 1 : ".";
}

int static_open_file(int root_fd, const char *path, int symlinks, struct stat *st)
{
    int fd = open_beneath(root_fd, relative(path), symlinks, 0);
    if (fd < 0)
        return -1;
    if (fstat(fd, st) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

int static_open_dir(int root_fd, const char *path, int symlinks)
{
    return open_beneath(root_fd, relative(path), symlinks, O_DIRECTORY);
}

int static_errno_status(int err)
{
    switch (err) {
    case ENOENT:
    case ENOTDIR:
    case ENAMETOOLONG:
        return 404;
    case EACCES:
    case EPERM:
    case EXDEV:
    case ELOOP:
        return 403;
    default:
        return 500;
    }
}

size_t static_etag(char *out, size_t cap, const struct stat *st)
{
    int n = snprintf(out, cap, "\"%llx-%llx\"", (unsigned long long)st->st_mtime,
                     (unsigned long long)st->st_size);
    return n > 0 ? (size_t)n : 0;
}

/* Walks a comma-separated list of entity tags; weak: W/ prefixes ignored
 * on both sides (RFC 9110 8.8.3.2). "*" matches any current entity. */
static int etag_list_match(const char *v, size_t len, const char *etag, int weak)
{
    size_t i = 0, elen = strlen(etag);
    const char *e = etag;
    if (weak && elen > 2 && e[0] == 'W' && e[1] == '/') {
        e += 2;
        elen -= 2;
    }
    while (i < len) {
        size_t start, end;
        while (i < len && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
            i++;
        if (i >= len)
            break;
        if (v[i] == '*')
            return 1;
        start = i;
        if (len - i > 2 && v[i] == 'W' && v[i + 1] == '/') {
            if (!weak) { /* a weak tag never matches strongly */
                while (i < len && v[i] != ',')
                    i++;
                continue;
            }
            start = i + 2;
        }
        i = start;
        if (i < len && v[i] == '"') {
            i++;
            while (i < len && v[i] != '"')
                i++;
            if (i < len)
                i++;
        } else {
            while (i < len && v[i] != ',' && v[i] != ' ')
                i++;
        }
        end = i;
        if (end - start == elen && memcmp(v + start, e, elen) == 0)
            return 1;
        while (i < len && v[i] != ',')
            i++;
    }
    return 0;
}

int static_conditions(const struct conditions *c, const char *etag, time_t mtime, int get_or_head,
                      int imsmode)
{
    time_t t;
    if (c->if_match != NULL) {
        if (etag == NULL || !etag_list_match(c->if_match, c->if_match_len, etag, 0))
            return 412;
    } else if (c->if_unmodified_since != NULL) {
        t = http_parse_date(c->if_unmodified_since, c->if_unmodified_since_len);
        if (t != -1 && mtime > t)
            return 412;
    }
    if (c->if_none_match != NULL) {
        if (etag != NULL && etag_list_match(c->if_none_match, c->if_none_match_len, etag, 1))
            return get_or_head ? 304 : 412;
    } else if (c->if_modified_since != NULL && get_or_head && imsmode != IMS_OFF) {
        t = http_parse_date(c->if_modified_since, c->if_modified_since_len);
        if (t != -1 && (imsmode == IMS_EXACT ? mtime == t : mtime <= t))
            return 304;
    }
    return 0;
}

int static_if_range(const char *v, size_t len, const char *etag, time_t mtime)
{
    if (len >= 2 && v[len - 1] == '"')
        return etag != NULL && strlen(etag) == len && memcmp(v, etag, len) == 0;
    return http_parse_date(v, len) == mtime;
}

int static_ranges(const char *v, size_t len, off_t size, int max_ranges, struct range *out,
                  size_t cap, size_t *n)
{
    const char *p = v + 6, *end = v + len;
    off_t total = 0;
    long budget = max_ranges < 0 ? (long)cap : max_ranges;

    *n = 0;
    if (len < 7 || strncasecmp(v, "bytes=", 6) != 0 || max_ranges == 0)
        return 200;
    for (;;) {
        off_t start = 0, stop = 0;
        int suffix = 0;
        while (p < end && *p == ' ')
            p++;
        if (p < end && *p != '-') {
            if (*p < '0' || *p > '9')
                return 416;
            while (p < end && *p >= '0' && *p <= '9') {
                if (start > (INT64_MAX - 9) / 10)
                    return 416;
                start = start * 10 + (*p++ - '0');
            }
            while (p < end && *p == ' ')
                p++;
            if (p >= end || *p++ != '-')
                return 416;
            while (p < end && *p == ' ')
                p++;
            if (p >= end || *p == ',') {
                stop = size;
                goto found;
            }
        } else {
            suffix = 1;
            p++;
        }
        if (p >= end || *p < '0' || *p > '9')
            return 416;
        while (p < end && *p >= '0' && *p <= '9') {
            if (stop > (INT64_MAX - 9) / 10)
                return 416;
            stop = stop * 10 + (*p++ - '0');
        }
        while (p < end && *p == ' ')
            p++;
        if (p < end && *p != ',')
            return 416;
        if (suffix) {
            start = stop < size ? size - stop : 0;
            stop = size - 1;
        }
        stop = stop >= size ? size : stop + 1;
    found:
        if (start < stop) {
            if (*n == cap || budget-- == 0)
                return 200; /* more ranges than allowed: the whole file */
            out[(*n)++] = (struct range){start, stop};
            total += stop - start;
        } else if (start == 0) {
            return 200;
        }
        if (p >= end || *p++ != ',')
            break;
    }
    if (*n == 0)
        return 416;
    if (total > size) /* overlapping parts add up past the file: nginx refuses them */
        return 200;
    return 206;
}

int static_accepts(const char *v, size_t len, const char *coding)
{
    size_t clen = strlen(coding), i = 0;
    int star = -1, exact = -1;
    while (i < len) {
        size_t ts, te;
        int q = 1000;
        while (i < len && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
            i++;
        ts = i;
        while (i < len && v[i] != ',' && v[i] != ';' && v[i] != ' ' && v[i] != '\t')
            i++;
        te = i;
        while (i < len && v[i] != ',') {
            if (v[i] == 'q' && i + 1 < len && v[i + 1] == '=' &&
                (i == 0 || v[i - 1] == ';' || v[i - 1] == ' ')) {
                const char *qp = v + i + 2;
                q = 0;
                if (qp < v + len && *qp == '1')
                    q = 1000;
                else if (qp < v + len && *qp == '0') {
                    int mult = 100;
                    qp++;
                    if (qp < v + len && *qp == '.')
                        for (qp++; qp < v + len && *qp >= '0' && *qp <= '9' && mult > 0;
                             qp++, mult /= 10)
                            q += (*qp - '0') * mult;
                }
            }
            i++;
        }
        if (te - ts == clen && strncasecmp(v + ts, coding, clen) == 0)
            exact = q;
        else if (te - ts == 1 && v[ts] == '*')
            star = q;
    }
    return exact >= 0 ? exact : star >= 0 ? star : 0;
}
