"""Alert rules from the settings, and market rules saved back to ``config.toml``.

Saving rewrites only the ``[[alerts.rules]]`` tables: every other line of the file (and
its comments) stays as it was; the result is parsed before it replaces the file.
"""

from __future__ import annotations

import os
import re
import tomllib
from decimal import Decimal
from pathlib import Path

from sor_tui.config.alert_settings import AlertSettings, MarketRuleSettings
from sor_tui.core.alerts.machine import Timing
from sor_tui.core.alerts.rules import AlertRule, RuleKind
from sor_tui.core.numbers import canonical_text


def health_rules(settings: AlertSettings) -> tuple[AlertRule, ...]:
    """The feed-health rules with the configured thresholds (none when switched off)."""
    if not settings.health:
        return ()
    pending, clear = settings.pending_seconds, settings.clear_seconds
    return (
        AlertRule(
            "market-silent",
            RuleKind.MARKET_SILENT,
            seconds=settings.silent_seconds,
            timing=Timing(clear=clear),
        ),
        AlertRule(
            "disconnected",
            RuleKind.DISCONNECTED,
            timing=Timing(pending=settings.disconnected_seconds),
            severity="error",
        ),
        AlertRule(
            "resync-storm",
            RuleKind.RESYNC_STORM,
            count=settings.resync_count,
            window=settings.resync_minutes * 60,
        ),
        AlertRule(
            "untrusted",
            RuleKind.UNTRUSTED,
            timing=Timing(pending=settings.untrusted_seconds, clear=clear),
        ),
        AlertRule(
            "token-failing",
            RuleKind.TOKEN_FAILING,
            timing=Timing(pending=pending),
            severity="error",
        ),
        AlertRule(
            "clock-offset",
            RuleKind.CLOCK_OFFSET,
            amount=settings.clock_offset_ms,
            timing=Timing(pending=pending, clear=clear),
        ),
        AlertRule("recording-failed", RuleKind.RECORDING_FAILED, severity="error"),
        AlertRule("subscription-refused", RuleKind.SUBSCRIPTION_REFUSED, severity="error"),
    )


def market_rule(settings: MarketRuleSettings, index: int = 0) -> AlertRule:
    """The core rule of one configured market rule."""
    rule_id = settings.id or f"{settings.kind.replace('_', '-')}-{settings.market}-{index + 1}"
    return AlertRule(
        rule_id,
        RuleKind(settings.kind),
        settings.market,
        price=settings.price,
        watch=settings.watch,
        direction=settings.direction,
        bps=settings.bps,
        amount=settings.amount,
        side=settings.side,
        timing=Timing(
            pending=settings.pending_seconds,
            clear=settings.clear_seconds,
            repeat=settings.repeat,
        ),
        severity="info",
    )


def alert_rules(settings: AlertSettings) -> tuple[AlertRule, ...]:
    """Every rule in force: the health rules, then the market rules."""
    rules = [market_rule(rule, index) for index, rule in enumerate(settings.rules)]
    return health_rules(settings) + tuple(rules)


def rule_settings(rule: AlertRule) -> MarketRuleSettings:
    """The settings of a market rule (for saving a rule made in the app)."""
    return MarketRuleSettings(
        id=rule.id,
        kind=rule.kind.value,  # type: ignore[arg-type]
        market=rule.market or "",
        price=rule.price,
        watch=rule.watch,  # type: ignore[arg-type]
        direction=rule.direction,  # type: ignore[arg-type]
        bps=rule.bps,
        amount=rule.amount,
        side=rule.side,  # type: ignore[arg-type]
        repeat=rule.timing.repeat,
        pending_seconds=rule.timing.pending,
        clear_seconds=rule.timing.clear,
    )


_RULES_HEADER = re.compile(r"^\s*\[\[\s*alerts\.rules\s*\]\]\s*(#.*)?$")
_ANY_HEADER = re.compile(r"^\s*\[")


def rules_toml(rules: tuple[MarketRuleSettings, ...]) -> str:
    """The ``[[alerts.rules]]`` tables of ``rules`` (decimals as strings: exact)."""
    blocks = []
    for rule in rules:
        lines = ["[[alerts.rules]]"]
        for name, value in rule.model_dump(exclude_defaults=True).items():
            lines.append(f"{name} = {_toml_value(value)}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return _toml_string(canonical_text(value))
    if isinstance(value, int | float):
        return repr(value)
    return _toml_string(str(value))


def _toml_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in escaped) + '"'


def save_rules(path: Path, rules: tuple[MarketRuleSettings, ...]) -> None:
    """Replace the file's market rules with ``rules``; raises OSError or ValueError."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    kept: list[str] = []
    skipping = False
    for line in text.splitlines():
        if _RULES_HEADER.match(line):
            skipping = True
            continue
        if skipping and _ANY_HEADER.match(line):
            skipping = False
        if not skipping:
            kept.append(line)
    body = "\n".join(kept).rstrip()
    tables = rules_toml(rules)
    new_text = (body + "\n\n" if body else "") + (tables + "\n" if tables else "")
    try:
        parsed = tomllib.loads(new_text)
    except tomllib.TOMLDecodeError as error:
        raise ValueError(f"{path} would not be valid TOML: {error}") from None
    AlertSettings.model_validate(parsed.get("alerts", {}))
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(new_text, encoding="utf-8")
    if path.exists():
        os.chmod(temporary, path.stat().st_mode & 0o777)
    else:
        os.chmod(temporary, 0o600)
    os.replace(temporary, path)
