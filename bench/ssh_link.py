"""Benchmark: the desk over real SSH on loopback, drained by the same slow-link terminal.

A private ``sshd`` (its own host key, client key, config and pid file in a temporary
directory, 127.0.0.1 on a free port, key authentication only) serves one ``ssh -tt`` client
per figure. The client runs in the pty of ``tests/terminal/slow_link.py``, so the bytes go
app -> remote pty -> sshd -> TCP -> ssh -> local pty -> the throttled reader, and the
round trips the app asks for cross every buffer on the way. Ours and the baseline (pacing
and diffing off, as in ``bench_link.py``) run one after the other. Where ``sshd`` is not
installed the figures are skipped with one line saying so, recorded as a skipped row.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.harness import ROOT, Row
from bench.link_watch import KEY_CAP, staleness_and_key
from tests.terminal.slow_link import slow_link

NAME = "link"
SSHD = Path("/usr/sbin/sshd")
BASELINE = {"SOR_RENDER_PACING": "false", "SOR_RENDER_DIFF": "false"}
START_TIMEOUT = 10.0  # seconds sshd may take to listen
SKIPPED = "link over ssh: skipped (no sshd installed; apt-get install openssh-server)"


class SshdError(RuntimeError):
    """The private sshd could not be started."""


def missing_tools(sshd: Path = SSHD) -> str | None:
    """Why the SSH figures cannot run here (None when ``sshd`` and ``ssh`` are installed)."""
    if not sshd.is_file() or not os.access(sshd, os.X_OK):
        return f"no {sshd}"
    if shutil.which("ssh") is None or shutil.which("ssh-keygen") is None:
        return "no ssh client"
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _children() -> dict[int, list[int]]:
    """Every process's children, from /proc."""
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as stat:
                parent = int(stat.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        tree.setdefault(parent, []).append(int(entry))
    return tree


def _descendants(pid: int) -> list[int]:
    tree, found, todo = _children(), [], [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _marked(marker: str) -> list[int]:
    """Processes whose environment carries ``marker`` (remote apps orphaned by their shell)."""
    found = []
    needle = marker.encode()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/environ", "rb") as environ:
                    if needle in environ.read().split(b"\0"):
                        found.append(int(entry))
            except OSError:
                continue
    return found


def _kill_all(pids: list[int], grace: float = 3.0) -> None:
    """SIGTERM these processes, then SIGKILL whatever is still there after ``grace``."""
    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
        except OSError:
            pass
    deadline = time.monotonic() + grace
    alive = list(pids)
    while alive and time.monotonic() < deadline:
        time.sleep(0.05)
        alive = [pid for pid in alive if Path(f"/proc/{pid}").exists() and not _zombie(pid)]
    for pid in alive:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def _zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return True


class LoopbackSshd:
    """One private sshd on 127.0.0.1 and the ssh command lines that reach it."""

    def __init__(self, directory: Path, sshd: Path = SSHD) -> None:
        self.directory = directory
        self.port = _free_port()
        self.marker = f"SOR_BENCH_SSHD={directory}"
        self._log = directory / "sshd.log"
        host_key, self._client_key = directory / "host_key", directory / "client_key"
        for key in (host_key, self._client_key):
            _run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)])
        authorized = directory / "authorized_keys"
        authorized.write_text(Path(f"{self._client_key}.pub").read_text(encoding="ascii"))
        config = directory / "sshd_config"
        config.write_text(
            "\n".join(
                (
                    f"Port {self.port}",
                    "ListenAddress 127.0.0.1",
                    f"HostKey {host_key}",
                    f"AuthorizedKeysFile {authorized}",
                    f"PidFile {directory / 'sshd.pid'}",
                    "StrictModes no",
                    "UsePAM no",
                    "PubkeyAuthentication yes",
                    "PasswordAuthentication no",
                    "KbdInteractiveAuthentication no",
                    "PermitRootLogin prohibit-password",
                    "",
                )
            )
        )
        if os.geteuid() == 0:
            Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege separation
        with self._log.open("wb") as log:
            self.process = subprocess.Popen(
                [str(sshd), "-D", "-e", "-f", str(config)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        self._wait_listening()

    def _wait_listening(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SshdError(f"sshd exited: {self.log_tail()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        self.close()
        raise SshdError(f"sshd not listening after {START_TIMEOUT:.0f} s: {self.log_tail()}")

    def log_tail(self) -> str:
        """The last lines sshd wrote (for an error message)."""
        try:
            return " | ".join(self._log.read_text(errors="replace").splitlines()[-3:])
        except OSError:
            return ""

    def demo_argv(self, columns: int, rows: int, env: dict[str, str]) -> list[str]:
        """``ssh -tt`` running ``sor-tui demo --seed 7`` of this checkout in a COLUMNSxROWS pty."""
        app = Path(sys.executable).parent / "sor-tui"
        variables = {"TERM": "xterm-256color", **env}
        assignments = " ".join(shlex.quote(f"{k}={v}") for k, v in variables.items())
        remote = (
            f"stty cols {columns} rows {rows}; cd {shlex.quote(str(ROOT))} && "
            f"exec env {shlex.quote(self.marker)} {assignments} "
            f"{shlex.quote(str(app))} demo --seed 7"
        )
        return [
            "ssh",
            "-tt",
            "-p",
            str(self.port),
            "-i",
            str(self._client_key),
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
            "-o",
            "BatchMode=yes",
            "-o",
            "LogLevel=ERROR",
            "-o",
            "ConnectTimeout=10",
            "-F",
            "/dev/null",
            "127.0.0.1",
            remote,
        ]

    def end_sessions(self) -> None:
        """Stop every session this sshd started (the listener stays)."""
        _kill_all(sorted(set(_descendants(self.process.pid)) | set(_marked(self.marker))))

    def close(self) -> None:
        """Stop the sessions, then sshd itself."""
        self.end_sessions()
        _kill_all([self.process.pid])
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            pass


def _run(argv: list[str]) -> None:
    done = subprocess.run(argv, capture_output=True, timeout=30, check=False)
    if done.returncode != 0:
        raise SshdError(f"{argv[0]} failed: {done.stderr.decode(errors='replace').strip()}")


@contextmanager
def loopback_sshd(sshd: Path = SSHD) -> Iterator[LoopbackSshd]:
    """A private sshd in a temporary directory for the duration of the block."""
    with tempfile.TemporaryDirectory(prefix="sor-bench-sshd-") as directory:
        server = LoopbackSshd(Path(directory), sshd)
        try:
            yield server
        finally:
            server.close()


def _bytes_per_second(
    server: LoopbackSshd, size: tuple[int, int], env: dict[str, str], warm: float, window: float
) -> float:
    """Bytes a second drained from ssh while the remote demo runs at its own rate."""
    argv = server.demo_argv(size[0], size[1], env)
    try:
        with slow_link(argv, columns=size[0], rows=size[1], rate=None, screen_model=False) as link:
            time.sleep(warm)
            start, drained = time.monotonic(), link.stats.drained_bytes
            time.sleep(window)
            return (link.stats.drained_bytes - drained) / (time.monotonic() - start)
    finally:
        server.end_sessions()


def _staleness(
    server: LoopbackSshd, rate: int, env: dict[str, str], warm: float, window: float
) -> tuple[float, float]:
    """Worst age of the newest print on screen over the window, and the tab-switch time."""
    try:
        with slow_link(server.demo_argv(160, 48, env), columns=160, rows=48, rate=rate) as link:
            if link.wait_for(lambda text: "CONNECTED" in text, 30) is None:
                raise SshdError(f"the demo did not connect over ssh: {link.text()[:200]!r}")
            return staleness_and_key(link, warm, window)
    finally:
        server.end_sessions()


def run(
    quick: bool,
    sizes: tuple[tuple[int, int], ...] = ((80, 24), (160, 48)),
    links: tuple[int, ...] = (32_000,),
    sshd: Path = SSHD,
) -> list[Row]:
    """The link figures through real SSH, ours and today's rendering; skipped without sshd."""
    missing = missing_tools(sshd)
    if missing is not None:
        print(SKIPPED, flush=True)
        return [Row(NAME, "over ssh: skipped", 0.0, "", note=f"{SKIPPED} [{missing}]")]
    warm, window = (2.0, 2.0) if quick else (5.0, 10.0)
    base = "Textual output"
    rows: list[Row] = []
    with loopback_sshd(sshd) as server:
        for size in sizes:
            ours = _bytes_per_second(server, size, {}, warm, window)
            theirs = _bytes_per_second(server, size, BASELINE, warm, window)
            rows.append(
                Row(
                    NAME,
                    f"over ssh: bytes/s to the terminal {size[0]}x{size[1]} demo rate",
                    ours / 1000,
                    "KB/s",
                    baselines={base: theirs / 1000},
                    higher_is_better=False,
                )
            )
        for link in links:
            ours_age, ours_key = _staleness(server, link, {}, warm, window)
            base_age, base_key = _staleness(server, link, BASELINE, warm, window)
            name = f"{link // 1000} KB/s 160x48"
            rows.append(
                Row(
                    NAME,
                    f"over ssh: newest print behind the clock, worst, {name}",
                    ours_age,
                    "s",
                    target="<= 2 s",
                    holds=ours_age <= 2.0,
                    baselines={base: base_age},
                    higher_is_better=False,
                )
            )
            rows.append(
                Row(
                    NAME,
                    f"over ssh: tab switch to screen, {name}",
                    ours_key,
                    "s",
                    target="<= 2 s",
                    holds=ours_key <= 2.0,
                    baselines={base: base_key},
                    higher_is_better=False,
                    note=f"a key not shown within {KEY_CAP:.0f} s counts as {KEY_CAP:.0f} s",
                )
            )
    return rows
