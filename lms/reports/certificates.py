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


def issuers_of(org_ids) -> dict[int, str]:
    """``{org id: issuer}``: the top of each member's tree (the county's 县委) issues the
    certificate. Two queries whatever the number of organisations."""
    paths = dict(db.session.execute(select(Organization.id, Organization.path).where(
        Organization.id.in_({org_id for org_id in org_ids if org_id is not None}))).all())
    tops = {org_id: int(path.strip("/").split("/")[0])
            for org_id, path in paths.items() if path and path.strip("/")}
    names = dict(db.session.execute(select(Organization.id, Organization.name).where(
        Organization.id.in_(set(tops.values())))).all()) if tops else {}
    return {org_id: names.get(top) or "" for org_id, top in tops.items()}


def issuer_of(org_id: int | None) -> str:
    return issuers_of([org_id]).get(org_id, "") if org_id is not None else ""


def on_course_completed(completion, *, user, course, **_) -> None:
    """Issue the 结业证书 for a new completion (inside the completing transaction)."""
    with db.session.begin_nested():
        db.session.add(Certificate(
            code=new_code(), user_id=user.id, course_id=course.id, completion_id=completion.id,
            issued_at=completion.completed_at, member_name=user.name,
            course_title=course.title, hours=float(course.credit_hours or 0),
            issuer_name=issuer_of(user.org_id)))


def _issue(rows) -> None:
    """One INSERT of a certificate for each ``(completion id, completed at, user id, name,
    org id, course id, course title, credit hours)``, the issuers looked up together."""
    issuers = issuers_of({row[4] for row in rows})
    db.session.execute(insert(Certificate), [
        {"code": new_code(), "completion_id": completion_id, "issued_at": completed_at,
         "user_id": user_id, "member_name": name, "issuer_name": issuers.get(org_id, ""),
         "course_id": course_id, "course_title": title, "hours": float(hours or 0)}
        for completion_id, completed_at, user_id, name, org_id, course_id, title, hours
        in rows])


def on_courses_completed(_sender, *, user, completed, **_) -> None:
    """The same for several completions of one member at once (the offline sync): the issuer
    looked up once, the certificates written in one INSERT."""
    if completed:
        _issue([(completion.id, completion.completed_at, user.id, user.name, user.org_id,
                 course.id, course.title, course.credit_hours)
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
    domain existed, or by the demo's history); returns how many. A fixed number of statements
    (the completions, the issuers, one INSERT) and one commit."""
    from lms.auth.models import User
    from lms.courses.models import Course
    from lms.progress.models import CourseCompletion

    begin_write()
    rows = db.session.execute(
        select(CourseCompletion.id, CourseCompletion.completed_at, User.id, User.name,
               User.org_id, Course.id, Course.title, Course.credit_hours)
        .join(User, User.id == CourseCompletion.user_id)
        .join(Course, Course.id == CourseCompletion.course_id)
        .outerjoin(Certificate, Certificate.completion_id == CourseCompletion.id)
        .where(Certificate.id.is_(None)).order_by(CourseCompletion.id)).all()
    if rows:
        _issue(rows)
    db.session.commit()
    return len(rows)
