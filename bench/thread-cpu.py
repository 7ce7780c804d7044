#!/usr/bin/env python3
"""Where a client's CPU goes, thread by thread.

    bench/thread-cpu.py COMMAND [ARG]...

Runs COMMAND (its stdout is discarded, its stderr kept), reads the user and system CPU time of
every thread of it and of its descendants from /proc every 20 ms, and prints at the end the
CPU-seconds per thread group: thread names with their trailing number removed, so the 25
`prefetch-range-N` threads of a run are one line, and the JVM's own threads (`C1 CompilerThre`,
`C2 CompilerThre`, `VM Thread`; `java` is the main thread and the JVM's unnamed ones) theirs.

A thread's last reading is at most 20 ms old when it ends, so the totals can fall a little short
of /usr/bin/time's; the sampler's own CPU is not in them. Linux only.
"""
import collections
import os
import re
import subprocess
import sys
import time

TICK = os.sysconf("SC_CLK_TCK")


def descendants(root):
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        try:
            for tid in os.listdir(f"/proc/{pid}/task"):
                try:
                    with open(f"/proc/{pid}/task/{tid}/children") as f:
                        todo += [int(k) for k in f.read().split()]
                except OSError:
                    pass
        except OSError:
            pass
    return found


def sample(root, seen):
    for pid in descendants(root):
        try:
            tids = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for tid in tids:
            try:
                with open(f"/proc/{pid}/task/{tid}/stat") as f:
                    stat = f.read()
            except OSError:
                continue
            name = stat[stat.index("(") + 1 : stat.rindex(")")]
            fields = stat[stat.rindex(")") + 2 :].split()
            seen[(pid, tid)] = (name, int(fields[11]), int(fields[12]))  # utime, stime


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    process = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
    seen = {}
    while process.poll() is None:
        sample(process.pid, seen)
        time.sleep(0.02)
    groups = collections.defaultdict(lambda: [0, 0, 0])
    for name, user, system in seen.values():
        group = groups[re.sub(r"[-#]?\d+$", "", name)]
        group[0] += user
        group[1] += system
        group[2] += 1
    user = sum(g[0] for g in groups.values()) / TICK
    system = sum(g[1] for g in groups.values()) / TICK
    print(f"total {user + system:.2f} CPU-s: user {user:.2f}, sys {system:.2f};"
          f" {len(seen)} threads; exit {process.returncode}")
    print("CPU-s\tuser\tsys\tthreads\tgroup")
    for name, (u, s, n) in sorted(groups.items(), key=lambda kv: -(kv[1][0] + kv[1][1])):
        if u + s:
            print(f"{(u + s) / TICK:.2f}\t{u / TICK:.2f}\t{s / TICK:.2f}\t{n}\t{name}")
    sys.exit(process.returncode)


if __name__ == "__main__":
    main()
