"""Real write failures for recording tests: a full disk under an open file, a file-size limit.

``fill_disk_under`` points the process's own descriptor of a file at ``/dev/full``, so the
next write fails in the kernel with ENOSPC exactly as on a full disk. ``limit_file_size``
is a ``preexec_fn`` for a subprocess: past the limit every write fails with EFBIG (the
SIGXFSZ that would kill it is ignored, as a daemon's supervisor may do).
"""

from __future__ import annotations

import os
import resource
import signal
from collections.abc import Callable
from pathlib import Path


def fill_disk_under(path: Path) -> int:
    """Make every later write to ``path`` by this process fail with ENOSPC; returns the fd."""
    target = str(path.resolve())
    for name in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{name}") != target:
                continue
        except OSError:
            continue
        full = os.open("/dev/full", os.O_WRONLY)
        try:
            os.dup2(full, int(name))
        finally:
            os.close(full)
        return int(name)
    raise AssertionError(f"{path} is not open in this process")


def limit_file_size(limit: int) -> Callable[[], None]:
    """A ``preexec_fn`` limiting every file the child writes to ``limit`` bytes."""

    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply
