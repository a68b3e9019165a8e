/* unit.h: a tiny harness: CHECK() counts, unit_done() prints "N passed, M failed". */
#ifndef KTLSD_UNIT_H
#define KTLSD_UNIT_H

#include <stdio.h>
#include <string.h>

static int unit_pass, unit_fail;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (cond) {                                                                                \
            unit_pass++;                                                                           \
        } else {                                                                                   \
            unit_fail++;                                                                           \
            fprintf(stderr, "%s:%d: FAILED: %s\n", __FILE__, __LINE__, #cond);                     \
        }                                                                                          \
    } while (0)

#define CHECK_STR(got, want)                                                                       \
    do {                                                                                           \
        const char *g_ = (got), *w_ = (want);                                                      \
        if (g_ != NULL && strcmp(g_, w_) == 0) {                                                   \
            unit_pass++;                                                                           \
        } else {                                                                                   \
            unit_fail++;                                                                           \
            fprintf(stderr, "%s:%d: FAILED: %s\n  got:  %s\n  want: %s\n", __FILE__, __LINE__,     \
                    #got, g_ ? g_ : "(null)", w_);                                                 \
        }                                                                                          \
    } while (0)

static inline int unit_done(void)
{
    printf("%d passed, %d failed\n", unit_pass, unit_fail);
    return unit_fail ? 1 : 0;
}

#endif
