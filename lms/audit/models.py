"""The audit trail (等保 安全审计): append-only."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lms.core.clock import utcnow
from lms.core.models import AppendOnlyError, IdMixin, append_only
from lms.extensions import db


class AuditLog(IdMixin, db.Model):
    """One security-relevant event. The app inserts rows and never updates or deletes one."""

    __tablename__ = "audit_logs"

    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    #: who, as shown: phone and name at the time (survives renames)
    actor_label: Mapped[str] = mapped_column(String(80), default="")
    action: Mapped[str] = mapped_column(String(40), index=True)
    target: Mapped[str] = mapped_column(String(200), default="")
    ok: Mapped[bool] = mapped_column(default=True)
    ip: Mapped[str] = mapped_column(String(45), default="")
    detail: Mapped[str] = mapped_column(Text, default="")


class AuditLogIsAppendOnly(AppendOnlyError):
    pass


append_only(AuditLog, AuditLogIsAppendOnly, "audit rows are never changed or deleted")
