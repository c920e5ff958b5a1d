"""Pages for the tree, members and the roster. Thin: forms in, services called, errors flashed."""
from __future__ import annotations

import io

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from lms.auth.models import STATUS_LABELS
from lms.auth.services import create_user, lock_of
from lms.core import staging
from lms.core.errors import DomainError, ValidationFailed
from lms.core.forms import EmptyForm, options
from lms.core.web import client_ip, flash_error, paginate
from lms.extensions import db
from lms.orgs import bp, roster, services
from lms.orgs.access import can, requires
from lms.orgs.forms import (
    KIND_LABELS,
    ROLE_LABELS,
    MemberForm,
    MoveForm,
    NewMemberForm,
    OrgForm,
    RenameForm,
    RoleForm,
    RosterConfirmForm,
    RosterUploadForm,
)
from lms.orgs.lookup import member_or_404, org_or_404
from lms.orgs.models import Membership, Organization
from lms.orgs.queries import members_query, tree_rows, visible_orgs


@bp.get("/")
@requires("view_members")
def index():
    orgs = visible_orgs(current_user)
    return render_template("orgs/index.html", rows=tree_rows(orgs), kinds=KIND_LABELS,
                           can_import=can(current_user, "import_roster"))


@bp.get("/<int:org_id>")
@requires("view_members")
def detail(org_id: int):
    org = org_or_404(org_id, "view_members")
    q = request.args.get("q", "")
    page = paginate(members_query(current_user, org, q), request.args.get("page", 1, type=int))
    children = list(db.session.scalars(select(Organization).where(
        Organization.parent_id == org.id).order_by(Organization.code)))
    manage_orgs = can(current_user, "manage_orgs", org)
    move_form = MoveForm()
    if manage_orgs:
        move_form.parent.choices = options((o.id, f"{o.code} {o.name}") for o in
                                           visible_orgs(current_user, "manage_orgs")
                                           if not o.path.startswith(org.path))
    return render_template(
        "orgs/detail.html", org=org, page=page, q=q, children=children, kinds=KIND_LABELS,
        status_labels=STATUS_LABELS,
        manage_orgs=manage_orgs, manage_members=can(current_user, "manage_members", org),
        org_form=OrgForm(), rename_form=RenameForm(name=org.name), move_form=move_form,
        member_form=NewMemberForm())


@bp.post("/<int:org_id>/children")
@requires("manage_orgs")
def create_child(org_id: int):
    parent = org_or_404(org_id, "manage_orgs")
    form = OrgForm()
    if form.validate_on_submit():
        try:
            child = services.create_org(current_user, name=form.name.data, kind=form.kind.data,
                                        code=form.code.data.strip(), parent=parent,
                                        ip=client_ip())
        except DomainError as error:
            flash_error(error)
        else:
            flash(_("已添加 %(name)s。", name=child.name), "success")
    else:
        flash(_("请填写名称、类型和代码。"), "error")
    return redirect(url_for("orgs.detail", org_id=parent.id))


@bp.post("/<int:org_id>/rename")
@requires("manage_orgs")
def rename(org_id: int):
    org = org_or_404(org_id, "manage_orgs")
    form = RenameForm()
    if form.validate_on_submit():
        try:
            services.rename_org(current_user, org, form.name.data, ip=client_ip())
            flash(_("已改名。"), "success")
        except DomainError as error:
            flash_error(error)
    return redirect(url_for("orgs.detail", org_id=org.id))


@bp.post("/<int:org_id>/move")
@requires("manage_orgs")
def move(org_id: int):
    org = org_or_404(org_id, "manage_orgs")
    target = org_or_404(request.form.get("parent", 0, type=int), "manage_orgs")
    if EmptyForm().validate_on_submit():
        try:
            services.move_org(current_user, org, target, ip=client_ip())
            flash(_("已移动。"), "success")
        except DomainError as error:
            flash_error(error)
    return redirect(url_for("orgs.detail", org_id=org.id))


@bp.post("/<int:org_id>/members")
@requires("manage_members")
def add_member(org_id: int):
    org = org_or_404(org_id, "manage_members")
    form = NewMemberForm()
    if form.validate_on_submit():
        try:
            user, code = create_user(phone=form.phone.data, name=form.name.data,
                                     status=form.status.data or None, org_id=org.id,
                                     actor=current_user, ip=client_ip())
        except DomainError as error:
            flash_error(error)
        else:
            flash(_("已添加 %(name)s。一次性登录码：%(code)s（只显示这一次，请转告本人，"
                    "首次登录后须修改密码）", name=user.name, code=code), "success")
    else:
        flash(_("请填写姓名和手机号。"), "error")
    return redirect(url_for("orgs.detail", org_id=org.id))


@bp.route("/members/<int:user_id>", methods=["GET", "POST"])
@requires("view_members")
def member(user_id: int):
    user, org = member_or_404(user_id, "view_members")
    manage = services.reaches(current_user, user, "manage_members")
    form = MemberForm(obj=user if request.method == "GET" else None)
    choices = [(o.id, f"{o.code} {o.name}") for o in visible_orgs(current_user, "manage_members")]
    form.org.choices = options(choices or [(org.id, f"{org.code} {org.name}")])
    if request.method == "GET":
        form.org.data = org.id
        form.status.data = user.status or ""
    if request.method == "POST":
        if not manage:
            abort(403)
        if form.validate_on_submit():
            target = org_or_404(form.org.data, "manage_members")
            try:
                services.update_member(
                    current_user, user, name=form.name.data, status=form.status.data or None,
                    org=target, is_mobile=form.is_mobile.data,
                    mobile_where=form.mobile_where.data or "",
                    mobile_contact=form.mobile_contact.data or "",
                    is_exempt=form.is_exempt.data, exempt_reason=form.exempt_reason.data or "",
                    ip=client_ip())
            except DomainError as error:
                flash_error(error)
            else:
                flash(_("已保存。"), "success")
                return redirect(url_for("orgs.member", user_id=user.id))
    memberships = list(db.session.scalars(select(Membership).where(
        Membership.user_id == user.id).order_by(Membership.id)))
    role_form = RoleForm()
    role_form.role.choices = options((r, ROLE_LABELS[r])
                                     for r in services.grantable_roles(current_user))
    role_form.org.choices = options((o.id, f"{o.code} {o.name}")
                                    for o in visible_orgs(current_user, "assign_roles"))
    return render_template(
        "orgs/member.html", user=user, org=org, form=form, manage=manage,
        memberships=memberships, role_labels=ROLE_LABELS, role_form=role_form,
        can_assign=bool(role_form.org.choices and role_form.role.choices)
        and user.id != current_user.id,
        can_reset=services.reaches(current_user, user, "reset_passwords"), button=EmptyForm(),
        locked_until=lock_of(user))


@bp.post("/members/<int:user_id>/reset-password")
@requires("reset_passwords")
def reset_password(user_id: int):
    user, org = member_or_404(user_id, "view_members")
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        code = services.reset_password(current_user, user, ip=client_ip())
    except DomainError as error:
        flash_error(error)
    else:
        flash(_("%(name)s 的一次性登录码：%(code)s（只显示这一次；下次登录时须修改密码）",
                name=user.name, code=code), "success")
    return redirect(url_for("orgs.member", user_id=user.id))


@bp.post("/members/<int:user_id>/unlock")
@requires("reset_passwords")
def unlock(user_id: int):
    user, _org = member_or_404(user_id, "view_members")
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        services.unlock_account(current_user, user, ip=client_ip())
    except DomainError as error:
        flash_error(error)
    else:
        flash(_("已解除 %(name)s 的账户锁定。", name=user.name), "success")
    return redirect(url_for("orgs.member", user_id=user.id))


@bp.post("/members/<int:user_id>/roles")
@requires("assign_roles")
def grant_role(user_id: int):
    user, _org = member_or_404(user_id, "view_members")
    form = RoleForm()
    form.org.choices = options((o.id, o.code) for o in visible_orgs(current_user, "assign_roles"))
    if form.validate_on_submit():
        target = org_or_404(form.org.data, "assign_roles")
        try:
            services.grant_role(current_user, user, target, form.role.data, ip=client_ip())
            flash(_("已任命。"), "success")
        except DomainError as error:
            flash_error(error)
    return redirect(url_for("orgs.member", user_id=user.id))


@bp.post("/roles/<int:membership_id>/revoke")
@requires("assign_roles")
def revoke_role(membership_id: int):
    membership = db.session.get(Membership, membership_id)
    if membership is None or not can(current_user, "assign_roles", membership.org):
        abort(404)
    if EmptyForm().validate_on_submit():
        try:
            services.revoke_role(current_user, membership, ip=client_ip())
            flash(_("已免去职务。"), "success")
        except DomainError as error:
            flash_error(error)
    return redirect(url_for("orgs.member", user_id=membership.user_id))


@bp.route("/roster/import", methods=["GET", "POST"])
@requires("import_roster")
def roster_import():
    upload, confirm = RosterUploadForm(), RosterConfirmForm()
    if request.method == "POST" and "token" in request.form:
        if not confirm.validate_on_submit():
            abort(400)
        try:
            # the previewed bytes, checked again: nothing from the preview is trusted
            path = staging.parked("roster", current_user.id, confirm.token.data)
            outcome = roster.import_roster(current_user, path.read_bytes(),
                                           confirm.filename.data or "", ip=client_ip())
        except ValidationFailed as error:
            return render_template("orgs/roster_import.html", form=upload,
                                   problems=error.problems or [error.translated()], preview=None)
        path.unlink(missing_ok=True)
        return render_template("orgs/roster_done.html", outcome=outcome)
    if upload.validate_on_submit():
        file = upload.file.data
        data = file.read()
        preview = roster.import_roster(current_user, data, file.filename or "", dry_run=True)
        if not preview.problems:
            confirm.filename.data = file.filename
            confirm.token.data = staging.park("roster", current_user.id, data)
        return render_template("orgs/roster_import.html", form=upload, confirm=confirm,
                               problems=preview.problems, preview=preview,
                               status_labels=STATUS_LABELS, role_labels=ROLE_LABELS)
    return render_template("orgs/roster_import.html", form=upload, problems=[], preview=None)


@bp.get("/roster/template.xlsx")
@requires("import_roster")
def roster_template():
    return send_file(io.BytesIO(roster.template()), as_attachment=True,
                     download_name="roster-template.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.get("/<int:org_id>/roster.xlsx")
@requires("view_members")
def roster_export(org_id: int):
    org = org_or_404(org_id, "view_members")
    data = roster.export_roster(current_user, org, ip=client_ip())
    return send_file(io.BytesIO(data), as_attachment=True, download_name=f"roster-{org.code}.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
