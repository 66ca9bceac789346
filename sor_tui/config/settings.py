"""Settings: pydantic-settings with the ``SOR_`` prefix, ``.env`` and ``config.toml``.

Precedence, highest first: keyword arguments, environment variables, ``.env`` in the
current directory, ``config.toml`` in the user config dir, then the defaults below.
"""

from __future__ import annotations

import ipaddress
import re
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
    TomlConfigSettingsSource,
)

from sor_tui.config import paths
from sor_tui.config.alert_settings import AlertSettings
from sor_tui.config.file_trust import UntrustedEnvFileError, refuse_untrusted_destinations
from sor_tui.core.events import ChannelType

ENV_PREFIX = "SOR_"
SOR_SCOPE = "exchange:read_aggregated_marketdata_stream"
"""The OAuth2 scope the SOR WebSocket route requires (protocol §1)."""

Environment = Literal["sandbox", "production", "demo"]

ENVIRONMENT_URLS: dict[str, tuple[str, str]] = {
    "production": ("wss://ws.paxos.com/", "https://oauth.paxos.com/oauth2/token"),
    "sandbox": ("wss://ws.sandbox.paxos.com/", "https://oauth.sandbox.paxos.com/oauth2/token"),
}
"""WebSocket and token URLs per environment (protocol §1); ``demo`` has none of its own."""

MIB = 1024 * 1024
KNOWN_CHANNELS = frozenset(str(channel) for channel in ChannelType)
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


class ConfigError(Exception):
    """A configuration problem, with a message fit to show the user as is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def is_loopback_host(host: str | None) -> bool:
    """Whether ``host`` names this machine (localhost, 127.0.0.0/8 or ::1)."""
    if not host:
        return False
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_url(url: str, secure: str, plain: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in (secure, plain) or not parts.hostname:
        raise ValueError(f"must be a {secure}:// URL with a host, got scheme {parts.scheme!r}")
    if parts.username is not None or parts.password is not None:
        raise ValueError("must not carry a user name or password")
    if parts.scheme == plain and not is_loopback_host(parts.hostname):
        # The bearer token and the client secret must never cross a network in clear text.
        raise ValueError(f"{plain}:// is only allowed for loopback hosts; use {secure}://")
    return url


def _split_list(value: Any) -> Any:
    if isinstance(value, str):
        return tuple(item.strip() for item in value.split(",") if item.strip())
    return value


class _SorKeysOnly(PydanticBaseSettingsSource):
    """Wraps the ``.env`` source so keys of other tools are ignored, ``SOR_`` typos are not."""

    def __init__(self, settings_cls: type[BaseSettings], inner: PydanticBaseSettingsSource):
        super().__init__(settings_cls)
        self._inner = inner

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        """Not used: the wrapped source does the work in ``__call__``."""
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        prefix = ENV_PREFIX.lower()
        fields = self.settings_cls.model_fields
        values = {
            key: value
            for key, value in self._inner().items()
            if key in fields or key.lower().startswith(prefix)
        }
        refuse_untrusted_destinations(Path(".env"), values)
        return values


class Settings(BaseSettings):
    """Every sor-tui setting; env names are ``SOR_`` plus the upper-cased field name."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        extra="forbid",
        use_attribute_docstrings=True,
        validate_default=True,
        frozen=True,
    )

    environment: Environment = "sandbox"
    """Which Paxos environment to use: sandbox, production or demo (the local simulator)."""
    ws_url: str = ""
    """WebSocket URL; empty means the environment's URL (wss://, ws:// only for loopback)."""
    oauth_url: str = ""
    """OAuth2 token URL; empty means the environment's URL (https://, http:// only loopback)."""
    client_id: str | None = None
    """OAuth2 client id; when unset, the one remembered by ``sor-tui login`` is used."""
    client_secret: SecretStr | None = None
    """OAuth2 client secret for headless use; otherwise it is read from the keyring."""
    scope: str = SOR_SCOPE
    """Space-separated OAuth2 scopes to request; must include the SOR scope."""
    markets: Annotated[tuple[str, ...], NoDecode] = ("BTCUSD", "ETHUSD")
    """Markets to subscribe to, comma-separated (upper-cased)."""
    channels: Annotated[tuple[str, ...], NoDecode] = ("market_data", "execution_data", "heartbeat")
    """Channel types to subscribe to, comma-separated."""
    backoff_floor: float = Field(0.5, gt=0)
    """Reconnect backoff: first delay in seconds."""
    backoff_cap: float = Field(30.0, gt=0)
    """Reconnect backoff: longest delay in seconds."""
    heartbeat_timeout: float = Field(15.0, gt=0)
    """Seconds without a heartbeat before the connection is considered dead (stretched to
    three observed heartbeat intervals; the watch starts at the first heartbeat)."""
    heartbeat_first_timeout: float = Field(60.0, gt=0)
    """Seconds allowed between the first and second heartbeat, before the server's interval
    is known."""
    replay_window: float = Field(5.0, ge=0)
    """Seconds after (re)subscribing during which an exact repeat of a print is taken for a
    replay and suppressed; later, identical prints are separate trades."""
    crossed_book_resync: bool = True
    """Resync a book once when it stays crossed for long (a consolidated book may stay
    crossed legitimately: set false to only flag it)."""
    ping_interval: float = Field(20.0, gt=0)
    """Seconds between client WebSocket pings."""
    ping_timeout: float = Field(20.0, gt=0)
    """Seconds to wait for a pong before closing the connection."""
    open_timeout: float = Field(10.0, gt=0)
    """Seconds allowed for the TCP, TLS and WebSocket opening handshake."""
    snapshot_timeout: float = Field(10.0, gt=0)
    """Seconds to wait for a book SNAPSHOT after subscribing before resyncing."""
    max_frame_bytes: int = Field(64 * MIB, ge=2 * MIB)
    """Largest WebSocket message accepted, in bytes (SNAPSHOTs can exceed 1 MiB)."""
    token_deadline: float = Field(30.0, gt=0)
    """Overall deadline in seconds for obtaining an access token, retries included."""
    book_depth: int = Field(25, ge=1, le=500)
    """Price levels shown per book side."""
    render_rate: float = Field(20.0, ge=1, le=60)
    """Most screen redraws per second."""
    render_pacing: bool = True
    """Draw a frame only after the terminal has shown the previous one (slow links)."""
    render_diff: bool = True
    """Write only the changed cells of a line, changing only the style that differs."""
    low_bandwidth: bool = False
    """Slow-link profile: 256 colours, no sparkline, at most 5 frames a second."""
    mouse: bool = True
    """Capture the mouse; off leaves text selection to the terminal."""
    large_trade: Decimal = Field(Decimal("100000"), gt=0)
    """Notional (price x amount, quote currency) from which a trade is highlighted."""
    theme: str = "textual-dark"
    """Textual theme name."""
    keymap: dict[str, str] = Field(default_factory=dict)
    """Key remapping: binding id to key, JSON in the environment."""
    record: bool = False
    """Record raw frames to the recordings directory."""
    record_dir: Path | None = None
    """Directory for recordings; empty means <user data dir>/recordings."""
    log_file: Path | None = None
    """Log file path; empty means no log file."""
    log_level: LogLevel = "WARNING"
    """Log level: DEBUG, INFO, WARNING, ERROR or CRITICAL."""
    alerts: AlertSettings = AlertSettings()
    """Alert thresholds, delivery and market rules (the ``[alerts]`` table; JSON in env)."""
    credential_store: Literal["auto", "keyring", "encrypted-file"] = "auto"
    """Where the client secret is kept: the system keyring, sor-tui's encrypted file, or
    auto (the keyring when it is usable and encrypted, else the file)."""
    credential_file: Path | None = None
    """The encrypted credentials file; empty means <user data dir>/credentials.cfg."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Init kwargs, then env, then ``.env``, then ``config.toml`` (read at load time)."""
        toml = TomlConfigSettingsSource(settings_cls, toml_file=paths.config_file())
        return init_settings, env_settings, _SorKeysOnly(settings_cls, dotenv_settings), toml

    @model_validator(mode="before")
    @classmethod
    def _resolve_urls(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        environment = str(data.get("environment") or "sandbox").strip().lower()
        data["environment"] = environment
        defaults = ENVIRONMENT_URLS.get(environment)
        for index, name in enumerate(("ws_url", "oauth_url")):
            value = str(data.get(name) or "").strip()
            if not value and defaults is not None:
                value = defaults[index]
            if not value and environment == "demo":
                raise ValueError(
                    "the demo environment has no fixed URLs: set SOR_WS_URL and "
                    "SOR_OAUTH_URL to the simulator's (sor-tui demo does this)"
                )
            data[name] = value
        return data

    @field_validator("ws_url")
    @classmethod
    def _check_ws_url(cls, value: str) -> str:
        return _check_url(value, "wss", "ws")

    @field_validator("oauth_url")
    @classmethod
    def _check_oauth_url(cls, value: str) -> str:
        return _check_url(value, "https", "http")

    @field_validator("client_id", mode="before")
    @classmethod
    def _blank_id_is_none(cls, value: Any) -> Any:
        if isinstance(value, str):
            return value.strip() or None
        return value

    @field_validator("client_secret", mode="before")
    @classmethod
    def _blank_secret_is_none(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @property
    def desk_state_options(self) -> dict[str, Any]:
        """The desk state's keyword options these settings choose (replay window, crosses)."""
        return {
            "replay_window_ns": int(self.replay_window * 1e9),
            "crossed_resync": self.crossed_book_resync,
        }

    @field_validator("scope")
    @classmethod
    def _check_scope(cls, value: str) -> str:
        scopes = value.split()
        if SOR_SCOPE not in scopes:
            raise ValueError(f"must include {SOR_SCOPE}")
        return " ".join(scopes)

    @field_validator("markets", mode="before")
    @classmethod
    def _split_markets(cls, value: Any) -> Any:
        return _split_list(value)

    @field_validator("markets")
    @classmethod
    def _check_markets(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        markets = tuple(dict.fromkeys(market.strip().upper() for market in value))
        for market in markets:
            if not market.isascii() or not market.isalnum():
                raise ValueError(f"{market!r} is not a market name like BTCUSD")
        return markets

    @field_validator("channels", mode="before")
    @classmethod
    def _split_channels(cls, value: Any) -> Any:
        return _split_list(value)

    @field_validator("channels")
    @classmethod
    def _check_channels(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        channels = tuple(dict.fromkeys(channel.strip().lower() for channel in value))
        unknown = [channel for channel in channels if channel not in KNOWN_CHANNELS]
        if unknown:
            raise ValueError(
                f"unknown channel {', '.join(unknown)}; known: {', '.join(sorted(KNOWN_CHANNELS))}"
            )
        return channels

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_log_level(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("record_dir", "log_file", "credential_file", mode="before")
    @classmethod
    def _blank_path_is_none(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @model_validator(mode="after")
    def _check_ranges(self) -> Settings:
        if self.backoff_floor > self.backoff_cap:
            raise ValueError("backoff_floor (SOR_BACKOFF_FLOOR) must not exceed backoff_cap")
        return self

    @property
    def recordings_path(self) -> Path:
        """The directory recordings go to (the setting or the default)."""
        return self.record_dir if self.record_dir is not None else paths.recordings_dir()

    @property
    def is_custom_endpoint(self) -> bool:
        """Whether the URLs differ from the environment's published ones."""
        return ENVIRONMENT_URLS.get(self.environment) != (self.ws_url, self.oauth_url)


def env_name(field_name: str) -> str:
    """The environment variable that sets ``field_name``."""
    return f"{ENV_PREFIX}{field_name.upper()}"


def _describe(error: Any, toml_path: Path) -> str:
    loc = error.get("loc") or ()
    key = str(loc[0]) if loc else ""
    if error.get("type") == "extra_forbidden":
        if key.lower().startswith(ENV_PREFIX.lower()):
            return f"unknown setting {key.upper()} (in .env); see .env.example for valid names"
        dotted = ".".join(str(part) for part in loc)  # a nested table's key in full
        return f"unknown setting {dotted!r} (in {toml_path} or arguments); check its spelling"
    # Never echo the offending input: it may be a secret.
    message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
    if not key:
        return message
    return f"{env_name(key)} ({key}): {message}"


def _describe_source_error(text: str) -> str:
    match = re.search(r'field "(\w+)" from source "(\w+)"', text)
    if match is None:
        return f"invalid configuration: {text}"
    field_name, source = match.groups()
    where = {"EnvSettingsSource": "the environment", "DotEnvSettingsSource": ".env"}.get(
        source, source
    )
    return (
        f"invalid configuration:\n  - {env_name(field_name)} ({field_name}) in {where}: "
        "cannot parse the value (lists are comma-separated, mappings are JSON)"
    )


def load_settings(**overrides: Any) -> Settings:
    """Build the settings from all sources, raising ``ConfigError`` with a readable message."""
    toml_path = paths.config_file()
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = "\n".join(f"  - {_describe(error, toml_path)}" for error in exc.errors())
        raise ConfigError(f"invalid configuration:\n{problems}") from None
    except SettingsError as exc:
        raise ConfigError(_describe_source_error(str(exc))) from None
    except UntrustedEnvFileError as exc:
        raise ConfigError(str(exc)) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{toml_path} is not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"cannot read configuration: {exc.strerror or exc}") from None
