"""One transaction per service call: commit on success, roll back on any error.

Blocks nest: a service called inside another's `transaction(session)` (the workbook import saves the deployment
profile and the answers together) joins the outer transaction, which alone commits. An error in an inner block
rolls back the whole outer transaction and propagates; a caller must not swallow it and go on writing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlmodel import Session

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
