"""The bounded probe that reaches the rate limit with cheap requests and checks the 429."""

from __future__ import annotations

from contract_tests.behaviours import Finding, checks, declare
from contract_tests.context import RunContext
from contract_tests.transport import Exchange, Sent

# Rate limiting comes before the body (decision 1): an empty array is the cheapest counted request.
CHEAP_BODY = b"[]"


declare(
    "rate-limit.headers",
    "X-RateLimit-* headers, where sent, are non-negative integers",
    "Status Codes > 429; decision 7",
)

declare(
    "strict.rate-headers-everywhere",
    "X-RateLimit-* on every authenticated response, Retry-After on 429",
    "decision 7 (free)",
    strict_only=True,
)


@checks(
    "rate-limit.429",
    "429 with retryAfter and X-RateLimit-* headers when the limit is reached",
    "Status Codes > 429; decision 7",
)
def check_rate_limit(ctx: RunContext) -> None:
    """Send cheap requests until a 429 (validated) or the probe's bound; any other status fails."""
    with ctx.checking("rate-limit.429"):
        headers = {**ctx.bearer(), "Content-Type": "application/json"}
        probe = Sent(ctx.settings.links_url, headers, CHEAP_BODY)
        for sent in range(1, ctx.settings.rate_probe + 1):
            exchange = Exchange(probe, ctx.transport.send_once(probe))
            if exchange.received.status == 429:
                ctx.transport.on_rate_limited(exchange)
                ctx.verdict.note("rate-limit.429", f"reached after {sent} probe requests")
                check_order_when_limited(ctx)
                return
            if exchange.received.status != 400:
                problem = (
                    f"status {exchange.received.status} while probing the rate limit with '[]'"
                )
                documented = "400 for an empty array, or 429 once the limit is reached (decision 1)"
                ctx.verdict.failed(
                    "rate-limit.429", Finding(problem, documented, exchange, probe.curl())
                )
                return
        ctx.verdict.note(
            "rate-limit.429", f"no 429 within {ctx.settings.rate_probe} probe requests"
        )


declare(
    "order.checks",
    "401 comes before 429, and 429 before the body's 400 (decision 1)",
    "decision 1",
)


def check_order_when_limited(ctx: RunContext) -> None:
    """While the key is limited, a request without Authorization still gets 401 (decision 1)."""
    with ctx.checking("order.checks"):
        sent = Sent(ctx.settings.links_url, {"Content-Type": "application/json"}, CHEAP_BODY)
        exchange = Exchange(sent, ctx.transport.send_once(sent))
        ctx.expect_error("order.checks", exchange, 401, "401 before 429 (decision 1)")
        ctx.verdict.passed("order.checks")  # the probe's '[]' got 400 until the 429 came


CHECKS = (check_rate_limit,)
