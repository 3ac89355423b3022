"""One transaction per service call: commit on success, roll back on any error.

Blocks nest: a service called inside another's `transaction(session)` (the workbook import saves the deployment
profile and the answers together) joins the outer transaction, which alone commits. An error in an inner block
rolls back the whole outer transaction and propagates; a caller must not swallow it and go on writing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlmodel import Session

from mcwg_dashboard.services.errors import ValidationFailed

_OPEN = "mcwg_transaction_open"


@contextmanager
def transaction(session: Session) -> Iterator[Session]:
    if session.info.get(_OPEN):
        try:
            yield session
        except BaseException:
            session.rollback()
            raise
        return
    session.info[_OPEN] = True
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.info.pop(_OPEN, None)


_FIELD_NAMES = {"entity_key": "key", "external_reference": "reference", "external_body": "body"}


@event.listens_for(Session, "before_flush")
def _refuse_text_longer_than_its_column(session: Session, flush_context: object, instances: object) -> None:
    """The last guard against text that does not fit its column: PostgreSQL would fail the write with an SQL error
    naming the table, and SQLite would keep it. Each input is checked with a clearer message before this."""
    for record in [*session.new, *session.dirty]:
        table = getattr(record, "__table__", None)
        if table is None:
            continue
        for column in table.columns:
            limit = getattr(column.type, "length", None)
            value = getattr(record, column.key, None)
            if limit and isinstance(value, str) and len(value) > limit:
                name = _FIELD_NAMES.get(column.key, column.key.replace("_", " "))
                raise ValidationFailed(
                    {name: [f"at most {limit} characters (this one has {len(value)})."]},
                    summary="Nothing was saved: a text is too long.",
                )
