#!/usr/bin/env python3
"""Raw control-socket client for the smoke test: sends what tierctl never
would (junk, oversized, NUL bytes), holds many connections at once, idles.

usage: ctl_client.py SOCKET MODE
  junk        malformed and oversized requests get "error: ..." replies
  concurrent  N clients connected at once are all served (N from argv[3])
  busy        past the client limit, extra clients get "error: busy"
  idle        a client that sends nothing is disconnected
  fds         descriptors sent with requests that take none are refused
              and closed: tierd's open descriptors (PID from argv[3]) do
              not grow
"""
import json
import os
import socket
import sys
import time


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    # Blocking connect: it waits while the listen backlog is full, where a
    # socket with a timeout (non-blocking inside Python) gets EAGAIN.
    s.connect(path)
    s.settimeout(20)
    return s


def ask(s, req):
    s.send(req)
    return s.recv(1 << 20).decode()


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def junk(path):
    cases = [
        (b"xyz", "error: unknown request 'xyz' (try help)\n"),
        (b"stats json json", "error: unknown request 'stats json json': "
                             "bad argument 'json'"),
        (b"folios -5", "error: unknown request 'folios -5': bad argument"),
        (b"\n", "error: empty request (try help)\n"),
        (b"stats\x00json", "error: request contains a NUL byte\n"),
        (b"stats\nconfig", "error: one request per message"),
        (b"\xff\xfe\x01", "error: unknown request '???' (try help)\n"),
    ]
    s = connect(path)
    # One connection carries many requests; errors do not close it.
    for req, want in cases:
        got = ask(s, req)
        if not got.startswith(want):
            fail("%r: got %r, want %r" % (req, got, want))
        print("ok: %r -> %r" % (req, got.strip()))
    got = ask(s, b"help\n")
    if not got.startswith("ok\n") or "folios [PID] [json]" not in got:
        fail("help after junk: %r" % got)
    s.close()

    # Oversized: an error reply, then the daemon hangs up.
    s = connect(path)
    got = ask(s, b"stats " + b"x" * 5000)
    if got != "error: request too large (max 4096 bytes)\n":
        fail("oversized: %r" % got)
    if s.recv(100) != b"":
        fail("oversized: connection not closed")
    print("ok: 5006-byte request -> %r, then closed" % got.strip())
    s.close()


def concurrent(path, n):
    socks = [connect(path) for _ in range(n)]
    # Everyone is connected before anyone asks.
    for s in socks:
        s.send(b"stats json")
    for i, s in enumerate(socks):
        got = s.recv(1 << 20).decode()
        if not got.startswith("ok\n"):
            fail("client %d: %r" % (i, got[:200]))
        json.loads(got[3:])
    for s in socks:
        s.close()
    print("ok: %d concurrent clients got valid JSON stats" % n)


def busy(path, limit, extra):
    socks = [connect(path) for _ in range(limit + extra)]
    busy_n = 0
    for s in socks:
        try:
            s.send(b"status")
        except BrokenPipeError:
            pass  # refused ones were closed after their "busy" reply
    for s in socks:
        try:
            got = s.recv(1 << 20).decode()
        except OSError as e:
            fail("recv: %s" % e)
        if got.startswith("error: busy"):
            busy_n += 1
        elif not got.startswith("ok\n"):
            fail("unexpected reply %r" % got[:200])
    for s in socks:
        s.close()
    if busy_n != extra:
        fail("%d clients over the limit of %d, %d got busy" %
             (extra, limit, busy_n))
    print("ok: %d of %d clients refused with 'error: busy'" %
          (busy_n, limit + extra))


def idle(path):
    s = connect(path)
    s.settimeout(30)
    if s.recv(100) != b"":
        fail("idle client got data instead of a hangup")
    print("ok: idle client disconnected")


def open_fds(pid):
    """tierd's descriptor count, ignoring any it holds only for a moment
    (a tick reading /proc): the least of a few looks."""
    n = []
    for _ in range(5):
        n.append(len(os.listdir("/proc/%d/fd" % pid)))
        time.sleep(0.02)
    return min(n)


def ask_fds(s, req, nfds):
    fds = [os.open("/dev/null", os.O_RDONLY) for _ in range(nfds)]
    try:
        socket.send_fds(s, [req], fds)
    finally:
        for fd in fds:
            os.close(fd)
    return s.recv(1 << 20).decode()


def fds(path, pid):
    rounds = 200
    s = connect(path)
    if not ask(s, b"status").startswith("ok\n"):
        fail("status before sending descriptors")
    before = open_fds(pid)
    # One connection: a refused descriptor does not end it.
    cases = [
        (b"stats", 1, "error: request 'stats' takes no descriptor\n"),
        (b"stats json", 2, "error: request 'stats' takes no descriptor\n"),
        (b"pause", 1, "error: request 'pause' takes no descriptor\n"),
        # more than the room for one: the kernel drops the rest
        (b"stats", 5, "error: control data truncated: at most one "
                      "descriptor per request\n"),
        (b"xyz", 1, "error: unknown request 'xyz' (try help)\n"),
    ]
    for req, n, want in cases:
        for _ in range(rounds):
            got = ask_fds(s, req, n)
            if got != want:
                fail("%r with %d fds: got %r, want %r" % (req, n, got, want))
        print("ok: %d x %r with %d descriptor(s) -> %r" %
              (rounds, req, n, want.strip()))
    # Paths that end the connection close the descriptor too.
    for _ in range(20):
        c = connect(path)
        got = ask_fds(c, b"stats " + b"x" * 5000, 1)
        if got != "error: request too large (max 4096 bytes)\n":
            fail("oversized with a descriptor: %r" % got)
        if c.recv(100) != b"":
            fail("oversized with a descriptor: connection not closed")
        c.close()
        c = connect(path)
        fd = os.open("/dev/null", os.O_RDONLY)
        socket.send_fds(c, [b""], [fd])
        os.close(fd)
        if c.recv(100) != b"":
            fail("empty message with a descriptor: connection not closed")
        c.close()
    print("ok: 20 oversized and 20 empty messages with a descriptor: "
          "closed")
    if not ask(s, b"status").startswith("ok\n"):
        fail("status after sending descriptors")
    after = open_fds(pid)
    s.close()
    if after > before:
        fail("tierd holds %d descriptors after %d requests with "
             "descriptors, %d before" % (after, len(cases) * rounds + 40,
                                         before))
    print("ok: tierd has %d open descriptors before and %d after %d "
          "requests carrying %d descriptors" %
          (before, after, len(cases) * rounds + 40,
           sum(n for _, n, _ in cases) * rounds + 40))


def main():
    path, mode = sys.argv[1], sys.argv[2]
    if mode == "junk":
        junk(path)
    elif mode == "concurrent":
        concurrent(path, int(sys.argv[3]))
    elif mode == "busy":
        busy(path, int(sys.argv[3]), int(sys.argv[4]))
    elif mode == "idle":
        idle(path)
    elif mode == "fds":
        fds(path, int(sys.argv[3]))
    else:
        fail("unknown mode " + mode)


if __name__ == "__main__":
    main()
