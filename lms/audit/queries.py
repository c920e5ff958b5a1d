"""Reading the audit trail (admins only)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from lms.audit.models import AuditLog


def audit_query(*, action: str = "", actor: str = "", ok: str = "", since: datetime | None = None,
                before: datetime | None = None):
    """A select of audit rows, newest first, narrowed by the filters given.

    ``since`` and ``before`` are naive UTC instants, like ``AuditLog.at``; ``before`` is exclusive.
    """
    stmt = select(AuditLog).order_by(AuditLog.at.desc(), AuditLog.id.desc())
    if action:
        stmt = stmt.where(AuditLog.action == action)
    if actor:
        stmt = stmt.where(AuditLog.actor_label.contains(actor, autoescape=True))
    if ok in ("1", "0"):
        stmt = stmt.where(AuditLog.ok.is_(ok == "1"))
    if since:
        stmt = stmt.where(AuditLog.at >= since)
    if before:
        stmt = stmt.where(AuditLog.at < before)
    return stmt
