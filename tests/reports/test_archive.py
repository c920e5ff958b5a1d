"""A branch's year archive (PDF + XLSX) on the branch view and for a whole township or county
from the command line: scoped, resumable, empty years well formed."""
from __future__ import annotations

import io
from datetime import date

from openpyxl import load_workbook
from sqlalchemy import select

from lms.audit.models import AuditLog
from lms.extensions import db
from lms.progress import years
from lms.progress.models import CourseAssignment, StudyHours
from tests.helpers import pdf_text


def _hours(member, hours, reason):
    db.session.add(StudyHours(user_id=member.id, year=years.this_year(), category="meeting",
                              hours=hours, source="manual", reason=reason))


def _branch(tree, member, secretary, make_user, complete_course):
    _hours(member, 6, "三月党课集中学习")
    _hours(make_user("王五", org=tree["a"]), 33, "全年集中培训")
    made = complete_course(member, title="党章学习", hours=2)
    db.session.add(CourseAssignment(course_id=made.course.id, org_id=tree["a"].id,
                                    due_on=date(2099, 1, 1), assigned_by_id=secretary.id))
    db.session.commit()


def test_a_secretary_downloads_the_branch_archive(client, login, tree, member, secretary,
                                                  make_user, complete_course):
    _branch(tree, member, secretary, make_user, complete_course)
    login(secretary)
    response = client.get(f"/branch/{tree['a'].id}/archive.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    for words in ("甲村党支部", "张三", "王五", "三月党课集中学习", "33", "党章学习",
                  "必修课程完成情况", "会议记录", "负责人签字"):
        assert words in text, words
    book = load_workbook(io.BytesIO(client.get(f"/branch/{tree['a'].id}/archive.xlsx").data))
    assert book.sheetnames == ["党员学时", "必修课程", "会议记录", "学时明细"]
    members = {row[0]: row for row in book["党员学时"].iter_rows(min_row=2, values_only=True)}
    assert members["张三"][3] == "8" and members["王五"][5] == "达标"
    assert [r[0] for r in book["必修课程"].iter_rows(min_row=2, values_only=True)] == ["党章学习"]
    log = db.session.scalars(select(AuditLog).where(AuditLog.action == "reports.archive")).all()
    assert [(entry.target, entry.actor_id) for entry in log] == [("A", secretary.id)] * 2


def test_the_archive_is_refused_outside_scope_and_for_a_township(client, login, tree,
                                                                 secretary):
    login(secretary)
    assert client.get(f"/branch/{tree['b'].id}/archive.pdf").status_code == 404
    assert client.get(f"/branch/{tree['town'].id}/archive.pdf").status_code == 404
    assert client.get(f"/branch/{tree['a'].id}/archive.doc").status_code == 404


def test_a_year_without_records_is_an_empty_well_formed_archive(client, login, tree, member,
                                                                secretary):
    login(secretary)
    year = years.this_year() - 5
    text = pdf_text(client.get(f"/branch/{tree['a'].id}/archive.pdf?year={year}").data)
    assert f"{year} 年度学习档案" in text and "这一年还没有学时记录" in text
    assert "本年度没有布置必修课程" in text and "本年度没有会议记录" in text


def test_the_command_builds_every_branch_and_resumes(app, runner, tree, member, member_b,
                                                     secretary, make_user, complete_course,
                                                     tmp_path):
    _branch(tree, member, secretary, make_user, complete_course)
    year = str(years.this_year())
    result = runner.invoke(args=["reports", "archive", "--org", "T1", "--year", year,
                                 str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        f"A-{year}.pdf", f"A-{year}.xlsx", f"B-{year}.pdf", f"B-{year}.xlsx"]
    assert "新建 2 个，已有跳过 0 个，失败 0 个" in result.output
    assert "李四" in pdf_text((tmp_path / f"B-{year}.pdf").read_bytes())
    (tmp_path / f"B-{year}.xlsx").unlink()  # as if the run had stopped there
    again = runner.invoke(args=["reports", "archive", "--org", "T1", "--year", year,
                                str(tmp_path)])
    assert "新建 1 个，已有跳过 1 个，失败 0 个" in again.output
    assert not list(tmp_path.glob("*.part"))


def test_the_command_refuses_what_the_account_may_not_see(app, runner, tree, secretary,
                                                          tmp_path):
    outside = runner.invoke(args=["reports", "archive", "--org", "T1", "--year", "2025",
                                  "--as", secretary.phone, str(tmp_path)])
    assert outside.exit_code == 1 and "无权" in outside.output
    inside = runner.invoke(args=["reports", "archive", "--org", "A", "--year", "2025",
                                 "--as", secretary.phone, str(tmp_path)])
    assert inside.exit_code == 0, inside.output
    unknown = runner.invoke(args=["reports", "archive", "--org", "NOPE", "--year", "2025",
                                  str(tmp_path)])
    assert unknown.exit_code == 1 and "NOPE" in unknown.output


def test_the_command_for_a_year_without_records_writes_empty_documents(app, runner, tree,
                                                                      member, tmp_path):
    result = runner.invoke(args=["reports", "archive", "--org", "A", "--year", "1990",
                                 str(tmp_path)])
    assert result.exit_code == 0, result.output
    text = pdf_text((tmp_path / "A-1990.pdf").read_bytes())
    assert "1990 年度学习档案" in text and "这一年还没有学时记录" in text
    book = load_workbook(tmp_path / "A-1990.xlsx")
    assert [book[name].max_row for name in ("必修课程", "会议记录", "学时明细")] == [1, 1, 1]
    wrong = runner.invoke(args=["reports", "archive", "--org", "A", "--year", "3000",
                                str(tmp_path)])
    assert wrong.exit_code == 1 and "3000" in wrong.output


def test_the_archive_costs_a_fixed_number_of_queries(client, login, tree, member, secretary,
                                                     make_user, complete_course,
                                                     count_queries):
    login(secretary)
    url = f"/branch/{tree['a'].id}/archive.pdf"
    client.get(url)
    db.session.commit()
    with count_queries() as before:
        assert client.get(url).status_code == 200
    _branch(tree, member, secretary, make_user, complete_course)
    for i in range(10):
        _hours(make_user(f"党员{i}", org=tree["a1"]), i, f"学习{i}")
    db.session.commit()
    with count_queries() as after:
        assert client.get(url).status_code == 200
    assert after[0] == before[0]


def test_the_county_build_costs_a_fixed_number_of_queries_a_branch(app, tree, member, secretary,
                                                                   make_org, make_user,
                                                                   complete_course,
                                                                   count_queries, tmp_path):
    year = years.this_year()

    def statements(code: str) -> int:
        from lms.orgs.models import Organization
        from lms.reports import archive

        node = db.session.scalar(select(Organization).where(Organization.code == code))
        dest = tmp_path / f"{code}-{len(list(tmp_path.iterdir()))}"
        with app.test_request_context(), count_queries() as n:
            summary = archive.build_all(node, year, dest)
        assert not summary.failed and summary.built
        return n[0]

    one, two = statements("A"), statements("T1")
    for row in (member, secretary, *tree.values()):  # the build empties the session
        db.session.add(row)
    _branch(tree, member, secretary, make_user, complete_course)
    for i in range(15):  # more members, ledger lines and required courses in both branches
        _hours(make_user(f"党员{i}", org=tree["a1"] if i % 2 else tree["b"]), i + 1, f"学习{i}")
        complete_course(make_user(f"学员{i}", org=tree["b"]), lessons=1)
    db.session.commit()
    assert (statements("A"), statements("T1")) == (one, two)
    counts = [two]
    for code, name in (("D", "丙村党支部"), ("E", "丁村党支部")):  # each branch costs the same
        db.session.add(tree["town"])
        _hours(make_user(f"{name}党员", org=make_org(code, "branch", tree["town"], name=name)),
               3, "冬训")
        db.session.commit()
        counts.append(statements("T1"))
    assert counts[2] - counts[1] == counts[1] - counts[0] <= 6
