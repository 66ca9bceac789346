"""``--profile``: which saved workspaces the launchers restore, and their markets."""

from __future__ import annotations

import argparse

from sor_tui.commands.tui import add_arguments, overrides, with_profile
from sor_tui.config.settings import load_settings
from sor_tui.config.workspaces import Workspace, WorkspaceBook, open_profile, save_book


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(argv)


def test_the_profile_markets_are_restored_unless_given_on_the_command_line() -> None:
    path = open_profile("night").path
    assert path is not None
    save_book(path, WorkspaceBook("main", {"main": Workspace(markets=("SOLUSD", "BTCUSD"))}))

    args = parse("--profile", "night")
    settings, workspaces = with_profile(load_settings(), args, overrides(args), "sandbox")
    assert settings.markets == ("SOLUSD", "BTCUSD") and workspaces.path == path

    args = parse("--profile", "night", "--markets", "ETHUSD")
    chosen = overrides(args)
    settings, _ = with_profile(load_settings(**chosen), args, chosen, "sandbox")
    assert settings.markets == ("ETHUSD",)


def test_a_bad_profile_name_keeps_no_workspaces_and_says_why() -> None:
    args = parse("--profile", "../etc")
    _, workspaces = with_profile(load_settings(), args, overrides(args), "sandbox")
    assert workspaces.path is None and "not a profile name" in workspaces.problems[0]


def test_the_default_profile_is_the_environment() -> None:
    args = parse()
    _, workspaces = with_profile(load_settings(), args, overrides(args), "sandbox")
    assert workspaces.path is not None and workspaces.path.name == "sandbox.json"
