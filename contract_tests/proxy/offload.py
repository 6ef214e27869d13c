"""A second process checking big 201 bodies against the schema while the judge walks the links."""

# A 10,000-link answer is judged in two parts that share only its parse: the schema check (~15 ms
# after a ~20 ms parse) and the walk of its links (~20 ms after the same parse). In two processes
# the verdict takes the time of the longer part, on a second CPU the upstream and the client are
# not using while they wait for it. The body goes through one file in memory, nameless and
# rewritten in place (~1 ms for 5.7 MB; a pipe took 6-7 ms). Anything that goes wrong here
# leaves the check to the judge's own process: the verdict is the same, only later.

from __future__ import annotations

import contextlib
import gc
import os
import select
import subprocess
import sys
import tempfile
import weakref
from collections.abc import Callable
from typing import IO, Any, Final

import orjson

OFFLOADED_FROM: Final = 1024 * 1024  # below this, handing a body over costs more than it saves
# A 201 is bigger than its request (each link adds ~340 bytes to what it echoes): a request this
# big may bring an answer worth handing over.
STARTED_BY: Final = OFFLOADED_FROM // 8
READY: Final = b"ready\n"
VERDICT_SECONDS: Final = 60.0  # a process this late with a verdict is taken for hung, and stopped
STOP_SECONDS: Final = 5.0
PATH_VARIABLE: Final = "HOKO_PROXY_SYS_PATH"
# The process imports from this one's sys.path, so it runs this very copy of the code.
COMMAND: Final = (
    f"import json, os, sys; sys.path[:] = json.loads(os.environ[{PATH_VARIABLE!r}]); "
    "from contract_tests.proxy.offload import main; main()"
)

PendingVerdict = Callable[[], "list[str] | None"]


def cpus() -> int:
    """Return how many CPUs this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


class SchemaProcess:
    """Checks big 201 bodies against the spec's schema in a process of its own, one at a time."""

    def __init__(self, strict: bool, enabled: bool = True) -> None:
        self._strict = strict
        self._enabled = enabled
        self.checked = 0  # bodies the process gave a verdict on
        self._process: subprocess.Popen[bytes] | None = None
        self._ready = False
        self._stopped = False
        self._unread: PendingVerdict | None = None  # a verdict handed out and not asked for yet
        self._file: int | None = None  # the descriptor of the file bodies are handed over in
        self._abandon: weakref.finalize[Any, Any] | None = None

    @property
    def pid(self) -> int | None:
        """Return the process's id while it runs."""
        return self._process.pid if self._process is not None else None

    def start(self) -> None:
        """Start the process in the background, unless it runs, was stopped, or is not enabled."""
        if self._process is not None or self._stopped or not self._enabled or os.name != "posix":
            return
        try:
            self._file = _nameless_file()
            command = [sys.executable, "-c", COMMAND, str(self._file)]
            self._process = subprocess.Popen(
                [*command, *(["--strict"] if self._strict else [])],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                pass_fds=(self._file,),
                env={**os.environ, PATH_VARIABLE: orjson.dumps(sys.path).decode()},
            )
        except OSError:
            self.stop()
            return
        # Dropped unstopped (a judge of a test, say), it still lets the process end.
        self._abandon = weakref.finalize(self, _abandon, self._process, self._file)

    def check(self, body: bytes) -> PendingVerdict | None:
        """Hand ``body`` over; return what waits for its schema problems, or None to check here."""
        if len(body) < OFFLOADED_FROM:
            return None
        if self._unread is not None:
            self._unread()  # an answer left unasked for would be taken for the next one's
        if not self.is_ready():
            return None
        assert self._process is not None
        assert self._process.stdin is not None
        assert self._file is not None
        try:
            # Written over, not truncated first: the file keeps its pages from one body to the next.
            os.pwrite(self._file, body, 0)
            os.ftruncate(self._file, len(body))
            self._process.stdin.write(b"%d\n" % len(body))
            self._process.stdin.flush()
        except (OSError, ValueError):
            self.stop()
            return None
        self._unread = self._verdict
        return self._verdict

    def stop(self) -> None:
        """Stop the process: it ends when its input closes; past a bound it is terminated."""
        self._stopped, self._ready, self._unread = True, False, None
        if self._abandon is not None:
            self._abandon.detach()
        if self._file is not None:
            with contextlib.suppress(OSError):
                os.close(self._file)
            self._file = None
        process, self._process = self._process, None
        if process is None:
            return
        with contextlib.suppress(OSError):
            if process.stdin is not None:
                process.stdin.close()
        try:
            process.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(STOP_SECONDS)
        if process.stdout is not None:
            process.stdout.close()

    def is_ready(self) -> bool:
        """Tell, without waiting, whether the process takes bodies."""
        if not self._ready and self._process is not None:
            line = _line_within(self._process.stdout, 0)
            if line == READY:
                self._ready = True
            elif line is not None:  # the process ended before it was ready
                self.stop()
        return self._ready

    def _verdict(self) -> list[str] | None:
        """Wait for the schema problems of the body handed over; None when the process failed."""
        self._unread = None
        process = self._process
        line = _line_within(process.stdout if process else None, VERDICT_SECONDS)
        if line:
            with contextlib.suppress(orjson.JSONDecodeError):
                answer = orjson.loads(line)
                # A text is the error the process met with this body: the judge checks it here.
                if isinstance(answer, list):
                    self.checked += 1
                    return answer
                return None
        self.stop()  # ended, hung, or garbled: not asked again
        return None


def _abandon(process: subprocess.Popen[bytes], file: int) -> None:
    """Close what a dropped SchemaProcess held open: the process ends at its input's end."""
    for close in (process.stdin.close if process.stdin else None, lambda: os.close(file)):
        if close is not None:
            with contextlib.suppress(OSError):
                close()


def _line_within(stream: IO[bytes] | None, seconds: float) -> bytes | None:
    """Return the next line of ``stream`` if one comes within ``seconds`` (b"" at its end)."""
    if stream is None:
        return b""
    try:
        readable, _, _ = select.select([stream], [], [], seconds)
        return stream.readline() if readable else None
    except (OSError, ValueError):
        return b""


def _nameless_file() -> int:
    """Return the descriptor of a new file no other process can open by name."""
    if hasattr(os, "memfd_create"):
        return os.memfd_create("hoko-proxy-answer", os.MFD_CLOEXEC)  # in memory, not inherited
    with tempfile.TemporaryFile() as file:  # already unlinked where it is supported
        return os.dup(file.fileno())


def serve(file: int, strict: bool) -> None:
    """Answer each body length read from stdin with the schema problems of the body in ``file``."""
    from contract_tests.proxy import judge

    judge.answer_schema_problems(b"[]", strict)  # the validator is compiled before the first body
    # Nothing this process builds refers to itself: reference counting frees it all.
    gc.disable()
    out = sys.stdout.buffer
    out.write(READY)
    out.flush()
    for line in sys.stdin.buffer:
        try:
            answer: object = judge.answer_schema_problems(os.pread(file, int(line), 0), strict)
        except Exception as error:  # noqa: BLE001 - the judge then checks in its own process
            answer = f"{type(error).__name__}: {error}"
        out.write(orjson.dumps(answer) + b"\n")
        out.flush()


def main() -> None:
    """Serve as the process a SchemaProcess started: ``FILE-DESCRIPTOR [--strict]``."""
    serve(int(sys.argv[1]), "--strict" in sys.argv[2:])
