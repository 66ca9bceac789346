"""A small form for a new market alert rule: kind, market and the kind's figures."""

from __future__ import annotations

from pydantic import ValidationError
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from sor_tui.config.alert_rules import market_rule
from sor_tui.config.alert_settings import MarketRuleSettings
from sor_tui.core.alerts.rules import AlertRule

KINDS = (
    ("Price crosses", "price_cross"),
    ("Spread wider than (bps)", "spread_wide"),
    ("Print of at least (notional)", "large_print"),
    ("Depth near mid below (amount)", "thin_depth"),
)
CHOICES = {
    "direction": ("either", "up", "down"),
    "watch": ("last", "mid"),
    "side": ("both", "bid", "ask"),
}
TEXT_FIELDS = ("market", "price", "bps", "amount")


class AlertRuleForm(ModalScreen[AlertRule | None]):
    """Returns the new rule, or None when cancelled."""

    DEFAULT_CSS = """
    AlertRuleForm { align: center middle; background: $background 60%; }
    #rule-dialog { width: 64; max-width: 100%; height: auto; max-height: 100%;
                   border: round $primary; background: $surface; padding: 0 1; }
    #rule-dialog .rule-row { height: 1; margin-bottom: 1; }
    #rule-dialog Label { width: 12; }
    #rule-dialog Input { border: none; height: 1; width: 1fr; padding: 0; }
    #rule-dialog Select { width: 1fr; }
    #rule-dialog SelectCurrent { border: none; height: 1; padding: 0; }
    #rule-dialog .select-row { height: 1; margin-bottom: 1; }
    #rule-dialog Checkbox { border: none; height: 1; padding: 0; }
    #rule-error { color: $error; height: auto; }
    #rule-dialog .dialog-buttons { height: 3; }
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="rule.cancel")]

    def __init__(self, market: str = "", price: str = "") -> None:
        super().__init__(id="rule-form")
        self.market = market
        self.price = price

    def compose(self) -> ComposeResult:
        """Kind, market, figures, options and the buttons."""
        with Vertical(id="rule-dialog"):
            yield Static(Text("New market alert", style="bold"), classes="dialog-title")
            with Horizontal(classes="select-row"):
                yield Label("Kind")
                yield Select(KINDS, value="price_cross", allow_blank=False, id="rule-kind")
            for name in TEXT_FIELDS:
                with Horizontal(classes="rule-row"):
                    yield Label(name.capitalize())
                    value = {"market": self.market, "price": self.price}.get(name, "")
                    yield Input(value, id=f"rule-{name}", placeholder=_HINTS[name])
            for name, options in CHOICES.items():
                with Horizontal(classes="select-row"):
                    yield Label(name.capitalize())
                    yield Select(
                        [(o, o) for o in options],
                        value=options[0],
                        allow_blank=False,
                        id=f"rule-{name}",
                    )
            yield Checkbox("Repeat (else one-shot)", id="rule-repeat")
            yield Static(id="rule-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Add", id="rule-add", variant="primary")
                yield Button("Cancel", id="rule-cancel")

    def on_mount(self) -> None:
        """Start in the market field."""
        self.query_one("#rule-market", Input).focus()

    def rule(self) -> AlertRule:
        """The rule the form describes; raises ValueError with a readable message."""
        values: dict[str, object] = {"kind": self.query_one("#rule-kind", Select).value}
        for name in TEXT_FIELDS:
            text = self.query_one(f"#rule-{name}", Input).value.strip()
            if text:
                values[name] = text
        for name in CHOICES:
            values[name] = self.query_one(f"#rule-{name}", Select).value
        values["repeat"] = self.query_one("#rule-repeat", Checkbox).value
        try:
            settings = MarketRuleSettings.model_validate(values)
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "rule"
            raise ValueError(f"{where}: {first['msg']}") from None
        needed = {
            "price_cross": ("price",),
            "spread_wide": ("bps",),
            "large_print": ("amount",),
            "thin_depth": ("bps", "amount"),
        }[settings.kind]
        missing = [name for name in needed if getattr(settings, name) is None]
        if missing:
            raise ValueError(f"{settings.kind} needs {' and '.join(missing)}")
        return market_rule(settings)

    @on(Input.Submitted)
    @on(Button.Pressed, "#rule-add")
    def add(self) -> None:
        """Check the form and close with the rule."""
        try:
            rule = self.rule()
        except ValueError as error:
            self.query_one("#rule-error", Static).update(Text(str(error)))
            return
        self.dismiss(rule)

    @on(Button.Pressed, "#rule-cancel")
    def action_cancel(self) -> None:
        """Close without a rule."""
        self.dismiss(None)


_HINTS = {
    "market": "BTCUSD",
    "price": "price_cross: e.g. 65000.5",
    "bps": "spread_wide / thin_depth: basis points",
    "amount": "large_print: notional; thin_depth: size",
}
