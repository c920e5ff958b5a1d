"""Certificates (结业证书) and the xAPI outbox."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lms.core.clock import utcnow
from lms.core.models import IdMixin
from lms.extensions import db


class Certificate(IdMixin, db.Model):
    """A 结业证书, issued once when a course is completed.

    What it says (name, course, hours, issuer) is copied when it is issued, so the document and
    the public verify page keep saying what was certified after a rename. ``code`` is random
    (80 bits), so certificates cannot be found by guessing.
    """

    __tablename__ = "certificates"

    #: 16 characters of Crockford base32, shown in groups of four (ABCD-EFGH-…)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"))
    completion_id: Mapped[int] = mapped_column(ForeignKey("course_completions.id"), unique=True)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    member_name: Mapped[str] = mapped_column(String(60))
    course_title: Mapped[str] = mapped_column(String(120))
    hours: Mapped[float] = mapped_column(Numeric(6, 2, asdecimal=False))
    #: the organisation that issues it: the top of the member's tree (the county's 县委)
    issuer_name: Mapped[str] = mapped_column(String(80))
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revoke_reason: Mapped[str] = mapped_column(String(200), default="")

    @property
    def display_code(self) -> str:
        return "-".join(self.code[i:i + 4] for i in range(0, len(self.code), 4))


class XapiStatement(IdMixin, db.Model):
    """One xAPI statement waiting for (or delivered to) the configured LRS: the outbox.

    The statement's id is fixed when it is made, so sending it again (a retry after a lost
    answer) can never make a second statement: the LRS keeps one per id. Rows are only queued
    while an LRS is configured (``XAPI_ENDPOINT``).
    """

    __tablename__ = "xapi_statements"
    __table_args__ = (Index("ix_xapi_statements_due", "sent_at", "next_attempt_at"),)

    statement_id: Mapped[str] = mapped_column(String(36), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    #: the ADL verb's last word (experienced, completed, passed, failed, attended, voided)
    verb: Mapped[str] = mapped_column(String(20))
    #: the statement as JSON text, exactly as it is sent
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    #: when the next try may be made (None: now); grows with each failure (backoff)
    next_attempt_at: Mapped[datetime | None]
    #: the last failure: HTTP status and the start of the LRS's answer, or the network error
    last_error: Mapped[str] = mapped_column(String(500), default="")
