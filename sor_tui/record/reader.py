"""Read a recording: the header, then frames and lifecycle marks in order.

A recording is a series of gzip members (or plain JSON Lines). A process killed while
recording leaves a truncated last member: everything decodable is returned, an incomplete
last line is dropped, and ``truncated`` says so; a corrupt member ends the read the same way.

A recording may come from anyone, so reading it is bounded: the decompressed size (a
multiple of the file's size), the length of a line and the nesting of its JSON. A file
past a bound is a ``RecordingError`` with a message, never a frozen or exhausted process.
"""

from __future__ import annotations

import base64
import binascii
import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from sor_tui.core.sanitize import sanitize
from sor_tui.record.recorder import FORMAT_VERSION, MARKS

_CHUNK = 1 << 20
MIB = 1 << 20
MAX_LINE_BYTES = 96 * MIB
"""Longest line kept: a frame at the default largest frame size (64 MiB), base64-encoded."""
MAX_EXPANSION = 50
"""Most decompressed bytes per byte of file (recorded JSON compresses about 10 to 1)."""
MIN_OUTPUT_BUDGET = 64 * MIB
"""Decompressed bytes always allowed, however small the file."""
_GZIP_MAGIC = b"\x1f\x8b"
_decode_line = msgspec.json.Decoder().decode


class RecordingError(Exception):
    """The file is not a sor-tui recording (message safe to show)."""


@dataclass(frozen=True, slots=True)
class Header:
    """The first line of a recording."""

    version: int
    started_ns: int
    ws_url: str
    markets: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Entry:
    """One recorded item: a frame (``frame`` set) or a lifecycle mark (``mark`` set)."""

    t_ns: int
    frame: str | bytes | None = None
    mark: str | None = None
    market: str | None = None
    synthetic: bool = False


@dataclass(slots=True)
class Recording:
    """A whole recording in memory."""

    header: Header
    entries: list[Entry] = field(default_factory=list)
    truncated: bool = False  # the tail was cut (killed while recording) or corrupt
    skipped: int = 0  # lines that were not valid entries

    @property
    def start_ns(self) -> int:
        """Time of the first entry (or the session start when empty)."""
        return self.entries[0].t_ns if self.entries else self.header.started_ns

    @property
    def end_ns(self) -> int:
        """Time of the last entry (or the session start when empty)."""
        return self.entries[-1].t_ns if self.entries else self.header.started_ns


class _Lines:
    """Complete lines of a possibly truncated multi-member gzip (or plain) file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.truncated = False
        self.skipped = 0  # also counts lines longer than MAX_LINE_BYTES

    def __iter__(self) -> Iterator[bytes]:
        pending = bytearray()
        overlong = False  # inside a line already past the bound: drop it up to its newline
        for data in self._data():
            pending += data
            if b"\n" not in data:
                if len(pending) > MAX_LINE_BYTES:
                    overlong = True
                    pending.clear()
                continue
            *lines, rest = bytes(pending).split(b"\n")
            pending = bytearray(rest)
            for line in lines:
                if overlong or len(line) > MAX_LINE_BYTES:
                    overlong = False
                    self.skipped += 1
                    continue
                yield line
        if pending or overlong:
            self.truncated = True  # a last line without its newline was cut

    def _data(self) -> Iterator[bytes]:
        with open(self.path, "rb") as handle:
            budget = max(MIN_OUTPUT_BUDGET, MAX_EXPANSION * os.fstat(handle.fileno()).st_size)
            produced = 0
            for piece in self._decompressed(handle):
                produced += len(piece)
                if produced > budget:
                    raise RecordingError(
                        f"the file decompresses to more than {budget // MIB} MiB, over "
                        f"{MAX_EXPANSION} times its size: not a sor-tui recording"
                    )
                yield piece

    def _decompressed(self, handle: Any) -> Iterator[bytes]:
        first = handle.read(_CHUNK)
        if not first.startswith(_GZIP_MAGIC):
            chunk = first
            while chunk:
                yield chunk
                chunk = handle.read(_CHUNK)
            return
        member = zlib.decompressobj(wbits=31)
        started = False
        chunk = first
        while chunk:
            while chunk:
                started = True
                try:
                    # At most a chunk of output per call: a bomb never expands at once.
                    yield member.decompress(chunk, _CHUNK)
                except zlib.error:
                    self.truncated = True
                    return
                if member.unconsumed_tail:
                    chunk = member.unconsumed_tail
                    continue
                if not member.eof:
                    break
                chunk = member.unused_data
                member = zlib.decompressobj(wbits=31)
                started = False
            chunk = handle.read(_CHUNK)
        if started and not member.eof:
            self.truncated = True
            try:
                yield member.flush(_CHUNK)
            except zlib.error:
                return


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _header(line: bytes) -> Header:
    try:
        data = _decode_line(line)
    except (msgspec.DecodeError, RecursionError):
        data = None
    if not isinstance(data, dict) or data.get("sor_tui_recording") is None:
        raise RecordingError("not a sor-tui recording (no header line)")
    version = data.get("sor_tui_recording")
    if version != FORMAT_VERSION:
        raise RecordingError(f"unsupported recording version {sanitize(str(version), 20)}")
    markets = data.get("markets")
    markets = markets[:1000] if isinstance(markets, list) else []
    return Header(
        version=FORMAT_VERSION,
        started_ns=_int(data.get("started_ns")),
        ws_url=sanitize(str(data.get("ws_url") or ""), 200),
        markets=tuple(sanitize(str(m), 40) for m in markets if isinstance(m, str)),
    )


def _entry(data: Any) -> Entry | None:
    if not isinstance(data, dict):
        return None
    t = data.get("t")
    if not isinstance(t, int) or isinstance(t, bool):
        return None
    frame = data.get("f")
    if isinstance(frame, str):
        if data.get("bin"):
            try:
                raw = base64.b64decode(frame, validate=True)
                if data.get("sur"):  # text with a lone surrogate, kept exactly
                    return Entry(t, raw.decode("utf-8", "surrogatepass"))
                return Entry(t, raw)
            except (binascii.Error, ValueError):
                return None
        return Entry(t, frame, synthetic=bool(data.get("syn")))
    mark = data.get("m")
    if mark in MARKS:
        market = data.get("market")
        return Entry(t, mark=str(mark), market=market if isinstance(market, str) else None)
    return None


def iter_entries(path: Path) -> tuple[Header, Iterator[Entry], _Lines]:
    """The header and a lazy iterator of entries; ``lines.truncated`` is final after it ends."""
    lines = _Lines(path)
    iterator = iter(lines)
    try:
        first = next(iterator)
    except StopIteration:
        raise RecordingError("empty recording") from None
    except OSError as exc:
        raise RecordingError(f"cannot read the recording: {exc.strerror}") from None
    header = _header(first)

    def entries() -> Iterator[Entry]:
        for line in iterator:
            if not line.strip():
                continue
            try:
                entry = _entry(_decode_line(line))
            except (msgspec.DecodeError, RecursionError):  # msgspec bounds the nesting
                entry = None
            if entry is not None:
                yield entry
            else:
                lines.skipped += 1

    return header, entries(), lines


def read_recording(path: Path) -> Recording:
    """Read a whole recording into memory (tolerating a truncated tail)."""
    try:
        header, entries, lines = iter_entries(path)
        recording = Recording(header, list(entries))
    except OSError as exc:
        raise RecordingError(f"cannot read the recording: {exc.strerror}") from None
    recording.truncated = lines.truncated
    recording.skipped = lines.skipped
    return recording
