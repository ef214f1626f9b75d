#!/usr/bin/env python3
"""A fake systemd notify socket for the flood tests: binds SOCKET and
writes one line per message tierd sends, "MONOTONIC_SECONDS MESSAGE"
(newlines in the message become spaces), to LOG.

usage: notify_log.py SOCKET LOG
       notify_log.py --gaps LOG FROM TO   the largest gap in seconds
                     between WATCHDOG=1 messages in [FROM, TO] (monotonic
                     seconds), their count, and the gap from FROM to the
                     first and from the last to TO
"""
import socket
import sys
import time


def serve(path, log):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    with open(log, "a") as f:
        while True:
            msg = s.recv(4096).decode(errors="replace").replace("\n", " ")
            f.write("%.6f %s\n" % (time.monotonic(), msg.strip()))
            f.flush()


def gaps(log, t_from, t_to):
    ts = []
    with open(log) as f:
        for line in f:
            t, _, msg = line.partition(" ")
            if msg.startswith("WATCHDOG=1") and t_from <= float(t) <= t_to:
                ts.append(float(t))
    if not ts:
        print("count=0 max_gap_s=%.3f" % (t_to - t_from))
        return
    edges = [ts[0] - t_from, t_to - ts[-1]]
    inner = [b - a for a, b in zip(ts, ts[1:])]
    print("count=%d max_gap_s=%.3f" % (len(ts), max(inner + edges)))


def main():
    if sys.argv[1] == "--gaps":
        gaps(sys.argv[2], float(sys.argv[3]), float(sys.argv[4]))
    else:
        serve(sys.argv[1], sys.argv[2])


if __name__ == "__main__":
    main()
