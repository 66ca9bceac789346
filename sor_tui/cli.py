"""Composition root: dispatch ``sor-tui COMMAND`` to the module that owns it.

Each command module exposes ``add_arguments(parser)`` and ``run(args) -> int``; only the
chosen command's module is imported, so ``sor-tui stream`` never loads Textual.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from sor_tui import __version__
from sor_tui.config.core_dumps import disable_core_dumps

COMMANDS: dict[str, tuple[str, str]] = {
    "tui": ("sor_tui.commands.tui", "Open the TUI on the configured environment (default)"),
    "demo": ("sor_tui.commands.demo", "Start the built-in simulator and open the TUI on it"),
    "stream": ("sor_tui.commands.stream", "Headless: print books and executions as JSON Lines"),
    "record": ("sor_tui.commands.record", "Headless: record the feed to rotating files"),
    "serve": ("sor_tui.commands.serve", "Serve the desk to a browser (textual-serve)"),
    "sim": ("sor_tui.commands.sim", "Run the local SOR simulator in the foreground"),
    "login": ("sor_tui.commands.login", "Store client id and secret in the keyring (verified)"),
    "logout": ("sor_tui.commands.logout", "Delete stored credentials from the keyring"),
    "replay": ("sor_tui.commands.replay", "Open the TUI on a recording"),
    "export": ("sor_tui.commands.export", "Export executions or book views from a recording"),
    "probe": ("sor_tui.commands.probe", "Report what a real environment chose (read-only, 60 s)"),
}


def _usage() -> str:
    width = max(len(name) for name in COMMANDS)
    lines = [f"sor-tui {__version__}", "", "usage: sor-tui [COMMAND] [options]", "", "commands:"]
    lines += [f"  {name.ljust(width)}  {text}" for name, (_, text) in COMMANDS.items()]
    lines += ["", "Run 'sor-tui COMMAND --help' for a command's options."]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command named by the first argument (the TUI when there is none)."""
    disable_core_dumps()  # before any command can hold a secret
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in ("-h", "--help", "help"):
        print(_usage())
        return 0
    if args and args[0] in ("-V", "--version"):
        print(f"sor-tui {__version__}")
        return 0
    command = "tui"
    if args and not args[0].startswith("-"):
        command = args.pop(0)
    if command not in COMMANDS:
        print(f"sor-tui: unknown command {command!r}\n\n{_usage()}", file=sys.stderr)
        return 2
    module_name, description = COMMANDS[command]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            print(f"sor-tui: the {command!r} command is not available yet", file=sys.stderr)
            return 2
        raise
    parser = argparse.ArgumentParser(prog=f"sor-tui {command}", description=description)
    module.add_arguments(parser)
    parsed = parser.parse_args(args)
    result: int = module.run(parsed)
    return result
