/* fcache: a hit is revalidated against the file, and bytes handed out stay
 * valid through their reference when the entry is replaced (a reply sent
 * slowly must never read freed or reused memory). */
#include "unit.h"
#include "../../src/fcache.c"

#include <fcntl.h>
#include <stdlib.h>

static void put(int dir, const char *name, char c, size_t n)
{
    char *b = malloc(n);
    int fd = openat(dir, name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    memset(b, c, n);
    CHECK(fd >= 0 && write(fd, b, n) == (ssize_t)n);
    close(fd);
    free(b);
}

static int all(const char *p, char c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != c)
            return 0;
    return 1;
}

int main(void)
{
    char tmpl[] = "/tmp/ktlsd-fcache-XXXXXX";
    const char *dir = mkdtemp(tmpl);
    int dfd = dir ? open(dir, O_PATH | O_DIRECTORY) : -1, fd;
    struct stat st;
    struct fcache_data *ref1, *ref2, *ref3;
    const char *a, *b, *c;
    const size_t n = 12000;

    CHECK(dfd >= 0);
    put(dfd, "f.txt", 'A', n);
    a = fcache_get(dfd, "/f.txt", &st, &fd, &ref1);
    CHECK(a != NULL && ref1 != NULL && fd < 0 && st.st_size == (off_t)n && all(a, 'A', n));
    b = fcache_get(dfd, "/f.txt", &st, &fd, &ref2); /* a hit: the same bytes */
    CHECK(b == a && ref2 == ref1);
    fcache_release(ref2);

    /* the file changes; the next request replaces the entry, and the
     * first reply's bytes must still read 'A' */
    usleep(10000);
    put(dfd, "f.txt", 'B', n);
    c = fcache_get(dfd, "/f.txt", &st, &fd, &ref3);
    CHECK(c != NULL && all(c, 'B', n));
    CHECK(all(a, 'A', n));
    fcache_release(ref1);
    fcache_release(ref3);

    /* too large: the file comes back open, no reference */
    put(dfd, "big.bin", 'C', FCACHE_MAX_FILE + 1);
    c = fcache_get(dfd, "/big.bin", &st, &fd, &ref3);
    CHECK(c == NULL && ref3 == NULL && fd >= 0);
    close(fd);

    unlinkat(dfd, "f.txt", 0);
    unlinkat(dfd, "big.bin", 0);
    close(dfd);
    rmdir(dir);
    return unit_done();
}
