"""The manifest, the service worker script and saving a course, over HTTP."""
from __future__ import annotations

import json
import struct

from sqlalchemy import select

from lms.extensions import db
from lms.progress.models import Enrollment
from lms.quizzes.models import Attempt

SW_BUDGET = 15 * 1000


def test_the_manifest_names_the_app_with_its_own_icons(client):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    body = json.loads(response.get_data(as_text=True))
    assert body["name"] == "田埂课堂" and body["display"] == "standalone"
    assert body["theme_color"] == "#b3261e" and body["start_url"] == "/"
    sizes = set()
    for icon in body["icons"]:
        assert icon["src"].startswith("/static/icons/")  # nothing from another host
        with client.get(icon["src"]) as image:
            assert image.status_code == 200 and image.mimetype == "image/png"
            data = image.data
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk
        assert f"{width}x{height}" == icon["sizes"]
        sizes.add(icon["sizes"])
    assert {"192x192", "512x512"} <= sizes


def test_every_page_links_the_manifest(client_for, member):
    page = client_for(member).get("/study/").get_data(as_text=True)
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page


def test_the_service_worker_is_served_at_the_root_small_and_never_stale(client):
    response = client.get("/sw.js")
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "no-cache"
    assert len(response.data) <= SW_BUDGET
    script = response.get_data(as_text=True)
    assert "__VERSION__" not in script and "__SHELL__" not in script
    assert "http://" not in script and "https://" not in script


def test_a_new_release_ships_a_new_worker(app_factory):
    scripts = []
    for release in ("", "2026.12.05"):
        app = app_factory(OFFLINE_RELEASE=release)
        with app.app_context():
            scripts.append(app.test_client().get("/sw.js").get_data(as_text=True))
    versions = [s.split('var VERSION = "')[1].split('"')[0] for s in scripts]
    assert versions[0] != versions[1]


def test_saving_starts_the_checks_on_the_server_and_lists_what_to_keep(
        client_for, member, make_course):
    made = make_course(lessons=3, check=2, mastery=1, check_on=(0, 1), final=1,
                       time_limit_minutes=20, media=True)
    made.checks[1].time_limit_minutes = 5
    db.session.commit()
    client = client_for(member)
    response = client.post(f"/offline/courses/{made.course.slug}/save")
    assert response.status_code == 200
    plan = response.get_json()
    urls = [item["url"] for item in plan["items"]]
    slug = made.course.slug
    assert urls[:4] == [f"/courses/{slug}/"] + [f"/courses/{slug}/lessons/l{i}" for i in (1, 2, 3)]
    assert set(urls[4:]) == {made.image_url, made.audio_url}
    assert plan["cache"] == f"fieldside-saved-v1-m{member.id}-{slug}"
    assert plan["total"] == sum(item["size"] for item in plan["items"]) > 0
    # the untimed check has an attempt waiting, with its questions as presented; the timed one
    # stays online; saving enrols
    attempts = db.session.scalars(select(Attempt).where(Attempt.user_id == member.id)).all()
    assert [(a.quiz_id, a.state, len(a.snapshot)) for a in attempts] == [
        (made.checks[0].id, "in_progress", 2)]
    assert db.session.scalar(select(Enrollment.course_id).where(
        Enrollment.user_id == member.id)) == made.course.id
    # saving again keeps the same attempt
    client.post(f"/offline/courses/{slug}/save")
    assert len(db.session.scalars(select(Attempt)).all()) == 1


def test_a_saved_lesson_page_carries_questions_and_options_never_answers(
        client_for, member, make_course):
    made = make_course(lessons=1, check=2, mastery=1, final=1, time_limit_minutes=20,
                       media=True)
    client = client_for(member)
    client.post(f"/offline/courses/{made.course.slug}/save")
    page = client.get(f"/courses/{made.course.slug}/lessons/l1").get_data(as_text=True)
    assert "第1题（single）题干" in page and "乙1" in page
    assert "解析1" not in page and "checked" not in page


def test_saving_needs_a_visible_course_and_a_signed_in_member(client_for, member,
                                                               make_course):
    made = make_course(lessons=3, check=2, mastery=1, check_on=(0, 1), final=1,
                       time_limit_minutes=20, media=True)
    made.course.status = "draft"
    db.session.commit()
    assert client_for(member).post(f"/offline/courses/{made.course.slug}/save").status_code == 404
    anonymous = client_for(None).post(f"/offline/courses/{made.course.slug}/save")
    assert anonymous.status_code in (302, 401)
    assert db.session.scalars(select(Attempt)).all() == []


def test_pages_name_their_member_for_the_service_worker(client_for, member):
    client = client_for(member)
    assert client.get("/study/").headers["X-Fieldside-Member"] == str(member.id)
    assert "X-Fieldside-Member" not in client_for(None).get("/login").headers
    assert "X-Fieldside-Member" not in client.get("/sw.js").headers


def test_the_course_page_offers_saving_and_the_not_saved_page_names_nobody(
        client_for, member, make_course):
    made = make_course(lessons=3, check=2, mastery=1, check_on=(0, 1), final=1,
                       time_limit_minutes=20, media=True)
    page = client_for(member).get(f"/courses/{made.course.slug}/").get_data(as_text=True)
    assert 'id="offline-save"' in page and "这个浏览器不能离线保存" in page
    fallback = client_for(member).get("/offline/")
    text = fallback.get_data(as_text=True)
    assert fallback.status_code == 200 and "没有网络" in text
    assert "fieldside-member" not in text and "csrf" not in text.lower()
