"""Mixins every table shares."""
from datetime import datetime

from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, mapped_column

from lms.core.clock import utcnow


class IdMixin:
    id: Mapped[int] = mapped_column(primary_key=True)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AppendOnlyError(RuntimeError):
    """Something tried to change or delete a row of an append-only table."""


_APPEND_ONLY: dict[type, type[AppendOnlyError]] = {}


def append_only(model: type, error: type[AppendOnlyError], what: str) -> None:
    """Make the ORM refuse every update and delete of ``model``'s rows, one by one or in bulk.

    Rows are only ever inserted (the audit log, the 学时 ledger); ``error`` is raised with
    ``what`` as its message.
    """
    def refuse(mapper, connection, target):
        raise error(what)

    event.listen(model, "before_update", refuse)
    event.listen(model, "before_delete", refuse)
    _APPEND_ONLY[model] = error
    error.what = what


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_change(state):
    """``session.execute(update(M))`` and ``delete(M)`` skip the mapper events: refused here."""
    if state.is_update or state.is_delete:
        for mapper in state.all_mappers:
            error = _APPEND_ONLY.get(mapper.class_)
            if error is not None:
                raise error(error.what)
