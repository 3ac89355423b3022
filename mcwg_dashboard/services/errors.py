"""Errors the services raise; every message is written for the person who caused it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError


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


def plain_message(error: Mapping[str, Any]) -> str:
    """One pydantic error (an item of ValidationError.errors()) in the words of a form, never pydantic's own
    ("String should have at least 5 characters" becomes "write at least 5 characters")."""
    kind = str(error.get("type", ""))
    context = error.get("ctx") or {}
    if kind == "string_too_short":
        least = int(context.get("min_length", 1))
        return "fill this in" if least <= 1 else f"write at least {least} characters"
    if kind == "string_too_long":
        return f"keep it to at most {context.get('max_length')} characters"
    if kind == "too_short":
        least = int(context.get("min_length", 1))
        return "choose at least one" if least <= 1 else f"choose at least {least}"
    if kind == "too_long":
        return f"choose at most {context.get('max_length')}"
    if kind == "missing":
        return "fill this in"
    if kind in ("string_type", "int_type", "int_parsing", "float_parsing", "bool_parsing"):
        return "this value is not of the expected kind"
    if kind.startswith("date") or kind.startswith("datetime"):
        return "give a date like 2026-12-10"
    if kind == "string_pattern_mismatch":
        return "this is not in the expected form"
    message = str(error.get("msg", "is not valid"))
    return message.removeprefix("Value error, ").removeprefix("Assertion failed, ")


ModelT = TypeVar("ModelT", bound=BaseModel)


def validated(model: type[ModelT], data: Any, summary: str) -> ModelT:
    """`data` checked by the pydantic `model`; ValidationFailed with every problem, keyed by its field path and in a
    form's words (`plain_message`), when it breaks a rule."""
    if isinstance(data, model):
        return data
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems: dict[str, list[str]] = {}
        for error in exc.errors():
            field = ".".join(str(part) for part in error["loc"]) or "input"
            problems.setdefault(field, []).append(plain_message(error))
        raise ValidationFailed(problems, summary=summary) from None
