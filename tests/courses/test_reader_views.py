"""The catalogue, course page and lesson reader; who sees what; short links, QR codes, media and
static files."""
from __future__ import annotations

import hashlib
import re
import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import select

from lms.authoring.pack_sync import import_folders
from lms.courses import links
from lms.courses.models import Course, Lesson, MediaFile
from lms.extensions import db

from .conftest import ROOT

YEAR = 31536000


def text_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def cards(html: str) -> list[tuple[str, str]]:
    """(title, 必修/选修) of each course card on a catalogue page, in order."""
    found = re.findall(r'<li class="card course-card">\s*<h2><a href="[^"]+">([^<]+)</a></h2>'
                       r'\s*<p class="meta">\s*<span class="tag[^"]*">([^<]+)</span>', html)
    return [(title, mark) for title, mark in found]


def outline(html: str) -> list[str]:
    """The lesson keys of a course page's outline, in order."""
    block = re.search(r'<ol class="outline">(.*?)</ol>', html, re.S).group(1)
    return re.findall(r'href="/courses/[a-z0-9-]+/lessons/([a-z0-9-]+)"', block)


@pytest.fixture
def reader(client_for, member, imported):
    return client_for(member)


# ---- catalogue --------------------------------------------------------------------------------

def test_the_catalogue_shows_every_module_with_its_required_mark(reader, imported):
    html = text_of(reader.get("/courses/"))
    assert sorted(cards(html)) == [("党课进田间、上渔船、入微群", "必修"), ("村干部能力建设", "选修"),
                                   ("高素质农民培训", "选修")]
    marks = [mark for _title, mark in cards(html)]
    assert marks == sorted(marks, key=lambda mark: mark != "必修")  # 必修 first
    assert "6 课 · 约" in html and "1 学时" in html and "1.5 学时" not in html


@pytest.mark.parametrize(("category", "titles"), [
    ("干部", ["村干部能力建设"]),
    ("农民", ["高素质农民培训"]),
    ("理论", ["党课进田间、上渔船、入微群"]),
    ("政策", []),
    ("不存在", ["党课进田间、上渔船、入微群", "村干部能力建设", "高素质农民培训"]),
])
def test_the_catalogue_by_category(reader, category, titles):
    html = text_of(reader.get("/courses/", query_string={"category": category}))
    assert sorted(title for title, _ in cards(html)) == sorted(titles)
    if not titles:
        assert "没有找到课程。" in html
    if category != "不存在":
        assert re.search(rf'<a href="[^"]*" aria-current="page">{category}</a>', html)


@pytest.mark.parametrize(("q", "titles"), [
    ("渔船", ["党课进田间、上渔船、入微群"]),     # in a title
    ("干部", ["村干部能力建设"]),
    ("两个市", ["党课进田间、上渔船、入微群"]),   # only in a summary
    ("致富带头人", ["高素质农民培训"]),
    ("  渔船  ", ["党课进田间、上渔船、入微群"]),
    ("党", ["党课进田间、上渔船、入微群", "村干部能力建设", "高素质农民培训"]),
    ("%", []),                                   # LIKE wildcards are literal
    ("_", []),
    ("火星", []),
    ("' OR 1=1 --", []),
])
def test_search_is_a_chinese_substring_match_over_titles_and_summaries(reader, q, titles):
    html = text_of(reader.get("/courses/", query_string={"q": q}))
    assert sorted(title for title, _ in cards(html)) == sorted(titles)


def test_search_within_a_category_and_the_query_kept_in_the_form(reader):
    html = text_of(reader.get("/courses/", query_string={"q": "渔船", "category": "干部"}))
    assert cards(html) == [] and 'value="渔船"' in html
    assert '<input type="hidden" name="category" value="干部">' in html


# ---- who sees what ----------------------------------------------------------------------------

def visit_all(client, course: Course, lesson_key: str) -> list[int]:
    urls = ["/courses/", f"/courses/{course.slug}/", f"/courses/{course.slug}/lessons/{lesson_key}",
            f"/courses/{course.slug}/qr.svg", f"/courses/{course.slug}/lessons/{lesson_key}/qr.svg"]
    codes = [client.get(url).status_code for url in urls[1:]]
    listed = course.title in client.get(urls[0]).get_data(as_text=True)
    return [listed, *codes]


def test_a_course_for_a_subtree_is_seen_only_inside_it(client_for, make_user, member, member_b,
                                                       admin, tree, make_course):
    course = make_course(lessons=2, audience=tree["a"], title="甲村的专题课").course
    seen = [True, 200, 200, 200, 200]
    hidden = [False, 404, 404, 404, 404]
    for user, expected in [(member, seen), (member_b, hidden), (admin, seen),
                           (make_user("无组织", org=None), hidden),
                           (make_user("镇里的人", org=tree["town"]), hidden),
                           (make_user("支部的人", org=tree["a"]), seen)]:
        assert visit_all(client_for(user), course, "l1") == expected, user.name


def test_a_course_for_everyone_is_seen_by_everyone(client_for, member_b, make_user, make_course):
    course = make_course(lessons=1).course
    for user in (member_b, make_user("无组织", org=None)):
        client = client_for(user)
        assert visit_all(client, course, "l1") == [True, 200, 200, 200, 200]


@pytest.mark.parametrize("status", ["draft", "archived"])
def test_unpublished_courses_are_invisible_even_to_the_administrator(client_for, member, admin,
                                                                     make_course, status):
    course = make_course(lessons=1, status=status).course
    for user in (member, admin):
        client = client_for(user)
        assert visit_all(client, course, "l1") == [False, 404, 404, 404, 404]
        lesson_id = db.session.scalar(select(Lesson.id))
        assert client.get(f"/s/c{links.to_base36(course.id)}").status_code == 404
        assert client.get(f"/s/l{links.to_base36(lesson_id)}").status_code == 404


def test_the_reader_pages_need_a_sign_in(client, imported):
    for url in ["/courses/", "/courses/dangke-tianjian/", "/courses/dangke-tianjian/lessons/fields",
                "/courses/dangke-tianjian/qr.svg"]:
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


# ---- course page and lesson reader ------------------------------------------------------------

def test_the_course_page_has_the_outline_in_order(reader, imported):
    html = text_of(reader.get("/courses/dangke-tianjian/"))
    assert outline(html) == ["fields", "governance", "poverty", "five-good", "collective", "green-grid"]
    assert "约 5 分钟" in html and "必修" in html and "1 学时" in html
    # the works the course draws on, named with author and date
    assert "资料来源" in html and "人民论坛理论研究中心 整理：《党建引领乡村振兴发展的地方实践与经验启示》" in html
    assert "习近平：《在全国脱贫攻坚总结表彰大会上的讲话》，2021-02-25" in html
    course = imported["dangke-tianjian"]
    assert f"http://localhost/s/c{links.to_base36(course.id)}" in html
    assert 'src="/courses/dangke-tianjian/qr.svg"' in html


def test_lesson_pages_link_previous_and_next(reader):
    keys = ["fields", "governance", "poverty", "five-good", "collective", "green-grid"]
    for number, key in enumerate(keys):
        html = text_of(reader.get(f"/courses/dangke-tianjian/lessons/{key}"))
        prev = re.search(r'rel="prev" href="/courses/dangke-tianjian/lessons/([a-z-]+)"', html)
        nxt = re.search(r'rel="next" href="/courses/dangke-tianjian/lessons/([a-z-]+)"', html)
        assert (prev and prev.group(1)) == (keys[number - 1] if number else None)
        assert (nxt and nxt.group(1)) == (keys[number + 1] if number + 1 < len(keys) else None)
        assert f"第 {number + 1} 课，共 6 课" in html
    html = text_of(reader.get("/courses/dangke-tianjian/lessons/fields"))
    assert "<h1>把党课送到田间、渔船和微信群</h1>" in html and "约 5 分钟" in html
    assert '<h2>这门课从哪里来</h2>' in html
    # lesson.js makes the read-aloud button where the browser can speak; the page has none
    assert 'id="read-aloud"' not in html
    assert 'id="lesson-tools" data-read-start="朗读本课" data-read-stop="停止朗读"' in html
    assert "<audio" not in html


def test_an_archived_lesson_leaves_the_outline_and_the_reader(reader, make_course):
    course = make_course(lessons=3).course
    db.session.scalar(select(Lesson).where(Lesson.key == "l2")).archived = True
    db.session.commit()
    html = text_of(reader.get(f"/courses/{course.slug}/"))
    assert outline(html) == ["l1", "l3"]
    assert reader.get(f"/courses/{course.slug}/lessons/l2").status_code == 404
    html = text_of(reader.get(f"/courses/{course.slug}/lessons/l3"))
    assert f'rel="prev" href="/courses/{course.slug}/lessons/l1"' in html
    assert "第 2 课，共 2 课" in html


def test_unknown_lessons_and_courses_are_404(reader):
    assert reader.get("/courses/dangke-tianjian/lessons/nope").status_code == 404
    assert reader.get("/courses/nope/").status_code == 404
    assert reader.get("/courses/dangke-tianjian/lessons/nope/qr.svg").status_code == 404


@pytest.fixture
def media_course(app, media_pack):
    (outcome,) = import_folders([media_pack])
    return outcome.course


def media_row(path: str) -> MediaFile:
    return db.session.scalar(select(MediaFile).where(MediaFile.path == path))


def test_an_audio_lesson_has_a_player_and_images_point_at_media(client_for, member,
                                                                media_course):
    client = client_for(member)
    mp3, png, ogg = (media_row(p) for p in ("media/read.mp3", "media/boat.png", "media/wave.ogg"))
    html = text_of(client.get("/courses/media-demo/lessons/intro"))
    assert re.search(rf'<audio controls preload="none" src="/media/{mp3.sha256}\.mp3"', html)
    assert html.count(f'<img src="/media/{png.sha256}.png" alt="渔船" loading="lazy">') == 2
    html = text_of(client.get("/courses/media-demo/lessons/second"))
    assert "<audio" not in html
    html = text_of(client.get("/courses/media-demo/lessons/third"))
    assert f'src="/media/{ogg.sha256}.ogg" type="audio/ogg"' in html


# ---- short links and QR codes -----------------------------------------------------------------

def test_short_links_resolve(client, imported):
    course = imported["xinxing-nongmin"]
    lesson = db.session.scalar(select(Lesson).where(Lesson.course_id == course.id,
                                                    Lesson.key == "jobs"))
    response = client.get(f"/s/{links.short_code('c', course.id)}")
    assert response.status_code == 302
    assert response.headers["Location"] == "/courses/xinxing-nongmin/"
    response = client.get(f"/s/{links.short_code('l', lesson.id)}")
    assert response.headers["Location"] == "/courses/xinxing-nongmin/lessons/jobs"


@pytest.mark.parametrize("code", ["c", "l", "czz99zz", "l0", "x1", "c-1", "c+1", "c 1", "c1.5",
                                  "c" + "1" * 11, "c%00", "lzzzzzzzzzz", "lzik0zk", "c999"])
def test_unknown_short_links_are_404(client, imported, code):
    """Also past the 32-bit ids of PostgreSQL (``zik0zk`` is 2**31): a 404, never a 500 (a NUL
    is refused at the boundary: 400)."""
    assert client.get(f"/s/{code}").status_code == (400 if "%00" in code else 404)


def test_short_codes_ignore_case(client, imported):
    course = imported["xinxing-nongmin"]
    code = links.short_code("c", course.id).upper()
    assert client.get(f"/s/c{code[1:]}").headers["Location"] == "/courses/xinxing-nongmin/"


def test_a_short_link_to_an_archived_lesson_is_404(client, make_course):
    make_course(lessons=2)
    lesson = db.session.scalar(select(Lesson).where(Lesson.key == "l2"))
    lesson.archived = True
    db.session.commit()
    assert client.get(f"/s/{links.short_code('l', lesson.id)}").status_code == 404


@pytest.mark.parametrize("number", [1, 35, 36, 1295, 10**9, 2**31 - 1])
def test_base36_round_trip(number):
    assert links.from_base36(links.to_base36(number)) == number


@pytest.mark.parametrize("text", ["", "0", "-1", "+1", " 1", "1_0", "zik0zk", "zzzzzzzz", "１"])
def test_base36_refuses_what_it_never_writes(text):
    assert links.from_base36(text) is None


def test_qr_codes_are_svg_of_the_short_link(reader, imported):
    course = imported["cungangbu-nengli"]
    lesson = db.session.scalar(select(Lesson).where(Lesson.course_id == course.id)
                               .order_by(Lesson.position))
    for url, code in [("/courses/cungangbu-nengli/qr.svg", links.short_code("c", course.id)),
                      (f"/courses/cungangbu-nengli/lessons/{lesson.key}/qr.svg",
                       links.short_code("l", lesson.id))]:
        response = reader.get(url)
        assert response.status_code == 200 and response.mimetype == "image/svg+xml"
        assert response.data == links.qr_svg(f"http://localhost/s/{code}")
        root = ET.fromstring(response.data)
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        assert b"<script" not in response.data
        assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")


# ---- media ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("path", "ctype"), [("media/boat.png", "image/png"),
                                             ("media/read.mp3", "audio/mpeg"),
                                             ("media/wave.ogg", "audio/ogg")])
def test_media_is_served_with_a_long_cache_and_nosniff(client_for, member, media_course,
                                                       media_pack, path, ctype):
    client = client_for(member)
    row = media_row(path)
    url = f"/media/{row.sha256}{'.' + path.rsplit('.', 1)[1]}"
    response = client.get(url)
    body = response.data
    response.close()
    assert response.status_code == 200
    assert response.mimetype == ctype
    assert body == (media_pack / path).read_bytes()
    cache = response.headers["Cache-Control"]
    assert f"max-age={YEAR}" in cache and "immutable" in cache
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    ranged = client.get(url, headers={"Range": "bytes=0-3"})  # phones seek in audio
    part = ranged.data
    ranged.close()
    assert ranged.status_code == 206 and part == body[:4]
    again = client.get(url, headers={"If-None-Match": response.headers["ETag"]})
    again.close()
    assert again.status_code == 304


def test_media_path_tricks_are_404(client_for, member, media_course):
    client = client_for(member)
    png = media_row("media/boat.png").sha256
    for url in [f"/media/{png}.mp3",                 # another type than the stored one
                f"/media/{png}.PNG", f"/media/{png}.svg", f"/media/{png}.png.html",
                f"/media/{png.upper()}.png", f"/media/{png[:-1]}.png", f"/media/{png}0.png",
                f"/media/{'g' * 64}.png", f"/media/{'0' * 64}.png",
                "/media/../instance/secret_key", "/media/..%2f..%2fsecret_key.png",
                f"/media/%2e%2e%2f{png}.png", "/media/.png", f"/media/{png}."]:
        assert client.get(url).status_code == 404, url


def test_media_needs_a_sign_in(client, media_course):
    png = media_row("media/boat.png").sha256
    assert client.get(f"/media/{png}.png").status_code == 302


# ---- static files and headers -----------------------------------------------------------------

def test_static_files_are_fingerprinted_and_cached_for_a_year(reader):
    html = text_of(reader.get("/courses/dangke-tianjian/lessons/fields"))
    urls = re.findall(r'(?:href|src)="(/static/[^"]+)"', html)
    assert {u.split("?")[0] for u in urls} >= {"/static/css/app.css", "/static/js/app.js",
                                                "/static/js/lesson.js"}
    for url in urls:
        path, _, query = url.partition("?")
        content = (ROOT / "lms" / path.lstrip("/")).read_bytes()
        assert query == "v=" + hashlib.sha256(content).hexdigest()[:12]
        response = reader.get(url)
        assert response.status_code == 200 and response.data == content
        assert response.headers["Cache-Control"] == f"public, max-age={YEAR}, immutable"
        response.close()
    plain = reader.get("/static/css/app.css")
    assert "immutable" not in plain.headers.get("Cache-Control", "")
    plain.close()


@pytest.mark.parametrize("url", ["/courses/", "/courses/dangke-tianjian/",
                                 "/courses/dangke-tianjian/lessons/fields"])
def test_pages_carry_the_security_headers(reader, url):
    headers = reader.get(url).headers
    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "object-src 'none'" in csp and "unsafe-inline" not in csp.split("style-src")[0]
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"


def test_the_lesson_page_prints_clean():
    """The print sheet hides the site chrome and the screen-only tools of the lesson page."""
    css = (ROOT / "lms/static/css/app.css").read_text(encoding="utf-8")
    prints = "".join(re.findall(r"@media print \{(.*?)\n\}", css, re.S))
    assert ".no-print" in prints and "display: none" in prints
    template = (ROOT / "templates/courses/lesson.html").read_text(encoding="utf-8")
    assert 'class="tools no-print"' in template and 'class="prev-next no-print"' in template
