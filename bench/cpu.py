"""CPU time of groups of processes (a server and its workers, the database backends), read from /proc.

A sampler thread reads every process's user and system time twice a second and adds what each
process used since the last reading to its group. Samples are taken often because a process
that exits (a recycled worker, a closed database connection) takes its CPU time with it: only
its last half second is lost. Linux only.
"""

import os
import threading
from collections import Counter
from pathlib import Path

TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    """Return the user plus system CPU seconds of a process, or None when it has exited."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None
    # After the command name: state is field 3, utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / TICKS_PER_SECOND


def process_tree():
    """Return {parent pid: [child pids]} of every process."""
    children = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        children.setdefault(parent, []).append(int(entry.name))
    return children


def descendants(pid, tree):
    """Return `pid` and every process below it in `tree` (see process_tree)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(tree.get(current, []))
    return found


class CpuMeter(threading.Thread):
    """Add up the CPU seconds of named process groups while it runs.

    `groups` maps a name to a root pid, whose whole process tree is counted, or to a function
    that returns the group's current pids. Workers that start later count from their first sample.
    """

    def __init__(self, groups, interval=0.5):
        super().__init__(daemon=True)
        self.groups = groups
        self.interval = interval
        self.totals = Counter()
        self._last = {}
        self._lock = threading.Lock()
        self._stopped = threading.Event()

    def run(self):
        while not self._stopped.wait(self.interval):
            self.sample()

    def sample(self):
        tree = process_tree()
        with self._lock:
            for name, group in self.groups.items():
                pids = group() if callable(group) else descendants(group, tree)
                for pid in pids:
                    seconds = cpu_seconds(pid)
                    if seconds is None:
                        continue
                    # A pid seen for the first time counts from here, not from its start.
                    previous = self._last.get(pid, seconds)
                    self.totals[name] += max(seconds - previous, 0)
                    self._last[pid] = seconds

    def snapshot(self):
        """Return the CPU seconds per group so far, after a fresh sample."""
        self.sample()
        with self._lock:
            return dict(self.totals)

    def stop(self):
        self._stopped.set()


def difference(after, before):
    return {name: after.get(name, 0) - before.get(name, 0) for name in after}
