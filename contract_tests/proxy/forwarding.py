"""The upstream: requests forwarded unchanged but for hop-by-hop headers, answers read as bytes."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import AsyncIterator, Iterable

import httpx

from contract_tests.proxy.errors import UpstreamError
from contract_tests.proxy.settings import ProxySettings
from contract_tests.proxy.traffic import Headers

# RFC 9110 section 7.6.1, plus the legacy Proxy-Connection; Host is the upstream's own.
HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
    }
)
CHUNK = 64 * 1024


def end_to_end(
    headers: Iterable[tuple[bytes, bytes]], drop: frozenset[bytes] = frozenset()
) -> Headers:
    """Return ``headers`` in order without the hop-by-hop ones and those Connection names."""
    pairs = list(headers)
    named = {
        token.strip().lower()
        for name, value in pairs
        if name.lower() == b"connection"
        for token in value.split(b",")
    }
    removed = HOP_BY_HOP | named | drop
    return [(name, value) for name, value in pairs if name.lower() not in removed]


class Upstream:
    """One pooled HTTP client to the upstream; every failure becomes an ``UpstreamError``."""

    def __init__(self, settings: ProxySettings) -> None:
        self.settings = settings
        self.base = httpx.URL(settings.upstream_base)
        self.prefix = self.base.raw_path.rstrip(b"/")
        # The head and the streamed body go out in separate writes: without TCP_NODELAY, Nagle's
        # algorithm holds the body back until the upstream's delayed ACK (40 ms on Linux).
        transport = httpx.AsyncHTTPTransport(
            socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]
        )
        self.client = httpx.AsyncClient(
            transport=transport,
            timeout=httpx.Timeout(settings.timeout),
            trust_env=False,  # an HTTP proxy from the environment must not sit in the path
            follow_redirects=False,
        )
        # httpx adds Accept, User-Agent and friends by default: the client's own must go alone.
        for name in list(self.client.headers):
            del self.client.headers[name]

    def url(self, raw_path: bytes, query: bytes) -> httpx.URL:
        """Return the upstream URL of a request path and query, byte for byte."""
        target = self.prefix + raw_path + (b"?" + query if query else b"")
        return self.base.copy_with(raw_path=target)

    async def open(
        self,
        method: str,
        url: httpx.URL,
        headers: Headers,
        body: AsyncIterator[bytes] | None,
        deadline: float,
    ) -> httpx.Response:
        """Send the request and return the response once its head has arrived."""
        request = self.client.build_request(
            method, url, headers=end_to_end(headers, frozenset({b"host"})), content=body
        )
        async with _failures_as_upstream_errors(self.settings, deadline):
            return await self.client.send(request, stream=True)

    async def read(self, response: httpx.Response, deadline: float) -> bytes:
        """Return the whole body as sent (still encoded), by the deadline."""
        async with _failures_as_upstream_errors(self.settings, deadline):
            return b"".join([chunk async for chunk in response.aiter_raw(CHUNK)])

    async def chunks(self, response: httpx.Response, deadline: float) -> AsyncIterator[bytes]:
        """Yield the body as sent (still encoded), each chunk by the deadline."""
        iterator = response.aiter_raw(CHUNK).__aiter__()
        while True:
            async with _failures_as_upstream_errors(self.settings, deadline):
                try:
                    chunk = await iterator.__anext__()
                except StopAsyncIteration:
                    return
            yield chunk

    async def close(self) -> None:
        """Close every pooled connection."""
        await self.client.aclose()


@contextlib.asynccontextmanager
async def _failures_as_upstream_errors(
    settings: ProxySettings, deadline: float
) -> AsyncIterator[None]:
    """Bound a step by the exchange's deadline and turn what httpx raises into an UpstreamError."""
    upstream = settings.upstream_base
    try:
        async with asyncio.timeout(max(0.0, deadline - time.monotonic())):
            yield
    except (TimeoutError, httpx.TimeoutException):
        raise UpstreamError(
            504,
            "upstream-timeout",
            f"{upstream} gave no whole answer within {settings.timeout:g} s",
        ) from None
    except httpx.ConnectError as error:
        raise UpstreamError(
            502, "upstream-unreachable", f"cannot connect to {upstream}: {_reason(error)}"
        ) from None
    except httpx.TransportError as error:
        # A reset, an early close and a head no HTTP parser reads all end here, named by httpx.
        raise UpstreamError(
            502, "upstream-broken", f"no valid HTTP answer from {upstream}: {_reason(error)}"
        ) from None


def _reason(error: Exception) -> str:
    text = " ".join(str(error).split())
    return (text or type(error).__name__)[:200]
