"""The mock's exceptions: one root, each carrying the context its message is rendered from."""

from __future__ import annotations

from dataclasses import dataclass


class MockError(Exception):
    """Root of every error the mock raises on purpose."""


class ConfigError(MockError):
    """A configuration value is wrong; the message names the key, the value and the problem."""

    def __init__(self, key: str, problem: str, source: str = "") -> None:
        self.key = key
        self.problem = problem
        self.source = source
        where = f" (from {source})" if source else ""
        super().__init__(f"{key}: {problem}{where}")


class StoreUnavailableError(MockError):
    """The shared state store cannot be reached or answered with an error while serving."""

    def __init__(self, store: str, problem: str) -> None:
        self.store = store
        self.problem = problem
        super().__init__(f"the state store {store} is unavailable: {problem}")


@dataclass(frozen=True, slots=True)
class Issue:
    """One thing wrong with a request body: where (a JSON path), which rule, and what happened."""

    path: str
    rule: str
    message: str

    def as_json(self) -> dict[str, str]:
        """Return the issue as the ``issues`` entry of a 400 body."""
        return {"path": self.path, "rule": self.rule, "message": self.message}


class RejectedRequestError(MockError):
    """A request is answered with a documented error status instead of 201."""

    def __init__(self, status: int, issues: tuple[Issue, ...] = ()) -> None:
        self.status = status
        self.issues = issues
        summary = "; ".join(f"{i.path}: {i.message} ({i.rule})" for i in issues)
        super().__init__(f"{status}" + (f": {summary}" if summary else ""))


def json_path(*parts: str | int) -> str:
    """Render a location in the body as a JSONPath such as ``$[3].geo.SA``."""
    rendered = ["$"]
    for part in parts:
        if isinstance(part, int):
            rendered.append(f"[{part}]")
        elif part.isidentifier():
            rendered.append(f".{part}")
        else:
            rendered.append(f"[{part!r}]")
    return "".join(rendered)
