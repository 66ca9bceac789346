"""The desired-subscription registry: the client's own source of truth (protocol §10.4, §10.6).

Entries are keyed by ``Channel.key`` (never by JSON text). Every sent request is recorded so
that results are matched by the echoed type and params, or by position for legacy servers that
do not echo params (§6.1). Pure: no I/O, no clock; the feed drives it.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, replace
from enum import StrEnum

from sor_tui.core.events import (
    MARKET_CHANNELS,
    Channel,
    ChannelResult,
    OperationResult,
    ServerError,
    SubscriptionList,
)

NO_EFFECT_ACTION = "NO_EFFECT_ACTION"
CHANNEL_CODES = frozenset({"UNKNOWN_CHANNEL", "UNKNOWN_CHANNEL_PARAMS_CONFIGURATION"})
"""Error codes about a channel: a request-level one names a refused request."""
SUBSCRIBE = "subscribe"
UNSUBSCRIBE = "unsubscribe"
MAX_UNDESIRED_LISTED = 1024
"""Most channels kept (and unsubscribed) that the server lists but the client never asked for."""

Key = tuple[str, str]


class ServerAnswer(StrEnum):
    """The server's last word on an entry in the current connection."""

    NONE = "NONE"  # nothing asked on this connection (or unsubscribed)
    PENDING = "PENDING"  # a request is in flight
    OK = "OK"  # subscribed
    ERROR = "ERROR"  # the server refused (see ``error``)


class DataState(StrEnum):
    """What the UI shows for an entry's data."""

    IDLE = "IDLE"  # not subscribed
    WAITING = "WAITING"  # subscribed or pending, no data yet (for books: waiting for snapshot)
    LIVE = "LIVE"
    STALE = "STALE"  # connection lost: the last data is not current
    ERROR = "ERROR"


@dataclass(frozen=True, slots=True)
class SubscriptionEntry:
    """One registry row as the subscription panel shows it."""

    channel: Channel
    desired: bool
    answer: ServerAnswer = ServerAnswer.NONE
    error: str | None = None
    listed: bool | None = None  # None until a subscription_list answer arrived
    data: DataState = DataState.IDLE
    pending: int = 0  # requests in flight for this channel


@dataclass(frozen=True, slots=True)
class ChannelOutcome:
    """One result matched to the channel it answers."""

    action: str
    channel: Channel
    success: bool
    error: str | None
    no_effect: bool = False  # NO_EFFECT_ACTION, reconciled as benign (§10.6)
    unsolicited: bool = False  # matched no request we sent; ignored


@dataclass(frozen=True, slots=True)
class Reconciliation:
    """What a subscription_list answer asks the feed to send (§10.8)."""

    subscribe: tuple[Channel, ...] = ()
    unsubscribe: tuple[Channel, ...] = ()


@dataclass(slots=True)
class _Request:
    action: str
    channels: list[Channel]
    answered: list[bool]


def normalize(channel: Channel) -> Channel:
    """Upper-case the market (protocol §11.1: always send upper case)."""
    if channel.market is None:
        return channel
    upper = channel.market.upper()
    return channel if upper == channel.market else Channel(channel.type, upper)


class SubscriptionRegistry:
    """Desired channels, the server's answers, and the data state of each channel."""

    def __init__(self, desired: tuple[Channel, ...] | list[Channel] = ()) -> None:
        self._entries: dict[Key, SubscriptionEntry] = {}
        self._requests: deque[_Request] = deque()
        self.version = 0
        self.listed_ignored = 0  # listed channels past MAX_UNDESIRED_LISTED
        self.add(desired)

    # -- desired set -----------------------------------------------------------------

    def desired(self) -> tuple[Channel, ...]:
        """The desired channels in insertion order."""
        return tuple(e.channel for e in self._entries.values() if e.desired)

    def is_desired(self, channel: Channel) -> bool:
        """True when the channel is in the desired set."""
        entry = self._entries.get(normalize(channel).key)
        return entry is not None and entry.desired

    def get(self, channel: Channel) -> SubscriptionEntry | None:
        """The entry for a channel, if any."""
        return self._entries.get(normalize(channel).key)

    def add(self, channels: tuple[Channel, ...] | list[Channel]) -> tuple[Channel, ...]:
        """Make channels desired; returns those that were not desired before."""
        added: list[Channel] = []
        for raw in channels:
            channel = normalize(raw)
            entry = self._entries.get(channel.key)
            if entry is None:
                self._entries[channel.key] = SubscriptionEntry(channel, desired=True)
            elif not entry.desired:
                self._entries[channel.key] = replace(entry, desired=True)
            else:
                continue
            if channel not in added:
                added.append(channel)
        if added:
            self.version += 1
        return tuple(added)

    def remove(self, channels: tuple[Channel, ...] | list[Channel]) -> tuple[Channel, ...]:
        """Make channels undesired; returns those that were desired before."""
        removed: list[Channel] = []
        for raw in channels:
            channel = normalize(raw)
            entry = self._entries.get(channel.key)
            if entry is None or not entry.desired:
                continue
            if entry.answer is ServerAnswer.NONE and entry.pending == 0 and not entry.listed:
                del self._entries[channel.key]  # never reached the server: just forget it
            else:
                self._entries[channel.key] = replace(entry, desired=False)
            removed.append(channel)
        if removed:
            self.version += 1
        return tuple(removed)

    # -- requests and answers --------------------------------------------------------

    def record_request(self, action: str, channels: tuple[Channel, ...] | list[Channel]) -> None:
        """Remember a sent subscribe/unsubscribe request so its results can be matched."""
        normalized = [normalize(c) for c in channels]
        self._requests.append(_Request(action, normalized, [False] * len(normalized)))
        for channel in normalized:
            entry = self._entries.get(channel.key) or SubscriptionEntry(channel, desired=False)
            data = entry.data
            if action == SUBSCRIBE and data is not DataState.LIVE:
                data = DataState.WAITING
            self._entries[channel.key] = replace(
                entry, pending=entry.pending + 1, answer=ServerAnswer.PENDING, data=data
            )
        self.version += 1

    def apply_result(self, result: OperationResult) -> tuple[ChannelOutcome, ...]:
        """Match a subscribe/unsubscribe response to its request and update the entries."""
        request = self._oldest(result.action, result.results)
        outcomes: list[ChannelOutcome] = []
        for position, item in enumerate(result.results):
            channel = self._match(request, position, item)
            if channel is None:
                # Unsolicited (a confused or hostile server): it must not change any entry.
                market = item.market.upper() if item.market else None
                unsolicited = Channel(item.type, market)
                outcomes.append(
                    ChannelOutcome(
                        result.action, unsolicited, item.success, item.error, unsolicited=True
                    )
                )
                continue
            outcomes.append(self._answer(result.action, channel, item))
        if request is not None and all(request.answered):
            self._requests.remove(request)
        self.version += 1
        return tuple(outcomes)

    def _oldest(self, action: str, results: tuple[ChannelResult, ...]) -> _Request | None:
        """The oldest unanswered request of this action that the results can belong to."""
        keys = {_result_key(r) for r in results if _result_key(r) is not None}
        fallback: _Request | None = None
        for request in self._requests:
            if request.action != action or all(request.answered):
                continue
            if fallback is None:
                fallback = request
            open_keys = {
                c.key
                for c, done in zip(request.channels, request.answered, strict=True)
                if not done
            }
            if keys <= open_keys:
                return request
        return fallback

    def _match(
        self, request: _Request | None, position: int, item: ChannelResult
    ) -> Channel | None:
        """The channel a result answers: by echoed key, else by position, else by type."""
        key = _result_key(item)
        if request is not None:
            for index, channel in enumerate(request.channels):
                if key is not None and channel.key == key and not request.answered[index]:
                    request.answered[index] = True
                    return channel
            if key is None:
                # Legacy answer without params: the position in the request decides (§6.1).
                if (
                    position < len(request.channels)
                    and not request.answered[position]
                    and request.channels[position].type == item.type
                ):
                    request.answered[position] = True
                    return request.channels[position]
                for index, channel in enumerate(request.channels):
                    if channel.type == item.type and not request.answered[index]:
                        request.answered[index] = True
                        return channel
        return None  # answers nothing we asked

    def _answer(self, action: str, channel: Channel, item: ChannelResult) -> ChannelOutcome:
        entry = self._entries.get(channel.key) or SubscriptionEntry(channel, desired=False)
        pending = max(0, entry.pending - 1)
        no_effect = not item.success and item.error == NO_EFFECT_ACTION
        error: str | None = None
        data: DataState
        answer: ServerAnswer
        if action == SUBSCRIBE and (item.success or no_effect):
            # NO_EFFECT_ACTION on subscribe: the server already has it, so it is active (§10.6).
            answer = ServerAnswer.OK
            data = entry.data if entry.data is not DataState.IDLE else DataState.WAITING
        elif action == SUBSCRIBE:
            answer, error, data = ServerAnswer.ERROR, item.error, DataState.ERROR
        elif item.success or no_effect:
            # NO_EFFECT_ACTION on unsubscribe: it was not active; either way it is gone now.
            answer, data = ServerAnswer.NONE, DataState.IDLE
        else:
            # A refused unsubscribe leaves the subscription active on the server.
            answer, error, data = ServerAnswer.OK, item.error, entry.data
        if pending:
            answer = ServerAnswer.PENDING
            if data is DataState.IDLE:
                data = DataState.WAITING  # a resubscribe is already in flight
        if not entry.desired and answer is ServerAnswer.NONE:
            self._entries.pop(channel.key, None)
        else:
            self._entries[channel.key] = replace(
                entry, answer=answer, error=error, data=data, pending=pending
            )
        return ChannelOutcome(action, channel, item.success, item.error, no_effect)

    def refused_by(self, error: ServerError) -> tuple[ChannelOutcome, ...]:
        """The outcomes of a request-level error that refuses one of our requests: one
        under a request's type, or one whose code only a channel can cause."""
        if error.action in (SUBSCRIBE, UNSUBSCRIBE) or error.code in CHANNEL_CODES:
            return self.refuse_request(error.action, error.code)
        return ()

    def refuse_request(self, action: str | None, error: str) -> tuple[ChannelOutcome, ...]:
        """A request-level error answered our oldest open ``action`` request (of any action
        when None) as a whole; returns nothing when no request is open."""
        for request in self._requests:
            if (action is not None and request.action != action) or all(request.answered):
                continue
            action = request.action
            outcomes = []
            for index, channel in enumerate(request.channels):
                if not request.answered[index]:
                    request.answered[index] = True
                    item = ChannelResult(channel.type, channel.market, False, error)
                    outcomes.append(self._answer(action, channel, item))
            self._requests.remove(request)
            self.version += 1
            return tuple(outcomes)
        return ()

    def apply_list(self, listing: SubscriptionList) -> Reconciliation:
        """Mark what the server lists and say what to (un)subscribe to match the desired set.

        A market channel listed without ``params`` (servers before the params echo) names
        no market: every entry of that type is left as it is (listed unknown, nothing sent).
        """
        vague = {c.type for c in listing.channels if c.market is None and c.type in MARKET_CHANNELS}
        listed = {normalize(c).key: normalize(c) for c in listing.channels if c.type not in vague}
        to_subscribe: list[Channel] = []
        to_unsubscribe: list[Channel] = []
        for key, entry in list(self._entries.items()):
            if entry.channel.type in vague:
                self._entries[key] = replace(entry, listed=None)
                continue
            present = key in listed
            self._entries[key] = replace(entry, listed=present)
            if entry.pending:
                continue  # the answer is still in flight; the list predates it
            if entry.desired and not present and entry.answer is ServerAnswer.OK:
                to_subscribe.append(entry.channel)
            elif not entry.desired and present:
                to_unsubscribe.append(entry.channel)
        extra = sum(1 for entry in self._entries.values() if not entry.desired)
        for key, channel in listed.items():
            if key not in self._entries:
                if extra >= MAX_UNDESIRED_LISTED:
                    # A server listing endless channels must not grow the registry (or the
                    # requests) without bound: the rest waits for the next listing.
                    self.listed_ignored += 1
                    continue
                extra += 1
                self._entries[key] = SubscriptionEntry(channel, desired=False, listed=True)
                to_unsubscribe.append(channel)
        self.version += 1
        return Reconciliation(tuple(to_subscribe), tuple(to_unsubscribe))

    # -- connection and data ---------------------------------------------------------

    def connection_lost(self) -> None:
        """Forget everything per-connection: answers, pending requests, listing; data is stale."""
        self._requests.clear()
        for key, entry in list(self._entries.items()):
            if not entry.desired:
                del self._entries[key]
                continue
            data = DataState.STALE if entry.data is DataState.LIVE else DataState.IDLE
            if entry.answer is ServerAnswer.ERROR:
                data = DataState.ERROR
            self._entries[key] = replace(
                entry, answer=ServerAnswer.NONE, pending=0, listed=None, data=data
            )
        self.version += 1

    def set_data(self, channel: Channel, data: DataState) -> bool:
        """Set an entry's data state; returns True when it changed."""
        key = normalize(channel).key
        entry = self._entries.get(key)
        if entry is None or entry.data is data:
            return False
        self._entries[key] = replace(entry, data=data)
        self.version += 1
        return True

    def is_active(self, channel: Channel) -> bool:
        """True when the channel is desired and the server accepted it."""
        entry = self._entries.get(normalize(channel).key)
        return entry is not None and entry.desired and entry.answer is ServerAnswer.OK

    def pending_requests(self) -> int:
        """Requests sent on this connection that still wait for (part of) their answer."""
        return len(self._requests)

    def entries(self) -> tuple[SubscriptionEntry, ...]:
        """All entries, frozen, in insertion order."""
        return tuple(self._entries.values())


def _result_key(item: ChannelResult) -> Key | None:
    """The registry key a result names, or None for a legacy result without params."""
    if item.market is not None:
        return (item.type, item.market.upper())
    if item.type not in MARKET_CHANNELS:
        return (item.type, "")  # heartbeat never has params, so it is unambiguous
    return None
