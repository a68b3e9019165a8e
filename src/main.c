/* main.c: the command line: -c, -t/-T, -s, -v/-V, -h; then the master. */
#include "activate.h"
#include "config.h"
#include "ktls_info.h"
#include "log.h"
#include "server.h"
#include "tls.h"
#include "util.h"
#include "version.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <ev.h>
#include <llhttp.h>
#include <openssl/crypto.h>

#define DEFAULT_CONF "/etc/ktlsd/ktlsd.conf"

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: ktlsd [-c FILE] [-t|-T] [-s SIGNAL] [-v|-V] [-h]\n"
            "  -c FILE    configuration file (default " DEFAULT_CONF ")\n"
            "  -t         test the configuration (syntax, certificates and keys) and exit\n"
            "  -T         test the configuration, print it with every include to stdout, exit\n"
            "  -s SIGNAL  send SIGNAL to the running master (found through the pid file):\n"
            "             reload, quit (graceful stop), stop (fast stop), reopen (log files)\n"
            "  -v         print the version and exit\n"
            "  -V         print the version, OpenSSL and kTLS support, NIC TLS offloads, and exit\n"
            "  -h         this help\n");
}

/* ktls_zerocopy_sendfile: TLS_TX_ZEROCOPY_RO came with Linux 5.19. */
static void print_zerocopy(const struct ktls_support *k)
{
    struct utsname u;
    int major = 0, minor = 0, have;
    have = uname(&u) == 0 && sscanf(u.release, "%d.%d", &major, &minor) == 2 &&
           (major > 5 || (major == 5 && minor >= 19));
    printf("kTLS zero-copy sendfile (ktls_zerocopy_sendfile, TLS_TX_ZEROCOPY_RO): %s (kernel %s, "
           "needs 5.19+ with kTLS; headers %s it)\n",
           have && k->openssl && k->kernel ? "available" : "unavailable",
           major ? u.release : "unknown",
           KTLSD_HAVE_TLS_TX_ZEROCOPY_RO ? "define" : "do not define");
}

/* The operator's first question: will connections get kTLS here? */
static void print_versions(void)
{
    struct ktls_support k;
    tls_ktls_probe(&k);
    printf("ktlsd version %s\n", KTLSD_VERSION);
    printf("built with %s, running with %s\n", OPENSSL_VERSION_TEXT,
           OpenSSL_version(OPENSSL_VERSION));
    printf("libev %d.%d, llhttp %d.%d.%d\n", ev_version_major(), ev_version_minor(),
           LLHTTP_VERSION_MAJOR, LLHTTP_VERSION_MINOR, LLHTTP_VERSION_PATCH);
    printf("kTLS in OpenSSL: %s\n", k.openssl ? "yes" : "no");
    printf("kernel TLS ULP: %s\n", k.kernel ? "available" : "unavailable");
    if (k.openssl)
        printf("kTLS with %s: TLS 1.2 %s, TLS 1.3 %s\n", OpenSSL_version(OPENSSL_VERSION),
               tls_ktls_directions(TLS1_2_VERSION), tls_ktls_directions(TLS1_3_VERSION));
    if (!k.openssl || !k.kernel)
        printf("kTLS: off, TLS runs in user space: %s\n", k.reason);
    else
        printf("kTLS: on for connections whose cipher the kernel takes (AES-GCM; "
               "ChaCha20-Poly1305 on\n      kernels >= 5.11 with its crypto modules)\n");
    ktls_nic_print(stdout);
    print_zerocopy(&k);
}

static const struct {
    const char *name;
    int sig;
} signals[] = {{"reload", SIGHUP}, {"quit", SIGQUIT}, {"stop", SIGTERM}, {"reopen", SIGUSR1}};

/* -s NAME: signal the running master, found through the configuration's
 * pid file (nginx -s). Returns the exit status. */
static int signal_master(const struct config *cf, int sig, const char *name)
{
    char buf[32], *end;
    long pid;
    ssize_t n;
    int fd;

    if (cf->pid_file == NULL) {
        fprintf(stderr,
                "ktlsd: [error] %s has no \"pid\" directive: cannot find the master process\n",
                cf->path);
        return 1;
    }
    fd = open(cf->pid_file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "ktlsd: [error] open() \"%s\" failed (%d: %s)\n", cf->pid_file, errno,
                strerror(errno));
        return 1;
    }
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    buf[n > 0 ? n : 0] = '\0';
    errno = 0;
    pid = strtol(buf, &end, 10);
    if (errno != 0 || end == buf || (*end != '\n' && *end != '\0') || pid <= 1 ||
        pid > 0x7fffffff) {
        fprintf(stderr, "ktlsd: [error] invalid PID number \"%.*s\" in \"%s\"\n",
                (int)strcspn(buf, "\n"), buf, cf->pid_file);
        return 1;
    }
    if (kill((pid_t)pid, sig) != 0) {
        fprintf(stderr, "ktlsd: [alert] kill(%ld, %d) failed (%d: %s) for -s %s\n", pid, sig, errno,
                strerror(errno), name);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *conf = DEFAULT_CONF;
    const char *signame = NULL;
    int test = 0, dump = 0, sig = 0, opt;
    char err[2048];
    struct config *cf;

    while ((opt = getopt(argc, argv, "c:tTs:vVh")) != -1) {
        switch (opt) {
        case 'c':
            conf = optarg;
            break;
        case 't':
            test = 1;
            break;
        case 'T':
            test = dump = 1;
            break;
        case 's':
            signame = optarg;
            for (size_t i = 0; i < ARRAY_LEN(signals); i++)
                if (strcmp(optarg, signals[i].name) == 0)
                    sig = signals[i].sig;
            if (sig == 0) {
                fprintf(stderr, "ktlsd: invalid option: \"-s %s\" (reload, quit, stop or reopen)\n",
                        optarg);
                return 1;
            }
            break;
        case 'v':
            printf("ktlsd version %s\n", KTLSD_VERSION);
            return 0;
        case 'V':
            print_versions();
            return 0;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "ktlsd: invalid option: \"%s\"\n", argv[optind]);
        usage(stderr);
        return 1;
    }

    cf = config_load(conf, err, sizeof(err));
    if (cf == NULL) {
        fprintf(stderr, "ktlsd: [emerg] %s\n", err);
        if (test)
            fprintf(stderr, "ktlsd: configuration file %s test failed\n", conf);
        return 1;
    }
    if (sig != 0) {
        int st = signal_master(cf, sig, signame);
        config_free(cf);
        return st;
    }
    if (test) {
        int ok = activate_config(cf, err, sizeof(err)) == KT_OK;
        if (ok) {
            fprintf(stderr, "ktlsd: the configuration file %s syntax is ok\n", conf);
            fprintf(stderr, "ktlsd: configuration file %s test is successful\n", conf);
            if (dump) {
                config_dump(cf, stdout);
                ok = fflush(stdout) == 0;
            }
        } else {
            fprintf(stderr, "ktlsd: [emerg] %s\n", err);
            fprintf(stderr, "ktlsd: configuration file %s test failed\n", conf);
        }
        config_free(cf);
        return ok ? 0 : 1;
    }
    return server_run(cf);
}
