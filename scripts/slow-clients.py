#!/usr/bin/env python3
"""Keeps N slow clients connected to HOST:PORT for SECONDS, for scripts/load-slow.sh.

Usage: slow-clients.py HOST:PORT N SECONDS [SOURCES] [RAMP]

Three kinds, in turn: idle (connects, sends nothing), slow head (a request head sent one
byte a second, never finished), slow body (a complete head declaring 100,000 body bytes,
then one byte a second). Connections come from SOURCES loopback addresses (127.0.0.2, ...),
so a per-peer cap does not stand in for the per-listener one. The first connections are
spread over RAMP seconds (default 5), as a population of clients would arrive, rather than
all in one instant (which would also make their time-outs fall due together). A
connection the server closes is opened again, so N stay connected. Prints one JSON line when done: opened,
closed by the server, and connected at the end. Traffic goes to the given loopback
address only and stops after SECONDS."""
import json
import selectors
import socket
import sys
import time

host, port = sys.argv[1].rsplit(":", 1)
n, seconds = int(sys.argv[2]), float(sys.argv[3])
sources = int(sys.argv[4]) if len(sys.argv) > 4 else 8
ramp = float(sys.argv[5]) if len(sys.argv) > 5 else 5.0
if not host.startswith("127."):
    sys.exit("slow-clients.py sends only to loopback addresses")
HEAD = b"POST /verify HTTP/1.1\r\nHost: load\r\nContent-Type: application/json\r\nX-Slow: "
BODY_HEAD = (b"POST /verify HTTP/1.1\r\nHost: load\r\nContent-Type: application/json\r\n"
             b"Content-Length: 100000\r\n\r\n")
sel = selectors.DefaultSelector()
conns = {}  # socket -> (kind, bytes sent)
stats = {"opened": 0, "closed_by_server": 0}


def open_one(i):
    s = socket.socket()
    s.bind((f"127.0.0.{2 + i % sources}", 0))
    s.setblocking(False)
    try:
        s.connect((host, int(port)))
    except BlockingIOError:
        pass
    kind = i % 3
    conns[s] = [kind, 0, i]
    sel.register(s, selectors.EVENT_READ)
    stats["opened"] += 1


def trickle(s):
    kind, sent, _ = conns[s]
    try:
        if kind == 1:
            s.send(HEAD if sent == 0 else b"a")
        elif kind == 2:
            s.send(BODY_HEAD if sent == 0 else b" ")
        conns[s][1] += 1
    except (BlockingIOError, OSError):
        pass


start = time.monotonic()
end = start + seconds
next_tick = start
started = 0
while time.monotonic() < end:
    due = n if ramp <= 0 else min(n, int(n * (time.monotonic() - start) / ramp) + 1)
    while started < due:
        open_one(started)
        started += 1
    for key, _ in sel.select(timeout=0.05):
        s = key.fileobj
        try:
            data = s.recv(4096)
        except BlockingIOError:
            continue
        except OSError:
            data = b""
        if not data or data.startswith(b"HTTP/1.1 408"):
            i = conns.pop(s)[2]
            sel.unregister(s)
            s.close()
            stats["closed_by_server"] += 1
            open_one(i)
    if time.monotonic() >= next_tick:
        next_tick += 1.0
        for s in list(conns):
            trickle(s)
stats["connected"] = len(conns)
print(json.dumps(stats))
