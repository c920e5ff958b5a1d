"""The branch view: a branch's members, or a township's or county's roll-up (one row per child
organisation), with filters, sorting and the same table as a spreadsheet.

Thin: arguments checked against allowlists; out-of-scope nodes answer 404, the same as missing
ones. Moved here from `progress` unchanged (same URLs, same statements).
"""
from __future__ import annotations

import io

from flask import abort, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from lms.auth.models import STATUS_LABELS
from lms.core.forms import EmptyForm
from lms.core.hooks import page_extras
from lms.core.web import client_ip
from lms.orgs.access import can, requires
from lms.orgs.lookup import org_or_404
from lms.orgs.queries import ancestors_in_scope, top_nodes
from lms.progress import years
from lms.reports import archive, bp, export, figures, tables
from lms.reports.views.documents import year_arg as _year_arg


def _branch_args() -> dict:
    """Only allowlisted values pass; anything else falls back to the default."""
    sort = request.args.get("sort", "name")
    order = request.args.get("order", "asc")
    return {
        "year": _year_arg(),
        "filters": tuple(f for f in tables.FILTERS if f in request.args.getlist("filter")),
        "sort": sort if sort in tables.SORTS else "name",
        "order": order if order in tables.ORDERS else "asc",
        "q": request.args.get("q", "")[:50],
    }


@bp.get("/branch/")
@requires("view_reports")
def branch_index():
    tops = top_nodes(current_user, "view_reports")
    if len(tops) == 1:
        return redirect(url_for("reports.branch", org_id=tops[0].id))
    return render_template("reports/branch_index.html", tops=tops)


@bp.get("/branch/<int:org_id>")
@requires("view_reports")
def branch(org_id: int):
    org = org_or_404(org_id, "view_reports")
    args = _branch_args()
    common = {"org": org, "args": args,
              "crumbs": ancestors_in_scope(current_user, org, "view_reports"),
              "assignments": tables.assignments_reaching(org), "button": EmptyForm(),
              "can_assign": can(current_user, "assign_courses", org),
              "status_labels": STATUS_LABELS, "today": years.today(),
              "this_year": years.this_year(), **page_extras("branch", org=org)}
    year = args["year"]
    if org.kind in tables.ROLLUP_KINDS:
        rows, total = tables.rollup_rows(org, year=year)
        charts = [("outcomes", figures.outcomes_side_by_side(
            rows, year, figures.meetings_by_child(org, year)))]
        return render_template("reports/rollup.html", rows=rows, total=total, charts=charts,
                               **common)
    rows = tables.member_rows(org, **args)
    # the charts show the whole branch, whatever the list is filtered by
    everyone = rows if not (args["filters"] or args["q"]) else \
        tables.member_rows(org, year=year)
    charts = [("states", figures.members_by_state(everyone, year))]
    required = tables.required_by_course(org, year)
    if required:
        charts.append(("required", figures.required_courses(required)))
    return render_template("reports/branch.html", rows=rows, charts=charts, **common)


@bp.get("/branch/<int:org_id>/export.<fmt>")
@requires("view_reports")
def branch_export(org_id: int, fmt: str):
    """The rows on screen for the same arguments, as a spreadsheet (formula-defused)."""
    if fmt not in export.FORMATS:
        abort(404)
    org = org_or_404(org_id, "view_reports")
    name, data, mimetype = export.export_branch(current_user, org, fmt, _branch_args(),
                                                ip=client_ip())
    return send_file(io.BytesIO(data), as_attachment=True, download_name=name, mimetype=mimetype)


ARCHIVE_TYPES = {"pdf": "application/pdf",
                 "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@bp.get("/branch/<int:org_id>/archive.<fmt>")
@requires("view_reports")
def branch_archive(org_id: int, fmt: str):
    """A branch's year archive (members' ledgers, required courses, meeting book)."""
    if fmt not in ARCHIVE_TYPES:
        abort(404)
    org = org_or_404(org_id, "view_reports")
    if org.kind not in archive.BRANCH_KINDS:
        abort(404)
    name, data = archive.download(current_user, org, _year_arg(), fmt, ip=client_ip())
    return send_file(io.BytesIO(data), as_attachment=True, download_name=name,
                     mimetype=ARCHIVE_TYPES[fmt])
