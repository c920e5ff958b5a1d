"""Write a :class:`Pack` back to a folder in the course-pack layout.

Rules: the pack goes to ``dest/<slug>/``: ``course.yaml``; each lesson at ``lesson.file`` (or
``lessons/NN-<id>.md`` when that is ``""``) with its front matter; ``quizzes/final.yaml`` when there
is a final quiz; every :class:`MediaFile` copied from ``media_source``, checked against its size
and sha256. Text is written as ``read_pack`` reads it, so reading what was written gives the same
pack (``QuestionData.title`` and ``option_feedback`` have no place in the format and are not
written). The folder is built under a hidden name beside the destination and moved into place at
the end: a failure leaves nothing half-written, and an existing pack is only replaced when
``replace`` is true.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

import yaml

from lms.core.questions import QuestionData, question_kind

from .files import find_file, pack_path
from .model import MEDIA_TYPES, SLUG, CheckData, LessonData, Pack, QuizData

FINAL_QUIZ = "quizzes/final.yaml"


class _Dumper(yaml.SafeDumper):
    """Block style, lists indented under their key, multi-line text as ``|`` blocks."""

    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)


class _Flow(list):
    """A list written on one line: ``[村干部, 村官]``."""


def _text_style(value: str) -> str | None:
    if any(ch in value for ch in "\x85\u2028\u2029"):
        return '"'  # in other styles YAML reads these line breaks back as "\n"
    return "|" if "\n" in value else None


_Dumper.add_representer(str, lambda dumper, value: dumper.represent_scalar(
    "tag:yaml.org,2002:str", value, style=_text_style(value)))
_Dumper.add_representer(_Flow, lambda dumper, value: dumper.represent_sequence(
    "tag:yaml.org,2002:seq", value, flow_style=True))


def write_pack(pack: Pack, dest, media_source=None, *, replace: bool = False) -> Path:
    """Write ``pack`` to ``dest/<slug>/`` and return that folder.

    ``media_source`` is where the media bytes come from: a folder holding them at their pack
    paths (the pack folder they were read from), or a mapping from pack path (``media/x.png``)
    to bytes, which a database-backed exporter can make lazy. Raises ValueError for a slug,
    lesson file or media path the format refuses, for media bytes that are missing or do not
    match, and FileExistsError when the pack folder exists and ``replace`` is false.
    """
    if not SLUG.fullmatch(pack.slug):
        raise ValueError(f"{pack.slug!r} is not a course slug (lowercase letters, digits and '-')")
    dest = Path(dest)
    target = dest / pack.slug
    if target.exists() and not replace:
        raise FileExistsError(f"{target} exists (pass replace=True to replace it)")
    files = _lesson_files(pack.lessons)
    dest.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f".{pack.slug}-", dir=dest))
    try:
        os.chmod(building, 0o755)
        _write(building / "course.yaml", _dump(_course(pack, files)))
        for lesson, rel in zip(pack.lessons, files, strict=True):
            _write(building / rel, f"---\n{_dump(_front_matter(lesson))}---\n{lesson.body}")
        if pack.final_quiz:
            _write(building / FINAL_QUIZ, _quiz_text(pack.final_quiz))
        _copy_media(pack, media_source, building)
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{pack.slug}-old-", dir=dest))
            target.rename(old / pack.slug)
            building.rename(target)
            shutil.rmtree(old)
        else:
            building.rename(target)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    return target


def _lesson_files(lessons: tuple[LessonData, ...]) -> list[str]:
    files: list[str] = []
    for number, lesson in enumerate(lessons, start=1):
        rel, problem = pack_path(lesson.file or f"lessons/{number:02d}-{lesson.id}.md",
                                 "lessons", ("md",))
        if problem or rel in files:
            raise ValueError(f"lesson file {lesson.file!r} {problem or 'is used twice'}")
        files.append(rel)
    return files


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="\n")


def _dump(data: dict) -> str:
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=4096)


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


def _course(pack: Pack, files: list[str]) -> dict:
    data = {"title": pack.title, "summary": pack.summary, "category": pack.category,
            "required": pack.required, "credit_hours": _number(pack.credit_hours),
            "audience": pack.audience}
    if pack.sources:
        data["sources"] = [{"title": ref.title, "author": ref.author, "date": ref.date,
                            **({"note": ref.note} if ref.note else {})} for ref in pack.sources]
    if pack.credit_extra_minutes:
        data["credit_extra"] = {"minutes": pack.credit_extra_minutes,
                                "reason": pack.credit_extra_reason}
    data["lessons"] = files
    if pack.final_quiz:
        data["final_quiz"] = FINAL_QUIZ
    return data


def _front_matter(lesson: LessonData) -> dict:
    data = {"id": lesson.id, "title": lesson.title, "minutes": lesson.minutes}
    if lesson.audio:
        data["audio"] = lesson.audio
    if lesson.check:
        data["check"] = {"mastery": _mastery(lesson.check),
                         "questions": [_question(q) for q in lesson.check.questions]}
    return data


def _mastery(check: CheckData) -> str:
    total = len(check.questions)
    return "all" if check.mastery_required == total else f"{check.mastery_required} of {total}"


def _quiz(quiz: QuizData) -> dict:
    return {"pass_percent": quiz.pass_percent, "draw": quiz.draw,
            "max_attempts": quiz.max_attempts, "time_limit_minutes": quiz.time_limit_minutes,
            "grading": quiz.grading, "multiple_scoring": quiz.multiple_scoring,
            "review": quiz.review,
            **({"open_before_lessons": True} if quiz.open_before_lessons else {}),
            "questions": [_question(q) for q in quiz.questions]}


def _quiz_text(quiz: QuizData) -> str:
    """The quiz file, with a blank line between questions as authors write a bank."""
    head, first, rest = _dump(_quiz(quiz)).partition("\n  - id: ")
    return head + first + rest.replace("\n  - id: ", "\n\n  - id: ")


def _question(q: QuestionData) -> dict:
    data = {"id": q.key, "kind": q.kind, "stem": q.stem}
    if q.options:
        data["options"] = list(q.options)
    answer = question_kind(q.kind).to_pack(q)
    data["answer"] = _Flow(answer) if isinstance(answer, list) else answer
    data["explanation"] = q.explanation
    if q.points != 1:
        data["points"] = _number(q.points)
    return data


def _copy_media(pack: Pack, source, building: Path) -> None:
    if pack.media and source is None:
        raise ValueError("the pack has media files but no media_source to copy them from")
    for media in pack.media:
        rel, problem = pack_path(media.path, "media", MEDIA_TYPES)
        if problem:
            raise ValueError(f"media file {media.path!r} {problem}")
        if isinstance(source, Mapping):
            if rel not in source:
                raise ValueError(f"media_source has no bytes for {rel}")
            chunks = iter((bytes(source[rel]),))
        else:
            root = Path(source)
            if problem := find_file(root, root.resolve(), rel):
                raise ValueError(f"{root / rel} {problem}")
            chunks = _chunks(root / rel)
        digest, size = hashlib.sha256(), 0
        (building / rel).parent.mkdir(parents=True, exist_ok=True)
        with open(building / rel, "wb") as out:
            for chunk in chunks:
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
        if (size, digest.hexdigest()) != (media.size, media.sha256):
            raise ValueError(f"the bytes for {rel} do not match its size and sha256")


def _chunks(path: Path):
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 16):
            yield chunk
