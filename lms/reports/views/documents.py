"""学时证明 PDFs, certificates and the public verify page.

Out-of-scope members answer 404, the same as missing ones, as in the branch view.
"""
from __future__ import annotations

import io

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.auth.models import STATUS_LABELS, User
from lms.core.errors import DomainError
from lms.core.forms import EmptyForm
from lms.core.hooks import add_page_extra
from lms.core.web import client_ip, flash_error
from lms.extensions import db, limiter
from lms.orgs.access import can, requires
from lms.orgs.lookup import member_or_404
from lms.orgs.models import Organization
from lms.progress import queries, years
from lms.progress.forms import CATEGORY_LABELS
from lms.reports import bp, certificates, figures, pdf
from lms.reports.models import Certificate

PDF = "application/pdf"


def year_arg() -> int:
    now = years.this_year()
    year = request.args.get("year", type=int)
    return year if year is not None and now - 20 <= year <= now else now


def _member_or_404(user_id: int) -> tuple[User, Organization]:
    return member_or_404(user_id, "view_reports")


def _record_pdf(member: User, org: Organization | None):
    year = year_arg()
    data = pdf.study_record(
        member_name=member.name, org_name=org.name if org else "",
        status=_(STATUS_LABELS.get(member.status, "")) if member.status else "", year=year,
        standing=queries.standing(member, year), lines=queries.ledger(member.id, year),
        category_labels=CATEGORY_LABELS, issued_on=years.today().isoformat())
    return send_file(io.BytesIO(data), mimetype=PDF, as_attachment=True,
                     download_name=f"study-record-{member.id}-{year}.pdf")


@bp.get("/study/record.pdf")
@login_required
def own_record_pdf():
    org = db.session.get(Organization, current_user.org_id) if current_user.org_id else None
    return _record_pdf(current_user, org)


@bp.get("/branch/members/<int:user_id>/record.pdf")
@requires("view_reports")
def member_record_pdf(user_id: int):
    member, org = _member_or_404(user_id)
    return _record_pdf(member, org)


def _verify_url(certificate: Certificate) -> str:
    return url_for("reports.verify", code=certificate.display_code, _external=True)


@bp.get("/certificates/<int:certificate_id>.pdf")
@login_required
def certificate_pdf(certificate_id: int):
    """The member's own certificate, or one of a member in the viewer's scope."""
    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None:
        abort(404)
    if certificate.user_id != current_user.id:
        _member_or_404(certificate.user_id)
    if certificate.revoked_at is not None:
        abort(404)
    data = pdf.certificate(certificate, _verify_url(certificate))
    return send_file(io.BytesIO(data), mimetype=PDF, as_attachment=True,
                     download_name=f"certificate-{certificate.display_code}.pdf")


def _verify_limit() -> str:
    return current_app.config.get("VERIFY_RATE_LIMIT", "30 per minute")


@bp.get("/verify/")
@bp.get("/verify/<path:code>")
@limiter.limit(_verify_limit)
def verify(code: str = ""):
    """Public: name, course, date and issuer of a certificate, nothing else."""
    code = code or request.args.get("code", "")
    certificate = certificates.find(code) if code else None
    status = 200 if certificate is not None or not code else 404
    return render_template("reports/verify.html", code=code[:40], certificate=certificate,
                           asked=bool(code)), status


@bp.post("/branch/certificates/<int:certificate_id>/revoke")
@requires("manage_members")
def revoke(certificate_id: int):
    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None:
        abort(404)
    _member_or_404(certificate.user_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        certificates.revoke(current_user, certificate.id, request.form.get("reason", ""),
                            ip=client_ip())
    except DomainError as error:
        flash_error(error)
    else:
        flash(_("证书 %(code)s 已撤销。", code=certificate.display_code), "success")
    return redirect(url_for("progress.member_record", user_id=certificate.user_id))


def _record_extra(user, member, org, own, year, standing, **_kw):
    """学习档案: the year as a PDF, and the member's certificates (staff may revoke)."""
    pdf_url = url_for("reports.own_record_pdf", year=year) if own else \
        url_for("reports.member_record_pdf", user_id=member.id, year=year)
    may_revoke = not own and org is not None and can(user, "manage_members", org)
    chart = figures.hours_by_month(member.id, year, standing)
    return {"sections": [("reports/_hours_chart.html", {"chart": chart}),
                         ("reports/_record.html", {
        "pdf_url": pdf_url, "certificates": certificates.of_member(member.id),
        "may_revoke": may_revoke, "form": EmptyForm()})]}


def _my_study_extra(user, study, **_kw):
    """我的学习: this year's hours month by month against the target."""
    chart = figures.hours_by_month(user.id, study.standing.year, study.standing)
    return {"sections": [("reports/_hours_chart.html", {"chart": chart})]}


add_page_extra(bp, "record", _record_extra)
add_page_extra(bp, "my_study", _my_study_extra)
