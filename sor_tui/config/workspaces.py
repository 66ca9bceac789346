"""Named workspaces (the desk's layout) saved per profile as JSON, readable only by the user.

A profile is an environment name (sandbox, production, demo) or a name given with
``--profile``; its file holds several named layouts and which one was in use. A file that
is unreadable, too big or crafted gives a clear message and the defaults, never a crash:
every field is checked on its own and a bad field falls back alone.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass, field, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from sor_tui.config.paths import config_dir, ensure_dir
from sor_tui.core.chart_data import CHART_MODES, TIMEFRAMES

FORMAT = 1
MAX_FILE_BYTES = 256 * 1024
MAX_WORKSPACES = 20
MAX_MARKETS = 40
DEFAULT_NAME = "main"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.-]{0,31}$")
_PROFILE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")
_MARKET = re.compile(r"^[A-Z0-9]{2,20}$")


@dataclass(frozen=True)
class Workspace:
    """One layout: markets in ladder order, the first shown, depth, grouping, chart, tape."""

    markets: tuple[str, ...] = ()
    first: int = 0
    depth: int | None = None  # None: the settings' book depth
    groups: dict[str, str] = field(default_factory=dict)  # market -> exact price step
    chart: str = "off"
    timeframe: str = "1m"
    tape_filtered: bool = False
    theme: str | None = None
    alert_rules: tuple[dict[str, Any], ...] = ()
    """Reserved for alert rules (another change adds them); kept as read, never acted on."""


@dataclass(frozen=True)
class WorkspaceBook:
    """Every named workspace of a profile and the one in use."""

    current: str = DEFAULT_NAME
    workspaces: dict[str, Workspace] = field(default_factory=lambda: {DEFAULT_NAME: Workspace()})

    def active(self) -> Workspace:
        """The workspace in use."""
        return self.workspaces.get(self.current) or Workspace()

    def with_active(self, workspace: Workspace) -> WorkspaceBook:
        """This book with the current workspace replaced."""
        return replace(self, workspaces={**self.workspaces, self.current: workspace})

    def names(self) -> list[str]:
        """Workspace names in file order."""
        return list(self.workspaces)


class ProfileError(ValueError):
    """A profile name that cannot be a file name."""


def workspace_file(profile: str, directory: Path | None = None) -> Path:
    """The JSON file of a profile (the directory is not created here)."""
    if not _PROFILE.match(profile):
        raise ProfileError(f"{profile[:40]!r} is not a profile name (letters, digits, - and _)")
    return (directory or config_dir()) / "workspaces" / f"{profile}.json"


def _workspace(raw: object, problems: list[str], name: str) -> Workspace:
    """One workspace from parsed JSON; each bad field is reported and left at its default."""
    if not isinstance(raw, dict):
        problems.append(f"workspace {name!r} is not an object")
        return Workspace()
    default = Workspace()
    values: dict[str, Any] = {}
    markets = raw.get("markets", [])
    if isinstance(markets, list) and all(isinstance(m, str) and _MARKET.match(m) for m in markets):
        values["markets"] = tuple(dict.fromkeys(markets))[:MAX_MARKETS]
    else:
        problems.append(f"workspace {name!r}: markets must be names like BTCUSD")
    checks: list[tuple[str, Any]] = [
        ("first", lambda v: type(v) is int and 0 <= v < MAX_MARKETS),
        ("depth", lambda v: v is None or (type(v) is int and 5 <= v <= 500)),
        ("chart", lambda v: v in CHART_MODES),
        ("timeframe", lambda v: v in TIMEFRAMES),
        ("tape_filtered", lambda v: type(v) is bool),
        ("theme", lambda v: v is None or (isinstance(v, str) and 0 < len(v) <= 40)),
    ]
    for key, valid in checks:
        if key in raw:
            if valid(raw[key]):
                values[key] = raw[key]
            else:
                problems.append(f"workspace {name!r}: {key} is not valid; using the default")
    groups = raw.get("groups", {})
    values["groups"] = _groups(groups, problems, name)
    rules = raw.get("alert_rules", [])
    if isinstance(rules, list) and all(isinstance(rule, dict) for rule in rules):
        values["alert_rules"] = tuple(rules[:100])
    values.setdefault("first", default.first)
    if values["first"] >= max(1, len(values.get("markets", ()))):
        values["first"] = 0
    return Workspace(**values)


def _groups(raw: object, problems: list[str], name: str) -> dict[str, str]:
    if not isinstance(raw, dict):
        problems.append(f"workspace {name!r}: groups is not an object")
        return {}
    groups: dict[str, str] = {}
    for market, step in list(raw.items())[:MAX_MARKETS]:
        try:
            value = Decimal(step) if isinstance(step, str) and len(step) <= 30 else None
        except InvalidOperation:
            value = None
        if _MARKET.match(str(market)) and value is not None and value.is_finite() and value > 0:
            groups[str(market)] = step
        else:
            problems.append(f"workspace {name!r}: grouping of {str(market)[:20]!r} ignored")
    return groups


def parse_book(text: str) -> tuple[WorkspaceBook, list[str]]:
    """A workspace book from JSON text and the problems found (defaults where bad)."""
    problems: list[str] = []
    try:
        raw = json.loads(text)
    except (ValueError, RecursionError) as error:
        return WorkspaceBook(), [f"not valid JSON ({str(error)[:80]}); using the defaults"]
    if not isinstance(raw, dict) or not isinstance(raw.get("workspaces"), dict):
        return WorkspaceBook(), ["no 'workspaces' object; using the defaults"]
    if raw.get("format") != FORMAT:
        problems.append(f"format {str(raw.get('format'))[:10]!r} is not {FORMAT}; reading anyway")
    workspaces: dict[str, Workspace] = {}
    for name, value in list(raw["workspaces"].items())[:MAX_WORKSPACES]:
        if not isinstance(name, str) or not _NAME.match(name):
            problems.append(f"workspace name {str(name)[:32]!r} is not valid; skipped")
            continue
        workspaces[name] = _workspace(value, problems, name)
    if not workspaces:
        return WorkspaceBook(), [*problems, "no usable workspace; using the defaults"]
    current = raw.get("current")
    if not isinstance(current, str) or current not in workspaces:
        current = next(iter(workspaces))
    return WorkspaceBook(current, workspaces), problems


def load_book(path: Path) -> tuple[WorkspaceBook, list[str]]:
    """The profile's workspaces, or the defaults and why; a missing file is no problem."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        return WorkspaceBook(), []
    except OSError as error:
        return WorkspaceBook(), [f"cannot read {path.name}: {error.strerror}; using the defaults"]
    if len(data) > MAX_FILE_BYTES:
        return WorkspaceBook(), [f"{path.name} is larger than {MAX_FILE_BYTES} bytes; ignored"]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return WorkspaceBook(), [f"{path.name} is not UTF-8; using the defaults"]
    book, problems = parse_book(text)
    return book, [f"{path.name}: {problem}" for problem in problems]


def dump_book(book: WorkspaceBook) -> str:
    """The book as JSON text (the format ``parse_book`` reads)."""
    workspaces = {}
    for name, workspace in book.workspaces.items():
        data = asdict(workspace)
        data["markets"] = list(workspace.markets)
        data["alert_rules"] = list(workspace.alert_rules)
        workspaces[name] = data
    document = {"format": FORMAT, "current": book.current, "workspaces": workspaces}
    return json.dumps(document, indent=2, sort_keys=False) + "\n"


def save_book(path: Path, book: WorkspaceBook) -> None:
    """Write the book atomically, readable and writable by the user only (0600)."""
    ensure_dir(path.parent)
    temporary = path.with_suffix(".json.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(descriptor, 0o600)  # an older temporary file may have other bits
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(dump_book(book))
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    os.replace(temporary, path)


@dataclass(frozen=True)
class ProfileWorkspaces:
    """A profile's workspace file (None: not kept), its workspaces, and what was wrong."""

    path: Path | None
    book: WorkspaceBook
    problems: tuple[str, ...] = ()


def open_profile(profile: str) -> ProfileWorkspaces:
    """Read a profile's workspaces; a bad name or file gives the defaults and a message."""
    try:
        path = workspace_file(profile)
    except ProfileError as error:
        return ProfileWorkspaces(None, WorkspaceBook(), (f"{error}; workspaces are not saved",))
    book, problems = load_book(path)
    return ProfileWorkspaces(path, book, tuple(problems))
