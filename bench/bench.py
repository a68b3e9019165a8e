#!/usr/bin/env python3
"""ktlsd vs nginx: the measuring half of bench/run (bench/run installs the packages,
builds ktlsd and then runs this). See bench/README.md for the method.

Both servers read one generated configuration, run with the same worker count,
certificate and corpus, pinned with taskset to the server CPUs, while the load
generators run on the client CPUs. Per workload the servers alternate run by run
(A B B A ...), each run on a freshly started server after a warm-up.
"""
import argparse
import csv
import datetime
import json
import os
import platform
import random
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(BENCH)
HZ = os.sysconf('SC_CLK_TCK')
SERVERS = ('ktlsd', 'nginx')
CORPUS_VERSION = '1'

# name: (kind, path, connections, description)
WORKLOADS = {
    '1k': ('wrk', '/1k.bin', 64, '1 KiB, keep-alive'),
    '16k': ('wrk', '/16k.bin', 64, '16 KiB, keep-alive'),
    '100k': ('wrk', '/100k.bin', 32, '100 KiB, keep-alive'),
    '1m': ('wrk', '/1m.bin', 16, '1 MiB, keep-alive'),
    '10m': ('wrk', '/10m.bin', 8, '10 MiB, keep-alive'),
    '100m': ('wrk', '/100m.bin', 4, '100 MiB, keep-alive'),
    'tree': ('wrk', None, 64, '10,000 small files (0.1-8 KiB) at random, keep-alive'),
    'conn-full': ('conn', '/1k.bin', 32, 'new TLS connection per 1 KiB request, full handshake'),
    'conn-resumed': ('conn', '/1k.bin', 32, 'new TLS connection per 1 KiB request, resumed (ticket)'),
    'close-wrk': ('wrk-close', '/1k.bin', 32, 'wrk with "Connection: close" (1 KiB; wrk resumes)'),
    'idle': ('idle', None, 64, 'memory per idle TLS connection'),
    'h2-1k': ('h2load', '/1k.bin', 16, 'HTTP/2, 1 KiB, 32 streams per connection'),
    'h2-100k': ('h2load', '/100k.bin', 8, 'HTTP/2, 100 KiB, 4 streams per connection'),
    'h2-10m': ('h2load', '/10m.bin', 4, 'HTTP/2, 10 MiB, 1 stream per connection'),
}
# h2load -m: concurrent streams per connection of the HTTP/2 workloads
H2_STREAMS = {'h2-1k': 32, 'h2-100k': 4, 'h2-10m': 1}
DEFAULT_WORKLOADS = ['1k', '16k', '100k', '1m', '10m', '100m', 'tree', 'conn-full', 'conn-resumed', 'idle',
                     'h2-1k', 'h2-100k', 'h2-10m']
QUICK_WORKLOADS = ['1k', '10m', 'tree', 'conn-full', 'idle', 'h2-1k', 'h2-10m']
FILES = {'1k.bin': 1024, '16k.bin': 16384, '100k.bin': 102400, '1m.bin': 1 << 20, '10m.bin': 10 << 20,
         '100m.bin': 100 << 20}
TREE_N = 10000


def log(msg=''):
    print(msg, flush=True)


def die(msg):
    print('bench: ' + msg, file=sys.stderr, flush=True)
    sys.exit(2)


def run(cmd, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)


def cpulist(s):
    out = []
    for part in s.split(','):
        if '-' in part:
            a, b = part.split('-')
            out.extend(range(int(a), int(b) + 1))
        elif part:
            out.append(int(part))
    return out


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    p = s.getsockname()[1]
    s.close()
    return p


def port_open(port):
    try:
        socket.create_connection(('127.0.0.1', port), timeout=1).close()
        return True
    except OSError:
        return False


# ---------------------------------------------------------------- /proc readers
def proc_times(pid):
    """(utime, stime) in seconds, or None when the process is gone."""
    try:
        with open('/proc/%d/stat' % pid) as f:
            rest = f.read().rsplit(')', 1)[1].split()
        return int(rest[11]) / HZ, int(rest[12]) / HZ
    except (OSError, IndexError):
        return None


def proc_status(pid, key):
    try:
        with open('/proc/%d/status' % pid) as f:
            for line in f:
                if line.startswith(key + ':'):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def children(pid):
    try:
        with open('/proc/%d/task/%d/children' % (pid, pid)) as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def system_busy():
    with open('/proc/stat') as f:
        v = [int(x) for x in f.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal
    return (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / HZ


def tls_stat():
    try:
        with open('/proc/net/tls_stat') as f:
            return {k: int(v) for k, v in (line.split() for line in f if line.strip())}
    except OSError:
        return None


def tls_tx(a, b):
    if a is None or b is None:
        return None
    return (b.get('TlsTxSw', 0) - a.get('TlsTxSw', 0)) + (b.get('TlsTxDevice', 0) - a.get('TlsTxDevice', 0))


# ---------------------------------------------------------------- set-up
class Setup:
    pass


def make_corpus(work, want_100m):
    www = os.path.join(work, 'www')
    stamp = os.path.join(www, '.corpus-v' + CORPUS_VERSION)
    os.makedirs(www, exist_ok=True)
    os.chmod(work, 0o755)
    os.chmod(www, 0o755)
    if not os.path.exists(stamp):
        log('bench: generating the corpus in %s' % www)
        rnd = random.Random(42)
        for name, size in FILES.items():
            if name == '100m.bin':
                continue
            with open(os.path.join(www, name), 'wb') as f:
                f.write(os.urandom(size))
        tree = os.path.join(www, 'tree')
        os.makedirs(tree, exist_ok=True)
        paths = []
        for i in range(TREE_N):
            d = os.path.join(tree, 'd%02d' % (i // 100))
            if i % 100 == 0:
                os.makedirs(d, exist_ok=True)
            size = rnd.randint(100, 8191)
            name = 'f%04d.txt' % i
            with open(os.path.join(d, name), 'wb') as f:
                f.write(bytes(rnd.choice(b'abcdefghijklmnopqrstuvwxyz \n') for _ in range(64)) * (size // 64) +
                        b'x' * (size % 64))
            paths.append('/tree/d%02d/%s' % (i // 100, name))
        with open(os.path.join(work, 'tree-paths.txt'), 'w') as f:
            f.write('\n'.join(paths) + '\n')
        with open(os.path.join(www, 'index.html'), 'w') as f:
            f.write('<!doctype html><title>bench</title>\n')
        open(stamp, 'w').close()
    big = os.path.join(www, '100m.bin')
    if want_100m and (not os.path.exists(big) or os.path.getsize(big) != FILES['100m.bin']):
        with open(big, 'wb') as f:
            for _ in range(100):
                f.write(os.urandom(1 << 20))
    for root, dirs, files in os.walk(www):
        for d in dirs:
            os.chmod(os.path.join(root, d), 0o755)
        for fn in files:
            os.chmod(os.path.join(root, fn), 0o644)
    return www


def make_cert(work):
    cert, key = os.path.join(work, 'cert.pem'), os.path.join(work, 'key.pem')
    if not (os.path.exists(cert) and os.path.exists(key)):
        r = run(['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
                 '-keyout', key, '-out', cert, '-days', '3650', '-subj', '/CN=localhost'])
        if r.returncode != 0:
            die('openssl req failed:\n' + r.stdout)
    return cert, key


def bench_user():
    if os.geteuid() != 0:
        return None
    import pwd
    for u in ('www-data', 'nobody'):
        try:
            pwd.getpwnam(u)
            return u
        except KeyError:
            pass
    return None


def write_config(S, path, port, access_log='access_log off;', http2=False):
    """The shared configuration; http2=True: the same with "listen ... ssl http2" (the
    form nginx 1.22 knows; "http2 on" is nginx >= 1.25.1), for the HTTP/2 workloads.
    http2_chunk_size is left at each server's default (nginx 8k, ktlsd 16k)."""
    user = bench_user()
    text = """# bench/run: the ONE configuration both servers read (ktlsd's nginx-compatible subset).
# nginx additionally gets -g 'daemon off; master_process on;' on its command line.
worker_processes {workers};
error_log {run}/error.log notice;
pid {run}/server.pid;
{user}
events {{
    worker_connections {wc};
}}

http {{
    {access_log}
    sendfile on;
    tcp_nodelay on;
    server_tokens off;
    keepalive_timeout 65;
    keepalive_requests 1000000;
    client_header_timeout 120;
    default_type application/octet-stream;
    ssl_session_tickets on;
    ssl_session_timeout 300;
    ssl_prefer_server_ciphers on;

    server {{
        listen 127.0.0.1:{port} ssl{h2};
        server_name localhost;
        root {www};
        index index.html;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        ssl_protocols TLSv1.2 TLSv1.3;
        # AES-128-GCM first, so that openssl speed -evp aes-128-gcm is the floor
        ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305;
        ssl_conf_command Ciphersuites TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256;
        # what nginx's documentation asks for kTLS (ktlsd has kTLS on by default)
        ssl_conf_command Options KTLS;
    }}
}}
""".format(workers=S.workers, run=S.rundir, user='user %s;' % user if user else '# (not root: no user)',
           wc=worker_connections(S), access_log=access_log, port=port, h2=' http2' if http2 else '', www=S.www,
           cert=S.cert, key=S.key)
    with open(path, 'w') as f:
        f.write(text)


def worker_connections(S):
    # nginx closes idle (reusable) connections once fewer than 1/16 of its
    # worker_connections are free: leave room for the idle workload above that.
    # (nginx allocates its connection array up front, so more would only inflate its RSS)
    return max(1024, -(-S.idle_n * 16 // 15) + 256)


def server_cmd(S, name, conf):
    if name == 'ktlsd':
        return [S.ktlsd, '-c', conf]
    return [S.nginx, '-p', S.ngx_prefix + '/', '-c', conf, '-e', os.path.join(S.rundir, 'error.log'),
            '-g', 'daemon off; master_process on;']


def test_config(S, name, conf):
    if name == 'ktlsd':
        cmd = [S.ktlsd, '-t', '-c', conf]
    else:
        cmd = server_cmd(S, name, conf) + ['-t']
    r = run(cmd)
    if r.returncode != 0:
        die('%s rejects %s:\n%s' % (name, conf, r.stdout))


# ---------------------------------------------------------------- servers
class Server:
    def __init__(self, S, name, conf=None):
        self.S, self.name = S, name
        self.conf = conf or S.conf
        self.errlog = os.path.join(S.rundir, 'error.log')
        self.proc = None
        self.workers = []
        self.failure = None

    def start(self):
        S = self.S
        if port_open(S.port):
            raise RuntimeError('something else listens on 127.0.0.1:%d' % S.port)
        self.errpos = os.path.getsize(self.errlog) if os.path.exists(self.errlog) else 0
        out = open(os.path.join(S.logdir, '%s.stdout.log' % self.name), 'a')
        self.proc = subprocess.Popen(['taskset', '-c', S.server_cpu_str] + server_cmd(S, self.name, self.conf),
                                     stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     start_new_session=True)
        out.close()
        t0 = time.time()
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError('%s exited at start-up (status %s); see %s' %
                                   (self.name, self.proc.returncode, S.logdir))
            if port_open(S.port):
                self.workers = children(self.proc.pid)
                if len(self.workers) >= S.workers:
                    break
            if time.time() - t0 > 15:
                raise RuntimeError('%s did not come up on port %d within 15 s' % (self.name, S.port))
            time.sleep(0.05)
        self.pids = [self.proc.pid] + self.workers
        return self

    def alive(self):
        """None when master and workers are all still the same processes, else why not."""
        if self.proc.poll() is not None:
            return 'master exited (status %s)' % self.proc.returncode
        now = children(self.proc.pid)
        if sorted(now) != sorted(self.workers):
            return 'worker set changed %s -> %s (a worker died and was replaced)' % (self.workers, now)
        return None

    def cpu(self):
        u = s = 0.0
        for pid in self.pids:
            t = proc_times(pid)
            if t:
                u += t[0]
                s += t[1]
        return u, s

    def rss_kb(self, key='VmRSS'):
        return sum(proc_status(p, key) or 0 for p in self.pids)

    def reset_peak(self):
        for p in self.pids:
            try:
                with open('/proc/%d/clear_refs' % p, 'w') as f:
                    f.write('5')
            except OSError:
                pass

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.failure = self.failure or 'did not stop within 10 s of SIGTERM'
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except OSError:
                    pass
                self.proc.wait()
        for p in self.workers:  # never leave a worker behind
            try:
                os.kill(p, 0)
                time.sleep(0.2)
                os.kill(p, signal.SIGKILL)
            except OSError:
                pass
        # keep the error log of this run, look for trouble in it
        try:
            with open(self.errlog, errors='replace') as f:
                f.seek(self.errpos)
                text = f.read()
        except OSError:
            text = ''
        with open(os.path.join(self.S.logdir, '%s.error.log' % self.name), 'a') as f:
            f.write(text)
        bad = [ln for ln in text.splitlines() if re.search(r'\[(alert|crit|emerg)\]', ln)]
        if bad:
            self.failure = self.failure or 'error log: ' + bad[0][-200:]
        self.errtext = text
        self.proc = None


# ---------------------------------------------------------------- load generators
def client_cmd(S, argv):
    return ['taskset', '-c', S.client_cpu_str] + argv


def run_client(cmd, timeout, env=None, stdin=None):
    t0 = time.time()
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=timeout,
                       env=env, input=stdin)
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    js = None
    for line in p.stdout.splitlines():
        if line.startswith('{'):
            js = json.loads(line)
    return js, p, cpu, time.time() - t0


def wrk(S, wl, seconds):
    kind, path, conns, _ = WORKLOADS[wl]
    env = dict(os.environ)
    url = 'https://127.0.0.1:%d%s' % (S.port, path or '/')
    argv = ['wrk', '-t', str(len(S.client_cpus)), '-c', str(max(conns, len(S.client_cpus))),
            '-d', '%ds' % max(1, round(seconds)), '--timeout', '10s', '-s', os.path.join(BENCH, 'wrk.lua')]
    if kind == 'wrk-close':
        argv += ['-H', 'Connection: close']
    if path is None:
        env['BENCH_PATHS'] = os.path.join(S.work, 'tree-paths.txt')
    js, p, cpu, wall = run_client(client_cmd(S, argv + [url]), seconds + 60, env=env)
    if js is None:
        return None, 'wrk failed (exit %d): %s' % (p.returncode, (p.stderr or p.stdout).strip()[-300:]), cpu
    errs = {k: js[k] for k in ('err_connect', 'err_read', 'err_write', 'err_status', 'err_timeout') if js[k]}
    reason = None
    if js['requests'] == 0:
        reason = 'no requests completed'
    elif errs.get('err_status'):
        reason = '%d of %d responses were not 2xx/3xx' % (errs['err_status'], js['requests'])
    elif errs:
        reason = 'wrk socket errors: %s' % ', '.join('%s %d' % (k[4:], v) for k, v in errs.items())
    else:
        body = FILES.get(path.lstrip('/'), 100) if path else 100
        if js['bytes'] / js['requests'] < body:
            reason = 'responses too short: %.0f bytes per response, body is %d' % (js['bytes'] / js['requests'], body)
    d = js['duration_us'] / 1e6
    res = {'requests': js['requests'], 'bytes': js['bytes'], 'duration_s': d, 'rps': js['requests'] / d,
           'mbps': js['bytes'] / d / 1e6, 'p50_ms': js['p50'] / 1000, 'p99_ms': js['p99'] / 1000}
    return res, reason, cpu


def h2load(S, wl, seconds):
    """h2load over TLS (ALPN h2): C connections with H2_STREAMS[wl] streams each for
    the duration; latency percentiles from its per-request log."""
    kind, path, conns, _ = WORKLOADS[wl]
    logf = os.path.join(S.work, 'h2load-requests.log')
    threads = max(1, min(len(S.client_cpus), conns))
    argv = ['h2load', '-t', str(threads), '-c', str(max(conns, threads)), '-m', str(H2_STREAMS[wl]),
            '-D', str(max(1, round(seconds))), '--log-file', logf, 'https://127.0.0.1:%d%s' % (S.port, path)]
    try:
        os.unlink(logf)
    except OSError:
        pass
    _, p, cpu, wall = run_client(client_cmd(S, argv), seconds + 60)
    out = p.stdout
    m_fin = re.search(r'^finished in ([\d.]+)s', out, re.M)
    m_req = re.search(r'^requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, '
                      r'(\d+) errored, (\d+) timeout', out, re.M)
    m_st = re.search(r'^status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx', out, re.M)
    m_tr = re.search(r'^traffic: .*?\((\d+)\) total, .*?\((\d+)\) headers .*?\((\d+)\) data', out, re.M)
    m_alpn = re.search(r'^Application protocol: (\S+)', out, re.M)
    if not (m_fin and m_req and m_st and m_tr):
        return None, 'h2load failed (exit %d): %s' % (p.returncode, (p.stderr or out).strip()[-300:]), cpu
    if not m_alpn or m_alpn.group(1) != 'h2':
        return None, 'h2load did not negotiate h2 (%s)' % (m_alpn.group(1) if m_alpn else 'no ALPN'), cpu
    d = float(m_fin.group(1))
    done, ok, failed, errored, timeout = (int(m_req.group(i)) for i in (3, 4, 5, 6, 7))
    bad_status = int(m_st.group(3)) + int(m_st.group(4))
    total, data = int(m_tr.group(1)), int(m_tr.group(3))
    reason = None
    if ok == 0:
        reason = 'no requests completed'
    elif bad_status:
        reason = '%d of %d responses were not 2xx/3xx' % (bad_status, done)
    elif failed or errored or timeout:
        reason = 'h2load: %d failed, %d errored, %d timed out of %d' % (failed, errored, timeout, done)
    elif data / ok < FILES[path.lstrip('/')]:
        reason = 'responses too short: %.0f body bytes per response, file is %d' % (data / ok,
                                                                                    FILES[path.lstrip('/')])
    lat = []
    try:
        with open(logf) as f:
            for line in f:
                c = line.split('\t')
                if len(c) >= 3 and c[1].startswith('2'):
                    lat.append(int(c[2]))
    except (OSError, ValueError):
        pass
    if not lat:
        return None, reason or 'h2load wrote no per-request log', cpu
    lat.sort()
    res = {'requests': ok, 'bytes': total, 'duration_s': d, 'rps': ok / d, 'mbps': total / d / 1e6,
           'p50_ms': lat[len(lat) // 2] / 1000, 'p99_ms': lat[min(len(lat) - 1, len(lat) * 99 // 100)] / 1000}
    return res, reason, cpu


def tlsconn_rate(S, wl, seconds):
    kind, path, conns, _ = WORKLOADS[wl]
    argv = [S.tlsconn, '-p', str(S.port), '-u', path, '-c', str(conns), '-d', '%g' % seconds]
    if wl == 'conn-resumed':
        argv.append('-r')
    js, p, cpu, wall = run_client(client_cmd(S, argv), seconds + 60)
    if js is None:
        return None, 'tlsconn failed (exit %d): %s' % (p.returncode, p.stderr.strip()[-300:]), cpu
    errs = {k: js[k] for k in ('bad_status', 'err_connect', 'err_tls', 'err_io', 'err_proto', 'timeout') if js[k]}
    reason = None
    if js['ok'] == 0:
        reason = 'no connection completed' + (': %s' % errs if errs else '')
    elif errs:
        total = js['conns'] + sum(errs.values())
        # a few resets at the very end are not a failure; more than 0.1% is
        if sum(errs.values()) > max(2, total // 1000):
            reason = 'errors: %s of %d' % (', '.join('%s %d' % kv for kv in errs.items()), total)
    if wl == 'conn-resumed' and js['conns'] and js['resumed'] < 0.9 * js['conns']:
        reason = reason or 'only %d of %d handshakes were resumed' % (js['resumed'], js['conns'])
    if wl == 'conn-full' and js['resumed']:
        reason = reason or '%d handshakes were resumed in the full-handshake workload' % js['resumed']
    d = js['duration_us'] / 1e6
    res = {'requests': js['conns'], 'bytes': js['bytes'], 'duration_s': d, 'rps': js['conns'] / d,
           'mbps': js['bytes'] / d / 1e6, 'p50_ms': js['p50'] / 1000, 'p99_ms': js['p99'] / 1000,
           'resumed': js['resumed']}
    return res, reason, cpu


def load(S, wl, seconds):
    kind = WORKLOADS[wl][0]
    if kind in ('wrk', 'wrk-close'):
        return wrk(S, wl, seconds)
    if kind == 'h2load':
        return h2load(S, wl, seconds)
    return tlsconn_rate(S, wl, seconds)


# ---------------------------------------------------------------- one measurement
def measure(S, name, wl, pair, order):
    row = {'workload': wl, 'server': name, 'pair': pair, 'order': order, 'failed': '', 'reason': ''}
    srv = Server(S, name, S.conf_h2 if WORKLOADS[wl][0] == 'h2load' else None)
    try:
        srv.start()
        if S.warmup > 0:
            res, reason, _ = load(S, wl, S.warmup)
            if reason:
                died = srv.alive()
                raise RuntimeError(('server died: %s; ' % died if died else '') + 'warm-up: ' + reason)
        srv.reset_peak()
        c0, b0, t0, k0 = srv.cpu(), system_busy(), time.time(), tls_stat()
        res, reason, client_cpu = load(S, wl, S.duration)
        c1, b1, t1, k1 = srv.cpu(), system_busy(), time.time(), tls_stat()
        died = srv.alive()
        row['peak_rss_kb'] = srv.rss_kb('VmHWM')
        row['rss_kb'] = srv.rss_kb('VmRSS')
        if died:
            raise RuntimeError('server died: ' + died + ('; ' + reason if reason else ''))
        if res is None:
            raise RuntimeError(reason)
        row.update(res)
        cu, cs = c1[0] - c0[0], c1[1] - c0[1]
        cpu = cu + cs
        row.update({'cpu_user_s': cu, 'cpu_sys_s': cs, 'cpu_s': cpu,
                    'cpu_util': cpu / res['duration_s'],
                    'cpu_us_per_req': cpu / res['requests'] * 1e6 if res['requests'] else None,
                    'cpu_s_per_gb': cpu / (res['bytes'] / 1e9) if res['bytes'] else None,
                    'client_cpu_util': client_cpu / res['duration_s'],
                    'other_load': max(0.0, ((b1 - b0) - cpu - client_cpu) / (t1 - t0)),
                    'ktls_tx_conns': tls_tx(k0, k1)})
        if reason:
            raise RuntimeError(reason)
    except (RuntimeError, subprocess.TimeoutExpired, OSError, ValueError) as e:
        row['failed'] = 1
        row['reason'] = str(e)
    finally:
        srv.stop()
    if not row['failed'] and srv.failure:
        row['failed'] = 1
        row['reason'] = srv.failure
    return row


def measure_idle(S, name, pair, order):
    row = {'workload': 'idle', 'server': name, 'pair': pair, 'order': order, 'failed': '', 'reason': ''}
    srv = Server(S, name)
    n = S.idle_n
    try:
        srv.start()
        # warm up the TLS code paths first (allocator pools, lazy init)
        js, p, _, _ = run_client(client_cmd(S, [S.tlsconn, '-p', str(S.port), '-u', '/1k.bin', '-c', '8', '-d',
                                                '%g' % min(1.0, max(S.warmup, 0.3))]), 60)
        if js is None or js['ok'] == 0:
            raise RuntimeError('warm-up failed: %s' % (js or p.stderr[-200:]))
        time.sleep(0.5)
        base = srv.rss_kb()
        cl = subprocess.Popen(client_cmd(S, [S.tlsconn, '-p', str(S.port), '-n', str(n), '-c', '64']),
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            line = cl.stdout.readline()
            opened = json.loads(line) if line.startswith('{') else None
            if opened is None:
                raise RuntimeError('tlsconn -n failed: %s' % cl.stderr.read()[-300:])
            time.sleep(1.0)
            with_ = srv.rss_kb()
            died = srv.alive()
            row['idle_established'] = opened['established']
            row['idle_open_s'] = opened['open_s']
        finally:
            try:  # communicate() closes tlsconn's stdin: it closes its connections and exits
                out, _ = cl.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                cl.kill()
                out, _ = cl.communicate()
        end = [json.loads(x) for x in out.splitlines() if x.startswith('{')]
        dropped = end[-1]['closed_by_server'] if end else None
        row.update({'rss_base_kb': base, 'rss_kb': with_, 'peak_rss_kb': srv.rss_kb('VmHWM'),
                    'idle_bytes_per_conn': (with_ - base) * 1024 / max(1, opened['established'])})
        if died:
            raise RuntimeError('server died: ' + died)
        if opened['established'] < n:
            raise RuntimeError('%d of %d idle connections established, %d closed by the server, '
                               '%d connect errors, %d TLS errors, %d timeouts' %
                               (opened['established'], n, opened['closed_by_server'], opened['err_connect'],
                                opened['err_tls'], opened['timeout']))
        if dropped:
            raise RuntimeError('the server closed %d idle connections during the measurement' % dropped)
    except (RuntimeError, subprocess.TimeoutExpired, OSError, ValueError) as e:
        row['failed'] = 1
        row['reason'] = str(e)
    finally:
        srv.stop()
    if not row['failed'] and srv.failure:
        row['failed'] = 1
        row['reason'] = srv.failure
    return row


# ---------------------------------------------------------------- preflight
def curl(S, path, extra=()):
    r = run(['curl', '-sk', '--http1.1', '-o', '/dev/null', '-w', '%{http_code} %{size_download}',
             'https://127.0.0.1:%d%s' % (S.port, path)] + list(extra))
    return r.stdout.strip()


def preflight(S):
    """Every corpus file through both servers (status and size), and what kTLS did."""
    info = {}
    check_paths = ['/' + f for f in FILES if os.path.exists(os.path.join(S.www, f))] + ['/tree/d00/f0000.txt']
    for name in SERVERS:
        conf = S.conf
        if name == 'ktlsd':  # the same config plus an access log with $ktls, for this check only
            conf = os.path.join(S.out, 'check-ktlsd.conf')
            write_config(S, conf, S.port, access_log="log_format bench '$ktls $ssl_protocol $ssl_cipher $status "
                         "$body_bytes_sent $request_uri';\n    access_log %s/access.log bench;" % S.rundir)
            try:
                os.unlink(os.path.join(S.rundir, 'access.log'))
            except OSError:
                pass
        srv = Server(S, name, conf)
        try:
            srv.start()
        except RuntimeError as e:
            die('preflight: %s' % e)
        k0 = tls_stat()
        bad = []
        for pth in check_paths:
            size = FILES.get(pth.lstrip('/'))
            got = curl(S, pth)
            if not got.startswith('200 ') or (size is not None and got != '200 %d' % size):
                bad.append('%s -> %s' % (pth, got))
        k1 = tls_stat()
        srv.stop()
        if bad:
            die('preflight: %s answers wrongly: %s' % (name, '; '.join(bad)))
        i = {'tls_stat_tx': tls_tx(k0, k1), 'requests': len(check_paths)}
        m = re.search(r'kTLS (available|unavailable[^\n]*)', srv.errtext)
        if m:
            i['notice'] = m.group(0)
        if name == 'ktlsd':
            try:
                with open(os.path.join(S.rundir, 'access.log')) as f:
                    vals = sorted({ln.split()[0] for ln in f if ln.strip()})
                i['ktls_var'] = ','.join(vals)
            except OSError:
                i['ktls_var'] = '?'
        info[name] = i
        log('bench: preflight %s: %d files OK; %s' % (name, len(check_paths), describe_ktls(i)))
    return info


def describe_ktls(i):
    parts = []
    if 'ktls_var' in i:
        parts.append('$ktls=%s' % i['ktls_var'])
    if i.get('tls_stat_tx') is None:
        parts.append('/proc/net/tls_stat absent (no tls module)')
    else:
        parts.append('tls_stat TlsTx +%d for %d connections' % (i['tls_stat_tx'], i['requests']))
    if i.get('notice'):
        parts.append('"%s"' % i['notice'])
    return '; '.join(parts)


# ---------------------------------------------------------------- machine
def machine_info(S):
    m = {}
    m['date'] = datetime.datetime.now().strftime('%Y-%m-%d %H:%M')
    cpu = '?'
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    cpu = line.split(':', 1)[1].strip()
                    break
    except OSError:
        pass
    m['cpu'] = '%s, %d CPUs' % (cpu, os.cpu_count())
    virt = run(['systemd-detect-virt']).stdout.strip() if shutil.which('systemd-detect-virt') else ''
    if virt and virt != 'none':
        m['cpu'] += ' (virtualized: %s)' % virt
    m['mem'] = '%.0f GiB' % (os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2 ** 30)
    m['kernel'] = platform.release()
    try:
        ulp = open('/proc/sys/net/ipv4/tcp_available_ulp').read().split()
    except OSError:
        ulp = []
    m['kernel_tls'] = 'yes (tls ULP available)' if 'tls' in ulp else 'no (tcp_available_ulp: %s)' % (
        ' '.join(ulp) or 'none')
    ov = run(['openssl', 'version']).stdout.strip()
    m['openssl'] = re.sub(r' \(Library: (.*)\)$', lambda x: '' if x.group(1) in ov.split(' (')[0] else x.group(0), ov)
    m['ktlsd'] = run([S.ktlsd, '-v']).stdout.strip().splitlines()[0]
    m['nginx'] = run([S.nginx, '-v']).stdout.strip().replace('nginx version: ', '')
    m['wrk'] = (run(['wrk', '-v']).stdout.strip().splitlines()[0].split(' [')[0]) if shutil.which('wrk') else '?'
    # the commit of the sources the binary was built from: its build directory's
    # CMakeCache names them (KTLSD=/elsewhere/build/ktlsd), else this checkout
    cache = os.path.join(os.path.dirname(S.ktlsd_built), 'CMakeCache.txt')
    src = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if os.path.exists(cache):
        for line in open(cache):
            if line.startswith('CMAKE_HOME_DIRECTORY:INTERNAL='):
                src = line.split('=', 1)[1].strip()
    rev = run(['git', '-C', src, 'describe', '--always', '--dirty'])
    m['commit'] = rev.stdout.strip() if rev.returncode == 0 else '?'
    bt = '?'
    if os.path.exists(cache):
        for line in open(cache):
            if line.startswith('CMAKE_BUILD_TYPE:'):
                bt = line.split('=', 1)[1].strip()
    m['build_type'] = bt
    m['pinning'] = 'servers on CPU %s (%d worker%s each), clients on CPU %s' % (
        S.server_cpu_str, S.workers, "s" if S.workers > 1 else "", S.client_cpu_str)
    return m


def aes_floor(S):
    """Single-core AES-128-GCM encryption speed (bytes/s) with 16 KiB blocks."""
    r = run(['taskset', '-c', str(S.server_cpus[0]), 'openssl', 'speed', '-evp', 'aes-128-gcm', '-bytes', '16384',
             '-seconds', '2' if not S.quick else '1', '-mr'])
    m = re.search(r'^\+F:\d+:[^:]+:([\d.]+)', r.stdout, re.M)
    return float(m.group(1)) if m else None


# ---------------------------------------------------------------- counting
def count_spec(S, label, out, port, servers_cmds, slow=1.0, servers_h2=()):
    """servers_h2: (name, cmd) of the servers for the HTTP/2 scenarios (the h2 config;
    "nginx-16k" is nginx with http2_chunk_size 16k, its largest useful frame)."""
    scen = [{'name': '1k', 'file': '1k.bin', 'k': 20},
            {'name': '16k', 'file': '16k.bin', 'k': 10},
            {'name': '1m', 'file': '1m.bin', 'k': 4},
            {'name': '10m', 'file': '10m.bin', 'k': 2},
            {'name': '1k-tls12', 'file': '1k.bin', 'k': 20, 'tls12': True}]
    scen_h2 = [{'name': 'h2-1k', 'file': '1k.bin', 'k': 20, 'h2': True},
               {'name': 'h2-1m', 'file': '1m.bin', 'k': 4, 'h2': True},
               {'name': 'h2-10m', 'file': '10m.bin', 'k': 2, 'h2': True}]
    return {'out': out, 'port': port, 'label': label, 'slow': slow, 'files': FILES, 'scenarios': scen,
            'keep_traces': S.keep_traces, 'scenarios_h2': scen_h2,
            'servers': [{'name': n, 'cmd': c} for n, c in servers_cmds],
            'servers_h2': [{'name': n, 'cmd': c} for n, c in servers_h2]}


def h2_count_confs(S):
    """(name, config) for the HTTP/2 counts: the shared h2 config for both servers, and
    nginx once more with http2_chunk_size 16k (nginx's default is 8k)."""
    c16 = os.path.join(S.out, 'bench-h2-chunk16k.conf')
    with open(S.conf_h2) as f:
        text = f.read()
    with open(c16, 'w') as f:
        f.write(text.replace('server_name localhost;', 'server_name localhost;\n        http2_chunk_size 16k;'))
    test_config(S, 'nginx', c16)
    return [('ktlsd', S.conf_h2), ('nginx', S.conf_h2), ('nginx-16k', c16)]


def count_host(S):
    log('bench: counting syscalls and bytes per request on the host (strace)')
    out = os.path.join(S.out, 'counts-host')
    os.makedirs(out, exist_ok=True)
    spec = count_spec(S, 'host', out, S.port, [(n, ['taskset', '-c', S.server_cpu_str] +
                                                server_cmd(S, n, S.conf)) for n in SERVERS],
                      servers_h2=[(n, ['taskset', '-c', S.server_cpu_str] + server_cmd(S, n.split('-')[0], c))
                                  for n, c in h2_count_confs(S)])
    p = os.path.join(out, 'spec.json')
    json.dump(spec, open(p, 'w'), indent=1)
    r = subprocess.run([sys.executable, os.path.join(BENCH, 'count.py'), p], timeout=600)
    f = os.path.join(out, 'counts-host.json')
    return json.load(open(f)) if r.returncode == 0 and os.path.exists(f) else None


def count_uml(S):
    if not shutil.which('linux') or not os.path.isdir('/usr/lib/uml/modules'):
        log('bench: UML counting skipped: user-mode-linux is not installed')
        return None
    log('bench: counting under User-Mode Linux (kTLS): booting')
    d = S.work
    out = os.path.join(d, 'uml-out')
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    # the same configuration file; the VM has its own network, so the port is free there
    spec = count_spec(S, 'uml', out, S.port, [(n, server_cmd(S, n, S.conf)) for n in SERVERS], slow=5.0,
                      servers_h2=[(n, server_cmd(S, n.split('-')[0], c)) for n, c in h2_count_confs(S)])
    json.dump(spec, open(os.path.join(d, 'uml-spec.json'), 'w'), indent=1)
    with open(os.path.join(d, 'uml-env'), 'w') as f:
        f.write('BENCH_DIR=%s\n' % BENCH)
    umldir = os.path.join(d, 'uml-dir')
    os.makedirs(umldir, exist_ok=True)
    t0 = time.time()
    with open(os.path.join(S.logdir, 'uml-console.log'), 'w') as con:
        try:
            subprocess.run(['linux', 'mem=1G', 'rootfstype=hostfs', 'rootflags=/', 'ro',
                            'init=%s' % os.path.join(BENCH, 'uml-init'), 'con=null', 'con0=null',
                            'uml_dir=%s' % umldir, 'BENCH_UML_DIR=%s' % d],
                           stdin=subprocess.DEVNULL, stdout=con, stderr=subprocess.STDOUT, timeout=900)
        except subprocess.TimeoutExpired:
            log('bench: UML timed out after 900 s')
    log('bench: UML ran %.0f s' % (time.time() - t0))
    dst = os.path.join(S.out, 'counts-uml')
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(out, dst)
    f = os.path.join(out, 'counts-uml.json')
    if not os.path.exists(os.path.join(out, 'done')) or not os.path.exists(f):
        log('bench: UML counting failed; see %s (init.log) and %s' % (dst, os.path.join(S.logdir, 'uml-console.log')))
        try:
            log(open(os.path.join(out, 'init.log')).read()[-2000:])
        except OSError:
            pass
        return {'failed': True}
    return json.load(open(f))


# ---------------------------------------------------------------- main
def parse_args(argv):
    ap = argparse.ArgumentParser(prog='bench/run', description='ktlsd vs nginx benchmark (see bench/README.md)')
    ap.add_argument('--quick', action='store_true', help='short smoke run (~2 min)')
    ap.add_argument('--runs', type=int, help='runs per server and workload (pairs A/B), default 4 (quick: 1)')
    ap.add_argument('--duration', type=float, help='seconds per measured run, default 6 (quick: 2)')
    ap.add_argument('--warmup', type=float, help='seconds of warm-up before each run, default 2 (quick: 0.5)')
    ap.add_argument('--workloads', help='comma list (default: %s; also close-wrk; "all")' %
                    ','.join(DEFAULT_WORKLOADS))
    ap.add_argument('--idle-conns', type=int, help='idle TLS connections for "idle", default 10000 (quick: 2000)')
    ap.add_argument('--uml', action='store_true', help='only the counting mode under User-Mode Linux (kTLS)')
    ap.add_argument('--count', action='store_true', help='only the counting mode on this host')
    ap.add_argument('--no-count', action='store_true', help='skip the counting modes after the timings')
    ap.add_argument('--no-uml', action='store_true', help='skip the UML counting after the timings')
    ap.add_argument('--keep-traces', action='store_true', help='keep the strace output of the counting modes')
    ap.add_argument('--out', help='results directory (default bench/results/<timestamp>)')
    ap.add_argument('--work', help='corpus/scratch directory (default $TMPDIR/ktlsd-bench-$UID; reused)')
    ap.add_argument('--publish', action='store_true', help='copy the summary into bench/README.md')
    ap.add_argument('--server-cpus', help='CPU list for the servers (default 0)')
    ap.add_argument('--workers', type=int,
                    help='worker_processes of both servers (default: one per server CPU); e.g. 2 workers on '
                    'one CPU show that resumption works whichever worker accepts')
    ap.add_argument('--client-cpus', help='CPU list for the load generators (default: the other CPUs, at most 8)')
    ap.add_argument('--ktlsd', default=os.environ.get('KTLSD', os.path.join(REPO, 'build', 'ktlsd')))
    ap.add_argument('--nginx', default=os.environ.get('NGINX', shutil.which('nginx') or '/usr/sbin/nginx'))
    ap.add_argument('--report', metavar='DIR', help='only rebuild the report of an earlier results directory')
    return ap.parse_args(argv)


def main(argv):
    a = parse_args(argv)
    import report  # bench/report.py

    if a.report:
        sys.exit(report.build(a.report, publish=a.publish))

    S = Setup()
    S.quick = a.quick
    S.keep_traces = a.keep_traces
    S.runs = a.runs or (1 if a.quick else 4)
    S.duration = a.duration or (2.0 if a.quick else 6.0)
    S.warmup = a.warmup if a.warmup is not None else (0.5 if a.quick else 2.0)
    if a.uml or a.count:
        wls = []
    elif a.workloads == 'all':
        wls = list(WORKLOADS)
    elif a.workloads:
        wls = [w.strip() for w in a.workloads.split(',') if w.strip()]
    else:
        wls = QUICK_WORKLOADS if a.quick else DEFAULT_WORKLOADS
    for w in wls:
        if w not in WORKLOADS:
            die('unknown workload %r (known: %s)' % (w, ', '.join(WORKLOADS)))
    S.workloads = wls
    ncpu = os.cpu_count()
    S.server_cpus = cpulist(a.server_cpus) if a.server_cpus else [0]
    S.client_cpus = cpulist(a.client_cpus) if a.client_cpus else [c for c in range(ncpu) if c not in S.server_cpus][:8]
    if not S.client_cpus:
        S.client_cpus = S.server_cpus
        log('bench: WARNING: one CPU only: servers and clients share it')
    if set(S.server_cpus) & set(S.client_cpus):
        log('bench: WARNING: server and client CPUs overlap')
    S.server_cpu_str = ','.join(map(str, S.server_cpus))
    S.workers = a.workers if a.workers else len(S.server_cpus)
    S.client_cpu_str = ','.join(map(str, S.client_cpus))

    S.ktlsd = os.path.abspath(a.ktlsd)
    S.nginx = a.nginx
    if not os.access(S.ktlsd, os.X_OK):
        die('no ktlsd binary at %s (build it: make build, or pass --ktlsd)' % S.ktlsd)
    if not os.access(S.nginx, os.X_OK):
        die('no nginx at %s (apt-get install nginx-light)' % S.nginx)

    # file descriptors: 10,000 idle connections need them in the servers and the client
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 65536 if hard == resource.RLIM_INFINITY else hard
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    except (ValueError, OSError):
        want = soft
    S.idle_n = a.idle_conns or (2000 if a.quick else 10000)
    if S.idle_n + 600 > want:
        n = max(100, want - 600)
        log('bench: open-file limit is %d: %d idle connections instead of %d' % (want, n, S.idle_n))
        S.idle_n = n

    stamp = datetime.datetime.now().strftime('%Y%m%d-%H%M%S')
    S.out = os.path.abspath(a.out or os.path.join(BENCH, 'results', stamp + ('-quick' if a.quick else '')))
    os.makedirs(S.out, exist_ok=True)
    S.logdir = os.path.join(S.out, 'logs')
    os.makedirs(S.logdir, exist_ok=True)
    S.work = os.path.abspath(a.work or os.path.join(os.environ.get('TMPDIR', '/tmp'), 'ktlsd-bench-%d' % os.getuid()))
    os.makedirs(S.work, exist_ok=True)
    S.rundir = os.path.join(S.work, 'run')
    os.makedirs(S.rundir, exist_ok=True)
    os.chmod(S.rundir, 0o755)
    S.ngx_prefix = os.path.join(S.work, 'nginx')
    os.makedirs(os.path.join(S.ngx_prefix, 'logs'), exist_ok=True)

    t_start = time.time()
    # run a copy: a rebuild of build/ktlsd during the run must not switch binaries
    S.ktlsd_built = S.ktlsd
    snap = os.path.join(S.work, 'ktlsd')
    shutil.copy2(S.ktlsd, snap)
    S.ktlsd = snap
    S.www = make_corpus(S.work, '100m' in wls)
    S.cert, S.key = make_cert(S.work)
    S.port = free_port()
    S.conf = os.path.join(S.out, 'bench.conf')
    write_config(S, S.conf, S.port)
    S.conf_h2 = os.path.join(S.out, 'bench-h2.conf')
    write_config(S, S.conf_h2, S.port, http2=True)
    for n in SERVERS:
        test_config(S, n, S.conf)
        test_config(S, n, S.conf_h2)

    # the connection load generator (C, next to this script)
    S.tlsconn = os.path.join(S.work, 'tlsconn')
    src = os.path.join(BENCH, 'tlsconn.c')
    if not os.path.exists(S.tlsconn) or os.path.getmtime(S.tlsconn) < os.path.getmtime(src):
        r = run(['cc', '-O2', '-Wall', '-o', S.tlsconn, src, '-lssl', '-lcrypto'])
        if r.returncode != 0:
            die('cannot build tlsconn:\n' + r.stdout)

    meta = {'machine': machine_info(S), 'argv': ' '.join(['bench/run'] + argv), 'runs': S.runs,
            'duration': S.duration, 'warmup': S.warmup, 'idle_n': S.idle_n, 'workloads': wls,
            'workload_desc': {w: WORKLOADS[w][3] for w in WORKLOADS},
            'workload_conns': {w: WORKLOADS[w][2] for w in WORKLOADS}, 'quick': S.quick}
    log('bench: %s; ktlsd %s (%s build), %s, %s' % (meta['machine']['cpu'], meta['machine']['commit'],
                                                    meta['machine']['build_type'], meta['machine']['nginx'],
                                                    meta['machine']['openssl']))
    log('bench: %s; results in %s' % (meta['machine']['pinning'], S.out))
    if meta['machine']['build_type'] not in ('Release', 'RelWithDebInfo'):
        log('bench: WARNING: ktlsd is a %s build' % meta['machine']['build_type'])

    rows = []
    if wls:
        meta['preflight'] = preflight(S)
        meta['aes_floor_Bps'] = aes_floor(S)
        if meta['aes_floor_Bps']:
            log('bench: AES-128-GCM floor on one CPU: %.2f GB/s = %.3f CPU-s/GB' %
                (meta['aes_floor_Bps'] / 1e9, 1e9 / meta['aes_floor_Bps']))
        total = len(wls) * S.runs * 2
        i = 0
        raw_path = os.path.join(S.out, 'raw.csv')
        for wl in wls:
            for pair in range(S.runs):
                order = SERVERS if pair % 2 == 0 else SERVERS[::-1]
                for k, name in enumerate(order):
                    i += 1
                    if wl == 'idle':
                        row = measure_idle(S, name, pair, k)
                    else:
                        row = measure(S, name, wl, pair, k)
                    rows.append(row)
                    log('[%3d/%d] %s' % (i, total, report.progress_line(row)))
                    report.write_raw(raw_path, rows)
    meta['elapsed_timings_s'] = time.time() - t_start

    counts = {}
    if not a.no_count and not a.uml and (a.count or wls):
        counts['host'] = count_host(S)
    if a.uml or (wls and not a.no_count and not a.no_uml and not a.count and not a.quick):
        counts['uml'] = count_uml(S)
    meta['counts'] = {k: v for k, v in counts.items() if v is not None}
    meta['elapsed_s'] = time.time() - t_start
    with open(os.path.join(S.out, 'meta.json'), 'w') as f:
        json.dump(meta, f, indent=1)
    rc = report.build(S.out, publish=a.publish)
    log('bench: done in %.0f s; results in %s' % (meta['elapsed_s'], S.out))
    return rc


if __name__ == '__main__':
    sys.path.insert(0, BENCH)
    sys.exit(main(sys.argv[1:]))
