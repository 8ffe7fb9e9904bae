#!/usr/bin/env python3
"""Interleaved A/B timing: bench/ab.py N "command A" "command B" [...]

Runs each command once to warm up, then N rounds of one run of each in
turn, and prints the median, mean, minimum and quartiles of each one's
wall time, and the median CPU time (user and system, the shell's
included). This machine's speed drifts by a fifth within minutes: two
builds timed one after the other (hyperfine's blocks) can differ by the
drift alone; interleaved, both see the same minutes. By hand, not a test.
"""
import resource
import statistics
import subprocess
import sys
import time


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    n = int(sys.argv[1])
    cmds = sys.argv[2:]
    times = [[] for _ in cmds]
    cpus = [[] for _ in cmds]
    for c in cmds:
        subprocess.run(c, shell=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(n):
        for k, c in enumerate(cmds):
            u = resource.getrusage(resource.RUSAGE_CHILDREN)
            t = time.perf_counter()
            subprocess.run(c, shell=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            times[k].append(time.perf_counter() - t)
            v = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpus[k].append(v.ru_utime + v.ru_stime - u.ru_utime - u.ru_stime)
    for k, c in enumerate(cmds):
        r = sorted(times[k])
        print("median %7.1f ms  mean %7.1f  min %7.1f  q1 %7.1f  q3 %7.1f  cpu %7.1f  %s" % (
            statistics.median(r) * 1e3, statistics.mean(r) * 1e3, r[0] * 1e3,
            r[len(r) // 4] * 1e3, r[3 * len(r) // 4] * 1e3, statistics.median(cpus[k]) * 1e3, c))


if __name__ == "__main__":
    main()
