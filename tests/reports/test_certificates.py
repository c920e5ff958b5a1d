"""结业证书: issued once on completion, verified publicly by code, revoked with an audit row."""
from __future__ import annotations

import re

from sqlalchemy import select

from lms.audit.models import AuditLog
from lms.extensions import db
from lms.reports import certificates
from lms.reports.models import Certificate
from tests.helpers import pdf_text


def _only(member) -> Certificate:
    rows = db.session.scalars(select(Certificate).where(Certificate.user_id == member.id)).all()
    assert len(rows) == 1
    return rows[0]


def test_completing_a_course_issues_one_certificate(member, complete_course, grade):
    made = complete_course(member, hours=3, title="党章学习")
    cert = _only(member)
    assert (cert.member_name, cert.course_title, cert.hours) == ("张三", "党章学习", 3)
    assert cert.issuer_name == "测试县委"
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{16}", cert.code)
    grade.final(member, made.final)  # passing again completes nothing new
    assert _only(member).id == cert.id


def test_an_unfinished_course_has_no_certificate(member, make_course, finish_lessons):
    made = make_course(lessons=3, check=1, final=1)
    finish_lessons(member, made)  # final quiz not passed yet
    assert certificates.of_member(member.id) == []


def test_codes_are_not_guessable():
    codes = {certificates.new_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert len(certificates.ALPHABET) ** certificates.CODE_LENGTH >= 2 ** 80


def test_verify_shows_only_name_course_date_and_issuer(client, member, complete_course):
    complete_course(member, title="党史学习")
    cert = _only(member)
    for typed in (cert.display_code, cert.code.lower(), " " + cert.display_code.lower() + " "):
        page = client.get("/verify/", query_string={"code": typed})
        text = page.get_data(as_text=True)
        assert page.status_code == 200
        assert "证书有效" in text and "张三" in text and "党史学习" in text and "测试县委" in text
        assert member.phone not in text and "甲村" not in text
    assert client.get(f"/verify/{cert.display_code}").status_code == 200


def test_unknown_and_odd_codes_get_the_unknown_page(client):
    for code in ("AAAA-BBBB-CCCC-DDDD", "<script>", "x" * 500, "'; DROP TABLE--", "..%2f"):
        page = client.get("/verify/", query_string={"code": code})
        assert page.status_code == 404
        assert "没有找到这个验证码对应的证书" in page.get_data(as_text=True)
    assert client.get("/verify/%E4%BD%A0%E5%A5%BD/../x").status_code == 404


def test_revoking_is_audited_and_the_verify_page_says_so(client, login, member, secretary,
                                                         member_b, secretary_b,
                                                         complete_course):
    complete_course(member)
    cert = _only(member)
    login(secretary_b)  # another branch: as if the certificate did not exist
    assert client.post(f"/branch/certificates/{cert.id}/revoke",
                       data={"reason": "更正"}).status_code == 404
    client.post("/logout")
    login(secretary)
    page = client.post(f"/branch/certificates/{cert.id}/revoke", data={"reason": ""},
                       follow_redirects=True)
    assert "请写明撤销的原因" in page.get_data(as_text=True)
    client.post(f"/branch/certificates/{cert.id}/revoke", data={"reason": "成绩录入有误"})
    db.session.expire_all()
    assert _only(member).revoked_at is not None
    log = db.session.scalar(select(AuditLog).where(
        AuditLog.action == "reports.certificate_revoke"))
    assert log.target == cert.code and log.actor_id == secretary.id and "成绩录入有误" in log.detail
    page = client.get(f"/verify/{cert.code}")
    assert "已被撤销" in page.get_data(as_text=True) and "证书有效" not in page.get_data(
        as_text=True)
    assert client.get(f"/certificates/{cert.id}.pdf").status_code == 404


def test_the_verify_page_is_rate_limited(app_factory, member, complete_course):
    app = app_factory(RATELIMIT_ENABLED=True, VERIFY_RATE_LIMIT="3 per minute")
    client = app.test_client()
    codes = [client.get("/verify/", query_string={"code": "AAAA"}).status_code
             for _ in range(4)]
    assert codes == [404, 404, 404, 429]


def test_the_certificate_pdf_names_member_course_hours_code(client, login, member, secretary,
                                                            member_b, complete_course):
    complete_course(member, hours=2.5, title="乡村振兴")
    cert = _only(member)
    login(member)
    response = client.get(f"/certificates/{cert.id}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    for words in ("结业证书", "张三", "乡村振兴", "2.5", cert.display_code, "测试县委"):
        assert words in text, words
    assert b"/Subtype /Image" in response.data  # the QR code
    assert "1/1" not in text  # one page, no page footer across its border
    client.post("/logout")
    login(member_b)
    assert client.get(f"/certificates/{cert.id}.pdf").status_code == 404
    client.post("/logout")
    login(secretary)
    assert client.get(f"/certificates/{cert.id}.pdf").status_code == 200


def test_record_page_lists_certificates_with_links(client, login, member, complete_course):
    complete_course(member, title="党章学习")
    cert = _only(member)
    login(member)
    page = client.get("/study/record").get_data(as_text=True)
    assert cert.display_code in page and f"/certificates/{cert.id}.pdf" in page
    assert "/study/record.pdf" in page


def test_the_demo_issues_a_certificate_for_every_completion(app):
    from pathlib import Path

    from sqlalchemy import func

    from lms.authoring.pack_sync import import_folders
    from lms.demo import create_demo
    from lms.progress.models import CourseCompletion

    import_folders([Path(__file__).resolve().parents[2] / "courses"])
    create_demo(app, echo=lambda *_: None)
    completions = db.session.scalar(select(func.count()).select_from(CourseCompletion))
    assert completions
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == completions
    create_demo(app, echo=lambda *_: None)
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == completions


def test_issuing_the_missing_certificates_costs_the_same_for_5_or_50(
        make_user, tree, make_course, count_queries):
    """The back-fill (the demo's history, completions from before certificates) reads the
    completions, the issuers and writes the certificates in a fixed number of statements, each
    certificate as the completing transaction would have issued it."""
    from lms.progress.models import CourseCompletion

    courses = [make_course(lessons=1, title=f"课程{i}", hours=2).course for i in range(5)]
    orgs = [tree["a1"], tree["b"], tree["town"], None]

    def back_fill(members):
        users = [make_user(f"党员{i}", org=orgs[i % len(orgs)]) for i in range(members)]
        for user in users:
            db.session.add_all([CourseCompletion(user_id=user.id, course_id=course.id)
                                for course in courses])
        db.session.commit()
        with count_queries() as n:
            issued = certificates.issue_missing()
        return issued, n[0], users

    small, big = back_fill(1), back_fill(10)
    assert (small[0], big[0]) == (5, 50)
    assert big[1] == small[1]
    assert certificates.issue_missing() == 0
    for user in small[2] + big[2]:
        issued = certificates.of_member(user.id)
        assert sorted(c.course_title for c in issued) == [c.title for c in courses]
        assert {(c.member_name, c.hours, c.issuer_name) for c in issued} == {
            (user.name, 2.0, "测试县委" if user.org_id else "")}
    codes = db.session.scalars(select(Certificate.code)).all()
    assert len(set(codes)) == len(codes) == 55
