#!/usr/bin/env python3
"""Control-socket flood for tests/daemon/flood_control.sh.

usage: ctl_flood.py flood SOCKET SECONDS CLIENTS
         CLIENTS threads, each connecting again and again for SECONDS with
         a random mix of valid requests, junk, oversized requests,
         descriptors, hang-ups before or after sending, and idlers that
         hold their slot past the idle timeout.  Prints one line of
         counts: "FLOOD key=value ...".
       ctl_flood.py probe SOCKET SECONDS INTERVAL_MS
         one connection made before the flood, asking "status" every
         INTERVAL_MS: how long the main loop kept a request waiting.
         Prints "PROBE n=... max_ms=... p99_ms=... p50_ms=... errors=...".
"""
import os
import random
import socket
import sys
import threading
import time

VALID = [b"status", b"status json", b"stats", b"stats json", b"metrics",
         b"folios", b"folios json", b"folios 1 json", b"config", b"help"]
JUNK = [b"xyz", b"stats json json", b"folios -5", b"\n", b"stats\x00json",
        b"stats\nconfig", b"\xff\xfe\x01", b"pause pause", b"reload now"]


class Counts:
    def __init__(self):
        self.lock = threading.Lock()
        self.c = {}

    def add(self, key, n=1):
        with self.lock:
            self.c[key] = self.c.get(key, 0) + n


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(10)
    s.connect(path)
    return s


def classify(reply):
    if reply == b"":
        return "closed"
    if reply.startswith(b"ok\n"):
        return "ok"
    if reply.startswith(b"error: busy"):
        return "busy"
    if reply.startswith(b"error:"):
        return "error"
    return "bad_reply"


def one_round(path, rng, cnt):
    kind = rng.random()
    s = connect(path)
    try:
        if kind < 0.02:
            # an idler: holds its slot until the daemon's idle timeout
            s.settimeout(30)
            got = s.recv(1 << 20)
            cnt.add("idle_" + classify(got))
            return
        if kind < 0.10:
            cnt.add("hangup_before_send")
            return
        if kind < 0.15:
            s.send(rng.choice(VALID))
            cnt.add("hangup_before_reply")
            return
        for _ in range(rng.randint(1, 8)):
            k = rng.random()
            if k < 0.55:
                req = rng.choice(VALID)
            elif k < 0.75:
                req = rng.choice(JUNK)
            elif k < 0.85:
                req = bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 300)))
            elif k < 0.90:
                req = b"stats " + b"x" * 5000
            else:
                fd = os.open("/dev/null", os.O_RDONLY)
                try:
                    socket.send_fds(s, [b"stats"], [fd])
                finally:
                    os.close(fd)
                cnt.add("sent_fd")
                got = s.recv(1 << 20)
                cnt.add(classify(got))
                continue
            s.send(req)
            got = s.recv(1 << 20)
            c = classify(got)
            cnt.add(c)
            if c in ("closed", "busy") or len(req) > 4096:
                break
    finally:
        s.close()


def flood(path, secs, clients):
    cnt = Counts()
    deadline = time.monotonic() + secs

    def worker(seed):
        rng = random.Random(seed)
        while time.monotonic() < deadline:
            try:
                one_round(path, rng, cnt)
                cnt.add("rounds")
            except (BrokenPipeError, ConnectionResetError):
                cnt.add("reset")
            except socket.timeout:
                cnt.add("timeout")
            except OSError as e:
                cnt.add("oserror_%s" % (e.errno,))

    threads = [threading.Thread(target=worker, args=(i,), daemon=True)
               for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(secs + 60)
    print("FLOOD clients=%d seconds=%d %s" % (clients, secs, " ".join(
        "%s=%d" % kv for kv in sorted(cnt.c.items()))))


def probe(path, secs, interval_ms):
    s = connect(path)
    lat, errors = [], 0
    deadline = time.monotonic() + secs
    while time.monotonic() < deadline:
        t = time.monotonic()
        try:
            s.send(b"status")
            got = s.recv(1 << 20)
            if not got.startswith(b"ok\n"):
                errors += 1
        except OSError:
            errors += 1
            s = connect(path)
        lat.append((time.monotonic() - t) * 1000)
        time.sleep(interval_ms / 1000)
    s.close()
    lat.sort()
    print("PROBE n=%d max_ms=%.1f p99_ms=%.1f p50_ms=%.1f errors=%d" % (
        len(lat), lat[-1], lat[int(len(lat) * 0.99)], lat[len(lat) // 2],
        errors))


def main():
    mode, path = sys.argv[1], sys.argv[2]
    if mode == "flood":
        flood(path, int(sys.argv[3]), int(sys.argv[4]))
    elif mode == "probe":
        probe(path, float(sys.argv[3]), float(sys.argv[4]))
    else:
        sys.exit("unknown mode " + mode)


if __name__ == "__main__":
    main()
