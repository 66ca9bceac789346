"""The desk's themes: a dark default, a light one and a colour-blind safe one (blue/orange)."""

from __future__ import annotations

from textual.theme import Theme

# Colours the widgets use beyond Textual's own; every theme may override them.
DESK_VARIABLES: dict[str, str] = {
    "bid": "#3fb950",
    "ask": "#f85149",
    "tick-up": "#3fb950",
    "tick-down": "#f85149",
    "bar-bid": "#173a22",
    "bar-ask": "#3d1a1a",
    "change-up": "#56d364",
    "change-down": "#ff7b72",
    "change-new": "#e3b341",
    "large-trade": "#e3b341",
}

SOR_DARK = Theme(
    name="sor-dark",
    primary="#4f9fe6",
    secondary="#8b949e",
    accent="#e3b341",
    warning="#d29922",
    error="#f85149",
    success="#3fb950",
    foreground="#d6dde6",
    background="#0d1117",
    surface="#161b22",
    panel="#1f2630",
    dark=True,
    variables=dict(DESK_VARIABLES),
)

SOR_LIGHT = Theme(
    name="sor-light",
    primary="#0969da",
    secondary="#57606a",
    accent="#9a6700",
    warning="#9a6700",
    error="#cf222e",
    success="#1a7f37",
    foreground="#1f2328",
    background="#ffffff",
    surface="#f6f8fa",
    panel="#eaeef2",
    dark=False,
    variables={
        **DESK_VARIABLES,
        "bid": "#1a7f37",
        "ask": "#cf222e",
        "tick-up": "#1a7f37",
        "tick-down": "#cf222e",
        "bar-bid": "#dafbe1",
        "bar-ask": "#ffebe9",
        "change-up": "#1a7f37",
        "change-down": "#cf222e",
        "change-new": "#9a6700",
        "large-trade": "#9a6700",
    },
)

# Okabe-Ito blue and orange: distinguishable with every common colour-vision deficiency,
# and the direction is always also shown by ▲/▼ so colour is never the only signal.
SOR_COLOURBLIND = Theme(
    name="sor-colourblind",
    primary="#56b4e9",
    secondary="#999999",
    accent="#f0e442",
    warning="#e69f00",
    error="#e69f00",
    success="#0072b2",
    foreground="#e8e8e8",
    background="#101418",
    surface="#181e24",
    panel="#222a32",
    dark=True,
    variables={
        **DESK_VARIABLES,
        "bid": "#56b4e9",
        "ask": "#e69f00",
        "tick-up": "#56b4e9",
        "tick-down": "#e69f00",
        "bar-bid": "#10304a",
        "bar-ask": "#4a3300",
        "change-up": "#56b4e9",
        "change-down": "#e69f00",
        "change-new": "#f0e442",
        "large-trade": "#f0e442",
    },
)

THEMES = (SOR_DARK, SOR_LIGHT, SOR_COLOURBLIND)
DEFAULT_THEME = SOR_DARK.name
