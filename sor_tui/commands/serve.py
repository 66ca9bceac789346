"""``sor-tui serve``: the desk in a browser, through Textual's own web serving (textual-serve).

Each browser connection runs its own desk process here (``sor-tui tui`` or ``sor-tui
demo``) and receives only its screen: credentials, keyring, token and recordings stay on
this machine. Loopback by default, with a random access token in the URL printed at start
(exchanged for a cookie, so it leaves the address bar); any other address needs
``--allow-remote`` and a password (HTTP Basic; ``SOR_SERVE_PASSWORD`` asks for one on
loopback too), and TLS in front of it.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import getpass
import ipaddress
import logging
import os
import secrets
import shlex
import signal
import socket
import sys
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from aiohttp import web
from textual_serve.server import Server

log = logging.getLogger(__name__)

EXIT_CONFIG = 2
PASSWORD_VARIABLE = "SOR_SERVE_PASSWORD"
MAX_SESSIONS = 4
"""Desk processes one server runs at most (each browser tab is one)."""

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Where to listen, who may connect, and which desk to serve."""
    parser.add_argument("--host", default="127.0.0.1", help="address (default: loopback)")
    parser.add_argument("--port", type=int, default=8000, help="port (0: any free port)")
    parser.add_argument(
        "--allow-remote",
        action="store_true",
        help=f"allow a non-loopback --host; needs a password ({PASSWORD_VARIABLE} or a prompt)",
    )
    parser.add_argument(
        "--public-url", help="the URL browsers use, e.g. https://desk.example.com behind TLS"
    )
    parser.add_argument(
        "--max-sessions", type=int, default=MAX_SESSIONS, help="browser sessions at once"
    )
    parser.add_argument("--demo", action="store_true", help="serve the demo (built-in simulator)")
    parser.add_argument("--markets", help="comma-separated markets, e.g. BTCUSD,ETHUSD")
    parser.add_argument("--record", action="store_true", help="each session records from the start")
    parser.add_argument("--record-dir", help="directory for recordings (default: data dir)")


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback name or address."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def desk_command(args: argparse.Namespace) -> str:
    """The shell command each browser session runs (this interpreter, this package)."""
    argv = [sys.executable, "-m", "sor_tui", "demo" if args.demo else "tui"]
    if args.markets:
        argv += ["--markets", args.markets]
    if args.record:
        argv.append("--record")
    if args.record_dir:
        argv += ["--record-dir", args.record_dir]
    return shlex.join(argv)


class DeskServer(Server):
    """textual-serve's server behind an access token (and a password off loopback)."""

    def __init__(
        self,
        command: str,
        *,
        host: str,
        port: int,
        token: str,
        password: str | None = None,
        public_url: str | None = None,
        max_sessions: int = MAX_SESSIONS,
    ) -> None:
        super().__init__(command, host=host, port=port, title="sor-tui", public_url=public_url)
        self.token = token
        self.password = password
        self.fixed_public_url = public_url is not None
        self.max_sessions = max_sessions
        self.sessions = 0
        # Cookies ignore the port: a name of its own per server keeps two servers apart.
        self.cookie = f"sor_tui_{secrets.token_hex(4)}"
        self.stopping = asyncio.Event()

    def initialize_logging(self) -> None:
        """Plain lines on stderr: never tracebacks with locals (they could hold secrets)."""
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        for name in ("textual-serve", "aiohttp", __name__):
            logging.getLogger(name).addHandler(handler)
            logging.getLogger(name).setLevel(logging.WARNING)

    async def on_startup(self, app: web.Application) -> None:
        """Nothing: ``run`` prints the URL once the port is known."""

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app.middlewares.append(self.guard)
        return app

    @web.middleware
    async def guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Refuse every request without the token (or its cookie), and the password."""
        if self.password is not None and not self._password_ok(request):
            await asyncio.sleep(1.0)  # slows guessing down
            raise web.HTTPUnauthorized(
                headers={"WWW-Authenticate": 'Basic realm="sor-tui", charset="UTF-8"'},
                text="sor-tui serve: this desk needs its password\n",
            )
        token = request.query.get("token")
        if token is not None:
            if not self._token_ok(token):
                raise web.HTTPForbidden(text="sor-tui serve: wrong access token\n")
            if request.path == "/":
                return self._enter(request)
        elif not self._token_ok(request.cookies.get(self.cookie, "")):
            raise web.HTTPForbidden(
                text="sor-tui serve: open the URL with the access token printed at start\n"
            )
        if request.path == "/ws" and not self._same_origin(request):
            raise web.HTTPForbidden(text="sor-tui serve: cross-site connection refused\n")
        return await handler(request)

    def _token_ok(self, given: str) -> bool:
        return secrets.compare_digest(given.encode(), self.token.encode())

    def _password_ok(self, request: web.Request) -> bool:
        scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "basic" or self.password is None:
            return False
        try:
            _, _, given = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        return secrets.compare_digest(given.encode(), self.password.encode())

    def _enter(self, request: web.Request) -> web.StreamResponse:
        """A good token: a cookie holds it from now on, and the address bar loses it."""
        query = {k: v for k, v in request.query.items() if k != "token"}
        response = web.HTTPFound(str(request.rel_url.with_query(query)))
        response.set_cookie(
            self.cookie,
            self.token,
            path="/",
            httponly=True,
            samesite="Strict",
            secure=self.public_url.startswith("https:"),
        )
        return response

    def _same_origin(self, request: web.Request) -> bool:
        """A WebSocket from the desk's own page only (no other site may drive it)."""
        origin = request.headers.get("Origin")
        expected = urlsplit(self.public_url)
        return origin == f"{expected.scheme}://{expected.netloc}"

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        """One desk process per browser session, at most ``max_sessions`` at once."""
        if self.sessions >= self.max_sessions:
            raise web.HTTPServiceUnavailable(text="sor-tui serve: too many sessions\n")
        self.sessions += 1
        try:
            return await super().handle_websocket(request)
        finally:
            self.sessions -= 1

    async def run(self) -> None:
        """Listen, print the URL with its token, serve until SIGINT or SIGTERM."""
        self.initialize_logging()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, self.stopping.set)
        runner = web.AppRunner(await self._make_app(), handle_signals=False, access_log=None)
        await runner.setup()
        try:
            site = web.TCPSite(runner, self.host, self.port)
            await site.start()
            port = runner.addresses[0][1]
            if not self.fixed_public_url:
                self.public_url = f"http://{_url_host(self.host)}:{port}"
            print(f"sor-tui serve: open {self.public_url}/?token={self.token}", flush=True)
            print("sor-tui serve: Ctrl+C stops it", file=sys.stderr, flush=True)
            await self.stopping.wait()
        finally:
            await runner.cleanup()


def _url_host(host: str) -> str:
    """The host part of the printed URL (a wildcard address becomes this machine's name)."""
    if host in ("0.0.0.0", "::", ""):
        return socket.getfqdn()
    return f"[{host}]" if ":" in host else host


def _password(remote: bool) -> str | None:
    """The variable's password (then removed from the environment), or a prompt if remote."""
    password = os.environ.pop(PASSWORD_VARIABLE, "")  # the desk sessions need not see it
    if not password and remote and sys.stdin.isatty():
        password = getpass.getpass("password for browser users: ")
    return password or None


def run(args: argparse.Namespace) -> int:
    """Serve the desk until SIGINT or SIGTERM."""
    from sor_tui.config.settings import ConfigError, load_settings

    if not is_loopback(args.host) and not args.allow_remote:
        print(
            f"sor-tui serve: {args.host} is not loopback; anyone who reaches it could use the "
            "desk. Add --allow-remote (a password is then required) and put TLS in front.",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    remote = not is_loopback(args.host)
    password = _password(remote)  # on loopback too when the variable is set
    if (remote or password is not None) and (password is None or len(password) < 12):
        print(
            "sor-tui serve: a remote desk needs a password of 12 characters or more "
            f"(set {PASSWORD_VARIABLE} or type it at the prompt)",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    if args.max_sessions < 1:
        print("sor-tui serve: --max-sessions must be at least 1", file=sys.stderr)
        return EXIT_CONFIG
    chosen = {"markets": args.markets, "record_dir": args.record_dir}
    try:  # the sessions read the same settings: refuse a bad one now, once
        load_settings(**{k: v for k, v in chosen.items() if v})
    except ConfigError as error:
        print(f"sor-tui serve: {error}", file=sys.stderr)
        return EXIT_CONFIG
    server = DeskServer(
        desk_command(args),
        host=args.host,
        port=args.port,
        token=secrets.token_urlsafe(24),
        password=password,
        public_url=args.public_url.rstrip("/") if args.public_url else None,
        max_sessions=args.max_sessions,
    )
    try:
        asyncio.run(server.run())
    except OSError as error:
        print(f"sor-tui serve: cannot listen on {args.host}:{args.port}: {error}", file=sys.stderr)
        return EXIT_CONFIG
    return 0
