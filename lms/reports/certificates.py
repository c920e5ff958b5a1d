"""结业证书: issued when a course is completed, verified by code, revoked with a reason.

Rules:

* One certificate per completion, issued inside the transaction that completes the course (a
  signal receiver: no commit), so there is never a completion without its certificate.
* A code is 16 random characters of Crockford base32 (80 bits): nobody finds one by counting.
  Verification accepts it in any case, with or without dashes and spaces; anything else is
  simply unknown.
* Revoking keeps the row (the verify page then says it was revoked) and is audited.
"""
from __future__ import annotations

import re
import secrets

from sqlalchemy import insert, select

from lms.audit.services import record
from lms.core.clock import utcnow
from lms.core.errors import Conflict, NotFound, ValidationFailed
from lms.core.i18n import N_
from lms.database import begin_write
from lms.extensions import db
from lms.orgs.access import authorize
from lms.orgs.models import Organization
from lms.reports.models import Certificate

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U
CODE_LENGTH = 16
_CODE = re.compile(rf"[{ALPHABET}]{{{CODE_LENGTH}}}")


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(text: str) -> str | None:
    """The stored form of a typed or scanned code, or None when it cannot be one."""
    code = re.sub(r"[\s-]", "", (text or "")[:40]).upper()
    code = code.translate(str.maketrans("OIL", "011"))
    return code if _CODE.fullmatch(code) else None


def issuer_of(org_id: int | None) -> str:
    """The top of the member's tree (the county's 县委) issues the certificate."""
    if org_id is None:
        return ""
    path = db.session.scalar(select(Organization.path).where(Organization.id == org_id)) or ""
    top = path.strip("/").split("/")[0] if path else ""
    return (db.session.scalar(select(Organization.name).where(Organization.id == int(top)))
            if top else "") or ""


def on_course_completed(completion, *, user, course, **_) -> None:
    """Issue the 结业证书 for a new completion (inside the completing transaction)."""
    with db.session.begin_nested():
        db.session.add(Certificate(
            code=new_code(), user_id=user.id, course_id=course.id, completion_id=completion.id,
            issued_at=completion.completed_at, member_name=user.name,
            course_title=course.title, hours=float(course.credit_hours or 0),
            issuer_name=issuer_of(user.org_id)))


def on_courses_completed(_sender, *, user, completed, **_) -> None:
    """The same for several completions of one member at once (the offline sync): the issuer
    looked up once, the certificates written in one INSERT."""
    if not completed:
        return
    issuer = issuer_of(user.org_id)
    db.session.execute(insert(Certificate), [
        {"code": new_code(), "user_id": user.id, "course_id": course.id,
         "completion_id": completion.id, "issued_at": completion.completed_at,
         "member_name": user.name, "course_title": course.title,
         "hours": float(course.credit_hours or 0), "issuer_name": issuer}
        for completion, course in completed])


def connect_signals() -> None:
    """Called by ``create_app``."""
    from lms.progress import signals

    signals.course_completed.connect(on_course_completed)
    signals.courses_completed.connect(on_courses_completed)


def find(code_text: str) -> Certificate | None:
    code = normalise_code(code_text)
    if code is None:
        return None
    return db.session.scalar(select(Certificate).where(Certificate.code == code))


def of_member(user_id: int) -> list[Certificate]:
    return list(db.session.scalars(select(Certificate).where(Certificate.user_id == user_id)
                                   .order_by(Certificate.issued_at.desc(), Certificate.id)))


def revoke(actor, certificate_id: int, reason: str, *, ip: str = "") -> Certificate:
    """Revoke a certificate (a completion was corrected). Needs ``manage_members`` over the
    member's organisation; audited. Raises NotFound, NotAllowed, ValidationFailed, Conflict."""
    begin_write()
    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None:
        raise NotFound(N_("没有这张证书。"))
    from lms.auth.models import User

    member = db.session.get(User, certificate.user_id)
    org = db.session.get(Organization, member.org_id) if member.org_id else None
    authorize(actor, "manage_members", org)
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise ValidationFailed(N_("请写明撤销的原因。"))
    if certificate.revoked_at is not None:
        raise Conflict(N_("这张证书已经撤销。"))
    certificate.revoked_at = utcnow()
    certificate.revoked_by_id = actor.id
    certificate.revoke_reason = reason[:200]
    record("reports.certificate_revoke", actor=actor, target=certificate.code, ip=ip,
           detail={"member": member.id, "course": certificate.course_id, "reason": reason[:200]})
    db.session.commit()
    return certificate


def issue_missing() -> int:
    """Issue a certificate for every completion without one (completions written before this
    domain existed, or by the demo's history); returns how many. One commit."""
    from lms.auth.models import User
    from lms.courses.models import Course
    from lms.progress.models import CourseCompletion

    begin_write()
    rows = db.session.execute(
        select(CourseCompletion, User, Course)
        .join(User, User.id == CourseCompletion.user_id)
        .join(Course, Course.id == CourseCompletion.course_id)
        .outerjoin(Certificate, Certificate.completion_id == CourseCompletion.id)
        .where(Certificate.id.is_(None))).all()
    for completion, user, course in rows:
        on_course_completed(completion, user=user, course=course)
    db.session.commit()
    return len(rows)
