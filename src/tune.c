/* tune.c: a worker's process settings, as nginx's worker init applies
 * worker_rlimit_nofile (setrlimit RLIMIT_NOFILE) and worker_cpu_affinity
 * (sched_setaffinity: "auto" binds worker N to the N-th allowed CPU; masks
 * are given per worker, the last one repeats; the rightmost digit is CPU 0). */
#include "tune.h"
#include "compress.h"
#include "log.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static void set_affinity(const char *spec, int index)
{
    cpu_set_t set, allowed;
    char buf[1100], *words[65], *save = NULL;
    int n = 0, automatic = 0;

    snprintf(buf, sizeof(buf), "%s", spec);
    for (char *w = strtok_r(buf, " ", &save); w != NULL && n < 65; w = strtok_r(NULL, " ", &save))
        words[n++] = w;
    if (n > 0 && strcmp(words[0], "auto") == 0) {
        automatic = 1;
        memmove(words, words + 1, (size_t)--n * sizeof(*words));
    }
    CPU_ZERO(&set);
    if (automatic) { /* the index-th CPU of the mask (default: all we may use) */
        int k = 0, want;
        if (sched_getaffinity(0, sizeof(allowed), &allowed) != 0)
            return;
        if (n > 0) {
            cpu_set_t m;
            size_t len = strlen(words[0]);
            CPU_ZERO(&m);
            for (size_t i = 0; i < len; i++)
                if (words[0][len - 1 - i] == '1')
                    CPU_SET(i, &m);
            CPU_AND(&allowed, &allowed, &m);
        }
        if (CPU_COUNT(&allowed) == 0)
            return;
        want = index % CPU_COUNT(&allowed);
        for (int c = 0; c < CPU_SETSIZE; c++)
            if (CPU_ISSET(c, &allowed) && k++ == want) {
                CPU_SET(c, &set);
                break;
            }
    } else {
        const char *m = words[index < n ? index : n - 1];
        size_t len = strlen(m);
        for (size_t i = 0; i < len; i++)
            if (m[len - 1 - i] == '1')
                CPU_SET(i, &set);
    }
    if (CPU_COUNT(&set) == 0)
        return;
    if (sched_setaffinity(0, sizeof(set), &set) != 0)
        log_error(LL_ALERT, NULL, "sched_setaffinity() failed (%d: %s)", errno, strerror(errno));
}

void tune_worker(const struct config *cf, int index)
{
    if (cf->worker_rlimit_nofile > 0) {
        struct rlimit rl = {(rlim_t)cf->worker_rlimit_nofile, (rlim_t)cf->worker_rlimit_nofile};
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            log_error(LL_ALERT, NULL, "setrlimit(RLIMIT_NOFILE, %ld) failed (%d: %s)",
                      cf->worker_rlimit_nofile, errno, strerror(errno));
    }
    if (cf->worker_cpu_affinity != NULL)
        set_affinity(cf->worker_cpu_affinity, index);
    compress_cache_size((size_t)cf->compress_cache_size);
}
