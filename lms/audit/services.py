"""Writing the audit trail."""
from __future__ import annotations

import json

from lms.audit.models import AuditLog
from lms.extensions import db


def record(action: str, *, actor=None, target: str = "", ok: bool = True, ip: str = "",
           detail: dict | None = None, actor_label: str | None = None) -> AuditLog:
    """Add one audit row to the current transaction (the caller's commit writes it).

    ``actor`` is a User or None (an anonymous attempt: pass ``actor_label``, e.g. the phone
    typed). Never put a password or one-time code in ``detail``.
    """
    if actor_label is None:
        actor_label = f"{actor.phone} {actor.name}" if actor is not None else ""
    row = AuditLog(
        actor_id=actor.id if actor is not None else None,
        actor_label=actor_label[:80],
        action=action,
        target=target[:200],
        ok=ok,
        ip=(ip or "")[:45],
        detail=json.dumps(detail, ensure_ascii=False, sort_keys=True) if detail else "",
    )
    db.session.add(row)
    return row
