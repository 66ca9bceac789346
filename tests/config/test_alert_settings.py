"""The [alerts] settings: TOML rules, clear errors, and market rules saved back."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path

import pytest

from sor_tui.config import paths
from sor_tui.config.alert_rules import alert_rules, market_rule, rule_settings, save_rules
from sor_tui.config.alert_settings import MarketRuleSettings
from sor_tui.config.settings import ConfigError, load_settings
from sor_tui.core.alerts.rules import RuleKind

TOML = """\
environment = "sandbox"  # keep me

[alerts]
silent_seconds = 4
webhook_url = "https://hooks.example.com/desk"

[[alerts.rules]]
kind = "price_cross"
market = "btcusd"
price = "65000.50"
direction = "up"

[[alerts.rules]]
kind = "thin_depth"
market = "ETHUSD"
bps = "25"
amount = "10"
side = "bid"
repeat = true
"""


def write_config(text: str) -> Path:
    path = paths.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_rules_and_thresholds_come_from_the_toml_file() -> None:
    write_config(TOML)
    settings = load_settings()
    alerts = settings.alerts
    assert alerts.silent_seconds == 4 and alerts.webhook_url.startswith("https://")
    rules = alert_rules(alerts)
    kinds = [rule.kind for rule in rules]
    assert kinds[:8] == [
        RuleKind.MARKET_SILENT,
        RuleKind.DISCONNECTED,
        RuleKind.RESYNC_STORM,
        RuleKind.UNTRUSTED,
        RuleKind.TOKEN_FAILING,
        RuleKind.CLOCK_OFFSET,
        RuleKind.RECORDING_FAILED,
        RuleKind.SUBSCRIPTION_REFUSED,
    ]
    cross, thin = rules[8:]
    assert (cross.id, cross.market, cross.price) == (
        "price-cross-BTCUSD-1",
        "BTCUSD",
        Decimal("65000.50"),
    )
    assert cross.timing.repeat is False and thin.timing.repeat is True
    assert (thin.side, thin.bps, thin.amount) == ("bid", Decimal(25), Decimal(10))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[alerts]\nwebhook_url = "http://hooks.example.com/x"\n', "only allowed for loopback"),
        ('[[alerts.rules]]\nkind = "moon"\nmarket = "BTCUSD"\n', "SOR_ALERTS (alerts)"),
        ("[alerts]\nsilent = 3\n", "unknown setting 'alerts.silent'"),
    ],
)
def test_bad_alert_settings_fail_with_a_clear_message(text: str, message: str) -> None:
    write_config(text)
    with pytest.raises(ConfigError) as error:
        load_settings()
    assert message in error.value.message


def test_saving_rules_rewrites_only_the_rule_tables(tmp_path: Path) -> None:
    path = write_config(TOML)
    new = MarketRuleSettings(
        id="big", kind="large_print", market="SOLUSD", amount=Decimal("250000.00")
    )
    save_rules(path, (new,))
    text = path.read_text()
    assert 'environment = "sandbox"  # keep me' in text
    assert "silent_seconds = 4" in text and "65000.50" not in text
    parsed = tomllib.loads(text)
    assert parsed["alerts"]["rules"] == [
        {"id": "big", "kind": "large_print", "market": "SOLUSD", "amount": "250000"}
    ]
    assert parsed["alerts"]["webhook_url"] == "https://hooks.example.com/desk"
    save_rules(path, ())
    assert "rules" not in tomllib.loads(path.read_text())["alerts"]
    fresh = tmp_path / "new" / "config.toml"
    save_rules(fresh, (new,))
    assert fresh.stat().st_mode & 0o077 == 0  # a new config file is the user's alone


def test_a_rule_round_trips_through_its_settings() -> None:
    settings = MarketRuleSettings(
        id="x", kind="price_cross", market="BTCUSD", price=Decimal("1.5"), watch="mid"
    )
    assert rule_settings(market_rule(settings)) == settings
