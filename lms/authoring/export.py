"""Question banks and whole courses out: XLSX/GIFT/CSV banks, and a course pack as a zip.

The zip holds one folder ``<slug>/`` in the pack layout; after unzipping, ``flask courses import
<folder>`` brings the same course into another instance. Before zipping, the written folder is
read back with the pack reader, so a course the format cannot hold (a question without an
explanation, an image the lesson names but the course lacks) is refused with the reader's own
messages instead of producing a pack that will not import.
"""
from __future__ import annotations

import io
import os
import tempfile
import zipfile
from pathlib import Path

from lms.audit.services import record
from lms.authoring.bank import live_questions, quiz_prefix
from lms.authoring.pack_sync import course_to_pack
from lms.authoring.permissions import ensure_editor
from lms.core.errors import ValidationFailed
from lms.core.i18n import N_
from lms.courses import packs
from lms.courses.models import Course
from lms.extensions import db
from lms.quizzes.formats import WRITERS
from lms.quizzes.models import Quiz

BANK_FORMATS = {
    "xlsx": ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "gift": ("gift.txt", "text/plain; charset=utf-8"),
    "csv": ("csv", "text/csv; charset=utf-8"),
}


def export_bank(actor, quiz: Quiz, fmt: str, ip: str = "") -> tuple[bytes, str, str]:
    """``(bytes, file name, mimetype)`` of the quiz's live questions in ``fmt``."""
    course = db.session.get(Course, quiz.course_id)
    ensure_editor(actor, course)
    if fmt not in BANK_FORMATS:
        raise ValidationFailed(N_("不支持这种导出格式。"))
    questions = [q.to_data() for q in live_questions(quiz)]
    if not questions:
        raise ValidationFailed(N_("题库是空的，没有可导出的题目。"))
    try:
        data = WRITERS[fmt](questions)
    except ValueError as error:
        raise ValidationFailed(N_("有题目无法写成这种格式：%(why)s"), why=str(error)) from error
    suffix, mimetype = BANK_FORMATS[fmt]
    record("authoring.bank.export", actor=actor, target=f"{course.slug}/{quiz_prefix(quiz)}",
           ip=ip, detail={"format": fmt, "questions": len(questions)})
    db.session.commit()
    return data, f"{course.slug}-{quiz_prefix(quiz)}.{suffix}", mimetype


def zip_folder(folder: Path) -> bytes:
    """The folder as a zip whose one top entry is the folder's name."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for root, dirs, files in os.walk(folder):
            dirs.sort()
            for name in sorted(files):
                path = Path(root) / name
                archive.write(path, path.relative_to(folder.parent).as_posix())
    return out.getvalue()


def export_course_zip(actor, course: Course, ip: str = "") -> tuple[bytes, str]:
    """``(zip bytes, file name)``; raises ValidationFailed with the pack reader's problems."""
    ensure_editor(actor, course)
    pack, media = course_to_pack(course)
    with tempfile.TemporaryDirectory(prefix="fieldside-export-") as tmp:
        try:
            folder = packs.write_pack(pack, tmp, media)
        except ValueError as error:
            raise ValidationFailed(N_("课程无法导出为课程包："), [str(error)]) from error
        problems = packs.read_pack(folder).problems
        if problems:
            raise ValidationFailed(N_("课程还不能导出为课程包，请先修改："),
                                   [str(p) for p in problems])
        data = zip_folder(folder)
    record("authoring.course.export", actor=actor, target=course.slug, ip=ip,
           detail={"version": course.version, "bytes": len(data)})
    db.session.commit()
    return data, f"{course.slug}.zip"
