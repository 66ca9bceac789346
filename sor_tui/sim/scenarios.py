"""Named fault scenarios, switchable while the simulator runs.

``Simulator.set_scenario(name, enabled=True, **params)`` (or ``--scenario name:k=v,...``):

Transport
  drop(after_frames=None, every=None)   abrupt TCP drop, no close frame.  No params: every open
                                        connection now and each new one right after the upgrade,
                                        until switched off.  after_frames=N: each connection after
                                        N data frames.  every=S: all connections every S seconds.
  close(code=1001, reason="", after_frames=None)
                                        close frame with ``code``: now and on every new connection,
                                        or after N data frames per connection.
  accept_then_close(code=1011)          upgrade succeeds, then the server closes at once.
  handshake_hang                        the upgrade is never answered (until switched off: 503).
  http_5xx(status=503, times=None)      the upgrade gets ``status``; ``times`` answers, then OK.
  close_at_token_expiry(code=1008)      close a connection when its token expires (or on
                                        ``expire_tokens()``); default is to keep it open.
  slow_consumer(threshold=1_000_000, code=1008)
                                        close when a connection's unsent bytes exceed threshold.
Protocol
  internal_error(per_channel=False)     top-level INTERNAL_SERVER_ERROR to every connection now and
                                        as the answer to every request; per_channel=True: failed
                                        subscribe results instead.
  legacy_results                        subscribe/unsubscribe results without ``params``.
  update_before_ack                     the first UPDATE of a market_data subscription precedes
                                        its subscribe result.
  leak_after_unsubscribe                one more UPDATE after an unsubscribe result.
  garbage_frames(every=20, kinds=None)  a hostile frame after every N data frames (see garbage.py;
                                        ``kinds`` "a,b"; ``invalid_utf8`` only when named).
  subscribe_rate_limit(delay=1.0)       §10.5: data of each extra subscription from one IP starts
                                        ``delay`` s later than the previous one; acks are immediate.
  list_without_params                   subscription_list entries carry no ``params`` (old servers).
  result_error_shape(form=no_success)   how a refusal is spelt: per_channel (default answer),
                                        no_success (``error`` without ``success``), or the whole
                                        request refused by channels_null, bare ({"error": C}) or
                                        type_error_code ({"type":"error","code": C}).
  compress                              permessage-deflate accepted and every frame compressed.
  ack_delay(seconds=1.0)                each subscribe/unsubscribe is answered ``seconds`` late
                                        (requests are handled one after the other).
Data
  mixed_decimals                        "3150", "3150.0", "3150.00"; zeros "0"/"0.0"/"0.00000000".
  omit_empty_arrays                     empty bids/asks arrays are left out.
  out_of_order_executions               prints shuffled, back-dated, some held to the next event.
  replay_last_execution                 execution_data subscribe re-sends the market's last print.
  stall_heartbeat                       heartbeats stop; the socket stays open and answers pings.
  huge_snapshot(levels=20_000)          books grow to ``levels`` a side (~1.6 MB BTCUSD SNAPSHOT).
  crossed_book                          stale quotes cross the book for a few events.
  unordered_times                       UPDATE times sometimes repeat or step back (never to or
                                        before a SNAPSHOT time already captured).
  nonmonotonic_live_times(count=3)      the first ``count`` live UPDATEs after a SNAPSHOT carry
                                        the SNAPSHOT's own time.
  heartbeat_interval(seconds=25)        heartbeats every ``seconds`` instead of the configured one.
  heartbeat_malformed                   heartbeat payloads fail validation (``time``, no
                                        ``timestamp``); they still arrive on time.
  clock_offset(seconds=360)             every server time is ``seconds`` ahead of the wall clock.
  identical_prints                      every print is followed by an identical second trade.
  long_cross                            a crossing quote stays in the book for good.
  signed_zero                           zero amounts (level removals) are spelt "-0".
  tob_empty_zero                        top_of_book sends first an empty book whose sides are
                                        [{"price":"0","amount":"0"}].
Token endpoint
  oauth_5xx(status=500, times=None)     5xx answers, ``times`` of them then normal.
  oauth_slow(delay=0.05)                the body is drip-fed 8 bytes per ``delay`` seconds.
  oauth_redirect(location=...)          302 to ``location``.
  oauth_429(retry_after="300")          429 with that Retry-After value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

SCENARIOS: dict[str, dict[str, Any]] = {
    # transport
    "drop": {"after_frames": None, "every": None},
    "close": {"code": 1001, "reason": "", "after_frames": None},
    "accept_then_close": {"code": 1011, "reason": ""},
    "handshake_hang": {},
    "http_5xx": {"status": 503, "times": None},
    "close_at_token_expiry": {"code": 1008, "reason": "token expired"},
    "slow_consumer": {"threshold": 1_000_000, "code": 1008},
    # protocol
    "internal_error": {"per_channel": False},
    "legacy_results": {},
    "update_before_ack": {},
    "leak_after_unsubscribe": {},
    "garbage_frames": {"every": 20, "kinds": None},
    # data
    "mixed_decimals": {},
    "omit_empty_arrays": {},
    "out_of_order_executions": {},
    "replay_last_execution": {},
    "stall_heartbeat": {},
    "huge_snapshot": {"levels": 20_000},
    "crossed_book": {},
    "unordered_times": {},
    "subscribe_rate_limit": {"delay": 1.0},
    # field variants: the other plausible answers to the open questions (§14, variants.py)
    "list_without_params": {},
    "result_error_shape": {"form": "no_success"},
    "compress": {},
    "ack_delay": {"seconds": 1.0},
    "nonmonotonic_live_times": {"count": 3},
    "heartbeat_interval": {"seconds": 25.0},
    "heartbeat_malformed": {},
    "clock_offset": {"seconds": 360},
    "identical_prints": {},
    "long_cross": {},
    "signed_zero": {},
    "tob_empty_zero": {},
    # token endpoint
    "oauth_5xx": {"status": 500, "times": None},
    "oauth_slow": {"delay": 0.05},
    "oauth_redirect": {"location": "http://127.0.0.1:9/elsewhere"},
    "oauth_429": {"retry_after": "300"},
}
"""Every scenario name with its parameters and their defaults."""


class ScenarioSet:
    """The enabled scenarios and their parameters; notifies a listener of each change."""

    def __init__(self, on_change: Callable[[str, bool], None] | None = None) -> None:
        self._enabled: dict[str, dict[str, Any]] = {}
        self._on_change = on_change

    def set(self, name: str, enabled: bool = True, **params: Any) -> None:
        """Enable (with parameters, defaults filled in) or disable a scenario."""
        if name not in SCENARIOS:
            raise ValueError(f"unknown scenario {name!r}; known: {', '.join(sorted(SCENARIOS))}")
        unknown = set(params) - set(SCENARIOS[name])
        if unknown:
            raise ValueError(f"unknown parameters for {name!r}: {', '.join(sorted(unknown))}")
        if enabled:
            self._enabled[name] = {**SCENARIOS[name], **params}
        else:
            self._enabled.pop(name, None)
        if self._on_change is not None:
            self._on_change(name, enabled)

    def on(self, name: str) -> bool:
        """Tell whether a scenario is enabled."""
        return name in self._enabled

    def params(self, name: str) -> dict[str, Any] | None:
        """Return the parameters of an enabled scenario, or None."""
        return self._enabled.get(name)

    def get(self, name: str, key: str) -> Any:
        """Return one parameter of an enabled scenario (KeyError when disabled)."""
        return self._enabled[name][key]

    def enabled(self) -> dict[str, dict[str, Any]]:
        """Return a copy of every enabled scenario and its parameters."""
        return {name: dict(params) for name, params in self._enabled.items()}


def parse_scenario(text: str) -> tuple[str, dict[str, Any]]:
    """Parse ``name`` or ``name:key=value,key=value`` (values as int/float when they look so)."""
    name, _, rest = text.partition(":")
    params: dict[str, Any] = {}
    for item in filter(None, rest.split(",")):
        key, _, raw = item.partition("=")
        value: Any = raw
        for convert in (int, float):
            try:
                value = convert(raw)
                break
            except ValueError:
                continue
        params[key.strip()] = value
    return name.strip(), params
