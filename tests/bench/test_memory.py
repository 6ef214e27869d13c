"""Reading VmHWM and VmRSS out of /proc/<pid>/status."""

from __future__ import annotations

import os

import pytest

from bench.memory import parse_status, read_status

STATUS_TEXT = """Name:\tpython
VmPeak:\t  300000 kB
VmHWM:\t   81234 kB
VmRSS:\t   80000 kB
Threads:\t1
"""


def test_parse_status_converts_kilobytes_to_bytes() -> None:
    status = parse_status(STATUS_TEXT)
    assert status.peak_bytes == 81234 * 1024
    assert status.resident_bytes == 80000 * 1024


def test_parse_status_names_the_missing_fields() -> None:
    with pytest.raises(ValueError, match="VmHWM"):
        parse_status("VmRSS:\t 1 kB\n")


def test_read_status_of_this_process() -> None:
    status = read_status(os.getpid())
    assert status.peak_bytes >= status.resident_bytes > 0
