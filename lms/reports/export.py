"""The branch view's table as a spreadsheet: the rows on screen for the same arguments, headers
and words in the reader's language, cells formula-defused (``core/sheets``), one audit line."""
from __future__ import annotations

from flask_babel import gettext as _

from lms.audit.services import record
from lms.auth.models import STATUS_LABELS, User
from lms.core.i18n import N_
from lms.core.sheets import write_csv, write_xlsx
from lms.extensions import db
from lms.orgs.models import Organization
from lms.progress import years
from lms.reports import tables

FORMATS = {"csv": "text/csv",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
MEMBER_HEADER = [N_("姓名"), N_("手机号"), N_("所在组织"), N_("党员状态"), N_("年度"), N_("本年学时"),
                 N_("目标学时"), N_("完成情况"), N_("必修已完成"), N_("必修已布置"),
                 N_("逾期必修"), N_("最近学习")]
ROLLUP_HEADER = [N_("组织"), N_("党员人数"), N_("免学"), N_("无年度目标"), N_("达标人数"), N_("达标率"),
                 N_("人均学时"), N_("必修完成"), N_("必修应完成"), N_("必修完成率")]


def _standing(row) -> str:
    if row.exempt:
        return _("不作硬性要求")
    if not row.has_target:
        return _("不设年度学时目标")
    return _("未达标") if row.behind else _("已达标")


def member_export_rows(rows, year: int) -> list[list]:
    return [[r.name, r.phone, r.org_name, _(STATUS_LABELS[r.status]) if r.status in STATUS_LABELS else "",
             year, r.hours, r.target if r.has_target else "", _standing(r),
             r.done, r.assigned, r.overdue, years.local_date(r.last_study)] for r in rows]


def rollup_export_rows(rows, total) -> list[list]:
    def line(r, name):
        return [name, r.members, r.exempt, r.untargeted, r.on_track,
                "" if r.on_track_percent is None else f"{r.on_track_percent}%",
                r.average_hours, r.done, r.assigned,
                "" if r.done_percent is None else f"{r.done_percent}%"]
    return [line(r, r.name if r.org_id else r.name + "（" + _("本级") + "）") for r in rows] + \
        [line(total, _("合计"))]


def branch_table(node: Organization, args: dict) -> tuple[list[str], list[list]]:
    """The header and rows the branch view shows for ``args`` (year, filters, sort, order, q)."""
    if node.kind in tables.ROLLUP_KINDS:
        rollup, total = tables.rollup_rows(node, year=args["year"])
        return [_(h) for h in ROLLUP_HEADER], rollup_export_rows(rollup, total)
    rows = tables.member_rows(node, **args)
    return [_(h) for h in MEMBER_HEADER], member_export_rows(rows, args["year"])


def export_branch(actor: User, node: Organization, fmt: str, args: dict,
                  ip: str = "") -> tuple[str, bytes, str]:
    """(file name, bytes, media type) of the branch table in ``fmt``; audited, one commit.

    The caller checks the actor's scope over ``node`` first (views answer 404 outside it)."""
    header, rows = branch_table(node, args)
    record("progress.export", actor=actor, target=node.code, ip=ip,
           detail={"format": fmt, "rows": len(rows), "year": args["year"],
                   "filters": list(args["filters"])})
    db.session.commit()
    data = write_csv(header, rows) if fmt == "csv" else \
        write_xlsx(header, rows, title=f"{args['year']}")
    return f"study-{node.code}-{args['year']}.{fmt}", data, FORMATS[fmt]
