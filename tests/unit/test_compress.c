/* compress: bytes decompress to the input; a repeat is a hit; a changed
 * file (size or mtime) is a new key; the cache stays within its budget,
 * dropping the least recently used; bytes handed out stay valid through
 * their reference after eviction; a budget of 0 caches nothing. */
#include "unit.h"
#include "../../src/compress.c"

#include <brotli/decode.h>

static char input[200000];

static struct stat key(ino_t ino, off_t size, time_t mtime)
{
    struct stat st;
    memset(&st, 0, sizeof(st));
    st.st_dev = 1;
    st.st_ino = ino;
    st.st_size = size;
    st.st_mtim.tv_sec = mtime;
    return st;
}

static int gunzip_same(const char *z, size_t zlen, const char *want, size_t wlen)
{
    char *out = malloc(wlen + 16);
    z_stream s;
    int ok;
    memset(&s, 0, sizeof(s));
    inflateInit2(&s, MAX_WBITS + 16);
    s.next_in = (Bytef *)(uintptr_t)z;
    s.avail_in = (uInt)zlen;
    s.next_out = (Bytef *)out;
    s.avail_out = (uInt)(wlen + 16);
    ok = inflate(&s, Z_FINISH) == Z_STREAM_END && s.total_out == wlen &&
         memcmp(out, want, wlen) == 0;
    inflateEnd(&s);
    free(out);
    return ok;
}

int main(void)
{
    struct compress_data *r1, *r2, *r3, *r4;
    struct compress_stats cs;
    const char *a, *b, *c;
    size_t alen, blen, clen, dlen = sizeof(input);
    char *dec;

    for (size_t i = 0; i < sizeof(input); i++)
        input[i] = "kernel tls static file "[i % 23] + (char)(i % 1000 == 0);
    struct stat s1 = key(10, 100000, 1000), s2 = key(11, 100000, 1000);

    a = compress_get(&s1, -1, input, "gzip", 6, &alen, &r1);
    CHECK(a != NULL && alen < 20000);
    CHECK(a != NULL && gunzip_same(a, alen, input, 100000));
    b = compress_get(&s1, -1, input, "gzip", 6, &blen, &r2);
    CHECK(b == a && blen == alen); /* a hit: the same bytes */
    compress_stats(&cs);
    CHECK(cs.hits == 1 && cs.misses == 1 && cs.entries == 1 && cs.bytes == alen);
    compress_release(r2);

    /* another level, coding, mtime or size: another entry */
    c = compress_get(&s1, -1, input, "gzip", 1, &clen, &r3);
    CHECK(c != NULL && c != a);
    compress_release(r3);
    struct stat s1m = key(10, 100000, 1001);
    c = compress_get(&s1m, -1, input, "gzip", 6, &clen, &r3);
    CHECK(c != NULL && c != a);
    compress_release(r3);
    c = compress_get(&s1, -1, input, "br", 5, &clen, &r3);
    CHECK(c != NULL && clen < 20000);
    dec = malloc(dlen);
    CHECK(c != NULL &&
          BrotliDecoderDecompress(clen, (const uint8_t *)c, &dlen, (uint8_t *)dec) ==
              BROTLI_DECODER_RESULT_SUCCESS &&
          dlen == 100000 && memcmp(dec, input, 100000) == 0);
    free(dec);
    compress_release(r3);
    compress_stats(&cs);
    CHECK(cs.entries == 4 && cs.misses == 4);

    /* a budget for about one entry: the least recently used go first */
    compress_cache_size(alen + 10);
    compress_stats(&cs);
    CHECK(cs.bytes <= alen + 10);
    c = compress_get(&s2, -1, input, "gzip", 6, &clen, &r3);
    compress_stats(&cs);
    CHECK(cs.entries == 1 && cs.bytes == clen);
    /* r1 still holds the first file's bytes, evicted: still valid */
    CHECK(gunzip_same(a, alen, input, 100000));
    compress_release(r1);
    b = compress_get(&s2, -1, input, "gzip", 6, &blen, &r4);
    CHECK(b == c); /* the survivor is a hit */
    compress_release(r3);
    compress_release(r4);

    /* budget 0: nothing kept, each call compresses anew */
    compress_cache_size(0);
    compress_stats(&cs);
    CHECK(cs.entries == 0 && cs.bytes == 0);
    a = compress_get(&s1, -1, input, "gzip", 6, &alen, &r1);
    CHECK(a != NULL && gunzip_same(a, alen, input, 100000));
    compress_stats(&cs);
    CHECK(cs.entries == 0);
    compress_release(r1);

    /* from a file descriptor */
    {
        char path[] = "/tmp/ktlsd-compress-XXXXXX";
        int fd = mkstemp(path);
        struct stat st;
        CHECK(fd >= 0 && write(fd, input, 5000) == 5000);
        fstat(fd, &st);
        a = compress_get(&st, fd, NULL, "gzip", 1, &alen, &r1);
        CHECK(a != NULL && gunzip_same(a, alen, input, 5000));
        compress_release(r1);
        close(fd);
        unlink(path);
    }
    return unit_done();
}
