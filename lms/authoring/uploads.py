"""Images and audio for lessons: the bytes decide the type, the content hash names the file.

The uploaded name is only a label: its last path part is reduced to ``[a-z0-9_-]`` for the pack
path (``media/boat.png``), and the extension is the one the bytes prove (PNG bytes named
``x.mp3`` become ``media/x.png``). Anything :func:`lms.courses.media.sniff` does not recognise
(HTML, SVG, scripts, documents) is refused, as are files over the size limits.

An image is then made fit for a phone by :func:`lms.authoring.photos.prepare` (at most 1280
pixels and 200 KB, upright, no EXIF or other metadata); what it returns is what is stored,
hashed and counted against the quotas, and its type may differ from the upload's (a photo saved
as PNG is stored as JPEG). The upload itself is not kept.
"""
from __future__ import annotations

import hashlib
import re

from flask import current_app
from sqlalchemy import func, select

from lms.audit.services import record
from lms.authoring import photos
from lms.authoring.permissions import ensure_editor
from lms.authoring.services import rerender_lessons
from lms.core.errors import ValidationFailed
from lms.core.i18n import N_, Message
from lms.courses import media
from lms.courses.models import Course, MediaFile
from lms.database import begin_write
from lms.extensions import db

#: what an uploaded image may weigh before it is scaled down: a phone's 12-MP photo is 3–6 MB,
#: a 50-MP one up to 20 (what is stored is at most photos.BUDGET)
MAX_IMAGE_BYTES = 20 * 1024 * 1024
MAX_AUDIO_BYTES = 20 * 1024 * 1024
ACCEPTED = N_("图片（PNG、JPEG、GIF、WebP）或音频（MP3、OGG、M4A、WebM）")


def safe_stem(filename: str) -> str:
    """The last part of an uploaded name, without extension, as ``[a-z0-9_-]{0,40}``."""
    name = re.split(r"[\\/]", filename or "")[-1]
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return re.sub(r"[^a-z0-9_-]+", "-", stem.lower()).strip("-_")[:40].strip("-_")


def upload_media(actor, course: Course, filename: str, data: bytes, ip: str = "") -> MediaFile:
    """Store an image or audio file for ``course``; returns its MediaFile (an identical file
    already in the course is reused). Raises ValidationFailed with a message saying why not."""
    ensure_editor(actor, course)
    if not data:
        raise ValidationFailed(N_("文件是空的。"))
    kind = media.sniff(data[:64])
    if kind is None:
        raise ValidationFailed(N_("“%(name)s”的内容不是可用的%(accepted)s，没有上传。"
                                  "（类型按文件内容判断，不看文件名。）"),
                               name=filename, accepted=Message(ACCEPTED))
    ext, content_type = kind
    if content_type == "audio/webm" and media.has_video(data):
        raise ValidationFailed(N_("这个 WebM 文件带有画面，这里只收音频。"))
    audio = content_type.startswith("audio/")
    limit = MAX_AUDIO_BYTES if audio else MAX_IMAGE_BYTES
    if len(data) > limit:
        too_big = N_("文件太大（%(size).1f MB），音频上限是 %(mb)d MB。") \
            if audio else N_("文件太大（%(size).1f MB），图片上限是 %(mb)d MB。")
        raise ValidationFailed(too_big, size=len(data) / 1024 / 1024, mb=limit // 1024 // 1024)
    uploaded = len(data)
    if not audio:
        photo = photos.prepare(data, filename, content_type)
        data, ext, content_type = photo.data, photo.ext, photo.content_type
    sha = hashlib.sha256(data).hexdigest()
    begin_write()
    rows = list(db.session.scalars(select(MediaFile).where(MediaFile.course_id == course.id)))
    same = next((m for m in rows if m.sha256 == sha), None)
    if same is not None:
        return same
    check_quota(course, len(data), sum(m.size for m in rows))
    stem = safe_stem(filename) or sha[:12]
    taken = {m.path for m in rows}
    path = f"media/{stem}{ext}"
    if path in taken:
        path = f"media/{stem}-{sha[:8]}{ext}"
    media.store(data, sha, ext)
    row = MediaFile(course_id=course.id, path=path, sha256=sha, size=len(data),
                    content_type=content_type)
    db.session.add(row)
    db.session.flush()
    rerender_lessons(course, path)
    record("authoring.media.upload", actor=actor, target=f"{course.slug}/{path}", ip=ip,
           detail={"sha256": sha, "size": len(data), "type": content_type,
                   "uploaded": uploaded})
    db.session.commit()
    return row


def check_quota(course: Course, size: int, course_used: int) -> None:
    """Media quotas (``MEDIA_QUOTA_COURSE_MB`` a course, ``MEDIA_QUOTA_TRAINER_MB`` over all the
    courses of the course's owner; 0 switches one off): one trainer cannot fill the disk that
    every sign-in writes to."""
    config = current_app.config
    per_course = config.get("MEDIA_QUOTA_COURSE_MB", 0) * 1024 * 1024
    if per_course and course_used + size > per_course:
        raise ValidationFailed(N_("这门课程的图片和音频已用 %(used).1f MB，再加这个文件会超过每门"
                                  "课程 %(mb)d MB 的上限。请先删去不用的文件或压缩后再传。"),
                               used=course_used / 1024 / 1024, mb=per_course // 1024 // 1024)
    per_trainer = config.get("MEDIA_QUOTA_TRAINER_MB", 0) * 1024 * 1024
    if per_trainer and course.owner_id is not None:
        used = db.session.scalar(select(func.coalesce(func.sum(MediaFile.size), 0)).join(
            Course, Course.id == MediaFile.course_id).where(Course.owner_id == course.owner_id))
        if used + size > per_trainer:
            raise ValidationFailed(N_("这位讲师的课程已用 %(used).1f MB 图片和音频，再加这个文件会"
                                      "超过每位讲师 %(mb)d MB 的上限。请联系管理员。"),
                                   used=used / 1024 / 1024, mb=per_trainer // 1024 // 1024)


def course_media(course: Course) -> list[MediaFile]:
    return list(db.session.scalars(select(MediaFile).where(
        MediaFile.course_id == course.id).order_by(MediaFile.path)))
