/* libFuzzer target: arbitrary bytes as a client's request stream, through
 * llhttp and ktlsd's callbacks, then the pure request-side helpers (path
 * normalisation, Range, conditional headers, Accept-Encoding) on what was
 * parsed. Build: cmake -DKTLSD_FUZZ=ON with clang (see tests/fuzz/README). */
#include "http.h"
#include "static.h"
#include "config.h"
#include "util.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct request r;
    char buf[16384], path[HTTP_MAX_URL + 256];
    size_t parsed = 0, len = size < sizeof(buf) ? size : sizeof(buf);

    memcpy(buf, data, len);
    http_request_init(&r);
    /* feed in two pieces, as reads would, and go on after each request */
    for (size_t cut = len / 2, end = cut; parsed <= len;) {
        int rc = http_parse(&r, buf, end, &parsed);
        if (rc == KT_ERROR)
            break;
        if (rc == KT_AGAIN) {
            if (end == len)
                break;
            end = len;
            continue;
        }
        if (!r.complete) {
            r.body_limit = 100;
            continue;
        }
        if (r.url.len > 0) {
            const char *v;
            size_t vlen, n;
            struct range rg[64];
            struct conditions c = {0};
            static_normalize(buf + r.url.off, r.url.len, path, sizeof(path), &n);
            if ((v = http_header(&r, "range", &vlen)) != NULL)
                static_ranges(v, vlen, 100000, -1, rg, 64, &n);
            if ((v = http_header(&r, "accept-encoding", &vlen)) != NULL)
                static_accepts(v, vlen, "gzip");
            c.if_match = http_header(&r, "if-match", &c.if_match_len);
            c.if_none_match = http_header(&r, "if-none-match", &c.if_none_match_len);
            c.if_modified_since = http_header(&r, "if-modified-since", &c.if_modified_since_len);
            c.if_unmodified_since =
                http_header(&r, "if-unmodified-since", &c.if_unmodified_since_len);
            static_conditions(&c, "\"5f5a1b2c-1a4\"", 1600000000, 1, IMS_BEFORE);
            if ((v = http_header(&r, "if-range", &vlen)) != NULL)
                static_if_range(v, vlen, "\"5f5a1b2c-1a4\"", 1600000000);
        }
        if (parsed >= end)
            break;
    }
    return 0;
}
