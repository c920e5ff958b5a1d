"""A branch's year-end archive: one PDF and one XLSX with the members' ledgers, the required
courses' completion and the meeting book; and building every branch's archive under a township
or county (``flask reports archive``), resumable.

Each branch costs a fixed number of queries (the member table, the ledgers, the required
courses, the meeting book). Files are written under a temporary name and renamed when complete,
so a run that stops leaves no half file, and a later run skips the branches already done.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import select

from lms.auth.models import STATUS_LABELS
from lms.core.i18n import N_
from lms.core.sheets import write_workbook
from lms.extensions import db
from lms.orgs.models import Organization
from lms.progress.forms import CATEGORY_LABELS
from lms.reports import figures, pdf, queries, tables

#: the kinds of node that keep their own records (a 党小组 is part of its branch's archive)
BRANCH_KINDS = ("village_committee", "general_branch", "branch")
#: the meeting book's kinds and states, as the meetings pages name them
MEETING_KINDS = {"general": N_("党员大会"), "committee": N_("支委会"), "group": N_("党小组会"),
                 "lecture": N_("党课"), "theme_day": N_("主题党日"), "other": N_("其他")}


@dataclass
class ArchiveData:
    org: Organization
    year: int
    members: list
    ledgers: dict
    courses: list
    meetings: list


def collect(org: Organization, year: int) -> ArchiveData:
    from lms.meetings import queries as meeting_queries

    return ArchiveData(org=org, year=year, members=tables.member_rows(org, year=year),
                       ledgers=queries.ledgers_under(org, year),
                       courses=tables.required_by_course(org, year),
                       meetings=meeting_queries.book_rows(org, year))


def _state(row, share: float) -> str:
    return _(figures.STATE_LABELS[figures.member_state(row, share)])


def _member_table(data: ArchiveData) -> tuple[list[str], list[list]]:
    share = figures.pace(data.year)
    header = [_("姓名"), _("所在组织"), _("党员状态"), _("本年学时"), _("目标学时"), _("状态"),
              _("必修已完成"), _("必修已布置")]
    rows = [[r.name, r.org_name, _(STATUS_LABELS[r.status]) if r.status in STATUS_LABELS
             else "", pdf.hours_text(r.hours), pdf.hours_text(r.target) if r.has_target else "",
             _state(r, share), r.done, r.assigned] for r in data.members]
    return header, rows


def _course_table(data: ArchiveData) -> tuple[list[str], list[list]]:
    return ([_("课程"), _("截止日期"), _("应完成"), _("已完成"), _("完成率")],
            [[c.title, c.due_on.isoformat(), c.required, c.done, f"{c.percent}%"]
             for c in data.courses])


def _meeting_table(data: ArchiveData) -> tuple[list[str], list[list]]:
    return ([_("日期"), _("会议类型"), _("会议名称"), _("主持人"), _("学时"), _("应到"),
             _("实到"), _("请假"), _("缺席")],
            [[pdf.date_text(m.starts_at), _(MEETING_KINDS.get(m.kind, m.kind)), m.title, m.host,
              pdf.hours_text(m.hours), m.expected, m.present, m.leave, m.absent]
             for m in data.meetings])


def _ledger_table(data: ArchiveData) -> tuple[list[str], list[list]]:
    names = {r.user_id: r.name for r in data.members}
    rows = []
    for r in data.members:
        for recorded_at, category, hours, title in data.ledgers.get(r.user_id, []):
            rows.append([names[r.user_id], pdf.date_text(recorded_at), title,
                         str(CATEGORY_LABELS.get(category, category)), pdf.hours_text(hours)])
    return [_("姓名"), _("日期"), _("内容"), _("类别"), _("学时")], rows


def branch_pdf(data: ArchiveData) -> bytes:
    title = _("%(y)d 年度学习档案", y=data.year)
    doc = pdf.new_document(f"{data.org.name} · {title}")
    pdf.heading(doc, data.org.name, 18)
    pdf.heading(doc, title, 16)
    total = sum(r.hours for r in data.members)
    pdf.paragraph(doc, _("党员 %(n)d 人，全年合计 %(h)s 学时。", n=len(data.members),
                         h=pdf.hours_text(total)), 11)
    pdf.heading(doc, _("一、党员学时"), 13, align="L")
    header, rows = _member_table(data)
    pdf.table(doc, header, rows, (22, 30, 20, 16, 16, 22, 16, 16), size=8)
    pdf.heading(doc, _("二、必修课程完成情况"), 13, align="L")
    header, rows = _course_table(data)
    if rows:
        pdf.table(doc, header, rows, (70, 28, 22, 22, 22))
    else:
        pdf.paragraph(doc, _("本年度没有布置必修课程。"))
    pdf.heading(doc, _("三、会议记录"), 13, align="L")
    header, rows = _meeting_table(data)
    if rows:
        pdf.table(doc, header, rows, (20, 18, 44, 18, 12, 12, 12, 12, 12), size=8)
    else:
        pdf.paragraph(doc, _("本年度没有会议记录。"))
    pdf.heading(doc, _("四、党员学时明细"), 13, align="L")
    header, rows = _ledger_table(data)
    if rows:
        pdf.table(doc, header, rows, (24, 24, 78, 30, 18), size=8)
    else:
        pdf.paragraph(doc, _("这一年还没有学时记录。"))
    pdf.signature_block(doc, data.org.name)
    return pdf.output(doc)


def branch_xlsx(data: ArchiveData) -> bytes:
    return write_workbook([(name, *table) for name, table in (
        (_("党员学时"), _member_table(data)), (_("必修课程"), _course_table(data)),
        (_("会议记录"), _meeting_table(data)), (_("学时明细"), _ledger_table(data)))])


# ---- every branch under a node ------------------------------------------------------------

def branches_under(node: Organization) -> list[Organization]:
    """The branches at or under ``node``, in tree order."""
    return list(db.session.scalars(
        select(Organization).where(Organization.path.startswith(node.path),
                                   Organization.kind.in_(BRANCH_KINDS))
        .order_by(Organization.path)))


def file_names(org: Organization, year: int) -> tuple[str, str]:
    stem = f"{org.code}-{year}"
    return f"{stem}.pdf", f"{stem}.xlsx"


def _write(path: Path, data: bytes) -> None:
    partial = path.with_name(path.name + ".part")
    partial.write_bytes(data)
    os.replace(partial, path)


@dataclass
class Summary:
    built: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0
    members: int = 0


def build_all(node: Organization, year: int, dest: Path, *, progress=None) -> Summary:
    """Write every branch's PDF and XLSX under ``dest``; skip a branch whose two files exist
    (a rerun resumes). ``progress(org)`` is called after each branch. A branch that fails is
    reported and the others go on."""
    dest.mkdir(parents=True, exist_ok=True)
    summary, start = Summary(), time.perf_counter()
    ids = [(o.id, o.code) for o in branches_under(node)]
    for org_id, code in ids:
        org = db.session.get(Organization, org_id)
        pdf_name, xlsx_name = file_names(org, year)
        if (dest / pdf_name).exists() and (dest / xlsx_name).exists():
            summary.skipped.append(code)
        else:
            try:
                data = collect(org, year)
                _write(dest / pdf_name, branch_pdf(data))
                _write(dest / xlsx_name, branch_xlsx(data))
                summary.built.append(code)
                summary.members += len(data.members)
            except Exception as error:  # noqa: BLE001 — one bad branch must not stop the county
                summary.failed.append((code, f"{type(error).__name__}: {error}"))
        if progress is not None:
            progress(org)
        db.session.rollback()
        db.session.expunge_all()  # memory stays flat over hundreds of branches
    summary.seconds = time.perf_counter() - start
    return summary



def download(actor, org: Organization, year: int, fmt: str, ip: str = "") -> tuple[str, bytes]:
    """One branch's archive as ``pdf`` or ``xlsx`` for the branch view; audited, one commit.
    The caller checks the actor's scope over ``org`` first."""
    from lms.audit.services import record

    data = collect(org, year)
    content = branch_pdf(data) if fmt == "pdf" else branch_xlsx(data)
    record("reports.archive", actor=actor, target=org.code, ip=ip,
           detail={"format": fmt, "year": year, "members": len(data.members)})
    db.session.commit()
    return file_names(org, year)[0 if fmt == "pdf" else 1], content
