"""Settings: sources and precedence, validation, documentation."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from sor_tui.config import paths
from sor_tui.config.file_trust import secret_file_warnings
from sor_tui.config.settings import (
    ENVIRONMENT_URLS,
    SOR_SCOPE,
    ConfigError,
    Settings,
    env_name,
    is_loopback_host,
    load_settings,
)

REPO = Path(__file__).resolve().parents[2]


def write_toml(text: str) -> Path:
    path = paths.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def write_dotenv(text: str) -> None:
    Path(".env").write_text(text, encoding="utf-8")


def test_defaults() -> None:
    settings = load_settings()
    assert settings.environment == "sandbox"
    assert settings.ws_url == "wss://ws.sandbox.paxos.com/"
    assert settings.oauth_url == "https://oauth.sandbox.paxos.com/oauth2/token"
    assert settings.scope == SOR_SCOPE
    assert settings.markets == ("BTCUSD", "ETHUSD")
    assert settings.channels == ("market_data", "execution_data", "heartbeat")
    assert settings.max_frame_bytes == 64 * 1024 * 1024
    assert settings.large_trade == Decimal("100000")
    assert settings.client_id is None and settings.client_secret is None
    assert settings.recordings_path == paths.recordings_dir()
    assert not settings.is_custom_endpoint


def test_production_urls() -> None:
    settings = load_settings(environment="production")
    assert (settings.ws_url, settings.oauth_url) == ENVIRONMENT_URLS["production"]


def test_paths_are_under_the_isolated_home_and_not_created() -> None:
    home = Path.home()
    for path in (paths.config_file(), paths.recordings_dir(), paths.default_log_file()):
        assert home in path.parents
        assert not path.exists()
    assert paths.config_file().name == "config.toml"
    assert "sor-tui" in paths.config_dir().parts


def test_precedence_init_over_env_over_dotenv_over_toml(monkeypatch: pytest.MonkeyPatch) -> None:
    write_toml('theme = "toml"\nbook_depth = 11\nrender_rate = 11\nping_interval = 11\n')
    write_dotenv("SOR_THEME=dotenv\nSOR_BOOK_DEPTH=22\nSOR_RENDER_RATE=22\n")
    monkeypatch.setenv("SOR_THEME", "env")
    monkeypatch.setenv("SOR_BOOK_DEPTH", "33")
    settings = load_settings(theme="init")
    assert settings.theme == "init"
    assert settings.book_depth == 33
    assert settings.render_rate == 22
    assert settings.ping_interval == 11
    assert settings.ping_timeout == 20


def test_toml_accepts_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    write_toml('markets = ["solusd", "BTCUSD"]\nkeymap = { quit = "ctrl+q" }\n')
    settings = load_settings()
    assert settings.markets == ("SOLUSD", "BTCUSD")
    assert settings.keymap == {"quit": "ctrl+q"}


def test_comma_lists_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOR_MARKETS", " btcusd, ethusd ,,SOLUSD,btcusd")
    monkeypatch.setenv("SOR_CHANNELS", "market_data.top_of_book,heartbeat")
    settings = load_settings()
    assert settings.markets == ("BTCUSD", "ETHUSD", "SOLUSD")
    assert settings.channels == ("market_data.top_of_book", "heartbeat")


def test_json_keymap_and_decimal_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOR_KEYMAP", '{"quit": "ctrl+q", "help": "f1"}')
    monkeypatch.setenv("SOR_LARGE_TRADE", "250000.50")
    monkeypatch.setenv("SOR_RECORD", "true")
    monkeypatch.setenv("SOR_LOG_LEVEL", "debug")
    settings = load_settings()
    assert settings.keymap == {"quit": "ctrl+q", "help": "f1"}
    assert settings.large_trade == Decimal("250000.50")
    assert settings.record is True
    assert settings.log_level == "DEBUG"


def test_secret_from_env_is_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOR_CLIENT_SECRET", "hunter2-very-secret")
    settings = load_settings()
    assert settings.client_secret is not None
    assert settings.client_secret.get_secret_value() == "hunter2-very-secret"
    assert "hunter2" not in repr(settings)
    assert "hunter2" not in str(settings)


def test_unknown_key_in_dotenv_is_rejected_clearly() -> None:
    write_dotenv("SOR_THEME=x\nSOR_MARKET=BTCUSD\nPATH_OF_OTHER_TOOL=1\n")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert "SOR_MARKET" in caught.value.message
    assert ".env" in caught.value.message
    assert "PATH_OF_OTHER_TOOL" not in caught.value.message  # other tools' keys are fine


def test_unknown_key_in_toml_is_rejected_clearly() -> None:
    path = write_toml('thme = "dark"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert "'thme'" in caught.value.message
    assert str(path) in caught.value.message


def test_broken_toml_is_a_config_error() -> None:
    path = write_toml("theme = \n")
    with pytest.raises(ConfigError, match="not valid TOML") as caught:
        load_settings()
    assert str(path) in caught.value.message


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("SOR_ENVIRONMENT", "staging", "SOR_ENVIRONMENT"),
        ("SOR_BOOK_DEPTH", "0", "SOR_BOOK_DEPTH"),
        ("SOR_BOOK_DEPTH", "501", "SOR_BOOK_DEPTH"),
        ("SOR_RENDER_RATE", "61", "SOR_RENDER_RATE"),
        ("SOR_RENDER_RATE", "0.5", "SOR_RENDER_RATE"),
        ("SOR_BACKOFF_FLOOR", "31", "backoff_floor"),
        ("SOR_MAX_FRAME_BYTES", "1048576", "SOR_MAX_FRAME_BYTES"),
        ("SOR_SCOPE", "exchange:read_order", "SOR_SCOPE"),
        ("SOR_CHANNELS", "market_data,trades", "trades"),
        ("SOR_MARKETS", "BTC/USD", "BTC/USD"),
        ("SOR_LARGE_TRADE", "-1", "SOR_LARGE_TRADE"),
        ("SOR_KEYMAP", "not json", "SOR_KEYMAP"),
    ],
)
def test_invalid_values_are_rejected(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, fragment: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert fragment in caught.value.message
    assert "Traceback" not in caught.value.message


def test_invalid_secret_is_never_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOR_CLIENT_SECRET", "top-secret-value")
    monkeypatch.setenv("SOR_BOOK_DEPTH", "top-secret-value")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert "top-secret-value" not in caught.value.message


@pytest.mark.parametrize(
    ("ws_url", "oauth_url"),
    [
        ("ws://127.0.0.1:8765/", "http://127.0.0.1:8765/oauth2/token"),
        ("ws://127.1.2.3/", "http://localhost/oauth2/token"),
        ("ws://[::1]:9000/", "http://[::1]:9000/token"),
        ("wss://example.com/", "https://example.com/oauth2/token"),
    ],
)
def test_allowed_urls(ws_url: str, oauth_url: str) -> None:
    settings = load_settings(ws_url=ws_url, oauth_url=oauth_url)
    assert (settings.ws_url, settings.oauth_url) == (ws_url, oauth_url)
    assert settings.is_custom_endpoint


@pytest.mark.parametrize(
    ("field", "url"),
    [
        ("ws_url", "ws://ws.paxos.com/"),
        ("ws_url", "ws://10.0.0.5/"),
        ("ws_url", "ws://localhost.evil.com/"),
        ("ws_url", "https://ws.paxos.com/"),
        ("oauth_url", "http://oauth.paxos.com/oauth2/token"),
        ("oauth_url", "http://[::ffff:10.0.0.1]/token"),
        ("oauth_url", "https://user:pw@oauth.paxos.com/oauth2/token"),
        ("oauth_url", "ftp://127.0.0.1/"),
    ],
)
def test_clear_text_urls_only_on_loopback(field: str, url: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(**{field: url})
    assert env_name(field) in caught.value.message
    assert "pw" not in caught.value.message.replace("password", "")


def test_loopback_hosts() -> None:
    assert is_loopback_host("localhost")
    assert is_loopback_host("127.0.0.53")
    assert is_loopback_host("::1")
    assert not is_loopback_host("128.0.0.1")
    assert not is_loopback_host("")
    assert not is_loopback_host(None)


def test_demo_needs_urls() -> None:
    with pytest.raises(ConfigError, match="SOR_WS_URL"):
        load_settings(environment="demo")
    settings = load_settings(
        environment="demo", ws_url="ws://127.0.0.1:1/", oauth_url="http://127.0.0.1:1/t"
    )
    assert settings.environment == "demo"


def test_every_field_is_documented() -> None:
    for name, field in Settings.model_fields.items():
        assert field.description, f"{name} has no docstring"


def test_env_example_names_every_field_with_a_comment() -> None:
    lines = (REPO / ".env.example").read_text(encoding="utf-8").splitlines()
    named = {}
    for index, line in enumerate(lines):
        match = re.match(r"^(SOR_[A-Z_]+)=(.*)$", line)
        if match:
            named[match.group(1)] = match.group(2)
            assert lines[index - 1].startswith("#"), f"{match.group(1)} has no comment"
    assert set(named) == {env_name(name) for name in Settings.model_fields}
    assert named["SOR_CLIENT_SECRET"] == ""


def test_env_example_values_are_the_defaults() -> None:
    defaults = load_settings()
    Path(".env").write_text((REPO / ".env.example").read_text(encoding="utf-8"), encoding="utf-8")
    assert load_settings() == defaults


def test_world_readable_secret_files_are_flagged() -> None:
    dotenv = Path(".env")
    dotenv.write_text("SOR_THEME=x\n", encoding="utf-8")
    dotenv.chmod(0o644)
    assert secret_file_warnings() == []
    dotenv.write_text("SOR_CLIENT_SECRET=abc\n", encoding="utf-8")
    (warning,) = secret_file_warnings()
    assert "chmod 600" in warning and "abc" not in warning
    dotenv.chmod(0o600)
    assert secret_file_warnings() == []
    toml = write_toml('client_secret = "abc"\n')
    toml.chmod(0o640)
    (warning,) = secret_file_warnings()
    assert str(toml) in warning
