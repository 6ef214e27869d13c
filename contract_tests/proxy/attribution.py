"""Which rule a wrong answer breaks, read from what the traffic itself shows.

Pure helpers over request bodies and headers: the judge hands them what the suite knows
(the coverage matrix's valid edges, the link fields) and gets back the evidence for one rule.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from contract_tests.proxy import bodies
from contract_tests.proxy.traffic import Traffic

LIMIT, REMAINING, RESET = b"x-ratelimit-limit", b"x-ratelimit-remaining", b"x-ratelimit-reset"
SHOWN_EDGES = 8  # valid edges named in one violation
# (field, the value at a valid edge of one of its rules, the coverage matrix's cell name)
Edges = Iterable[tuple[str, Any, str]]


def folded(external_id: str) -> str:
    """Return ``external_id`` as a server that ignores case and Unicode form would store it."""
    return unicodedata.normalize("NFC", external_id).casefold()


def folded_collision(ids: list[str], accepted: set[str]) -> str | None:
    """Return an externalId equal to another (within ``ids`` or ``accepted``) only when folded."""
    fresh = [value for value in ids if value not in accepted]
    if len(set(fresh)) != len(fresh):
        return None  # repeated exactly: that is another rule
    seen = {folded(value): value for value in accepted}
    for value in fresh:
        if folded(value) in seen:
            return value
        seen[folded(value)] = value
    return None


def repeated_url(items: list[Any], accepted_urls: set[str]) -> str | None:
    """Return a url that repeats within ``items`` or one accepted before, if any does."""
    urls = [item["url"] for item in items if isinstance(item, dict) and "url" in item]
    texts = [url for url in urls if isinstance(url, str)]
    if len(set(texts)) != len(texts):
        return next(url for url in texts if texts.count(url) > 1)
    return next((url for url in texts if url in accepted_urls), None)


def at_edge(value: Any, edge: Any) -> bool:
    """Tell whether a sent value is a valid edge: the same value, or a map holding the edge's."""
    if isinstance(edge, dict) and isinstance(value, dict):
        return bool(edge) and all(value.get(key) == inner for key, inner in edge.items())
    return type(value) is type(edge) and value == edge


def edge_fields(item: Mapping[str, Any], edges: Edges) -> list[tuple[str, str]]:
    """Return the (field, cell name) of each valid edge ``item`` carries."""
    return [(name, cell) for name, edge, cell in edges if at_edge(item.get(name), edge)]


def refusal_evidence(
    items: list[Any], accepted_ids: set[str], accepted_urls: set[str], edges: Edges
) -> list[tuple[str, str]]:
    """Return the behaviours a wrongly refused request points at, and what it carried for each."""
    found = []
    why = "400 for a valid request"
    collision = folded_collision(bodies.external_ids(items), accepted_ids)
    if collision is not None:
        problem = f"{why}: externalId {collision!r} equals another only in case or Unicode form"
        found.append(("external-id.exact-equality", problem))
    url = repeated_url(items, accepted_urls)
    if url is not None and collision is None:
        found.append(("create.same-url", f"{why}: its url {url!r} was shortened before"))
    cells = sorted(
        {cell for item in items if isinstance(item, dict) for _, cell in edge_fields(item, edges)}
    )
    if cells:
        more = f" and {len(cells) - SHOWN_EDGES} more" if len(cells) > SHOWN_EDGES else ""
        shown = ", ".join(cells[:SHOWN_EDGES])
        found.append(("matrix.accepted", f"{why} at the valid edge of {shown}{more}"))
    return found


def edge_echoes(items: list[Any], problems: list[str], edges: Edges) -> list[str]:
    """Return the echo problems (of a 201's check) of fields sent at a valid edge of their rule."""
    found = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        for name, cell in edge_fields(item, edges):
            prefix = f"link {index}: {name!r} sent"
            found += [f"{cell}: {p}" for p in problems if p.startswith(prefix)]
    return found


class Count(NamedTuple):  # made per judged answer: a tuple builds faster than a frozen dataclass
    """What one answer said about its key's window."""

    number: int
    remaining: int
    limit: int
    reset: str
    alone: bool
    status: int


def count_of(traffic: Traffic, headers: Mapping[bytes, str]) -> Count | None:
    """Return the window an answer shows, when it names Remaining, Limit and Reset as integers.

    ``headers`` are the answer's first values by lower-case name (``Traffic.first_values``).
    """
    remaining, limit, reset = headers.get(REMAINING), headers.get(LIMIT), headers.get(RESET)
    if remaining is None or limit is None or reset is None:
        return None
    if not (remaining.strip().isdigit() and limit.strip().isdigit()):
        return None
    assert traffic.status is not None
    return Count(
        traffic.number, int(remaining), int(limit), reset.strip(), traffic.alone, traffic.status
    )


def miscounted(before: Count | None, after: Count) -> str | None:
    """Return how Remaining failed to fall by one between two strictly sequential answers.

    Only answers next to each other in the proxy's order, neither overlapping another exchange,
    in one window (same Reset), are compared; a first answer of a fresh window (Remaining one
    below Limit) may follow a window reset the proxy did not see.
    """
    if before is None or not (before.alone and after.alone):
        return None
    if after.number != before.number + 1 or before.reset != after.reset:
        return None
    if after.remaining in (0, after.limit - 1) or before.remaining - after.remaining == 1:
        return None
    return (
        f"Remaining went {before.remaining} -> {after.remaining} "
        f"({before.status} then {after.status}), one request apart"
    )
