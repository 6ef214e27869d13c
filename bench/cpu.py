"""CPU time of a process, as the kernel reports it in ``/proc/<pid>/stat``."""

from __future__ import annotations

import os
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def parse_stat(text: str) -> float:
    """Return user plus system CPU seconds from the text of a ``/proc/<pid>/stat`` file."""
    # The command name may hold spaces and parentheses: the fields that follow its last ')'.
    fields = text[text.rindex(")") + 2 :].split()
    user_ticks, system_ticks = int(fields[11]), int(fields[12])
    return (user_ticks + system_ticks) / CLOCK_TICKS


def cpu_seconds(pid: int) -> float:
    """Return the CPU seconds process ``pid`` has used so far, all its threads included."""
    return parse_stat(Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace"))
