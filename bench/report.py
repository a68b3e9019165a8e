#!/usr/bin/env python3
"""Report of bench/run: raw.csv + meta.json -> summary.md, summary.csv, chart.png,
and with --publish the results section of bench/README.md.

Ratios are always ktlsd/nginx, computed per alternating pair (the two runs of a
workload that follow each other) and then summarised as median (min-max).
"""
import csv
import json
import math
import os
import shutil
import statistics
import subprocess
import sys

BENCH = os.path.dirname(os.path.abspath(__file__))
RAW_FIELDS = ['workload', 'server', 'pair', 'order', 'failed', 'reason', 'requests', 'bytes', 'duration_s', 'rps',
              'mbps', 'p50_ms', 'p99_ms', 'cpu_user_s', 'cpu_sys_s', 'cpu_s', 'cpu_util', 'cpu_us_per_req',
              'cpu_s_per_gb', 'client_cpu_util', 'other_load', 'peak_rss_kb', 'rss_kb', 'ktls_tx_conns', 'resumed',
              'rss_base_kb', 'idle_established', 'idle_open_s', 'idle_bytes_per_conn']
LARGE = {'1m', '10m', '100m', 'h2-10m'}
CONN = {'conn-full', 'conn-resumed', 'close-wrk'}
TARGETS = [
    # label, workload, metric, direction, threshold
    ('1 KiB keep-alive req/s', '1k', 'rps', 'ratio', 1.2),
    ('1 KiB keep-alive CPU per request', '1k', 'cpu_us_per_req', 'inverse', 1.2),
    ('10 MiB MB/s', '10m', 'mbps', 'ratio', 1.1),
    ('10 MiB CPU per GB', '10m', 'cpu_s_per_gb', 'inverse', 1.1),
    ('new TLS conns/s, full handshake (1 KiB, Connection: close)', 'conn-full', 'rps', 'ratio', 1.0),
    ('new TLS conns/s, resumed (1 KiB, Connection: close)', 'conn-resumed', 'rps', 'ratio', 1.0),
    ('memory per idle TLS connection', 'idle', 'idle_bytes_per_conn', 'le', 1.0),
    ('HTTP/2 1 KiB req/s (32 streams per connection)', 'h2-1k', 'rps', 'ratio', 1.2),
    ('HTTP/2 10 MiB MB/s', 'h2-10m', 'mbps', 'ratio', 1.1),
]
BEGIN = '<!-- bench:%s:begin -->'
END = '<!-- bench:%s:end -->'


# ---------------------------------------------------------------- raw rows
def write_raw(path, rows):
    with open(path, 'w', newline='') as f:
        w = csv.DictWriter(f, fieldnames=RAW_FIELDS, extrasaction='ignore')
        w.writeheader()
        for r in rows:
            w.writerow({k: fmt_raw(r.get(k)) for k in RAW_FIELDS})


def fmt_raw(v):
    if isinstance(v, float):
        return '%.6g' % v
    return '' if v is None else v


def read_raw(path):
    rows = []
    with open(path) as f:
        for r in csv.DictReader(f):
            for k, v in list(r.items()):
                if k in ('workload', 'server', 'reason'):
                    continue
                try:
                    r[k] = float(v) if v != '' else None
                except ValueError:
                    pass
            rows.append(r)
    return rows


def progress_line(r):
    head = '%-12s %-5s pair %d: ' % (r['workload'], r['server'], r['pair'])
    if r.get('failed'):
        return head + 'FAILED: ' + r['reason']
    if r['workload'] == 'idle':
        return head + '%d idle conns: %.0f bytes each (RSS %.1f -> %.1f MiB)' % (
            r['idle_established'], r['idle_bytes_per_conn'], r['rss_base_kb'] / 1024, r['rss_kb'] / 1024)
    extra = ''
    if r['workload'] in LARGE:
        extra = '%.0f MB/s, %.3f CPU-s/GB' % (r['mbps'], r['cpu_s_per_gb'])
    else:
        extra = '%.0f %s/s, %.1f CPU-us each' % (r['rps'], 'conn' if r['workload'] in CONN else 'req',
                                                 r['cpu_us_per_req'])
    return head + '%s, p50 %.2f ms, p99 %.2f ms, server CPU %.0f%%, client CPU %.0f%%, other load %.2f' % (
        extra, r['p50_ms'], r['p99_ms'], r['cpu_util'] * 100, r['client_cpu_util'] * 100, r['other_load'])


# ---------------------------------------------------------------- statistics
def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def pair_ratios(rows, wl, metric):
    by = {}
    for r in rows:
        if r['workload'] == wl:
            by.setdefault(int(r['pair']), {})[r['server']] = r
    out = []
    for p in sorted(by):
        k, n = by[p].get('ktlsd'), by[p].get('nginx')
        if k and n and k.get(metric) is not None and n.get(metric):
            out.append(k[metric] / n[metric])
    return out


def spread(xs, inverse=False, digits=2):
    if not xs:
        return 'n/a'
    if inverse:
        xs = [1 / x for x in xs if x]
    m = statistics.median(xs)
    f = '%%.%df' % digits
    if len(xs) == 1:
        return f % m
    return (f + ' (' + f + '–' + f + ')') % (m, min(xs), max(xs))


def failures(rows, wl):
    return ['%s pair %d: %s' % (r['server'], int(r['pair']), r['reason'][:200]) for r in rows
            if r['workload'] == wl and r.get('failed')]


def client_bound(rows, wl):
    """True when the load generator, not the servers, was the limit: its CPU was
    saturated while neither server's was. Throughput says little then; CPU per
    request still compares the servers."""
    def util(srv, k):
        return med([r.get(k) for r in rows if r['workload'] == wl and r['server'] == srv and not r.get('failed')])
    try:
        return all(util(s, 'client_cpu_util') >= 0.95 and util(s, 'cpu_util') < 0.9 for s in ('ktlsd', 'nginx'))
    except TypeError:
        return False


def si(x, digits=0):
    if x is None:
        return 'n/a'
    return '{:,.{d}f}'.format(x, d=digits)


# ---------------------------------------------------------------- the report
def build(out, publish=False):
    meta = json.load(open(os.path.join(out, 'meta.json')))
    raw = os.path.join(out, 'raw.csv')
    rows = read_raw(raw) if os.path.exists(raw) else []
    m = meta['machine']
    wls = meta['workloads']
    L = []
    any_failed = False

    L.append('Machine: %s, %s RAM; Linux %s; kernel TLS: %s; %s; ktlsd %s (%s build, commit %s); '
             '%s; %s.' % (m['cpu'], m['mem'], m['kernel'], m['kernel_tls'], m['openssl'],
                                m['ktlsd'].replace('ktlsd version ', ''), m['build_type'], m['commit'],
                                m['nginx'], m['wrk']))
    L.append('')
    L.append('Run: `%s` on %s; %s; %d run%s per server and workload, alternating (A B B A ...), %g s each '
             'after %g s of warm-up; total %.0f min.' % (
                 meta['argv'], m['date'], m['pinning'], meta['runs'], 's' if meta['runs'] > 1 else '',
                 meta['duration'], meta['warmup'], meta.get('elapsed_s', 0) / 60))
    loads = [r.get('other_load') for r in rows if r.get('other_load') is not None]
    if loads and statistics.median(loads) > 0.15:
        L.append('')
        L.append('**Warning: other processes kept %.2f CPUs busy on average (up to %.2f) during the timed runs; '
                 'timings from this run are noisy. CPU per request is the steadier measure then.**' %
                 (statistics.mean(loads), max(loads)))
    pf = meta.get('preflight')
    if pf:
        L.append('')
        L.append('kTLS: ktlsd: %s. nginx: %s.' % (describe(pf.get('ktlsd', {})), describe(pf.get('nginx', {}))))
    summary_rows = []

    if rows:
        # ---- ratios
        L.append('')
        L.append('### ktlsd/nginx ratios: median (min–max) over %d alternating pair%s' %
                 (meta['runs'], 's' if meta['runs'] > 1 else ''))
        L.append('')
        L.append('Throughput: higher is better for ktlsd; CPU, latency and memory: lower is better. '
                 '"client-bound": the load generator\'s CPU was saturated and the servers\' were not, so the '
                 'throughput ratio measures the client; compare CPU per request instead.')
        L.append('')
        L.append('| workload | throughput | server CPU per request or GB | p50 latency | p99 latency | peak RSS |')
        L.append('|---|---|---|---|---|---|')
        for wl in wls:
            if wl == 'idle':
                continue
            fl = failures(rows, wl)
            desc = meta['workload_desc'][wl]
            if fl:
                any_failed = True
                L.append('| %s | **FAILED**: %s | | | | |' % (desc, '; '.join(fl)[:400].replace('|', '/')))
                summary_rows.append({'workload': wl, 'metric': 'all', 'failed': '; '.join(fl)})
                continue
            cells = []
            for metric in ('rps', 'cpu_us_per_req', 'p50_ms', 'p99_ms', 'peak_rss_kb'):
                rs = pair_ratios(rows, wl, metric)
                cells.append(spread(rs))
                summary_rows.append(summary_row(rows, wl, metric, rs))
            if client_bound(rows, wl):
                cells[0] += ' client-bound'
            L.append('| %s | %s |' % (desc, ' | '.join(cells)))
        if 'idle' in wls:
            fl = failures(rows, 'idle')
            if fl:
                any_failed = True
                L.append('| memory per idle TLS connection | **FAILED**: %s | | | | |' % '; '.join(fl)[:400])
            else:
                rs = pair_ratios(rows, 'idle', 'idle_bytes_per_conn')
                summary_rows.append(summary_row(rows, 'idle', 'idle_bytes_per_conn', rs))
                L.append('| memory per idle TLS connection (%d open) | | | | | %s |' % (meta['idle_n'], spread(rs)))

        groups = chart_groups(rows, wls)
        lag = behind(groups)
        L.append('')
        L.append('Chart (chart.png): every ratio above as ktlsd\'s advantage, >1 ktlsd better; %s. '
                 'Where nginx is ahead (advantage < 1): %s.' % (chart_caption(meta), '; '.join(lag) or 'nowhere'))

        # ---- absolute values
        L.append('')
        L.append('### Medians per server')
        L.append('')
        L.append('| workload | server | req/s | MB/s | p50 ms | p99 ms | CPU µs/req | CPU s/GB | server CPU '
                 '| client CPU | peak RSS MiB | other load | kTLS conns |')
        L.append('|---|---|---|---|---|---|---|---|---|---|---|---|---|')
        for wl in wls:
            if wl == 'idle':
                continue
            for srv in ('ktlsd', 'nginx'):
                rr = [r for r in rows if r['workload'] == wl and r['server'] == srv and not r.get('failed')]
                if not rr:
                    L.append('| %s | %s | failed | | | | | | | | | | |' % (wl, srv))
                    continue
                g = lambda k: med([r.get(k) for r in rr])  # noqa: E731
                unit = 'conn' if wl in CONN else ''
                kt = g('ktls_tx_conns')
                L.append('| %s | %s | %s%s | %s | %.2f | %.2f | %.1f | %.3f | %.0f%% | %.0f%% | %.1f | %.2f | %s |' % (
                    wl, srv, si(g('rps')), (' ' + unit) if unit else '', si(g('mbps'), 1), g('p50_ms'),
                    g('p99_ms'), g('cpu_us_per_req'), g('cpu_s_per_gb'), 100 * g('cpu_util'),
                    100 * g('client_cpu_util'), g('peak_rss_kb') / 1024, g('other_load'),
                    'n/a' if kt is None else si(kt)))
        if 'idle' in wls:
            for srv in ('ktlsd', 'nginx'):
                rr = [r for r in rows if r['workload'] == 'idle' and r['server'] == srv and not r.get('failed')]
                if rr:
                    L.append('| idle | %s | %d idle TLS conns: **%s bytes each** (RSS %.1f → %.1f MiB) '
                             '| | | | | | | | | | |' % (srv, meta['idle_n'],
                                                      si(med([r['idle_bytes_per_conn'] for r in rr])),
                                                      med([r['rss_base_kb'] for r in rr]) / 1024,
                                                      med([r['rss_kb'] for r in rr]) / 1024))
        L.append('')
        L.append('"server CPU" is CPU time of master + workers (utime+stime from /proc/PID/stat) over wall '
                 'time: 100% per server CPU means the server was the bottleneck; lower means the client or the '
                 'network stack was. "other load" is busy CPU (from /proc/stat) used by neither, in CPUs: '
                 'anything well above 0 means something else ran on the machine. "kTLS conns" is the rise of '
                 'TlsTxSw+TlsTxDevice in /proc/net/tls_stat during the measured run (n/a: no tls module).')

        # ---- floor
        floor = meta.get('aes_floor_Bps')
        big = [w for w in ('10m', '100m', '1m') if w in wls and not failures(rows, w)]
        if floor and big:
            L.append('')
            fl = 1e9 / floor
            parts = []
            for w in big:
                for srv in ('ktlsd', 'nginx'):
                    v = med([r['cpu_s_per_gb'] for r in rows if r['workload'] == w and r['server'] == srv
                             and not r.get('failed')])
                    if v:
                        parts.append('%s %s %.3f s/GB = %.1f× the floor' % (w, srv, v, v / fl))
            L.append('Physical floor: `openssl speed -evp aes-128-gcm` (16 KiB blocks, one server CPU) encrypts '
                     '%.2f GB/s = %.3f CPU-s/GB. Measured: %s.' % (floor / 1e9, fl, '; '.join(parts)))

        # ---- targets
        L.append('')
        L.append('### Targets (this machine)')
        L.append('')
        L.append('| target | measured | verdict |')
        L.append('|---|---|---|')
        for label, wl, metric, how, thr in TARGETS:
            if wl not in wls:
                continue
            if failures(rows, wl):
                L.append('| %s | failed | ✗ |' % label)
                continue
            rs = pair_ratios(rows, wl, metric)
            if not rs:
                continue
            if how == 'inverse':
                vals = [1 / x for x in rs]
                txt = 'nginx/ktlsd ≥ %.2f' % thr
                ok = statistics.median(vals) >= thr
            elif how == 'le':
                vals = rs
                txt = 'ktlsd/nginx ≤ %.2f' % thr
                ok = statistics.median(vals) <= thr
            else:
                vals = rs
                txt = 'ktlsd/nginx ≥ %.2f' % thr
                ok = statistics.median(vals) >= thr
            note = ''
            if metric == 'rps' and client_bound(rows, wl):
                cpu = pair_ratios(rows, wl, 'cpu_us_per_req')
                note = ' (client-bound: the load generator saturated its CPU; server CPU per connection ' \
                       'nginx/ktlsd = %s)' % spread(cpu, inverse=True)
            L.append('| %s: %s | %s%s | %s |' % (label, txt, spread(vals), note, '✓' if ok else '✗'))

    # ---- counts
    for env, title in (('host', 'Counting on this host (user-space TLS), strace -f'),
                       ('uml', 'Counting under User-Mode Linux (kTLS), strace -f')):
        c = meta.get('counts', {}).get(env)
        if c is None:
            continue
        L.append('')
        L.append('### ' + title)
        L.append('')
        if c.get('failed'):
            any_failed = True
            L.append('**FAILED** (see logs/ and counts-%s/ in the results directory).' % env)
            continue
        L.extend(count_tables(c, env))
        if c.get('servers_h2'):
            L.extend(h2_count_table(c, env))

    text = '\n'.join(L) + '\n'
    with open(os.path.join(out, 'summary.md'), 'w') as f:
        f.write('# ktlsd vs nginx\n\n' + text)
    with open(os.path.join(out, 'summary.csv'), 'w', newline='') as f:
        w = csv.DictWriter(f, fieldnames=['workload', 'metric', 'ktlsd_median', 'nginx_median', 'ratio_median',
                                          'ratio_min', 'ratio_max', 'pairs', 'failed'])
        w.writeheader()
        for r in summary_rows:
            w.writerow({k: fmt_raw(v) for k, v in r.items()})
    chart(out, rows, wls, meta)
    print('\n' + text)
    if publish:
        publish_readme(out, meta, text)
    return 1 if any_failed else 0


def describe(i):
    parts = []
    if 'ktls_var' in i:
        parts.append('`$ktls` = %s' % i['ktls_var'])
    if i.get('tls_stat_tx') is None:
        parts.append('/proc/net/tls_stat absent')
    else:
        parts.append('tls_stat TlsTx +%d over %d connections' % (i['tls_stat_tx'], i['requests']))
    if i.get('notice'):
        parts.append('log: "%s"' % i['notice'])
    return ', '.join(parts)


def summary_row(rows, wl, metric, rs):
    g = lambda s: med([r.get(metric) for r in rows if r['workload'] == wl and r['server'] == s  # noqa: E731
                       and not r.get('failed')])
    return {'workload': wl, 'metric': metric, 'ktlsd_median': g('ktlsd'), 'nginx_median': g('nginx'),
            'ratio_median': statistics.median(rs) if rs else None, 'ratio_min': min(rs) if rs else None,
            'ratio_max': max(rs) if rs else None, 'pairs': len(rs), 'failed': ''}


def count_tables(c, env):
    L = []
    srvs = c['servers']
    errs = ['%s: %s' % (s, '; '.join(v['errors'])) for s, v in srvs.items() if v.get('errors')]
    if errs:
        L.append('Errors: ' + ' / '.join(errs))
        L.append('')
    L.append('Kernel %s, tcp_available_ulp: %s. Per connection = a new TLS connection with one GET; per request = '
             'each further keep-alive GET. Syscalls of the worker only, without clock_gettime/gettimeofday/time '
             '(vDSO on a normal kernel; UML has no vDSO). Records are counted on the wire by the client.' %
             (c['kernel'], ' '.join(c.get('tls_ulp') or []) or 'none'))
    L.append('')
    L.append('| file | server | syscalls per connection | syscalls per request | records per request '
             '| socket writes per request | bytes written from user space per request | file bytes read into '
             'user space per request | sendfile bytes per request | kTLS tx/rx |')
    L.append('|---|---|---|---|---|---|---|---|---|---|')
    names = []
    for s in srvs.values():
        for n in s['scenarios']:
            if n not in names:
                names.append(n)
    for n in names:
        for s in ('ktlsd', 'nginx'):
            sc = srvs.get(s, {}).get('scenarios', {}).get(n)
            if not sc:
                L.append('| %s | %s | failed | | | | | | | |' % (n, s))
                continue
            a, p = sc['conn'], sc['per_request']
            kt = '%s/%s' % (a.get('tls_tx', '–'), a.get('tls_rx', '–')) if 'tls_tx' in a else 'n/a'
            L.append('| %s (%s) | %s | %d | %.1f | %.1f | %.1f | %s | %s | %s | %s |' % (
                n, (sc.get('cipher') or ['?', '?'])[1], s, a['syscalls_notime'], p['syscalls_notime'],
                p.get('wire_records', 0), p['sock_write_calls'], si(p['sock_write_bytes']),
                si(p['file_read_bytes']), si(p['sendfile_bytes']), kt))
    # where the difference is: syscalls by name, ktlsd minus nginx
    L.append('')
    L.append('Syscalls by name, ktlsd − nginx (time calls included):')
    L.append('')
    for n in names:
        k = srvs.get('ktlsd', {}).get('scenarios', {}).get(n)
        g = srvs.get('nginx', {}).get('scenarios', {}).get(n)
        if not (k and g):
            continue
        parts = []
        for label, ka, na in (('per connection', k['conn']['by_name'], g['conn']['by_name']),
                              ('per request', k['per_request']['by_name'], g['per_request']['by_name'])):
            if label == 'per connection' and n != '1k':
                continue
            diff = {x: ka.get(x, 0) - na.get(x, 0) for x in set(ka) | set(na)}
            diff = {x: v for x, v in diff.items() if abs(v) >= 0.5}
            parts.append('%s: %s' % (label, ', '.join('%s %+g' % (x, round(v, 1)) for x, v in
                                                      sorted(diff.items(), key=lambda t: (-t[1], t[0]))) or 'same'))
        L.append('- %s: %s' % (n, '; '.join(parts)))
    if env == 'uml':
        L.append('')
        ok_zero = []
        for n in names:
            sc = srvs.get('ktlsd', {}).get('scenarios', {}).get(n)
            if sc:
                p = sc['per_request']
                zero = p['file_read_bytes'] == 0 and p['sendfile_bytes'] >= sc['size'] and \
                    p['sock_write_bytes'] < 1024
                ok_zero.append('%s %s' % (n, '✓' if zero else '✗'))
        L.append('Target "zero body bytes through user space with SSL_sendfile" (ktlsd): %s.' % ', '.join(ok_zero))
        fewer = []
        for n in names:
            ks = srvs.get('ktlsd', {}).get('scenarios', {}).get(n)
            ns = srvs.get('nginx', {}).get('scenarios', {}).get(n)
            if ks and ns:
                a, b = ks['per_request']['syscalls_notime'], ns['per_request']['syscalls_notime']
                fewer.append('%s %.1f vs %.1f %s' % (n, a, b, '✓' if a < b else '✗'))
        L.append('Target "fewer syscalls per request than nginx": %s.' % ', '.join(fewer))
    return L


def h2_count_table(c, env):
    """The HTTP/2 scenarios: TLS records per 16 KiB of body, beside the DATA frames."""
    srvs = c['servers_h2']
    L = ['', '#### HTTP/2 (ALPN h2, `listen ... ssl http2`): TLS records per 16 KiB of body', '']
    errs = ['%s: %s' % (s, '; '.join(v['errors'])) for s, v in srvs.items() if v.get('errors')]
    if errs:
        L += ['Errors: ' + ' / '.join(errs), '']
    L.append('One connection, GETs one after the other (stream 1, 3, ...), flow-control windows wide open; per '
             'request = each further GET. "records per 16 KiB" = the TLS records of a response (its HEADERS '
             'included) over its body size in 16 KiB units: 1.00 is one full record per 16 KiB. nginx-16k is nginx '
             'with `http2_chunk_size 16k` (its default is 8k; ktlsd\'s 16k, capped at 16,375 so that a frame '
             'fills one record).')
    L.append('')
    L.append('| file | server | DATA frames per request | records per request | records per 16 KiB '
             '| syscalls per request | socket writes per request | file bytes read into user space per request '
             '| sendfile bytes per request | kTLS tx/rx |')
    L.append('|---|---|---|---|---|---|---|---|---|---|')
    names = []
    for v in srvs.values():
        names += [n for n in v['scenarios'] if n not in names]
    for n in names:
        for s in srvs:
            sc = srvs[s]['scenarios'].get(n)
            if not sc:
                L.append('| %s | %s | failed | | | | | | | |' % (n, s))
                continue
            a, p = sc['conn'], sc['per_request']
            kt = '%s/%s' % (a.get('tls_tx', '–'), a.get('tls_rx', '–')) if 'tls_tx' in a else 'n/a'
            per16k = '%.3f' % (p.get('wire_records', 0) / (sc['size'] / 16384)) if sc['size'] >= 16384 else '–'
            L.append('| %s (%s) | %s | %.1f | %.1f | %s | %.1f | %.1f | %s | %s | %s |' % (
                n, (sc.get('cipher') or ['?', '?'])[1], s, p.get('data_frames', 0), p.get('wire_records', 0),
                per16k, p['syscalls_notime'], p['sock_write_calls'],
                si(p['file_read_bytes']), si(p['sendfile_bytes']), kt))
    # the target is for large bodies: a 1 MiB body needs 65 frames of at most 16,375 bytes (the last one
    # small) and a HEADERS record, 66 records for 64 x 16 KiB, which no framing can beat
    big = [n for n in names if srvs.get('ktlsd', {}).get('scenarios', {}).get(n, {}).get('size', 0) >= 10 << 20]
    if env == 'uml' and big:
        parts = []
        for n in big:
            sc = srvs['ktlsd']['scenarios'][n]
            r = sc['per_request'].get('wire_records', 0) / (sc['size'] / 16384)
            others = ', '.join('%s %.2f' % (s, v['scenarios'][n]['per_request'].get('wire_records', 0) /
                                            (v['scenarios'][n]['size'] / 16384))
                               for s, v in srvs.items() if s != 'ktlsd' and n in v['scenarios'])
            parts.append('%s %.3f %s (%s)' % (n, r, '✓' if r <= 1.01 else '✗', others))
        L += ['', 'Target "HTTP/2 over kTLS: at most 1.01 TLS records per 16 KiB of body" (ktlsd): %s.' %
              '; '.join(parts)]
    return L


# The chart's series: every ratio the summary measures, each turned into ktlsd's
# advantage (>1: ktlsd better, <1: nginx better). (label, metric, inverse): a
# lower-is-better metric is inverted, nginx/ktlsd.
SERIES = [
    ('throughput, ktlsd/nginx', 'rps', False),
    ('server CPU per request or GB, nginx/ktlsd', 'cpu_us_per_req', True),
    ('p50 latency, nginx/ktlsd', 'p50_ms', True),
    ('p99 latency, nginx/ktlsd', 'p99_ms', True),
    ('memory (peak RSS; idle: per connection), nginx/ktlsd', 'peak_rss_kb', True),
]


def advantage(rs, inverse):
    """(median, min, max) of ktlsd's advantage from ktlsd/nginx pair ratios."""
    xs = [1 / x for x in rs if x] if inverse else [x for x in rs if x is not None]
    return (statistics.median(xs), min(xs), max(xs)) if xs else None


def chart_groups(rows, wls):
    """[(workload, [advantage or None per SERIES])] from the raw rows."""
    groups = []
    for wl in wls:
        if failures(rows, wl):
            continue
        if wl == 'idle':
            a = advantage(pair_ratios(rows, wl, 'idle_bytes_per_conn'), True)
            if a:
                groups.append(('idle', [None] * (len(SERIES) - 1) + [a]))
            continue
        vals = [advantage(pair_ratios(rows, wl, metric), inv) for _, metric, inv in SERIES]
        if any(vals):
            groups.append((wl, vals))
    return groups


def chart_caption(meta):
    m = meta['machine']
    return 'kernel TLS: %s; ktlsd commit %s (%s build), %s; %s; %s' % (
        m['kernel_tls'], m['commit'], m['build_type'], m['nginx'], m['cpu'].split(',')[0][:40], m['date'])


def behind(groups):
    """The measured ratios where nginx is ahead (advantage median < 1), worst first."""
    out = []
    for wl, vals in groups:
        for (label, _, _), a in zip(SERIES, vals):
            if a and a[0] < 1:
                what = label.split(' (')[0].split(',')[0] if wl != 'idle' else 'memory per idle connection'
                out.append((a[0], '%s %s %.2f' % (wl, what, a[0])))
    return [t for _, t in sorted(out)]


def chart(out, rows, wls, meta):
    """chart.png: every ratio per workload as ktlsd's advantage, median with min-max bars."""
    draw_chart(out, chart_groups(rows, wls) if rows else [], chart_caption(meta), meta.get('runs', 0))


def draw_chart(out, groups, caption, runs):
    """Plots groups (chart_groups) as log2 of the advantage, so that bars grow up from 1
    where ktlsd is better and down where nginx is, and 2x better and 2x worse are
    the same length; the axis is labelled in ratios. The caption goes under the title."""
    if not groups or not shutil.which('gnuplot'):
        return
    dat = os.path.join(out, 'chart.dat')
    with open(dat, 'w') as f:
        f.write('# workload' + ''.join(' s%d s%d_min s%d_max' % (i, i, i) for i in range(len(SERIES))) + '\n')
        for wl, vals in groups:
            cells = []
            for a in vals:
                cells += ['-'] * 3 if a is None else ['%.4f' % math.log2(v) for v in a]
            f.write('"%s" %s\n' % (wl, ' '.join(cells)))
    colors = ['#3b7dd8', '#e08a2e', '#7fbf4d', '#c8453c', '#8e6bbf']
    plots = []
    for i, (label, _, _) in enumerate(SERIES):
        c = 2 + 3 * i
        plots.append('%s using %d:%d:%d%s title "%s" lc rgb "%s"' % (
            '"%s"' % dat if i == 0 else '""', c, c + 1, c + 2, ':xtic(1)' if i == 0 else '', label, colors[i]))
    gp = os.path.join(out, 'chart.gp')
    with open(gp, 'w') as f:
        f.write('''set terminal pngcairo size 1200,640 font ",10" noenhanced
set output "{png}"
set title "ktlsd vs nginx: every measured ratio as ktlsd's advantage (above 1: ktlsd better; below 1: nginx better)\\n{caption}\\nmedian and min-max over {runs} alternating pair{s}"
set ylabel "ktlsd advantage (log scale, bars from 1)"
set style data histogram
set style histogram errorbars gap 2 lw 1
set style fill solid 0.75 border -1
set boxwidth 0.9
set datafile missing "-"
set ytics ({ytics})
set xtics rotate by -30
set grid ytics
set key below horizontal
set xzeroaxis lt -1 lw 2
set offsets graph 0, graph 0, graph 0.06, graph 0.06
plot {plots}
'''.format(png=os.path.join(out, 'chart.png'), caption=caption.replace('"', "'"), runs=runs,
           s='s' if runs != 1 else '',
           ytics=', '.join('"%g" %.4f' % (v, math.log2(v)) for v in (0.25, 0.5, 0.67, 0.8, 1, 1.25, 1.5, 2, 4)),
           plots=', \\\n     '.join(plots)))
    subprocess.run(['gnuplot', gp], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def rechart(readme, out):
    """chart.png again from the published results of bench/README.md (the ratio table
    and the machine line), without a results directory: --rechart."""
    import re
    try:
        from bench import WORKLOADS
        short = {v[3]: k for k, v in WORKLOADS.items()}
    except ImportError:
        short = {}
    doc = open(readme).read()
    b, e = BEGIN % 'results', END % 'results'
    text = doc[doc.index(b):doc.index(e)]
    cell = re.compile(r'([0-9.]+) \(([0-9.]+)–([0-9.]+)\)|^([0-9.]+)$')
    groups = []
    for line in text.splitlines():
        cols = [c.strip() for c in line.strip().strip('|').split('|')]
        if len(cols) != 6 or not any(cell.search(c) for c in cols[1:]):
            continue
        idle = cols[0].startswith('memory per idle TLS connection')
        vals = []
        for (label, metric, inv), c in zip(SERIES, cols[1:]):
            mm = cell.search(c.replace(' client-bound', ''))
            if not mm:
                vals.append(None)
                continue
            med_, lo, hi = (float(mm.group(1)), float(mm.group(2)), float(mm.group(3))) if mm.group(1) \
                else (float(mm.group(4)),) * 3
            vals.append((1 / med_, 1 / hi, 1 / lo) if inv else (med_, lo, hi))
        groups.append(('idle' if idle else short.get(cols[0], cols[0][:20]), vals))
    mach = re.search(r'kernel TLS: ([^;]+);.*commit ([0-9a-f?]+)\)', text)
    when = re.search(r'Run: `[^`]*` on ([^;]+);.* (\d+) runs? per server', text)
    caption = 'kernel TLS: %s; ktlsd commit %s; %s' % (
        mach.group(1) if mach else '?', mach.group(2) if mach else '?', when.group(1) if when else '')
    draw_chart(out, groups, caption, int(when.group(2)) if when else 0)
    return groups


def publish_readme(out, meta, text):
    """Replaces the results sections of bench/README.md and copies the chart."""
    readme = os.path.join(BENCH, 'README.md')
    doc = open(readme).read() if os.path.exists(readme) else ''
    timing, uml = text, None
    marker = '### Counting under User-Mode Linux'
    if marker in text:
        i = text.index(marker)
        timing, uml = text[:i], text[i:]
    sections = {}
    if meta['workloads'] or 'host' in meta.get('counts', {}):
        sections['results'] = timing
    if uml:
        sections['uml'] = ('Run: `%s` on %s.\n\n' % (meta['argv'], meta['machine']['date']) if not meta['workloads']
                           else '') + uml
    for key, body in sections.items():
        b, e = BEGIN % key, END % key
        if b in doc and e in doc:
            doc = doc[:doc.index(b) + len(b)] + '\n' + body.strip() + '\n' + doc[doc.index(e):]
        else:
            doc += '\n%s\n%s\n%s\n' % (b, body.strip(), e)
    png = os.path.join(out, 'chart.png')
    if 'results' in sections and os.path.exists(png):
        shutil.copy(png, os.path.join(BENCH, 'chart.png'))
    with open(readme, 'w') as f:
        f.write(doc)
    print('bench: published to %s' % readme)


if __name__ == '__main__':
    if sys.argv[1:2] == ['--rechart']:
        # bench/report.py --rechart [OUTDIR]: bench/chart.png from bench/README.md
        import tempfile
        out = sys.argv[2] if len(sys.argv) > 2 else tempfile.mkdtemp(prefix='ktlsd-chart.')
        g = rechart(os.path.join(BENCH, 'README.md'), out)
        png = os.path.join(out, 'chart.png')
        if len(sys.argv) <= 2 and os.path.exists(png):  # chart.dat and chart.gp stay out of bench/
            shutil.copy(png, os.path.join(BENCH, 'chart.png'))
            shutil.rmtree(out)
            png = os.path.join(BENCH, 'chart.png')
        print('bench: %d workloads charted into %s; nginx ahead: %s' % (
            len(g), png, '; '.join(behind(g)) or 'nowhere'))
        sys.exit(0 if g else 1)
    sys.exit(build(sys.argv[1], publish='--publish' in sys.argv))
