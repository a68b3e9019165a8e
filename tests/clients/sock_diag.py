#!/usr/bin/env python3
"""sock_diag.py PORT OUT: holds a TLS 1.2 AES-GCM connection to 127.0.0.1:PORT
open and records the kernel's NETLINK_SOCK_DIAG replies about it, asked as
ktlsd asks (OUT/diag12.hex; as user nobody, without CAP_NET_ADMIN:
OUT/diag12-nobody.hex), what `ss -tie` says of it (OUT/ss), the reply about a
TLS 1.3 connection (OUT/diag13.hex), about no such connection (the listener:
OUT/diag-listener.hex) and about a port nothing uses (OUT/diag-enoent.hex).
Run in the VM by tests/uml/ktls_modes.sh."""
import os, socket, ssl, struct, subprocess, sys
port, out = int(sys.argv[1]), sys.argv[2]

def connect(version, cipher):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = ctx.maximum_version = version
    if version == ssl.TLSVersion.TLSv1_2:
        ctx.set_ciphers(cipher)
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=20))
    s.sendall(b"GET /f.bin HTTP/1.1\r\nHost: x\r\n\r\n")
    got = b""
    while len(got) < 5000:
        got += s.recv(65536)
    return s

def query(cport, sport=port):
    """The reply about 127.0.0.1:sport -> 127.0.0.1:cport, asked as ktlsd asks."""
    nl = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, 4)  # NETLINK_SOCK_DIAG
    lo = socket.inet_aton("127.0.0.1") + bytes(12)
    req = struct.pack("=BBBBI", socket.AF_INET, socket.IPPROTO_TCP, 1 << 1, 0, 0xFFFFFFFF)
    req += struct.pack("!HH", sport, cport) + lo + lo + struct.pack("=III", 0, 0xFFFFFFFF, 0xFFFFFFFF)
    # SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST, seq 7
    nl.send(struct.pack("=IHHII", 16 + len(req), 20, 1, 7, 0) + req)
    return nl.recv(65536).hex() + "\n"

def save(name, text):
    open(out + "/" + name + ".hex", "w").write(text)

s = connect(ssl.TLSVersion.TLSv1_2, "ECDHE-ECDSA-AES128-GCM-SHA256")
cport = s.getsockname()[1]
save("diag12", query(cport))
r, w = os.pipe()
if os.fork() == 0:  # without CAP_NET_ADMIN: no ULP info
    os.setgid(65534)
    os.setuid(65534)
    os.write(w, query(cport).encode())
    os._exit(0)
os.close(w)
save("diag12-nobody", os.fdopen(r).read())
os.wait()
with open(out + "/ss", "w") as f:
    subprocess.run(["ss", "-tieH", "state", "established", "sport", "=", ":%d" % port],
                   stdout=f, stderr=subprocess.STDOUT)
s13 = connect(ssl.TLSVersion.TLSv1_3, None)
save("diag13", query(s13.getsockname()[1]))
save("diag-listener", query(1))  # no such connection: the kernel falls back to the listener
save("diag-enoent", query(1, 9))  # nothing at all on port 9
s13.close()
s.close()
