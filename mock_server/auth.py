"""API keys: reading ``Authorization: Bearer <key>`` and finding the key in constant time."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass

from mock_server.config import ApiKey
from mock_server.errors import RejectedRequestError


@dataclass(frozen=True, slots=True)
class Account:
    """An authenticated caller: its key and a non-secret id that rate limits and state use."""

    key: ApiKey
    key_id: str


class Authenticator:
    """Finds the configured key a request presents, comparing every key in constant time."""

    def __init__(self, keys: Sequence[ApiKey]) -> None:
        self._accounts = [
            (
                key.secret.encode(),
                Account(key, hashlib.sha256(key.secret.encode()).hexdigest()[:16]),
            )
            for key in keys
        ]

    def authenticate(self, authorization: str | None) -> Account:
        """Return the caller's account, or reject the request with 401."""
        if not authorization:
            raise RejectedRequestError(401)
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise RejectedRequestError(401)
        presented = token.strip().encode("latin-1")
        found: Account | None = None
        # Compare against every key, never stopping early, so timing does not reveal a prefix.
        for secret, account in self._accounts:
            if hmac.compare_digest(secret, presented):
                found = account
        if found is None:
            raise RejectedRequestError(401)
        return found

    def peek(self, authorization: str | None) -> Account | None:
        """Return the caller's account if the request presents a known key, else None."""
        try:
            return self.authenticate(authorization)
        except RejectedRequestError:
            return None
