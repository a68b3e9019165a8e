/* libFuzzer target: arbitrary bytes as a configuration file. Every input
 * must end in a config or in a "FILE:LINE: message", never in a crash. */
#include "config.h"
#include "util.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[64];
    char err[2048];
    struct config *cf;
    FILE *f;

    if (path[0] == '\0')
        snprintf(path, sizeof(path), "/tmp/ktlsd-fuzz-%d.conf", (int)getpid());
    /* keep includes from reaching the real file system */
    if (memmem(data, size, "include", 7) != NULL)
        return 0;
    f = fopen(path, "w");
    if (f == NULL)
        return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    cf = config_load(path, err, sizeof(err));
    if (cf == NULL && strncmp(err, path, strlen(path)) != 0 && strncmp(err, "open()", 6) != 0)
        __builtin_trap(); /* an error without FILE:LINE */
    config_free(cf);
    return 0;
}
