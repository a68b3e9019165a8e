/* open_file_cache (fdcache.c): a file is opened once and its descriptor
 * reused within open_file_cache_valid; after it, a changed file is opened
 * anew; min_uses and errors as nginx; a descriptor held by a reply outlives
 * its entry. */
#include "unit.h"
#include "../../src/fdcache.c"

#include <fcntl.h>

static void put(int dir, const char *name, const char *text)
{
    int fd = openat(dir, name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    close(fd);
}

int main(void)
{
    char tmpl[] = "/tmp/ktlsd-fdcache-XXXXXX";
    const char *dir = mkdtemp(tmpl);
    int dfd = dir ? open(dir, O_PATH | O_DIRECTORY) : -1, fd1, fd2, fd3;
    struct fdcache_conf c = {.max = 8, .inactive = 60, .valid = 60, .min_uses = 1, .errors = 0};
    struct fdcache_ref *r1, *r2, *r3;
    struct stat st;
    char buf[16] = {0};
    time_t t = 1000000;

    CHECK(dfd >= 0);
    put(dfd, "a.txt", "one\n");
    fd1 = fdcache_open(&c, dfd, "/a.txt", &st, t, &r1);
    CHECK(fd1 >= 0 && r1 != NULL && st.st_size == 4);
    fd2 = fdcache_open(&c, dfd, "/a.txt", &st, t + 1, &r2); /* within valid: the same fd */
    CHECK(fd2 == fd1 && r2 == r1);
    fdcache_release(r2);

    /* the file is replaced: still the old descriptor until valid expires */
    unlinkat(dfd, "a.txt", 0);
    put(dfd, "a.txt", "two!\n");
    fd2 = fdcache_open(&c, dfd, "/a.txt", &st, t + 30, &r2);
    CHECK(fd2 == fd1);
    fdcache_release(r2);
    fd3 = fdcache_open(&c, dfd, "/a.txt", &st, t + 61, &r3);
    CHECK(fd3 >= 0 && r3 != NULL && r3 != r1 && st.st_size == 5);
    CHECK(pread(fd3, buf, sizeof(buf) - 1, 0) == 5 && strcmp(buf, "two!\n") == 0);
    /* the first reply still reads the old file through its reference */
    memset(buf, 0, sizeof(buf));
    CHECK(pread(fd1, buf, sizeof(buf) - 1, 0) == 4 && strcmp(buf, "one\n") == 0);
    fdcache_release(r1);
    CHECK(fcntl(fd1, F_GETFD) == -1); /* closed with its last reference */
    fdcache_release(r3);

    /* min_uses 2: the first open is the caller's own, the second is kept */
    c.min_uses = 2;
    put(dfd, "b.txt", "b\n");
    fd1 = fdcache_open(&c, dfd, "/b.txt", &st, t + 100, &r1);
    CHECK(fd1 >= 0 && r1 == NULL);
    close(fd1);
    fd2 = fdcache_open(&c, dfd, "/b.txt", &st, t + 101, &r2);
    CHECK(fd2 >= 0 && r2 != NULL);
    fdcache_release(r2);

    /* errors on: a missing file is remembered within valid */
    c.min_uses = 1;
    c.errors = 1;
    CHECK(fdcache_open(&c, dfd, "/none.txt", &st, t + 200, &r1) == -1 && errno == ENOENT);
    put(dfd, "none.txt", "now\n");
    CHECK(fdcache_open(&c, dfd, "/none.txt", &st, t + 201, &r1) == -1 && errno == ENOENT);
    fd1 = fdcache_open(&c, dfd, "/none.txt", &st, t + 300, &r1);
    CHECK(fd1 >= 0 && r1 != NULL);
    fdcache_release(r1);

    /* off: plain opens */
    c.max = 0;
    fd1 = fdcache_open(&c, dfd, "/b.txt", &st, t + 400, &r1);
    CHECK(fd1 >= 0 && r1 == NULL);
    close(fd1);

    unlinkat(dfd, "a.txt", 0);
    unlinkat(dfd, "b.txt", 0);
    unlinkat(dfd, "none.txt", 0);
    close(dfd);
    rmdir(dir);
    return unit_done();
}
