#!/usr/bin/python3
"""h2_gets.py DIR PATH ID...: the client bytes of an HTTP/2 connection that GETs PATH
on each stream ID, written as DIR/h2-0 (the preface, SETTINGS and the first GET),
DIR/h2-1, ... (each further GET), to be fed to `openssl s_client` between other
input (ktls_rekey.sh sends a TLS KeyUpdate between them)."""
import sys

import h2.connection

out, path, ids = sys.argv[1], sys.argv[2], [int(a) for a in sys.argv[3:]]
c = h2.connection.H2Connection()
c.initiate_connection()
for i, sid in enumerate(ids):
    c.send_headers(sid, [(':method', 'GET'), (':scheme', 'https'), (':authority', 'x'),
                         (':path', path)], end_stream=True)
    with open('%s/h2-%d' % (out, i), 'wb') as f:
        f.write(c.data_to_send())
