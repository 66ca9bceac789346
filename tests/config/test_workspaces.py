"""Workspace files: round trip, 0600, crafted content gives messages and defaults."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sor_tui.config.workspaces import (
    MAX_FILE_BYTES,
    ProfileError,
    Workspace,
    WorkspaceBook,
    load_book,
    parse_book,
    save_book,
    workspace_file,
)


def test_round_trip_and_owner_only(tmp_path: Path) -> None:
    path = workspace_file("sandbox", tmp_path)
    book = WorkspaceBook(
        "wide",
        {
            "main": Workspace(markets=("BTCUSD",)),
            "wide": Workspace(
                markets=("ETHUSD", "BTCUSD"),
                first=1,
                depth=40,
                groups={"BTCUSD": "0.50"},
                chart="depth",
                timeframe="5m",
                tape_filtered=True,
                theme="sor-light",
                alert_rules=({"market": "BTCUSD", "above": "70000"},),
            ),
        },
    )
    save_book(path, book)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    loaded, problems = load_book(path)
    assert problems == [] and loaded == book


def test_missing_file_is_the_defaults_silently(tmp_path: Path) -> None:
    assert load_book(tmp_path / "none.json") == (WorkspaceBook(), [])


def test_profile_names_cannot_leave_the_directory(tmp_path: Path) -> None:
    for name in ("../x", "a/b", "", ".hidden"):
        with pytest.raises(ProfileError):
            workspace_file(name, tmp_path)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("{", "not valid JSON"),
        ("[]", "no 'workspaces'"),
        ("[" * 100_000, "not valid JSON"),
        ('{"workspaces": {"../x": {}}}', "not valid; skipped"),
        ('{"format": 1, "workspaces": {"a": {"depth": 1e999}}}', "depth is not valid"),
        ('{"format": 1, "workspaces": {"a": {"markets": ["<script>"]}}}', "markets must be"),
        ('{"format": 1, "workspaces": {"a": {"groups": {"BTCUSD": "NaN"}}}}', "grouping"),
        ('{"format": 1, "workspaces": {"a": {"chart": "\\u001b[31m"}}}', "chart is not valid"),
        ('{"format": 1, "workspaces": {"a": 3}}', "is not an object"),
    ],
)
def test_crafted_content_gives_a_message_and_defaults(text: str, says: str) -> None:
    book, problems = parse_book(text)
    assert any(says in problem for problem in problems), problems
    assert isinstance(book.active(), Workspace)


def test_huge_or_binary_file_is_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    big.write_bytes(b" " * (MAX_FILE_BYTES + 1))
    assert load_book(big)[0] == WorkspaceBook()
    assert "larger than" in load_book(big)[1][0]
    binary = tmp_path / "bin.json"
    binary.write_bytes(b"\xff\xfe{")
    assert "not UTF-8" in load_book(binary)[1][0]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.sampled_from(["format", "current", "workspaces", "x"]), json_values))
def test_any_json_document_loads_without_raising(document: dict[str, object]) -> None:
    book, _ = parse_book(json.dumps(document))
    assert book.current in book.workspaces
