"""Upload abuse: the bytes decide the type, names cannot steer paths, sizes are capped."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from lms.authoring import services, uploads
from lms.core.errors import ValidationFailed
from lms.courses import media
from lms.courses.models import MediaFile
from lms.extensions import db
from tests.helpers import EDITOR_COURSE, MP3, png


def _post(client, course, name: str, data: bytes, lesson=None):
    form = {"file": (io.BytesIO(data), name)}
    if lesson is not None:
        form["lesson_id"] = str(lesson.id)
    return client.post(f"/authoring/courses/{course.id}/media", data=form,
                       content_type="multipart/form-data", follow_redirects=True)


def _count() -> int:
    return db.session.scalar(select(func.count(MediaFile.id)))


def test_an_image_is_stored_under_its_hash_and_served_with_nosniff(client_for, trainer,
                                                                    make_course):
    course = make_course(**EDITOR_COURSE, owner=trainer, status="draft").course
    web = client_for(trainer)
    page = _post(web, course, "Boat Photo.PNG", png())
    assert "media/boat-photo.png" in page.get_data(as_text=True)
    row = db.session.scalar(select(MediaFile))
    assert (row.path, row.content_type, row.size) == ("media/boat-photo.png", "image/png",
                                                      len(png()))
    assert media.stored_path(row.sha256, ".png").read_bytes() == png()
    served = web.get(media.media_url(row.sha256, ".png"))
    assert served.status_code == 200 and served.mimetype == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    served.close()


def test_png_bytes_named_mp3_are_stored_as_png(client_for, trainer, make_course):
    """Our rule: the bytes decide; the name's extension is replaced by the proven one."""
    course = make_course(**EDITOR_COURSE, owner=trainer, status="draft").course
    page = _post(client_for(trainer), course, "song.mp3", png()).get_data(as_text=True)
    row = db.session.scalar(select(MediaFile))
    assert (row.path, row.content_type) == ("media/song.png", "image/png")
    assert "已上传图片" in page


@pytest.mark.parametrize("name, data", [
    ("photo.png", b"<html><script>alert(1)</script></html>"),
    ("photo.png", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
    ("photo.png", b"<?xml version='1.0'?><svg/>"),
    ("photo.png", b"alert(document.cookie)"),
    ("lesson.mp3", b"%PDF-1.4 fake"),
    ("photo.jpg", b"PK\x03\x04zipped"),
    ("empty.png", b""),
])
def test_anything_but_images_and_audio_is_refused(client_for, trainer, make_course, name,
                                                   data):
    course = make_course(**EDITOR_COURSE, owner=trainer, status="draft").course
    page = _post(client_for(trainer), course, name, data).get_data(as_text=True)
    assert "没有上传" in page or "文件是空的" in page or "请选择" in page
    assert _count() == 0


def test_oversize_is_refused_with_a_message(client_for, trainer, make_course):
    course = make_course(**EDITOR_COURSE, owner=trainer, status="draft").course
    big = png(pad=uploads.MAX_IMAGE_BYTES)
    page = _post(client_for(trainer), course, "big.png", big).get_data(as_text=True)
    assert "文件太大" in page and "上限是 20 MB" in page
    assert _count() == 0


def test_beyond_the_request_limit_is_413(app, client_for, trainer, make_course):
    course = make_course(**EDITOR_COURSE, owner=trainer, status="draft").course
    from flask.testing import EnvironBuilder

    huge = b"\x89PNG\r\n\x1a\n" + b"\x00" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    builder = EnvironBuilder(app, path=f"/authoring/courses/{course.id}/media", method="POST",
                             data={"file": (io.BytesIO(huge), "x.png")})
    environ = builder.get_environ()
    try:
        response = client_for(trainer).open(environ)
    finally:
        environ["wsgi.input"].close()
        builder.close()
    assert response.status_code == 413 and "文件太大" in response.get_data(as_text=True)
    assert _count() == 0


@pytest.mark.parametrize("name, path", [
    ("../../x.png", "media/x.png"),
    # the multipart encoding drops the backslashes: what arrives is "....windowsx.png"
    ("..\\..\\windows\\x.png", "media/windowsx.png"),
    ("/etc/passwd.png", "media/passwd.png"),
    ("....png", None),
    (".hidden.png", "media/hidden.png"),
    ("照片.png", None),
    ("a/../../../media/../x y.png", "media/x-y.png"),
])
def test_path_tricks_in_the_name_are_harmless(client_for, trainer, make_course, name, path):
    course = make_course(**EDITOR_COURSE, owner=trainer, status="draft").course
    _post(client_for(trainer), course, name, png())
    row = db.session.scalar(select(MediaFile))
    assert row.path == (path or f"media/{row.sha256[:12]}.png")
    assert row.path.count("/") == 1 and ".." not in row.path


def test_audio_can_be_chosen_for_a_lesson(client_for, trainer, member, make_course):
    course = make_course(**EDITOR_COURSE, owner=trainer).course
    lesson = services.live_lessons(course)[0]
    web = client_for(trainer)
    _post(web, course, "talk.mp3", MP3, lesson=lesson)
    row = db.session.scalar(select(MediaFile))
    assert (row.path, row.content_type) == ("media/talk.mp3", "audio/mpeg")
    web.post(f"/authoring/courses/{course.id}/lessons/{lesson.id}", data={
        "title": lesson.title, "minutes": "5", "body": lesson.body, "audio": row.path,
        "action": "save"})
    services.publish_changes(trainer, course)  # a published course's edit waits for this
    assert lesson.audio == "media/talk.mp3"
    page = client_for(member).get(f"/courses/{course.slug}/lessons/{lesson.key}")
    assert media.media_url(row.sha256, ".mp3") in page.get_data(as_text=True)


def test_an_image_named_in_the_body_appears_once_uploaded(client_for, trainer, make_course):
    course = make_course(**EDITOR_COURSE, owner=trainer, status="draft").course
    lesson = services.live_lessons(course)[0]
    services.update_lesson(trainer, lesson, title=lesson.title, minutes=5,
                           body="![渔船](media/boat.png)", audio=None)
    assert "<img" not in lesson.html
    _post(client_for(trainer), course, "boat.png", png())
    db.session.refresh(lesson)
    row = db.session.scalar(select(MediaFile))
    assert f'src="{media.media_url(row.sha256, ".png")}"' in lesson.html


def test_the_same_file_twice_is_one_row_and_a_clash_gets_a_new_name(client_for, trainer,
                                                                     make_course):
    course = make_course(**EDITOR_COURSE, owner=trainer, status="draft").course
    web = client_for(trainer)
    _post(web, course, "a.png", png())
    _post(web, course, "b.png", png())
    _post(web, course, "a.png", png(width=2))
    paths = list(db.session.scalars(select(MediaFile.path).order_by(MediaFile.id)))
    assert len(paths) == 2 and paths[0] == "media/a.png"
    assert paths[1].startswith("media/a-") and paths[1].endswith(".png")


@pytest.mark.parametrize("name, stem", [
    ("..\\..\\windows\\x.png", "x"), ("C:\\photos\\Boat.JPG", "boat"),
    ("../../etc/passwd", "passwd"), ("", ""), ("...", ""), ("<script>.png", "script"),
])
def test_safe_stem(name, stem):
    assert uploads.safe_stem(name) == stem


# ---- issue 14, findings 8 and 10 --------------------------------------------------------------

def test_media_quotas_per_course_and_per_trainer(app, trainer, make_course):
    app.config.update(MEDIA_QUOTA_COURSE_MB=1, MEDIA_QUOTA_TRAINER_MB=2)
    first, second, third = (
        make_course(**EDITOR_COURSE, owner=trainer, status="draft", slug=f"q{n}").course
        for n in range(3))
    big = 700 * 1024  # audio is stored as it comes (an image would be scaled under 200 KB)
    uploads.upload_media(trainer, first, "a.mp3", MP3 + bytes(big))
    with pytest.raises(ValidationFailed, match="每门课程 1 MB"):
        uploads.upload_media(trainer, first, "b.mp3", MP3 + bytes(big + 1))
    uploads.upload_media(trainer, second, "c.mp3", MP3 + bytes(big + 2))
    with pytest.raises(ValidationFailed, match="每位讲师 2 MB"):
        uploads.upload_media(trainer, third, "d.mp3", MP3 + bytes(big + 3))
    assert _count() == 2


@pytest.fixture
def small_media_disk(app):
    """The media folder on a 256 KB tmpfs: a real full disk (root only; skipped otherwise)."""
    import subprocess

    folder = media.media_folder()
    for old in folder.iterdir():
        old.unlink()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(folder)],
                             capture_output=True)
    if mounted.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def test_a_full_disk_leaves_no_temp_file_and_says_so(client_for, trainer, make_course,
                                                     small_media_disk):
    """A full disk left .upload-* files behind, which kept the disk full for everything else."""
    course = make_course(**EDITOR_COURSE, owner=trainer, status="draft").course
    web = client_for(trainer)
    page = _post(web, course, "huge.mp3", MP3 + bytes(400 * 1024)).get_data(as_text=True)
    assert "磁盘已满" in page
    assert list(small_media_disk.iterdir()) == []  # no temp file, no half a file
    assert _count() == 0
    # the space is free again: a small image goes in, and signing in still works
    assert "media/small.png" in _post(web, course, "small.png", png()).get_data(as_text=True)
    client_for(trainer)


def test_stale_temp_files_of_a_crashed_write_are_swept(app):
    import os
    import time

    from lms.core.files import sweep_temp_files

    folder = media.media_folder()
    stale, fresh = folder / ".upload-stale", folder / ".upload-fresh"
    stale.write_bytes(b"x")
    fresh.write_bytes(b"x")
    os.utime(stale, (time.time() - 7200, time.time() - 7200))
    assert sweep_temp_files(folder) == 1
    assert not stale.exists() and fresh.exists()
    fresh.unlink()


def test_a_drafts_media_is_served_only_to_its_editors(client_for, trainer, other_trainer, member,
                                                      admin, make_course):
    """A draft course's media was served to any signed-in user who knew its hash."""
    course = make_course(**EDITOR_COURSE, owner=trainer, status="draft").course
    row = uploads.upload_media(trainer, course, "draft.png", png())
    url = media.media_url(row.sha256, ".png")
    for who, status in ((trainer, 200), (admin, 200), (member, 404), (other_trainer, 404)):
        response = client_for(who).get(url)
        assert response.status_code == status, who.name
        response.close()
    services.publish_course(trainer, course)
    response = client_for(member).get(url)
    assert response.status_code == 200
    response.close()


#: the start of what Chrome's MediaRecorder writes: an EBML header (DocType "webm"), then a
#: Segment whose one track is Opus audio
WEBM = (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04\x42\xf3\x81\x08"
        b"\x42\x82\x84webm\x42\x87\x81\x04\x42\x85\x81\x02"
        b"\x18\x53\x80\x67\x01\xff\xff\xff\xff\xff\xff\xff"
        b"\x16\x54\xae\x6b\x8f\xae\x8d\xd7\x81\x01\x83\x81\x02\x86\x86A_OPUS" + b"\x00" * 400)
OGG = b"OggS\x00\x02" + b"\x00" * 20 + b"OpusHead" + b"\x00" * 300
MP4 = b"\x00\x00\x00\x18ftypiso5\x00\x00\x02\x00iso5mp41" + b"\x00" * 300


def _record(client, course, lesson, data: bytes, declared: str):
    return client.post(f"/authoring/courses/{course.id}/lessons/{lesson.id}/audio",
                       data={"file": (io.BytesIO(data), "blob", declared)},
                       content_type="multipart/form-data")


def _first_lesson(course):
    from lms.courses.models import Lesson
    return db.session.scalars(select(Lesson).where(Lesson.course_id == course.id)
                              .order_by(Lesson.position)).first()


@pytest.mark.parametrize("data, declared, ctype, ext", [
    (WEBM, "audio/webm;codecs=opus", "audio/webm", ".webm"),
    (OGG, "audio/ogg; codecs=opus", "audio/ogg", ".ogg"),
    (MP4, "audio/mp4", "audio/mp4", ".m4a"),
])
def test_a_recording_becomes_the_lessons_audio(client_for, trainer, make_course, data,
                                               declared, ctype, ext):
    course = make_course(**EDITOR_COURSE, owner=trainer, status="draft").course
    lesson = _first_lesson(course)
    version = lesson.version
    web = client_for(trainer)
    answer = _record(web, course, lesson, data, declared)
    assert answer.status_code == 200, answer.get_json()
    path = answer.get_json()["path"]
    assert path == f"media/{lesson.key}-recording{ext}"
    db.session.expire_all()
    assert (lesson.audio, lesson.version) == (path, version + 1)
    row = db.session.scalar(select(MediaFile).where(MediaFile.path == path))
    assert row.content_type == ctype
    served = web.get(media.media_url(row.sha256, ext))
    assert served.status_code == 200 and served.mimetype == ctype
    served.close()
    page = web.get(answer.get_json()["next"]).get_data(as_text=True)
    assert "已保存录音" in page and f"<option selected value=\"{path}\">" in page


@pytest.mark.parametrize("data, declared, message", [
    (WEBM, "video/webm", "只收 WebM、OGG 或 MP4 音频"),
    (WEBM, "text/html", "只收 WebM、OGG 或 MP4 音频"),
    (png(), "audio/webm", "只收 WebM、OGG 或 MP4 音频"),
    (b"<html><script>alert(1)</script></html>", "audio/webm", "不是可用的"),
    (WEBM.replace(b"\x86\x86A_OPUS", b"\x86\x85V_VP8"), "audio/webm", "带有画面"),
    (b"", "audio/webm", "文件是空的"),
])
def test_a_recording_is_checked_by_its_bytes(client_for, trainer, make_course, data,
                                             declared, message):
    course = make_course(**EDITOR_COURSE, owner=trainer, status="draft").course
    lesson = _first_lesson(course)
    answer = _record(client_for(trainer), course, lesson, data, declared)
    assert answer.status_code == 400 and message in answer.get_json()["error"]
    db.session.expire_all()
    assert lesson.audio is None
    assert _count() == 0


def test_a_recording_counts_against_the_quota_and_only_editors_may_record(
        app, client_for, trainer, other_trainer, make_course):
    app.config.update(MEDIA_QUOTA_COURSE_MB=1)
    course = make_course(**EDITOR_COURSE, owner=trainer, status="draft").course
    lesson = _first_lesson(course)
    uploads.upload_media(trainer, course, "a.mp3", MP3 + bytes(700 * 1024))
    answer = _record(client_for(trainer), course, lesson, WEBM + b"\x00" * (400 * 1024),
                     "audio/webm")
    assert answer.status_code == 400 and "每门课程 1 MB" in answer.get_json()["error"]
    refused = _record(client_for(other_trainer), course, lesson, WEBM, "audio/webm")
    assert refused.status_code in (403, 404)
    db.session.expire_all()
    assert lesson.audio is None and _count() == 1
