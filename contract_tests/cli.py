"""``hoko-contract``: tell whether a server honours the Hoko ``POST /api/links`` contract."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from contract_tests import report, runner
from contract_tests.errors import ContractError, UsageError
from contract_tests.rules import all_features
from contract_tests.settings import ENV_VARS, RunSettings, parse_features

EXIT_CONFORMS, EXIT_VIOLATIONS, EXIT_CANNOT_RUN = 0, 1, 2


class ArgumentParser(argparse.ArgumentParser):
    """An argument parser whose errors are one line and exit 2."""

    def error(self, message: str) -> NoReturn:
        """Print one line and exit 2."""
        self.exit(EXIT_CANNOT_RUN, f"hoko-contract: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """Return the parser of the fixed command line, plus the run's bounds."""
    parser = ArgumentParser(
        prog="hoko-contract",
        description="Check a server against the Hoko POST /api/links contract. "
        "Exit 0: conforms; 1: violations found; "
        "2: bad arguments, server unreachable or run stopped.",
        epilog="hoko-contract proxy --help: judge live traffic to a server instead.",
    )
    for name, env in ENV_VARS.items():
        flag = "--" + name.replace("_", "-")
        parser.add_argument(flag, default=os.environ.get(env), help=f"(env {env})")
    parser.add_argument(
        "--junit-xml", metavar="PATH", help="write one JUnit test case per behaviour"
    )
    parser.add_argument(
        "--seed", type=int, help="same seed, same requests (default: random, printed)"
    )
    parser.add_argument(
        "--max-examples", type=int, default=20, help="generated cases per phase (20)"
    )
    parser.add_argument(
        "--max-batch", type=int, default=10_000, help="links the key may send per request"
    )
    parser.add_argument(
        "--plan-features",
        metavar="LIST",
        help="comma-separated features of the key's plan, '' for none "
        f"(default: all of {','.join(sorted(all_features()))})",
    )
    parser.add_argument(
        "--strict", action="store_true", help="also fail on points the spec marks free"
    )
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per request (30)")
    parser.add_argument(
        "--max-time", type=float, default=900.0, help="ceiling for the whole run (900 s)"
    )
    parser.add_argument("--max-requests", type=int, default=6000, help="request budget (6000)")
    parser.add_argument(
        "--rate-probe", type=int, default=1500, help="requests spent looking for a 429"
    )
    parser.add_argument(
        "--max-wait", type=float, default=65.0, help="longest wait for one 429 (65 s)"
    )
    parser.add_argument("--run-tag", help="tag in every externalId (default: random, printed)")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    return parser


def settings_from(arguments: argparse.Namespace) -> RunSettings:
    """Return the run's settings, or raise UsageError naming what is missing."""
    for name, env in ENV_VARS.items():
        if not getattr(arguments, name):
            raise UsageError("--" + name.replace("_", "-"), f"required (or set {env})")
    features = None if arguments.plan_features is None else parse_features(arguments.plan_features)
    extra = {"seed": arguments.seed, "run_tag": arguments.run_tag}
    return RunSettings(
        base_url=arguments.base_url,
        api_key=arguments.api_key,
        no_scope_key=arguments.no_scope_key,
        collection_id=arguments.collection_id,
        max_examples=arguments.max_examples,
        max_batch=arguments.max_batch,
        strict=arguments.strict,
        junit_xml=arguments.junit_xml,
        timeout=arguments.timeout,
        max_time=arguments.max_time,
        max_requests=arguments.max_requests,
        rate_probe=arguments.rate_probe,
        max_wait=arguments.max_wait,
        quiet=arguments.quiet,
        plan_features=features,
        **{key: value for key, value in extra.items() if value is not None},
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the suite and return the exit code: 0 conforms, 1 violations, 2 cannot run."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["proxy"]:
        try:
            from contract_tests.proxy import cli as proxy_cli
        except ImportError as error:
            print(
                f"hoko-contract proxy: error: it needs the proxy extra ({error.name} is missing):"
                " pip install 'hoko-links-kit[proxy]'",
                file=sys.stderr,
            )
            return 2
        return proxy_cli.main(arguments[1:])
    try:
        settings = settings_from(build_parser().parse_args(arguments))
    except UsageError as error:
        print(f"hoko-contract: error: {error}", file=sys.stderr)
        return EXIT_CANNOT_RUN
    print(
        f"hoko-contract: {settings.links_url} seed {settings.seed} run tag {settings.run_tag}"
        f"{' strict' if settings.strict else ''}",
        flush=True,
    )
    try:
        result = runner.run(settings, None if settings.quiet else runner.progress_to_stderr)
    except ContractError as error:
        print(f"hoko-contract: error: {error}", file=sys.stderr)
        return EXIT_CANNOT_RUN
    except KeyboardInterrupt:
        print("hoko-contract: interrupted", file=sys.stderr)
        return EXIT_CANNOT_RUN
    if not settings.quiet and sys.stderr.isatty():
        sys.stderr.write("\n")
    print(
        report.render(
            result.verdict, result.counters, settings.seed, settings.run_tag, result.coverage
        )
    )
    if settings.junit_xml:
        report.write_junit(result.verdict, result.counters, settings.junit_xml, result.coverage)
    if result.stopped is not None:
        print(f"hoko-contract: error: {result.stopped}", file=sys.stderr)
    return result.exit_code
