#!/usr/bin/env python3
"""Counting mode of bench/run: syscalls and bytes through user space per request.

For each server in the spec it starts the server, attaches strace -f to the master
and its workers, and runs one scenario at a time from a python client: a TLS
connection that fetches PATH once (A), then a connection that fetches it 1+K times
(B). Per connection (handshake + 1 request) = A; per keep-alive request = (B-A)/K.
From the trace (strace -f -yy) it counts syscalls by name and sums the bytes that
user space wrote to and read from sockets, read from files, and handed to sendfile.

Runs on the host (user-space TLS there) and inside User-Mode Linux (kTLS), where
bench/uml-init calls it. Timings are never taken here.

usage: count.py SPEC.json      (the spec is written by bench/bench.py)
"""
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import time

# The TLS record counter the tests use too (tests/clients/records.py)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'clients'))
from records import Wire  # noqa: E402

LINE = re.compile(r'^(\d+)\s+(.*)$')
CALL = re.compile(r'^([a-z_0-9]+)\((.*)$')
RESUMED = re.compile(r'^<\.\.\. ([a-z_0-9]+) resumed>(.*)$')
RET = re.compile(r'\)\s+=\s+(-?\d+|\?|0x[0-9a-f]+)(.*)$')
FD = re.compile(r'^(-?\d+)<([^>]*)>')

SOCK_WRITE = {'write', 'writev', 'sendmsg', 'sendto', 'send', 'sendmmsg'}
SOCK_READ = {'read', 'readv', 'recvfrom', 'recvmsg', 'recv', 'recvmmsg'}
FILE_READ = {'read', 'pread64', 'readv', 'preadv', 'preadv2'}
# vDSO calls on a normal x86-64 kernel (so strace never sees them there), real
# syscalls in UML, which has no vDSO: counted, but left out of syscalls_notime
TIME_CALLS = {'clock_gettime', 'gettimeofday', 'time', 'clock_getres', 'getcpu'}


def parse_trace(path):
    """Returns the list of completed calls: (name, first_arg_fd, fd_desc, ret)."""
    calls = []
    pending = {}
    with open(path, errors='replace') as f:
        for raw in f:
            m = LINE.match(raw.rstrip('\n'))
            if not m:
                continue
            pid, rest = m.group(1), m.group(2)
            if rest.startswith('---') or rest.startswith('+++'):
                continue
            r = RESUMED.match(rest)
            if r:
                name = r.group(1)
                head = pending.pop(pid, (name, ''))
                args = head[1] + r.group(2)
                name = head[0]
            else:
                c = CALL.match(rest)
                if not c:
                    continue
                name, args = c.group(1), c.group(2)
                if args.endswith('<unfinished ...>'):
                    pending[pid] = (name, args[:-len('<unfinished ...>')])
                    continue
            mret = RET.search(args)
            if not mret:
                ret = None
            else:
                v = mret.group(1)
                try:
                    ret = int(v, 0)
                except ValueError:
                    ret = None
            fd = FD.match(args)
            calls.append((name, fd.group(1) if fd else None, fd.group(2) if fd else '', ret, pid))
    return calls


def connection_window(calls):
    """The calls of the one client connection in the worker that accepted it: from
    the epoll wait that saw it arrive (the last wait before accept) to the close()
    of the accepted fd. The master's periodic calls are left out."""
    acc = next((c for c in calls if c[0] in ('accept', 'accept4') and c[3] is not None and c[3] >= 0), None)
    if acc is None:
        return []
    conn_fd, wpid = str(acc[3]), acc[4]
    calls = [c for c in calls if c[4] == wpid]
    start = calls.index(acc)
    j = start - 1
    while j >= 0 and not calls[j][0].startswith('epoll_'):
        j -= 1
    if j >= 0:
        start = j
    end = len(calls) - 1
    for i in range(start + 1, len(calls)):
        if calls[i][0] == 'close' and calls[i][1] == conn_fd:
            end = i
            break
    return calls[start:end + 1]


def is_sock(desc):
    return desc.startswith('TCP') or desc.startswith('socket:') or desc.startswith('UNIX')


def summarize(calls):
    by = {}
    s = {'syscalls': len(calls), 'syscalls_notime': len([c for c in calls if c[0] not in TIME_CALLS]),
         'sock_write_calls': 0, 'sock_write_bytes': 0,
         'sock_read_calls': 0, 'sock_read_bytes': 0, 'file_read_bytes': 0, 'sendfile_calls': 0,
         'sendfile_bytes': 0}
    for name, fd, desc, ret, _ in calls:
        by[name] = by.get(name, 0) + 1
        n = ret if isinstance(ret, int) and ret > 0 else 0
        if name in SOCK_WRITE and is_sock(desc):
            s['sock_write_calls'] += 1
            s['sock_write_bytes'] += n
        elif name in SOCK_READ and is_sock(desc):
            s['sock_read_calls'] += 1
            s['sock_read_bytes'] += n
        elif name in FILE_READ and desc.startswith('/'):
            s['file_read_bytes'] += n
        elif name == 'sendfile':
            s['sendfile_calls'] += 1
            s['sendfile_bytes'] += n
    s['by_name'] = by
    return s


def tls_wire(port, path, tls12, alpn):
    """A TLS connection through memory BIOs, handshake done (its records counted
    too), whose records on the wire rec counts. Returns (sock, ssl object, rec,
    flush, fill): see tests/clients/records.py's Wire."""
    w = Wire(port, '1.2' if tls12 else None, alpn, timeout=120, count_handshake=True, what=path)
    return w.sock, w.tls, w.rec, w.flush, w.fill


def client(port, path, n, tls12, size):
    """n keep-alive GETs of path on one TLS connection, through memory BIOs so that
    the records on the wire can be counted. Returns (cipher, records, wire bytes)."""
    sock, obj, rec, flush, fill = tls_wire(port, path, tls12, None)
    flush()
    buf = bytearray()

    def more():
        while True:
            try:
                d = obj.read(1 << 20)
                if not d:
                    raise RuntimeError('%s: TLS EOF' % path)
                buf.extend(d)
                return
            except ssl.SSLWantReadError:
                flush()
                fill()

    req = ('GET %s HTTP/1.1\r\nHost: localhost\r\nUser-Agent: count.py\r\n\r\n' % path).encode()
    for _ in range(n):
        obj.write(req)
        flush()
        while b'\r\n\r\n' not in buf:
            more()
        end = buf.index(b'\r\n\r\n') + 4
        head = bytes(buf[:end]).decode('latin-1')
        del buf[:end]
        if not head.startswith('HTTP/1.1 200 '):
            raise RuntimeError('%s: %r' % (path, head.splitlines()[0]))
        m = re.search(r'(?im)^content-length:\s*(\d+)', head)
        clen = int(m.group(1)) if m else None
        if clen != size:
            raise RuntimeError('%s: content-length %r, expected %d' % (path, clen, size))
        while len(buf) < clen:
            more()
        del buf[:clen]
    cipher = obj.cipher()
    sock.close()
    return cipher, rec.n, rec.bytes


def h2_frames(data):
    """Splits complete HTTP/2 frames off the front of data (a bytearray):
    [(type, flags, stream, payload)]."""
    out = []
    while len(data) >= 9:
        n = int.from_bytes(data[0:3], 'big')
        if len(data) < 9 + n:
            break
        out.append((data[3], data[4], int.from_bytes(data[5:9], 'big') & 0x7fffffff, bytes(data[9:9 + n])))
        del data[:9 + n]
    return out


def h2_frame(ftype, flags, stream, payload=b''):
    return len(payload).to_bytes(3, 'big') + bytes([ftype, flags]) + stream.to_bytes(4, 'big') + payload


def h2_client(port, path, n, tls12, size):
    """n GETs of path one after the other on one HTTP/2 connection (ALPN h2), windows
    wide open so that flow control never shapes the frames. HPACK by hand: the
    request uses static-table names and literals (no Huffman); of the response only
    ":status: 200" (static index 8, 0x88, how nginx and nghttp2 send it) is checked.
    Returns (cipher, records, wire bytes, DATA frames)."""
    sock, obj, rec, flush, fill = tls_wire(port, path, tls12, ['h2'])
    if obj.selected_alpn_protocol() != 'h2':
        raise RuntimeError('ALPN chose %r, not h2' % obj.selected_alpn_protocol())
    wide = 2 ** 31 - 1
    obj.write(b'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n' +
              h2_frame(4, 0, 0, (2).to_bytes(2, 'big') + (0).to_bytes(4, 'big') +  # ENABLE_PUSH 0
                       (4).to_bytes(2, 'big') + wide.to_bytes(4, 'big')) +      # INITIAL_WINDOW_SIZE
              h2_frame(8, 0, 0, (wide - 65535).to_bytes(4, 'big')))
    flush()
    buf = bytearray()
    frames = 0
    p = path.encode()
    block = b'\x82\x87\x04' + bytes([len(p)]) + p + b'\x01\x09localhost'
    for i in range(n):
        sid = 1 + 2 * i
        obj.write(h2_frame(1, 0x5, sid, block))  # HEADERS, END_STREAM | END_HEADERS
        flush()
        got, status, done = 0, None, False
        while not done:
            for ftype, flags, stream, payload in h2_frames(buf):
                if ftype == 4 and not flags & 1:  # SETTINGS: ACK it
                    obj.write(h2_frame(4, 1, 0))
                    flush()
                elif ftype == 7:
                    raise RuntimeError('%s: GOAWAY %r' % (path, payload[:16]))
                elif stream == sid and ftype == 1:
                    pad = payload[0] if flags & 0x8 else 0
                    hb = payload[(1 if flags & 0x8 else 0) + (5 if flags & 0x20 else 0):len(payload) - pad]
                    status = hb[:1]
                elif stream == sid and ftype == 3:
                    raise RuntimeError('%s: RST_STREAM' % path)
                elif stream == sid and ftype == 0:
                    frames += 1
                    pad = payload[0] + 1 if flags & 0x8 else 0
                    got += len(payload) - pad
                if stream == sid and ftype in (0, 1) and flags & 1:
                    done = True
            if done:
                break
            try:
                d = obj.read(1 << 20)
                if not d:
                    raise RuntimeError('%s: TLS EOF' % path)
                buf.extend(d)
            except ssl.SSLWantReadError:
                flush()
                fill()
        if status != b'\x88':
            raise RuntimeError('%s: status is not 200 (HPACK %r)' % (path, status))
        if got != size:
            raise RuntimeError('%s: %d body bytes, expected %d' % (path, got, size))
    cipher = obj.cipher()
    sock.close()
    return cipher, rec.n, rec.bytes, frames


def children(pid):
    try:
        with open('/proc/%d/task/%d/children' % (pid, pid)) as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def listening(port):
    try:
        socket.create_connection(('127.0.0.1', port), timeout=1).close()
        return True
    except OSError:
        return False


def tls_stat():
    d = {}
    try:
        with open('/proc/net/tls_stat') as f:
            for line in f:
                k, v = line.split()
                d[k] = int(v)
    except OSError:
        return None
    return d


def run_server(spec, srv, log, scenarios):
    out = spec['out']
    port = spec['port']
    slow = spec.get('slow', 1.0)
    res = {'server': srv['name'], 'scenarios': {}, 'errors': []}
    so = open(os.path.join(out, 'count-%s.server.log' % srv['name']), 'w')
    p = subprocess.Popen(srv['cmd'], stdout=so, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        t0 = time.time()
        while not listening(port):
            if p.poll() is not None or time.time() - t0 > 20 * slow:
                res['errors'].append('server did not start (exit %s)' % p.poll())
                return res
            time.sleep(0.1)
        workers = []
        for _ in range(50):
            workers = children(p.pid)
            if workers:
                break
            time.sleep(0.1)
        files = spec['files']
        first = scenarios[0]
        if first.get('h2'):
            h2_client(port, '/' + first['file'], 2, False, files[first['file']])  # warm up
        else:
            client(port, '/' + first['file'], 2, False, files[first['file']])  # warm up
        for sc in scenarios:
            r = {}
            for variant, n in (('A', 1), ('B', 1 + sc['k'])):
                trace = os.path.join(out, 'trace-%s-%s-%s.txt' % (srv['name'], sc['name'], variant))
                st0 = tls_stat()
                sp = subprocess.Popen(['strace', '-f', '-yy', '-s', '0', '-o', trace] +
                                      sum((['-p', str(x)] for x in [p.pid] + workers), []),
                                      stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
                attached = 0
                t0 = time.time()
                while attached < 1 + len(workers) and time.time() - t0 < 10 * slow:
                    line = sp.stderr.readline()
                    if not line:
                        break
                    if 'attached' in line:
                        attached += 1
                nframes = 0
                try:
                    if sc.get('h2'):
                        cipher, nrec, wire, nframes = h2_client(port, '/' + sc['file'], n, sc.get('tls12', False),
                                                                files[sc['file']])
                    else:
                        cipher, nrec, wire = client(port, '/' + sc['file'], n, sc.get('tls12', False),
                                                    files[sc['file']])
                except Exception as e:  # noqa: BLE001 - any client failure is a result
                    res['errors'].append('%s/%s: %s' % (sc['name'], variant, e))
                    cipher, nrec, wire = None, 0, 0
                time.sleep(0.3 * slow)
                sp.send_signal(signal.SIGINT)
                try:
                    sp.wait(timeout=20 * slow)
                except subprocess.TimeoutExpired:
                    sp.kill()
                    sp.wait()
                st1 = tls_stat()
                calls = connection_window(parse_trace(trace))
                s = summarize(calls)
                s['cipher'] = list(cipher) if cipher else None
                s['wire_records'] = nrec
                s['wire_bytes'] = wire
                s['data_frames'] = nframes
                if st0 is not None and st1 is not None:
                    s['tls_tx'] = st1.get('TlsTxSw', 0) - st0.get('TlsTxSw', 0) + \
                        st1.get('TlsTxDevice', 0) - st0.get('TlsTxDevice', 0)
                    s['tls_rx'] = st1.get('TlsRxSw', 0) - st0.get('TlsRxSw', 0) + \
                        st1.get('TlsRxDevice', 0) - st0.get('TlsRxDevice', 0)
                r[variant] = s
                if not spec.get('keep_traces'):
                    os.unlink(trace)
            a, b = r['A'], r['B']
            k = sc['k']
            per = {key: (b[key] - a[key]) / k for key in a if isinstance(a[key], int) and key in b}
            names = set(a['by_name']) | set(b['by_name'])
            per['by_name'] = {x: (b['by_name'].get(x, 0) - a['by_name'].get(x, 0)) / k for x in names}
            res['scenarios'][sc['name']] = {'conn': a, 'per_request': per, 'k': k, 'file': sc['file'],
                                            'size': files[sc['file']], 'tls12': sc.get('tls12', False),
                                            'cipher': a.get('cipher')}
            log('%s %s: %d syscalls for a connection with 1 request, %.1f per keep-alive request, '
                '%.1f records per request, %.1f DATA frames' % (srv['name'], sc['name'], a['syscalls_notime'],
                                                                per['syscalls_notime'], per['wire_records'],
                                                                per.get('data_frames', 0)))
    finally:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=15 * slow)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            res['errors'].append('server did not stop on SIGTERM')
        so.close()
    return res


def main():
    with open(sys.argv[1]) as f:
        spec = json.load(f)

    def log(msg):
        print('count: ' + msg, flush=True)

    results = {'label': spec.get('label', 'host'), 'kernel': os.uname().release,
               'tls_ulp': open('/proc/sys/net/ipv4/tcp_available_ulp').read().split()
               if os.path.exists('/proc/sys/net/ipv4/tcp_available_ulp') else [],
               }
    for key, scen in (('servers', spec['scenarios']), ('servers_h2', spec.get('scenarios_h2'))):
        results[key] = {}
        for srv in (spec.get(key) or []) if scen else []:
            try:
                results[key][srv['name']] = run_server(spec, srv, log, scen)
            except Exception as e:  # noqa: BLE001
                results[key][srv['name']] = {'server': srv['name'], 'scenarios': {}, 'errors': [repr(e)]}
                log('%s failed: %r' % (srv['name'], e))
    with open(os.path.join(spec['out'], 'counts-%s.json' % results['label']), 'w') as f:
        json.dump(results, f, indent=1)


if __name__ == '__main__':
    main()
