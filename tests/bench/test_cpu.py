"""Reading a process's CPU seconds out of /proc/<pid>/stat."""

from __future__ import annotations

import os

from bench.cpu import CLOCK_TICKS, cpu_seconds, parse_stat


def test_parse_stat_reads_user_and_system_ticks_after_the_name() -> None:
    # A command name with a space and a parenthesis must not shift the fields.
    text = "42 (odd) name) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 1 0 9 9 9"
    assert parse_stat(text) == 300 / CLOCK_TICKS


def test_cpu_seconds_grow_while_this_process_works() -> None:
    before = cpu_seconds(os.getpid())
    total = 0
    for number in range(3_000_000):
        total += number % 7
    assert total > 0
    assert cpu_seconds(os.getpid()) > before
