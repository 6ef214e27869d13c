"""Resident memory of a process, as the kernel reports it in ``/proc/<pid>/status``."""

from __future__ import annotations

import dataclasses
from pathlib import Path


@dataclasses.dataclass(frozen=True)
class MemoryStatus:
    """Peak (VmHWM) and current (VmRSS) resident set size of one process, in bytes."""

    peak_bytes: int
    resident_bytes: int


def parse_status(text: str) -> MemoryStatus:
    """Read VmHWM and VmRSS out of the text of a ``/proc/<pid>/status`` file."""
    fields: dict[str, int] = {}
    for line in text.splitlines():
        name, _, value = line.partition(":")
        if name in ("VmHWM", "VmRSS"):
            number, unit = value.split()
            if unit != "kB":
                raise ValueError(f"{name} is in {unit!r}, expected 'kB': {line!r}")
            fields[name] = int(number) * 1024
    missing = {"VmHWM", "VmRSS"} - fields.keys()
    if missing:
        raise ValueError(f"no {', '.join(sorted(missing))} in the status text")
    return MemoryStatus(peak_bytes=fields["VmHWM"], resident_bytes=fields["VmRSS"])


def read_status(pid: int) -> MemoryStatus:
    """Return the memory figures of process ``pid``."""
    return parse_status(Path(f"/proc/{pid}/status").read_text(encoding="ascii"))
