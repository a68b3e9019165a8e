#!/usr/bin/python3
"""slow_h2.py PORT PATH OUT FILE: an HTTP/2 GET over TLS that opens the
window for 1 MiB, shrinks FILE, then opens it wide; prints the announced
content-length, the DATA payload bytes received (written to OUT) and whether
the server closed the connection (truncate.sh)."""
import socket, ssl, sys, os
import h2.connection, h2.config, h2.events
port, path, out, cut = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
ctx.set_alpn_protocols(["h2"])
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10))
assert s.selected_alpn_protocol() == "h2"
c = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
c.initiate_connection()
c.send_headers(1, [(":method", "GET"), (":path", path), (":scheme", "https"), (":authority", "localhost")],
               end_stream=True)
s.sendall(c.data_to_send())
length, body, state, cut_done = 0, b"", "open", False
try:
    while True:
        d = s.recv(65536)
        if not d:
            state = "closed"
            break
        for e in c.receive_data(d):
            if isinstance(e, h2.events.ResponseReceived):
                length = int(dict(e.headers)[b"content-length"])
            elif isinstance(e, h2.events.DataReceived):
                body += e.data
                if len(body) >= (1 << 20) and not cut_done:
                    os.truncate(cut, 2 << 20)      # the file shrinks to 2 MiB under the server
                    cut_done = True
                c.acknowledge_received_data(e.flow_controlled_length, e.stream_id)
            elif isinstance(e, (h2.events.StreamReset, h2.events.ConnectionTerminated)):
                state = "reset" if isinstance(e, h2.events.StreamReset) else "goaway"
            elif isinstance(e, h2.events.StreamEnded):
                state = "ended"
        if state in ("ended", "reset"):
            break
        s.sendall(c.data_to_send())
except (ConnectionResetError, BrokenPipeError, ssl.SSLError):
    state = "closed"
except socket.timeout:
    pass
open(out, "wb").write(body)
print(length, len(body), state)
