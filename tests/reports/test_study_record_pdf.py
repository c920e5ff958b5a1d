"""学时证明 as PDF: the member, the year's hours and the branch are in the document's text."""
from __future__ import annotations

from lms.extensions import db
from lms.progress import years
from lms.progress.models import StudyHours
from tests.helpers import pdf_text


def _hours(member, *entries):
    for hours, reason in entries:
        db.session.add(StudyHours(user_id=member.id, year=years.this_year(), category="meeting",
                                  hours=hours, source="manual", reason=reason,
                                  org_path="/"))
    db.session.commit()


def test_own_study_record_pdf(client, login, member, tree):
    _hours(member, (2, "三月党课"), (1.5, "主题党日"))
    login(member)
    response = client.get("/study/record.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    for words in ("学时证明", "张三", "甲村第一党小组", "3.5", "三月党课", "主题党日", "32",
                  "负责人签字"):
        assert words in text, words


def test_a_year_without_entries_is_an_empty_well_formed_document(client, login, member):
    login(member)
    year = years.this_year() - 3
    text = pdf_text(client.get(f"/study/record.pdf?year={year}").data)
    assert f"{year}" in text and "张三" in text and "合计" in text


def test_staff_get_members_in_scope_only(client, login, member, member_b, secretary):
    _hours(member, (4, "集中培训"))
    login(secretary)
    response = client.get(f"/branch/members/{member.id}/record.pdf")
    assert response.status_code == 200 and "集中培训" in pdf_text(response.data)
    assert client.get(f"/branch/members/{member_b.id}/record.pdf").status_code == 404
    assert client.get("/branch/members/99999/record.pdf").status_code == 404


def test_an_english_interface_gets_an_english_document(client, login, member):
    login(member)
    member.locale = "en"
    db.session.commit()
    text = pdf_text(client.get("/study/record.pdf").data)
    assert "Certificate of study hours" in text and "张三" in text
