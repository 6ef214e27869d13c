"""``hoko-contract`` as users run it: exit codes, one-line errors, the report and JUnit XML."""

from __future__ import annotations

from pathlib import Path

import pytest
from contract_commands import (
    assert_one_line_error,
    hoko_contract,
    parse_report,
    target,
)
from contract_reference import COLLECTION, FULL_KEY, NO_SCOPE_KEY, ServerOptions, build_app
from contract_running import SEED
from contract_serving import free_port, serving


@pytest.mark.parametrize(
    "arguments",
    [
        [],
        ["--base-url", "http://127.0.0.1:1", "--api-key", "k", "--no-scope-key", "n"],
        [
            "--base-url",
            "ftp://x",
            "--api-key",
            "k",
            "--no-scope-key",
            "n",
            "--collection-id",
            COLLECTION,
        ],
        [
            "--base-url",
            "http://x",
            "--api-key",
            "k",
            "--no-scope-key",
            "n",
            "--collection-id",
            "nope",
        ],
        [*target("http://127.0.0.1:1"), "--max-batch", "10001"],
        [*target("http://127.0.0.1:1"), "--seed", "not-a-number"],
        [*target("http://127.0.0.1:1"), "--timeout", "0"],
        [*target("http://127.0.0.1:1"), "--plan-features", "geoTargeting,teleportation"],
    ],
    ids=[
        "nothing",
        "no-collection",
        "bad-url",
        "bad-uuid",
        "max-batch-over",
        "bad-seed",
        "zero-timeout",
        "unknown-plan-feature",
    ],
)
def test_bad_arguments_exit_2_in_one_line(arguments: list[str]) -> None:
    """Usage errors exit 2 with one line."""
    assert_one_line_error(hoko_contract(*arguments))


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """HOKO_* env vars stand in for the flags; the missing one is named."""
    from contract_tests import cli

    monkeypatch.setenv("HOKO_BASE_URL", "http://127.0.0.1:1")
    monkeypatch.setenv("HOKO_API_KEY", FULL_KEY)
    monkeypatch.setenv("HOKO_NO_SCOPE_KEY", NO_SCOPE_KEY)
    monkeypatch.delenv("HOKO_COLLECTION_ID", raising=False)
    with pytest.raises(Exception, match="HOKO_COLLECTION_ID"):
        cli.settings_from(cli.build_parser().parse_args([]))
    monkeypatch.setenv("HOKO_COLLECTION_ID", COLLECTION)
    settings = cli.settings_from(cli.build_parser().parse_args([]))
    assert (settings.base_url, settings.collection_id) == ("http://127.0.0.1:1", COLLECTION)


def test_unreachable_server_exits_2_in_one_line() -> None:
    """Nothing listening: exit 2, one line naming the server."""
    url = f"http://127.0.0.1:{free_port()}"
    result = hoko_contract(*target(url))
    assert_one_line_error(result)
    assert url in result.stderr
    assert "refused" in result.stderr


@pytest.mark.slow
def test_conforming_server_exits_0_with_a_line_per_behaviour(tmp_path: Path) -> None:
    """Against the reference: exit 0, the seed printed, a PASS line per behaviour, clean JUnit."""
    junit = tmp_path / "reports" / "contract.xml"
    with serving(build_app(ServerOptions())) as served:
        result = hoko_contract(*target(served.url), "--junit-xml", str(junit))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert f"seed {SEED}" in result.stdout
    assert result.stdout.count("\nPASS ") >= 30
    assert "hoko-contract [" in result.stderr  # progress
    suite = parse_report(junit).getroot().find("testsuite")
    assert suite is not None
    assert suite.get("failures") == "0"
    assert int(suite.get("tests", "0")) >= 30
    assert "documented statuses: 201 seen" in result.stdout
    # Every cell ran but the one the spec marks free (an offset-less date-time, decision 15).
    assert "accepted-ok, 0 failed, 1 not run" in result.stdout
    cells = [c for c in suite.iter("testcase") if c.get("classname") == "hoko-contract.coverage"]
    assert len(cells) > 100
    assert all(c.find("failure") is None for c in cells)


@pytest.mark.slow
@pytest.mark.finds_bug
def test_violations_exit_1_with_what_failed_and_a_curl_line(tmp_path: Path) -> None:
    """Against a broken server: exit 1, the failure explained with a curl line, in JUnit too."""
    junit = tmp_path / "contract.xml"
    with serving(build_app(ServerOptions(fault="any-scheme"))) as served:
        result = hoko_contract(*target(served.url), "--junit-xml", str(junit), "--quiet")
    assert result.returncode == 1
    assert "FAIL auth.non-bearer" in result.stdout
    for label in ("what failed:", "sent:", "received:", "documented:", "reproduce:   curl -X POST"):
        assert label in result.stdout, label
    sent_lines = [line for line in result.stdout.splitlines() if line.strip().startswith("sent:")]
    assert sent_lines
    assert all(FULL_KEY not in line and "****" in line for line in sent_lines)
    failures = [
        case.get("name")
        for case in parse_report(junit).iter("testcase")
        if case.find("failure") is not None
    ]
    assert failures == ["auth.non-bearer"]
