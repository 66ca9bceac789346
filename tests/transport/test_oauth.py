"""TokenProvider against a real HTTP token endpoint on loopback."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime
import email.utils
import ipaddress
import logging
import random
import ssl
import time
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
from pydantic import SecretStr

from sor_tui.sim.config import SimConfig
from sor_tui.sim.server import Simulator
from sor_tui.transport.oauth import (
    ASSUMED_LIFETIME,
    MAX_LIFETIME,
    MIN_LIFETIME,
    AccessToken,
    TokenError,
    TokenProvider,
    parse_retry_after,
)
from tests.transport.oauth_server import SOR_SCOPE, OAuthServer, Reply, token_reply

pytestmark = pytest.mark.timeout(20)

SECRET = "s3cr3t/+= &x%y"
CLIENT_ID = "client-42"


class FakeTime:
    """A monotonic clock that only moves when told to, and a sleep that moves it."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


@pytest.fixture
async def server() -> AsyncIterator[OAuthServer]:
    srv = await OAuthServer().start()
    yield srv
    await srv.stop()


@pytest.fixture
def fake() -> FakeTime:
    return FakeTime()


@pytest.fixture
async def provider(server: OAuthServer, fake: FakeTime) -> AsyncIterator[TokenProvider]:
    tp = TokenProvider(
        server.url,
        CLIENT_ID,
        SecretStr(SECRET),
        SOR_SCOPE,
        clock=fake.clock,
        sleep=fake.sleep,
        rng=random.Random(7),
    )
    yield tp
    await tp.aclose()


async def test_posts_the_form_of_section_2_1(server: OAuthServer, provider: TokenProvider) -> None:
    await provider.get_token()
    (request,) = server.requests
    assert request.method == "POST"
    assert request.path == "/oauth2/token"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert "authorization" not in request.headers
    assert request.form == {
        "grant_type": "client_credentials",
        "client_id": CLIENT_ID,
        "client_secret": SECRET,
        "scope": SOR_SCOPE,
    }


async def test_token_is_cached(server: OAuthServer, provider: TokenProvider) -> None:
    first = await provider.get_token()
    second = await provider.get_token()
    assert first is second
    assert first.value.get_secret_value() == "token-1"
    assert provider.token_requests == 1
    assert len(server.requests) == 1
    assert provider.expires_in() == pytest.approx(3600)


async def test_fifty_concurrent_callers_make_one_request(
    server: OAuthServer, provider: TokenProvider
) -> None:
    server.script(Reply(**{**vars(token_reply("shared")), "delay": 0.05}))
    tokens = await asyncio.gather(*(provider.get_token() for _ in range(50)))
    assert {token.value.get_secret_value() for token in tokens} == {"shared"}
    assert provider.token_requests == 1
    assert len(server.requests) == 1


async def test_concurrent_callers_share_one_failure(
    server: OAuthServer, provider: TokenProvider
) -> None:
    server.script(Reply(401, {"error": "invalid_client"}, delay=0.05))
    results = await asyncio.gather(
        *(provider.get_token() for _ in range(10)), return_exceptions=True
    )
    assert all(isinstance(result, TokenError) for result in results)
    assert len(server.requests) == 1


async def test_a_cancelled_caller_does_not_cancel_the_fetch(
    server: OAuthServer, provider: TokenProvider
) -> None:
    server.script(Reply(**{**vars(token_reply("slow")), "delay": 0.1}))
    impatient = asyncio.create_task(provider.get_token())
    patient = asyncio.create_task(provider.get_token())
    await asyncio.sleep(0.02)
    impatient.cancel()
    token = await patient
    assert token.value.get_secret_value() == "slow"
    assert len(server.requests) == 1


async def test_refreshes_ahead_of_expiry(
    server: OAuthServer, provider: TokenProvider, fake: FakeTime
) -> None:
    first = await provider.get_token()
    fake.now += 3600 - 301  # 301 s left: still outside the 300 s margin
    assert await provider.get_token() is first
    fake.now += 2  # 299 s left: refresh now, before it expires
    second = await provider.get_token()
    assert second is not first
    assert second.value.get_secret_value() == "token-2"
    assert provider.token_requests == 2
    assert second.remaining() == pytest.approx(3600)


async def test_min_ttl_asks_for_more_lifetime(
    server: OAuthServer, provider: TokenProvider, fake: FakeTime
) -> None:
    first = await provider.get_token()
    fake.now += 1000  # 2600 s left
    assert await provider.get_token(min_ttl=2000) is first
    # More than half the lifetime is never demanded, or every call would fetch.
    assert await provider.get_token(min_ttl=10_000) is first
    fake.now += 900  # 1700 s left
    assert await provider.get_token() is first
    assert await provider.get_token(min_ttl=2000) is not first
    assert provider.token_requests == 2


async def test_short_lived_tokens_are_not_refetched_on_every_call(
    server: OAuthServer, provider: TokenProvider, fake: FakeTime
) -> None:
    server.script(token_reply("short", expires_in=60))
    token = await provider.get_token()  # margin 300 s > lifetime: refresh at half-life
    fake.now += 20
    assert await provider.get_token() is token
    fake.now += 11
    assert await provider.get_token() is not token


async def test_server_errors_are_retried_with_backoff(
    server: OAuthServer, provider: TokenProvider, fake: FakeTime
) -> None:
    server.script(Reply(503), Reply(500), Reply(502))
    token = await provider.get_token()
    assert token.value.get_secret_value() == "token-1"
    assert provider.token_requests == 4
    assert len(fake.sleeps) == 3
    # Equal jitter around 0.5, 1, 2 s: each delay within [ceiling/2, ceiling].
    for delay, ceiling in zip(fake.sleeps, (0.5, 1.0, 2.0), strict=True):
        assert ceiling / 2 <= delay <= ceiling


async def test_retry_after_seconds_is_honoured_on_429(
    server: OAuthServer, provider: TokenProvider, fake: FakeTime
) -> None:
    server.script(Reply(429, headers={"Retry-After": "7"}))
    token = await provider.get_token()
    assert token.value.get_secret_value() == "token-1"
    assert fake.sleeps == [7.0]
    assert provider.retry_at is None  # the penalty has passed


async def test_retry_after_http_date_is_honoured_on_503(
    server: OAuthServer, provider: TokenProvider, fake: FakeTime
) -> None:
    when = email.utils.formatdate(time.time() + 12, usegmt=True)
    server.script(Reply(503, headers={"Retry-After": when}))
    await provider.get_token()
    (delay,) = fake.sleeps
    assert 9 <= delay <= 12


async def test_429_without_retry_after_sets_the_five_minute_penalty(
    server: OAuthServer, provider: TokenProvider, fake: FakeTime
) -> None:
    server.script(Reply(429))
    with pytest.raises(TokenError) as caught:
        await provider.get_token()
    assert caught.value.kind == "rate_limited"
    assert not caught.value.final
    assert caught.value.retry_at == pytest.approx(fake.now + 300)
    assert provider.retry_at == caught.value.retry_at
    assert fake.sleeps == []  # no waiting out 5 minutes inside a 30 s deadline
    # During the penalty no request reaches the endpoint.
    fake.now += 299
    with pytest.raises(TokenError, match="rate limit"):
        await provider.get_token()
    assert len(server.requests) == 1
    fake.now += 2
    await provider.get_token()
    assert len(server.requests) == 2


async def test_a_valid_token_is_still_served_during_a_penalty(
    server: OAuthServer, provider: TokenProvider, fake: FakeTime
) -> None:
    token = await provider.get_token()
    fake.now += 3500  # within the refresh margin
    server.script(Reply(429))
    with pytest.raises(TokenError):
        await provider.get_token()
    assert await provider.get_token() is token  # 100 s left, better than nothing
    assert len(server.requests) == 2


async def test_server_asking_to_wait_past_the_deadline_gives_up_at_once(
    server: OAuthServer, provider: TokenProvider, fake: FakeTime
) -> None:
    server.script(Reply(503, headers={"Retry-After": "120"}))
    with pytest.raises(TokenError) as caught:
        await provider.get_token()
    assert caught.value.kind == "unavailable"
    assert caught.value.retry_at == pytest.approx(fake.now + 120)
    assert fake.sleeps == []


async def test_persistent_server_errors_hit_the_deadline(
    server: OAuthServer, provider: TokenProvider, fake: FakeTime
) -> None:
    server.script(*(Reply(500) for _ in range(100)))
    with pytest.raises(TokenError) as caught:
        await provider.get_token()
    assert caught.value.kind == "deadline"
    assert "HTTP 500" in caught.value.message
    assert sum(fake.sleeps) <= 30
    assert 3 <= provider.token_requests < 20


async def test_network_errors_are_retried_until_the_deadline(fake: FakeTime) -> None:
    free = OAuthServer()
    await free.start()
    url = free.url
    await free.stop()  # nothing listens there any more: connection refused
    async with TokenProvider(
        url, CLIENT_ID, SecretStr(SECRET), clock=fake.clock, sleep=fake.sleep, deadline=5
    ) as tp:
        with pytest.raises(TokenError) as caught:
            await tp.get_token()
    assert caught.value.kind == "deadline"
    assert "network error" in caught.value.message
    assert tp.token_requests >= 3


async def test_drip_feeding_endpoint_hits_the_deadline(server: OAuthServer) -> None:
    reply = token_reply("never")
    server.script(Reply(json_body=reply.json_body, drip=0.05))
    async with TokenProvider(server.url, CLIENT_ID, SecretStr(SECRET), deadline=0.4) as tp:
        started = time.monotonic()
        with pytest.raises(TokenError) as caught:
            await tp.get_token()
        elapsed = time.monotonic() - started
    assert caught.value.kind == "deadline"
    assert elapsed < 5  # bounded by the deadline, not by the body's ~6 s drip


async def test_redirect_is_an_error_and_never_followed(
    server: OAuthServer, provider: TokenProvider
) -> None:
    server.script(Reply(302, headers={"Location": f"http://127.0.0.1:{server.port}/elsewhere"}))
    with pytest.raises(TokenError) as caught:
        await provider.get_token()
    assert caught.value.kind == "protocol"
    assert caught.value.final
    assert [request.path for request in server.requests] == ["/oauth2/token"]


@pytest.mark.parametrize(
    ("reply", "kind"),
    [
        (Reply(401, {"error": "invalid_client", "error_description": "bad"}), "invalid_client"),
        (Reply(400, {"error": "invalid_client"}), "invalid_client"),
        (Reply(401, body=b""), "invalid_client"),
        (Reply(400, {"error": "invalid_scope"}), "invalid_scope"),
        (Reply(400, {"error": "invalid_request"}), "invalid_request"),
        (Reply(400, {"error": "unsupported_grant_type"}), "invalid_request"),
        (Reply(200, body=b"<html>login</html>"), "protocol"),
        (Reply(200, {"token_type": "bearer"}), "protocol"),
        (Reply(200, {"access_token": "t", "token_type": "mac"}), "protocol"),
    ],
)
async def test_final_errors_are_not_retried(
    server: OAuthServer, provider: TokenProvider, fake: FakeTime, reply: Reply, kind: str
) -> None:
    server.script(reply)
    with pytest.raises(TokenError) as caught:
        await provider.get_token()
    assert caught.value.kind == kind
    assert caught.value.final
    assert provider.token_requests == 1
    assert fake.sleeps == []
    assert SECRET not in caught.value.message
    assert provider.last_error is caught.value


async def test_server_text_in_errors_is_sanitized(
    server: OAuthServer, provider: TokenProvider
) -> None:
    evil = "nope\x1b]0;pwned\x07\x1b[31m red"
    server.script(Reply(401, {"error": "invalid_client", "error_description": evil}))
    with pytest.raises(TokenError) as caught:
        await provider.get_token()
    assert "\x1b" not in caught.value.message
    assert "\x07" not in caught.value.message


async def test_token_without_the_sor_scope_is_refused(
    server: OAuthServer, provider: TokenProvider
) -> None:
    server.script(token_reply("weak", scope="exchange:read_order"))
    with pytest.raises(TokenError) as caught:
        await provider.get_token()
    assert caught.value.kind == "missing_scope"
    assert caught.value.final
    assert provider.cached is None


async def test_omitted_scope_means_the_requested_one(
    server: OAuthServer, provider: TokenProvider
) -> None:
    server.script(token_reply("ok", scope=None))
    token = await provider.get_token()
    assert SOR_SCOPE in token.scopes


@pytest.mark.parametrize(
    ("expires_in", "lifetime"),
    [
        (3599, 3599),
        ("3600", 3600),
        (10**12, MAX_LIFETIME),
        (0, MIN_LIFETIME),
        (-50, MIN_LIFETIME),
        (None, ASSUMED_LIFETIME),
        ("soon", ASSUMED_LIFETIME),
        (True, ASSUMED_LIFETIME),
        ([3600], ASSUMED_LIFETIME),
    ],
)
async def test_expires_in_is_clamped_and_defaulted(
    server: OAuthServer,
    provider: TokenProvider,
    fake: FakeTime,
    expires_in: object,
    lifetime: float,
) -> None:
    server.script(token_reply("t", expires_in=expires_in))
    token = await provider.get_token()
    assert token.lifetime == lifetime
    assert token.expires_at == fake.now + lifetime


async def test_invalidate_after_a_401_fetches_a_new_token(
    server: OAuthServer, provider: TokenProvider
) -> None:
    first = await provider.get_token()
    provider.invalidate(first)
    assert provider.expires_in() is None
    second = await provider.get_token()
    assert second is not first
    provider.invalidate(first)  # a stale 401 must not drop the newer token
    assert await provider.get_token() is second
    assert provider.token_requests == 2


async def test_secrets_stay_out_of_repr_and_str(provider: TokenProvider) -> None:
    token = await provider.get_token()
    for text in (repr(token), str(token), repr(provider)):
        assert "token-1" not in text
        assert SECRET not in text
    assert token.authorization() == "Bearer token-1"


async def test_nothing_secret_is_logged(
    server: OAuthServer, fake: FakeTime, caplog: pytest.LogCaptureFixture
) -> None:
    names = ["", "httpx", "httpcore", "sor_tui.transport.oauth", *logging.root.manager.loggerDict]
    for name in dict.fromkeys(names):
        caplog.set_level(logging.DEBUG, logger=name)
    server.script(
        Reply(503),
        token_reply("tok/+=~secret%token", expires_in=0),
        Reply(401, {"error": "invalid_client"}),
    )
    async with TokenProvider(
        server.url, CLIENT_ID, SecretStr(SECRET), clock=fake.clock, sleep=fake.sleep
    ) as tp:
        token = await tp.get_token()
        tp.invalidate(token)
        with pytest.raises(TokenError):
            await tp.get_token()
    text = caplog.text + "".join(repr(record.__dict__) for record in caplog.records)
    assert any(record.name.startswith("httpx") for record in caplog.records)
    basic = base64.b64encode(f"{CLIENT_ID}:{SECRET}".encode()).decode()
    for value in (SECRET, "tok/+=~secret%token"):
        for form in (value, quote(value, safe=""), quote_plus(value), quote(value)):
            assert form not in text
    assert basic not in text


def test_parse_retry_after() -> None:
    assert parse_retry_after(None) is None
    assert parse_retry_after("5") == 5
    assert parse_retry_after("-3") == 0
    assert parse_retry_after("1e9") == 3600
    assert parse_retry_after("nan") is None
    assert parse_retry_after("later") is None
    now = 1_700_000_000.0
    assert parse_retry_after(email.utils.formatdate(now + 30, usegmt=True), now) == 30


def test_access_token_remaining_uses_its_clock() -> None:
    token = AccessToken(
        SecretStr("x"), expires_at=110.0, scope=SOR_SCOPE, lifetime=10, clock=lambda: 100.0
    )
    assert token.remaining() == 10
    assert token.remaining(now=105.0) == 5


class TestAgainstTheSimulator:
    """End to end against the simulator's own token endpoint (written independently)."""

    @pytest.fixture
    async def sim(self) -> AsyncIterator[Simulator]:
        async with Simulator(SimConfig(token_ttl=1200)) as simulator:
            yield simulator

    async def test_token_is_granted_and_cached(self, sim: Simulator) -> None:
        async with TokenProvider(sim.oauth_url, sim.client_id, SecretStr(sim.client_secret)) as tp:
            token = await tp.get_token()
            assert SOR_SCOPE in token.scopes
            assert token.lifetime == 1200
            assert await tp.get_token() is token
            assert tp.token_requests == 1

    async def test_wrong_secret_is_invalid_client(self, sim: Simulator) -> None:
        async with TokenProvider(sim.oauth_url, sim.client_id, SecretStr("wrong")) as tp:
            with pytest.raises(TokenError) as caught:
                await tp.get_token()
        assert caught.value.kind == "invalid_client"
        assert caught.value.final

    async def test_client_without_the_sor_scope_is_refused(self, sim: Simulator) -> None:
        sim.add_client("weak", "weak-secret", scopes=("exchange:read_order",))
        async with TokenProvider(sim.oauth_url, "weak", SecretStr("weak-secret")) as tp:
            with pytest.raises(TokenError) as caught:
                await tp.get_token()
        assert caught.value.kind in ("invalid_scope", "missing_scope")
        assert caught.value.final

    async def test_server_errors_then_success(self, sim: Simulator, fake: FakeTime) -> None:
        sim.set_scenario("oauth_5xx", status=503, times=2)
        async with TokenProvider(
            sim.oauth_url, sim.client_id, SecretStr(sim.client_secret), sleep=fake.sleep
        ) as tp:
            await tp.get_token()
            assert tp.token_requests == 3

    async def test_rate_limit_penalty_is_visible(self, sim: Simulator) -> None:
        sim.set_scenario("oauth_429", retry_after="300")
        async with TokenProvider(sim.oauth_url, sim.client_id, SecretStr(sim.client_secret)) as tp:
            with pytest.raises(TokenError) as caught:
                await tp.get_token()
            assert caught.value.kind == "rate_limited"
            assert tp.retry_at is not None
            assert tp.retry_at - time.monotonic() > 290
            with pytest.raises(TokenError):
                await tp.get_token()
            assert tp.token_requests == 1

    async def test_redirect_is_not_followed(self, sim: Simulator) -> None:
        sim.set_scenario("oauth_redirect")
        async with TokenProvider(sim.oauth_url, sim.client_id, SecretStr(sim.client_secret)) as tp:
            with pytest.raises(TokenError) as caught:
                await tp.get_token()
        assert caught.value.kind == "protocol"


@pytest.mark.parametrize(
    ("reply", "kind"),
    [
        (Reply(404, body=b"not found"), "protocol"),
        (Reply(405), "protocol"),
        (token_reply("has space"), "protocol"),
        (token_reply("line\r\nX-Injected: 1"), "protocol"),
    ],
)
async def test_wrong_endpoint_or_unusable_token_is_final(
    server: OAuthServer, provider: TokenProvider, reply: Reply, kind: str
) -> None:
    server.script(reply)
    with pytest.raises(TokenError) as caught:
        await provider.get_token()
    assert (caught.value.kind, caught.value.final) == (kind, True)
    assert provider.token_requests == 1


async def test_retry_after_zero_still_backs_off(
    server: OAuthServer, provider: TokenProvider, fake: FakeTime
) -> None:
    server.script(
        Reply(503, headers={"Retry-After": "0"}), Reply(503, headers={"Retry-After": "0"})
    )
    await provider.get_token()
    assert len(fake.sleeps) == 2
    assert all(delay >= 0.25 for delay in fake.sleeps)


async def test_unsupported_url_is_final_without_retries(fake: FakeTime) -> None:
    async with TokenProvider(
        "ftp://127.0.0.1/token", CLIENT_ID, SecretStr(SECRET), clock=fake.clock, sleep=fake.sleep
    ) as tp:
        with pytest.raises(TokenError) as caught:
            await tp.get_token()
    assert (caught.value.kind, caught.value.final) == ("protocol", True)
    assert fake.sleeps == []


async def test_tls_certificates_are_verified(tmp_path: Path) -> None:
    context = self_signed_server_context(tmp_path)
    requests: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(Exception):
            requests.append(await reader.read(1024))
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=context)
    port = server.sockets[0].getsockname()[1]
    try:
        async with TokenProvider(
            f"https://127.0.0.1:{port}/oauth2/token", CLIENT_ID, SecretStr(SECRET), deadline=5
        ) as tp:
            with pytest.raises(TokenError) as caught:
                await tp.get_token()
    finally:
        server.close()
    assert caught.value.kind == "unavailable"
    assert caught.value.final
    assert "certificate" in caught.value.message
    assert not any(SECRET.encode() in data for data in requests)


def self_signed_server_context(directory: Path) -> ssl.SSLContext:
    """A TLS server context with a fresh self-signed certificate for 127.0.0.1."""
    x509 = pytest.importorskip("cryptography.x509")
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    return context
