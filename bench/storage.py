"""Memory per stored link: a fresh mock fed large batches of fresh links, read from /proc."""

from __future__ import annotations

import dataclasses
import sys
import time

from bench.batch import post_created
from bench.memory import MemoryStatus
from bench.payloads import batch_body, one_link_body
from bench.servers import RunningServer


@dataclasses.dataclass(frozen=True)
class StorageFigures:
    """The mock's memory before and after storing ``links`` links, and how long that took."""

    links: int
    before: MemoryStatus
    after: MemoryStatus
    seconds: float

    @property
    def peak_bytes_per_link(self) -> float:
        """Return the growth of the peak RSS (VmHWM) over the warm baseline, per stored link."""
        return (self.after.peak_bytes - self.before.resident_bytes) / self.links

    @property
    def resident_bytes_per_link(self) -> float:
        """Return the growth of the current RSS (VmRSS) over the warm baseline, per stored link."""
        return (self.after.resident_bytes - self.before.resident_bytes) / self.links


def store_links(server: RunningServer, links: int, batch_size: int) -> StorageFigures:
    """POST ``links`` fresh links to a fresh mock in batches and measure its memory growth."""
    # One small request first, so that lazily imported code does not count as stored links.
    post_created(server.name, server.base_url, one_link_body(), echoed_links=1)
    before = server.memory()
    started = time.perf_counter()
    stored = 0
    while stored < links:
        size = min(batch_size, links - stored)
        post_created(server.name, server.base_url, batch_body(size), echoed_links=size)
        stored += size
        if stored % (20 * batch_size) == 0:
            print(f"  stored {stored:,} of {links:,} links", file=sys.stderr, flush=True)
    return StorageFigures(links, before, server.memory(), time.perf_counter() - started)
