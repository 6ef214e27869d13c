"""The C allocator, told to keep freed memory for the next large request instead of unmapping it."""

from __future__ import annotations

import ctypes
import sys
from typing import Final

# glibc's mallopt(3) parameters.
M_TRIM_THRESHOLD: Final = -1
M_TOP_PAD: Final = -2
M_MMAP_THRESHOLD: Final = -3
# A 10,000-link batch allocates and frees tens of MB. By default glibc maps each large block
# afresh and unmaps it when freed, so every batch pays page faults again for the same memory.
MAPPED_FROM_BYTES: Final = 32 * 1024 * 1024  # glibc's upper bound for this setting
KEPT_FREE_BYTES: Final = 128 * 1024 * 1024
GROWTH_PAD_BYTES: Final = 16 * 1024 * 1024


def keep_freed_memory() -> bool:
    """Tune glibc's malloc to reuse freed memory; return False where there is no glibc to tune."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    settings = (
        (M_MMAP_THRESHOLD, MAPPED_FROM_BYTES),
        (M_TRIM_THRESHOLD, KEPT_FREE_BYTES),
        (M_TOP_PAD, GROWTH_PAD_BYTES),
    )
    # musl and other C libraries have no such settings: their mallopt accepts none (returns 0).
    return all(mallopt(parameter, value) == 1 for parameter, value in settings)
