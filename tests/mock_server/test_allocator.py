"""The allocator keeps freed memory: repeated large batches fault no fresh pages in."""

from __future__ import annotations

import subprocess
import sys

from mock_server import allocator

# Five large blocks of different sizes held together, freed, and allocated again, ten times:
# the shape of a 10,000-link request's body, parsed links, stored bodies and answer.
BATCHES = """
import resource, sys
from mock_server.allocator import keep_freed_memory
if sys.argv[1] == "keep":
    assert keep_freed_memory()
def batch():
    held = [bytearray(size << 20) for size in (6, 3, 9, 1, 5)]
    for block in held:
        block[::4096] = b"\\x01" * len(block[::4096])
for _ in range(3):
    batch()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(10):
    batch()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def faults_of_ten_batches(mode: str) -> int:
    """Return the page faults of ten batches in a fresh interpreter, tuned or not."""
    completed = subprocess.run(
        [sys.executable, "-c", BATCHES, mode],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return int(completed.stdout)


def test_glibc_takes_every_setting() -> None:
    assert allocator.keep_freed_memory() is sys.platform.startswith("linux")


def test_freed_blocks_are_reused_without_new_page_faults() -> None:
    untuned, tuned = faults_of_ten_batches("default"), faults_of_ten_batches("keep")
    # 24 MiB a batch is about 6,000 pages: untuned glibc unmaps and faults them in each time.
    assert untuned > 10 * 6_000 * 0.9
    assert tuned < 6_000
