/* tlsconn: the TLS connection load generator of bench/run (one thread, epoll).
 *
 *   rate mode (default): keeps -c connections in flight for -d seconds; each one
 *     connects, does a TLS handshake, sends one "GET PATH" with "Connection: close",
 *     reads the response to EOF and is replaced by a new one. With -r a connection
 *     offers the session (ticket) its slot got last time, so handshakes are resumed
 *     when the server allows; without -r every handshake is a full one.
 *   idle mode (-n N): opens N connections (-c in flight at a time), completes the
 *     handshakes, sends nothing, prints one JSON line, then holds them until stdin
 *     reaches EOF (or -d seconds, if given), and prints a second JSON line.
 *
 * Output: one JSON object per line on stdout; diagnostics on stderr.
 * Build: cc -O2 -o tlsconn tlsconn.c -lssl -lcrypto */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

enum { S_FREE, S_CONNECT, S_HANDSHAKE, S_WRITE, S_READ, S_IDLE };

struct slot {
    int fd;
    int state;
    SSL *ssl;
    SSL_SESSION *sess; /* rate mode with -r: the last session of this slot */
    uint64_t t0;
    size_t wpos;
    char head[4096];
    size_t hlen;
    int status;          /* 0 until the head is parsed */
    long long clen;      /* -1: unknown */
    long long body;      /* body bytes read */
};

static const char *host = "127.0.0.1";
static int port = 443;
static const char *path = "/";
static const char *sni = "localhost";
static int conc = 16;
static double duration = 10;
static int resume;
static long idle_n;
static int tls_max;
static int epfd;
static SSL_CTX *ctx;
static struct sockaddr_in addr;
static char req[1024];
static size_t req_len;

/* results */
static long long n_conns, n_resumed, n_2xx, n_other, n_err_connect, n_err_tls, n_err_io, n_err_proto, n_timeout;
static long long bytes_in;
static uint32_t *lat;
static size_t lat_n, lat_cap;
static long long idle_established, idle_closed_by_server;
static long pending; /* idle mode: connections not yet established */

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void add_lat(uint64_t us)
{
    if (lat_n == lat_cap) {
        lat_cap = lat_cap ? lat_cap * 2 : 65536;
        lat = realloc(lat, lat_cap * sizeof(*lat));
        if (lat == NULL) {
            perror("realloc");
            exit(2);
        }
    }
    lat[lat_n++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static uint32_t pct(double p)
{
    if (lat_n == 0)
        return 0;
    size_t i = (size_t)(p / 100.0 * (double)(lat_n - 1) + 0.5);
    return lat[i];
}

/* -r: each slot keeps the last session (ticket) the server gave it, like wrk */
static int on_new_session(SSL *ssl, SSL_SESSION *sess)
{
    struct slot *s = SSL_get_app_data(ssl);
    if (s == NULL || !resume)
        return 0;
    if (s->sess)
        SSL_SESSION_free(s->sess);
    s->sess = sess;
    return 1; /* we keep the reference */
}

static void slot_close(struct slot *s)
{
    if (s->state == S_CONNECT || s->state == S_HANDSHAKE)
        pending--;
    if (s->ssl != NULL) {
        /* A clean end: without it SSL_free() marks the session not resumable. The
         * server has closed already (Connection: close), so send nothing. */
        if (s->state == S_READ || s->state == S_IDLE)
            SSL_set_shutdown(s->ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
        SSL_free(s->ssl);
        s->ssl = NULL;
    }
    if (s->fd >= 0) {
        close(s->fd); /* also removes it from epoll */
        s->fd = -1;
    }
    s->state = S_FREE;
}

static void watch(struct slot *s, uint32_t ev, int op)
{
    struct epoll_event e = {.events = ev, .data.ptr = s};
    if (epoll_ctl(epfd, op, s->fd, &e) < 0) {
        perror("epoll_ctl");
        exit(2);
    }
}

/* Starts a new connection in slot s; 0 on success, -1 when the socket could not be made. */
static int slot_start(struct slot *s)
{
    memset(s->head, 0, 1);
    s->hlen = 0;
    s->status = 0;
    s->clen = -1;
    s->body = 0;
    s->wpos = 0;
    s->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s->fd < 0) {
        if (errno != EMFILE && errno != ENFILE)
            perror("socket");
        n_err_connect++;
        return -1;
    }
    int one = 1;
    setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    s->t0 = now_us();
    if (connect(s->fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 && errno != EINPROGRESS) {
        n_err_connect++;
        close(s->fd);
        s->fd = -1;
        return -1;
    }
    s->ssl = SSL_new(ctx);
    SSL_set_fd(s->ssl, s->fd);
    SSL_set_app_data(s->ssl, s);
    SSL_set_tlsext_host_name(s->ssl, sni);
    if (resume && s->sess != NULL)
        SSL_set_session(s->ssl, s->sess);
    SSL_set_connect_state(s->ssl);
    s->state = S_CONNECT;
    pending++;
    watch(s, EPOLLOUT, EPOLL_CTL_ADD);
    return 0;
}

/* Parses the response head once "\r\n\r\n" is in; returns 1 when parsed, 0 when not yet, -1 on garbage. */
static int parse_head(struct slot *s)
{
    char *end = memmem(s->head, s->hlen, "\r\n\r\n", 4);
    if (end == NULL)
        return s->hlen >= sizeof(s->head) ? -1 : 0;
    if (s->hlen < 12 || memcmp(s->head, "HTTP/1.", 7) != 0)
        return -1;
    s->status = atoi(s->head + 9);
    *end = '\0';
    for (char *p = s->head; (p = strcasestr(p, "\r\ncontent-length:")) != NULL; p++)
        s->clen = atoll(p + 17);
    size_t head_len = (size_t)(end - s->head) + 4;
    s->body = (long long)(s->hlen - head_len);
    return 1;
}

static void finish(struct slot *s, int ok)
{
    if (ok) {
        n_conns++;
        if (SSL_session_reused(s->ssl))
            n_resumed++;
        if (s->status >= 200 && s->status < 300 && (s->clen < 0 || s->body == s->clen))
            n_2xx++;
        else
            n_other++;
        add_lat(now_us() - s->t0);
    }
    slot_close(s);
}

static void on_event(struct slot *s)
{
    int r, e;
    char buf[65536];

    if (s->state == S_CONNECT) {
        int err = 0;
        socklen_t l = sizeof(err);
        getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &l);
        if (err != 0) {
            n_err_connect++;
            slot_close(s);
            return;
        }
        s->state = S_HANDSHAKE;
    }
    if (s->state == S_HANDSHAKE) {
        r = SSL_do_handshake(s->ssl);
        if (r != 1) {
            e = SSL_get_error(s->ssl, r);
            if (e == SSL_ERROR_WANT_READ) {
                watch(s, EPOLLIN, EPOLL_CTL_MOD);
                return;
            }
            if (e == SSL_ERROR_WANT_WRITE) {
                watch(s, EPOLLOUT, EPOLL_CTL_MOD);
                return;
            }
            if (n_err_tls < 3)
                fprintf(stderr, "tlsconn: handshake failed: %s\n", ERR_error_string(ERR_get_error(), NULL));
            ERR_clear_error();
            n_err_tls++;
            slot_close(s);
            return;
        }
        pending--;
        if (idle_n > 0) {
            s->state = S_IDLE;
            idle_established++;
            watch(s, EPOLLIN, EPOLL_CTL_MOD);
            /* fall through to S_IDLE: consume session tickets already here */
        } else {
            s->state = S_WRITE;
        }
    }
    if (s->state == S_IDLE) {
        for (;;) {
            r = SSL_read(s->ssl, buf, sizeof(buf));
            if (r > 0)
                continue; /* the server should not send data: ignore it */
            e = SSL_get_error(s->ssl, r);
            if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
                return;
            ERR_clear_error();
            idle_closed_by_server++;
            idle_established--;
            slot_close(s);
            return;
        }
    }
    if (s->state == S_WRITE) {
        while (s->wpos < req_len) {
            size_t n = 0;
            r = SSL_write_ex(s->ssl, req + s->wpos, req_len - s->wpos, &n);
            if (r != 1) {
                e = SSL_get_error(s->ssl, 0);
                if (e == SSL_ERROR_WANT_WRITE) {
                    watch(s, EPOLLOUT, EPOLL_CTL_MOD);
                    return;
                }
                if (e == SSL_ERROR_WANT_READ) {
                    watch(s, EPOLLIN, EPOLL_CTL_MOD);
                    return;
                }
                ERR_clear_error();
                n_err_io++;
                slot_close(s);
                return;
            }
            s->wpos += n;
        }
        s->state = S_READ;
        watch(s, EPOLLIN, EPOLL_CTL_MOD);
    }
    if (s->state == S_READ) {
        for (;;) {
            size_t n = 0;
            r = SSL_read_ex(s->ssl, buf, sizeof(buf), &n);
            if (r == 1) {
                bytes_in += (long long)n;
                if (s->status == 0) {
                    size_t room = sizeof(s->head) - s->hlen, c = n < room ? n : room;
                    memcpy(s->head + s->hlen, buf, c);
                    s->hlen += c;
                    int p = parse_head(s);
                    if (p < 0) {
                        n_err_proto++;
                        slot_close(s);
                        return;
                    }
                    if (p > 0)
                        s->body += (long long)(n - c);
                } else {
                    s->body += (long long)n;
                }
                continue;
            }
            e = SSL_get_error(s->ssl, 0);
            if (e == SSL_ERROR_WANT_READ)
                return;
            if (e == SSL_ERROR_WANT_WRITE) {
                watch(s, EPOLLOUT, EPOLL_CTL_MOD);
                return;
            }
            ERR_clear_error();
            /* EOF (close_notify or a plain FIN): the response is complete if its head was */
            if (s->status > 0 && (e == SSL_ERROR_ZERO_RETURN || e == SSL_ERROR_SYSCALL)) {
                finish(s, 1);
            } else {
                n_err_io++;
                slot_close(s);
            }
            return;
        }
    }
}

static void usage(void)
{
    fprintf(stderr, "usage: tlsconn -p PORT [-H HOST] [-u PATH] [-c CONC] [-d SECONDS] [-r] [-n IDLE_N] [-2]\n");
    exit(2);
}

static volatile sig_atomic_t stop;
static void on_sig(int sig)
{
    (void)sig;
    stop = 1;
}

int main(int argc, char **argv)
{
    int opt;
    while ((opt = getopt(argc, argv, "H:p:u:c:d:rn:2s:")) != -1) {
        switch (opt) {
        case 'H': host = optarg; break;
        case 'p': port = atoi(optarg); break;
        case 'u': path = optarg; break;
        case 'c': conc = atoi(optarg); break;
        case 'd': duration = atof(optarg); break;
        case 'r': resume = 1; break;
        case 'n': idle_n = atol(optarg); break;
        case '2': tls_max = TLS1_2_VERSION; break;
        case 's': sni = optarg; break;
        default: usage();
        }
    }
    if (conc < 1 || port <= 0)
        usage();
    signal(SIGPIPE, SIG_IGN);
    signal(SIGTERM, on_sig);
    signal(SIGINT, on_sig);

    if (idle_n > 0) { /* room for the sockets */
        struct rlimit rl;
        getrlimit(RLIMIT_NOFILE, &rl);
        if (rl.rlim_cur < (rlim_t)idle_n + 64) {
            rl.rlim_cur = rl.rlim_max;
            setrlimit(RLIMIT_NOFILE, &rl);
        }
    }

    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
        fprintf(stderr, "tlsconn: bad IPv4 address %s\n", host);
        return 2;
    }
    req_len = (size_t)snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: tlsconn\r\nConnection: close\r\n\r\n",
                               path, sni);

    ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(ctx, on_new_session);
    if (tls_max)
        SSL_CTX_set_max_proto_version(ctx, tls_max);
    if (!resume)
        SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);

    epfd = epoll_create1(EPOLL_CLOEXEC);
    size_t nslots = idle_n > 0 ? (size_t)idle_n : (size_t)conc;
    struct slot *slots = calloc(nslots, sizeof(*slots));
    if (slots == NULL) {
        perror("calloc");
        return 2;
    }
    for (size_t i = 0; i < nslots; i++) {
        slots[i].fd = -1;
        slots[i].state = S_FREE;
    }

    struct epoll_event evs[256];
    uint64_t t_start = now_us();

    if (idle_n > 0) {
        /* open idle_n connections, at most conc handshakes in flight */
        size_t next = 0;
        uint64_t deadline = t_start + 120u * 1000000u;
        while (!stop) {
            while (next < nslots && pending < conc)
                slot_start(&slots[next++]);
            if (next >= nslots && pending == 0)
                break;
            if (now_us() > deadline) {
                n_timeout += pending;
                break;
            }
            int k = epoll_wait(epfd, evs, 256, 100);
            for (int i = 0; i < k; i++)
                on_event(evs[i].data.ptr);
        }
        printf("{\"mode\":\"idle\",\"phase\":\"open\",\"requested\":%ld,\"established\":%lld,\"closed_by_server\":%lld,"
               "\"err_connect\":%lld,\"err_tls\":%lld,\"timeout\":%lld,\"open_s\":%.3f}\n",
               idle_n, idle_established, idle_closed_by_server, n_err_connect, n_err_tls, n_timeout,
               (double)(now_us() - t_start) / 1e6);
        fflush(stdout);
        /* hold: serve events (tickets, closes) until stdin EOF, a signal or -d */
        int infd = 0;
        struct epoll_event e = {.events = EPOLLIN, .data.ptr = NULL};
        int have_stdin = epoll_ctl(epfd, EPOLL_CTL_ADD, infd, &e) == 0;
        uint64_t hold_end = duration > 0 && !have_stdin ? now_us() + (uint64_t)(duration * 1e6) : UINT64_MAX;
        while (!stop && now_us() < hold_end) {
            int k = epoll_wait(epfd, evs, 256, 200);
            for (int i = 0; i < k; i++) {
                if (evs[i].data.ptr == NULL) {
                    char b[256];
                    ssize_t r = read(infd, b, sizeof(b));
                    if (r <= 0)
                        stop = 1;
                } else {
                    on_event(evs[i].data.ptr);
                }
            }
        }
        printf("{\"mode\":\"idle\",\"phase\":\"end\",\"established\":%lld,\"closed_by_server\":%lld}\n", idle_established,
               idle_closed_by_server);
        fflush(stdout);
        /* close with a reset: no TIME_WAIT left behind by thousands of sockets */
        struct linger lg = {.l_onoff = 1, .l_linger = 0};
        for (size_t i = 0; i < nslots; i++)
            if (slots[i].fd >= 0)
                setsockopt(slots[i].fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
        return 0;
    }

    /* rate mode */
    uint64_t t_end = t_start + (uint64_t)(duration * 1e6);
    for (size_t i = 0; i < nslots; i++)
        slot_start(&slots[i]);
    while (!stop) {
        uint64_t t = now_us();
        if (t >= t_end)
            break;
        int k = epoll_wait(epfd, evs, 256, 50);
        for (int i = 0; i < k; i++)
            on_event(evs[i].data.ptr);
        t = now_us();
        for (size_t i = 0; i < nslots; i++) {
            struct slot *s = &slots[i];
            if (s->state != S_FREE && t - s->t0 > 10u * 1000000u) {
                n_timeout++;
                slot_close(s);
            }
            if (s->state == S_FREE && t < t_end && slot_start(s) < 0)
                usleep(1000);
        }
    }
    uint64_t elapsed = now_us() - t_start;
    qsort(lat, lat_n, sizeof(*lat), cmp_u32);
    printf("{\"mode\":\"rate\",\"resume\":%d,\"duration_us\":%llu,\"conns\":%lld,\"resumed\":%lld,\"ok\":%lld,"
           "\"bad_status\":%lld,\"err_connect\":%lld,\"err_tls\":%lld,\"err_io\":%lld,\"err_proto\":%lld,"
           "\"timeout\":%lld,\"bytes\":%lld,\"p50\":%u,\"p99\":%u}\n",
           resume, (unsigned long long)elapsed, n_conns, n_resumed, n_2xx, n_other, n_err_connect, n_err_tls, n_err_io,
           n_err_proto, n_timeout, bytes_in, pct(50), pct(99));
    return 0;
}
