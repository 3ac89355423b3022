"""Errors the services raise; every message is written for the person who caused it."""

from __future__ import annotations

from dataclasses import dataclass


class ServiceError(Exception):
    """Base class: nothing was written."""


class PermissionDenied(ServiceError):
    pass


class NotFound(ServiceError):
    pass


class InvalidState(ServiceError):
    pass


class ValidationFailed(ServiceError):
    """Input that breaks a rule. `problems` maps a field or element ID to its messages."""

    def __init__(self, problems: dict[str, list[str]], summary: str = "Some answers need attention.") -> None:
        self.problems = problems
        lines = [summary] + [f"{key}: {msg}" for key, msgs in problems.items() for msg in msgs]
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class Conflict:
    element_id: str
    expected_version: int
    current_version: int
    current_status: str | None
    changed_by: str | None
    changed_at: str | None


class ConflictError(ServiceError):
    """Someone changed the same data since this user loaded it; nothing was written."""

    def __init__(self, conflicts: list[Conflict], message: str | None = None) -> None:
        self.conflicts = conflicts
        if message is None:
            parts = [
                f"{c.element_id} (changed by {c.changed_by or 'someone'} at {c.changed_at or '?'})" for c in conflicts
            ]
            message = "Not saved: these answers were changed by someone else since you loaded them: " + "; ".join(parts)
        super().__init__(message)
