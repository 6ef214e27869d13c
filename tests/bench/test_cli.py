"""The command line: --quick defaults, explicit options winning, bad values refused."""

from __future__ import annotations

import pytest

from bench.cli import parse_options, server_stack


def test_quick_sets_short_defaults() -> None:
    options = parse_options(["--quick"])
    assert (options.rounds, options.duration, options.stored_links) == (3, 1.0, 0)
    assert options.targets == ("mock", "ceiling")
    assert options.contract is False


def test_explicit_options_win_over_quick() -> None:
    options = parse_options(["--quick", "--rounds", "4", "--targets", "ceiling,prism"])
    assert options.rounds == 4
    assert options.targets == ("ceiling", "prism")


def test_full_run_defaults() -> None:
    options = parse_options([])
    assert options.rounds == 5
    assert "prism" in options.targets
    assert options.stored_links == 1_000_000


@pytest.mark.parametrize(
    "argv",
    [["--rounds", "2"], ["--rounds", "3", "--batch-posts", "1"], ["--targets", "nginx"]],
)
def test_bad_options_are_refused(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        parse_options(argv)
    assert raised.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_the_report_names_the_server_stack() -> None:
    stack = server_stack()
    assert stack.startswith("uvicorn ")
    assert " on httptools + " in stack or " on h11 + " in stack
