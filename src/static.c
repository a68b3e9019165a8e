/* static.c: maps a request path to a file beneath the root. Two layers keep
 * a request inside the root: the path is normalised first (no ".." can
 * survive), then the file is opened with openat2(RESOLVE_BENEATH), so that
 * no symlink can lead outside either; on kernels before 5.6 (no openat2)
 * the opened file's real path is checked against the root's instead. */
#include "static.h"
#include "log.h"
#include "util.h"
#include "version.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

int static_root_open(const char *root)
{
    return open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

#if KTLSD_HAVE_OPENAT2
static int have_openat2 = 1;
#else
static int have_openat2 = 0;
#endif

/* Opens rel beneath root_fd. With openat2 the kernel refuses any escape
 * (EXDEV) through "..", absolute symlinks or symlinks that climb out. */
static int open_beneath(int root_fd, const char *root, const char *rel)
{
    int fd;
#if KTLSD_HAVE_OPENAT2
    if (have_openat2) {
        struct open_how how = {
            .flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY,
            .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
        };
        fd = (int)syscall(SYS_openat2, root_fd, rel, &how, sizeof(how));
        if (fd >= 0 || errno != ENOSYS)
            return fd;
        have_openat2 = 0; /* kernel < 5.6 */
    }
#endif
    fd = openat(root_fd, rel, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd >= 0) {
        /* the checked walk for old kernels: where did we really land? */
        char link[64], real[PATH_MAX], rootreal[PATH_MAX];
        ssize_t n;
        snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
        n = readlink(link, real, sizeof(real) - 1);
        if (n < 0 || realpath(root, rootreal) == NULL) {
            close(fd);
            errno = EACCES;
            return -1;
        }
        real[n] = '\0';
        size_t rl = strlen(rootreal);
        if (strncmp(real, rootreal, rl) != 0 || (real[rl] != '/' && real[rl] != '\0' && rl > 1)) {
            close(fd);
            errno = EXDEV;
            return -1;
        }
    }
    return fd;
}

static int status_for(int err)
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

int static_open(int root_fd, const char *root, char *const *index, size_t nindex, char *path, size_t len,
                size_t cap, struct static_file *f, const struct log_ctx *log)
{
    const char *rel = len > 1 ? path + 1 : ".";
    int fd, status;

    f->fd = -1;
    f->name = path;
    f->name_len = len;
    if (root_fd < 0) {
        log_error(LL_ERR, log, "root \"%s\" cannot be opened", root);
        return 404;
    }
    if (path[len - 1] == '/') {
        for (size_t i = 0; i < nindex; i++) {
            size_t il = strlen(index[i]);
            if (len + il + 1 > cap)
                continue;
            memcpy(path + len, index[i], il + 1);
            fd = open_beneath(root_fd, root, path + 1);
            if (fd < 0) {
                if (errno == ENOENT)
                    continue;
                status = status_for(errno);
                log_error(status == 500 ? LL_CRIT : LL_ERR, log, "open() \"%s%s\" failed (%d: %s)", root, path,
                          errno, strerror(errno));
                path[len] = '\0';
                return status;
            }
            if (fstat(fd, &f->st) == 0 && S_ISREG(f->st.st_mode)) {
                f->fd = fd;
                f->name_len = len + il;
                return 200;
            }
            close(fd);
        }
        path[len] = '\0';
        fd = open_beneath(root_fd, root, rel);
        if (fd < 0) {
            status = status_for(errno);
            log_error(LL_ERR, log, "\"%s%s\" is not found (%d: %s)", root, path, errno, strerror(errno));
            return status;
        }
        close(fd);
        log_error(LL_ERR, log, "directory index of \"%s%s\" is forbidden", root, path);
        return 403;
    }
    fd = open_beneath(root_fd, root, rel);
    if (fd < 0) {
        status = status_for(errno);
        log_error(status == 500 ? LL_CRIT : LL_ERR, log, "open() \"%s%s\" failed (%d: %s)", root, path, errno,
                  strerror(errno));
        return status;
    }
    if (fstat(fd, &f->st) != 0) {
        log_error(LL_CRIT, log, "fstat() \"%s%s\" failed (%d: %s)", root, path, errno, strerror(errno));
        close(fd);
        return 500;
    }
    if (S_ISDIR(f->st.st_mode)) {
        close(fd);
        return 301;
    }
    if (!S_ISREG(f->st.st_mode)) {
        close(fd);
        log_error(LL_ERR, log, "\"%s%s\" is not a regular file", root, path);
        return 403;
    }
    f->fd = fd;
    return 200;
}
