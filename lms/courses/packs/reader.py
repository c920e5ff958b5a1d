"""Read a course-pack folder into a :class:`Pack`, or into every problem it has.

Rules beyond the YAML ones (see ``docs/course-packs.md``): the folder name is the slug; lessons
are listed in ``course.yaml`` in reading order, each once, each a ``lessons/*.md`` file with
front matter between two ``---`` lines; lesson ids are unique in the pack; ``audio`` names a file
under ``media/``; Markdown images written ``media/x`` or ``../media/x`` (and any other relative
image path) must be an existing image under ``media/``, while URLs are left to the renderer;
every file under ``media/`` is an accepted type and starts with that type's bytes.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import unquote

from markdown_it import MarkdownIt

from .files import extension, find_file, hash_media, or_list, pack_path, read_text, scan_pack
from .model import (
    AUDIO_TYPES,
    CATEGORIES,
    IMAGE_TYPES,
    LESSON_ID,
    MAX_LESSONS,
    MAX_MEDIA_BYTES,
    MAX_SOURCE_FIELD,
    MAX_SOURCES,
    MAX_SUMMARY,
    MAX_TITLE,
    MEDIA_TYPES,
    SLUG,
    LessonData,
    MediaFile,
    Pack,
    PackResult,
    Problem,
    SourceRef,
)
from .quizparts import read_check, read_final_quiz
from .yamltree import (
    BROKEN,
    Source,
    boolean,
    choice,
    integer,
    mapping,
    number,
    parse,
    scalar_text,
    sequence,
    text,
)

COURSE_REQUIRED = ("title", "summary", "category", "required", "credit_hours", "lessons")
COURSE_OPTIONAL = ("audience", "final_quiz", "sources", "credit_extra")
SOURCE_REQUIRED = ("title", "author", "date")
SOURCE_OPTIONAL = ("note",)
EXTRA_REQUIRED = ("minutes", "reason")
LESSON_REQUIRED = ("id", "title", "minutes")
LESSON_OPTIONAL = ("audio", "check")
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:|//")
_MARKDOWN = MarkdownIt("commonmark")


def read_pack(path) -> PackResult:
    """Read the pack folder ``path``. Problems come sorted by file and line, each once."""
    reader = _PackReader(Path(path))
    pack = reader.read()
    problems = sorted(dict.fromkeys(reader.problems), key=lambda p: (p.path, p.line))
    return PackResult(None if problems else pack, problems)


def validate_paths(paths) -> list[Problem]:
    """Every problem of the packs at ``paths``: each path is a pack (it holds ``course.yaml`` or
    ``lessons/``) or a folder of packs (every folder in it not starting with ``.``)."""
    problems = []
    for folder, problem in pack_folders(paths):
        problems.extend([problem] if problem else read_pack(folder).problems)
    return problems


def pack_folders(paths) -> list[tuple[Path, Problem | None]]:
    """``(pack folder, None)`` for each pack at ``paths``, or ``(path, problem)`` for a folder
    holding no packs."""
    found = []
    for path in map(Path, paths):
        if not path.is_dir() or (path / "course.yaml").exists() or (path / "lessons").exists():
            found.append((path, None))
            continue
        packs = sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith("."))
        if not packs:
            found.append((path, Problem(str(path), 0, "no course packs here "
                                                      "(a pack is a folder with a course.yaml)")))
        found.extend((pack, None) for pack in packs)
    return found


def split_front_matter(text: str) -> tuple[str, str, int] | str:
    """``(front matter YAML, body, the body's first line)`` or what is wrong with the fences."""
    lines = text.split("\n")
    if lines[0].rstrip() != "---":
        return "a lesson file starts with a '---' line, then its front matter, then '---'"
    for end in range(1, len(lines)):
        if lines[end].rstrip() == "---":
            return "\n".join(lines[1:end]) + "\n", "\n".join(lines[end + 1:]), end + 2
    return "the front matter has no closing '---' line"


def image_sources(body: str) -> list[tuple[int, str]]:
    """``(0-based line in body, src)`` of every Markdown image, code blocks excluded."""
    found = []
    for token in _MARKDOWN.parse(body):
        if token.type != "inline" or not token.map:
            continue
        line = token.map[0]
        for child in token.children or ():
            if child.type in ("softbreak", "hardbreak"):
                line += 1
            elif child.type == "image":
                found.append((line, unquote(child.attrGet("src") or "")))
    return found


class _PackReader:
    def __init__(self, root: Path):
        self.root = root
        self.name = os.path.basename(os.path.abspath(root))
        self.problems: list[Problem] = []
        self.question_ids: dict[str, str] = {}
        self.lesson_ids: dict[str, str] = {}

    def shown(self, rel: str) -> str:
        return f"{self.name}/{rel}"

    def read(self) -> Pack | None:
        if not self.root.is_dir():
            exists = self.root.exists()
            self.problems.append(Problem(self.name, 0, "is not a folder" if exists
                                         else "no such folder"))
            return None
        if not SLUG.fullmatch(self.name):
            self.problems.append(Problem(self.name, 0, f"the folder name {self.name!r} is not a "
                                         "course slug (lowercase letters, digits and '-')"))
        self.root_real = self.root.resolve()
        files = scan_pack(self.root, self.name, self.problems)
        course = self._course()
        if course is None:  # still check the lesson and quiz files the pack has
            values, quiz_file = None, "quizzes/final.yaml" if "quizzes/final.yaml" in files else None
            lesson_files = [rel for rel in files if rel.startswith("lessons/")
                            and extension(rel) == "md"]
        else:
            values, lesson_files, quiz_file = course
        lessons = tuple(self._lesson(rel, n) for n, rel in enumerate(lesson_files, start=1))
        quiz = self._final_quiz(quiz_file) if quiz_file else None
        media = self._media(files)
        if values is None or self.problems:
            return None
        return Pack(slug=self.name, lessons=lessons, final_quiz=quiz, media=media, **values)

    def _yaml(self, rel: str):
        """The source and root node of a YAML file, or None after reporting."""
        real_text, line, problem = read_text(self.root / rel, rel)
        if problem:
            self.problems.append(Problem(self.shown(rel), line, problem))
            return None
        src = Source(self.shown(rel), self.problems)
        node = parse(src, real_text)
        return None if node is BROKEN else (src, node)

    def _course(self):
        if find_file(self.root, self.root_real, "course.yaml"):
            self.problems.append(Problem(self.shown("course.yaml"), 0, "the pack has no "
                                         "course.yaml (or it is not a file inside the pack)"))
            return None
        parsed = self._yaml("course.yaml")
        if parsed is None:
            return None
        src, node = parsed
        fields = mapping(src, node, "course.yaml", COURSE_REQUIRED, COURSE_OPTIONAL)
        if fields is None:
            return None
        values = dict(
            title=text(src, fields, "title", max_len=MAX_TITLE),
            summary=text(src, fields, "summary", max_len=MAX_SUMMARY),
            category=choice(src, fields, "category", CATEGORIES),
            required=boolean(src, fields, "required"),
            credit_hours=number(src, fields, "credit_hours"),
            audience=text(src, fields, "audience", default="all"),
        )
        hours = values["credit_hours"]
        if hours is not None and not 0 < hours <= 100:
            src.add(fields["credit_hours"][0], f"credit_hours must be more than 0 and at most 100 "
                                               f"(got {hours:g})")
        values["sources"] = self._sources(src, fields)
        values["credit_extra_minutes"], values["credit_extra_reason"] = self._credit_extra(src,
                                                                                            fields)
        quiz_file = self._path_field(src, fields, "final_quiz", "quizzes", ("yaml",))
        return values, self._lesson_list(src, fields), quiz_file

    def _sources(self, src: Source, fields) -> tuple[SourceRef, ...]:
        """``sources``: a list of ``{title, author, date, note?}``, each field one line of text."""
        if "sources" not in fields:
            return ()
        key, node = fields["sources"]
        items = sequence(src, key, node, "sources")
        if items is None:
            return ()
        if len(items) > MAX_SOURCES:
            src.add(key, f"sources lists {len(items)} works; at most {MAX_SOURCES}")
        found = []
        for item in items:
            parts = mapping(src, item, "a source", SOURCE_REQUIRED, SOURCE_OPTIONAL)
            if parts is None:
                continue
            values = {name: text(src, parts, name, max_len=MAX_SOURCE_FIELD, default="")
                      for name in (*SOURCE_REQUIRED, *SOURCE_OPTIONAL)}
            if all(v is not None for v in values.values()):
                found.append(SourceRef(**values))
        return tuple(found)

    def _credit_extra(self, src: Source, fields) -> tuple[int, str]:
        """``credit_extra: {minutes, reason}``: study time outside the lessons, and what it is."""
        if "credit_extra" not in fields:
            return 0, ""
        parts = mapping(src, fields["credit_extra"][1], "credit_extra", EXTRA_REQUIRED,
                        at=fields["credit_extra"][0])
        if parts is None:
            return 0, ""
        minutes = integer(src, parts, "minutes", 1, 600)
        reason = text(src, parts, "reason", max_len=MAX_SOURCE_FIELD)
        return minutes or 0, reason or ""

    def _lesson_list(self, src: Source, fields) -> list[str]:
        if "lessons" not in fields:
            return []
        key, node = fields["lessons"]
        items = sequence(src, key, node, "lessons")
        if items is None:
            return []
        if not 1 <= len(items) <= MAX_LESSONS:
            src.add(key, f"lessons must list 1 to {MAX_LESSONS} files (got {len(items)})")
        listed: dict[str, int] = {}
        for item in items:
            raw = scalar_text(src, item, item, "a lesson file")
            rel = None if raw is None else self._locate(src, item, "lesson file", raw, "lessons",
                                                        ("md",))
            if rel in listed:
                src.add(item, f"lesson file {rel!r} is listed twice (first on line {listed[rel]})")
            elif rel:
                listed[rel] = src.line(item)
        return list(listed)

    def _path_field(self, src: Source, fields, name: str, folder: str, types) -> str | None:
        raw = text(src, fields, name)
        return None if raw is None else self._locate(src, fields[name][0], name, raw, folder, types)

    def _locate(self, src: Source, where, what: str, raw: str, folder: str, types,
                path: str | None = None) -> str | None:
        """The pack-relative path of an existing file written as ``raw`` (meaning ``path`` when
        given), or None after reporting."""
        rel, problem = pack_path(raw if path is None else path, folder, types)
        problem = problem or find_file(self.root, self.root_real, rel)
        if problem:
            src.add(where, f"{what} {raw!r} {problem}")
            return None
        return rel

    def _lesson(self, rel: str, position: int) -> LessonData | None:
        real_text, line, problem = read_text(self.root / rel, rel)
        split = problem or split_front_matter(real_text)
        if isinstance(split, str):
            self.problems.append(Problem(self.shown(rel), line or 1, split))
            return None
        front, body, body_line = split
        src = Source(self.shown(rel), self.problems, offset=1)
        node = parse(src, front)
        fields = None if node is BROKEN else mapping(src, node, "front matter", LESSON_REQUIRED,
                                                     LESSON_OPTIONAL)
        self._images(src, body, body_line)
        if fields is None:
            return None
        audio = self._path_field(src, fields, "audio", "media", AUDIO_TYPES)
        check = read_check(src, fields["check"], self.question_ids) if "check" in fields else None
        return LessonData(id=self._lesson_id(src, fields), file=rel, position=position,
                          title=text(src, fields, "title"),
                          minutes=integer(src, fields, "minutes", 1, 60),
                          audio=audio, body=body, check=check)

    def _lesson_id(self, src: Source, fields) -> str | None:
        lesson_id = text(src, fields, "id")
        if lesson_id is None:
            return None
        key = fields["id"][0]
        if not LESSON_ID.fullmatch(lesson_id):
            src.add(key, f"lesson id {lesson_id!r} must be 1 to 40 of a-z 0-9 -")
        elif lesson_id in self.lesson_ids:
            src.add(key, f"lesson id {lesson_id!r} is already used in {self.lesson_ids[lesson_id]}")
        else:
            self.lesson_ids[lesson_id] = src.path
        return lesson_id

    def _images(self, src: Source, body: str, body_line: int) -> None:
        for line, raw in image_sources(body):
            path = raw.split("#")[0].split("?")[0]
            if not path or _URL.match(path):
                continue  # a URL or a bare fragment: the renderer's business
            path = path.removeprefix("../")
            self._locate(src, body_line + line, "image", raw, "media", IMAGE_TYPES, path)

    def _final_quiz(self, rel: str):
        parsed = self._yaml(rel)
        return None if parsed is None else read_final_quiz(*parsed, self.question_ids)

    def _media(self, files: dict[str, int]) -> tuple[MediaFile, ...]:
        found = []
        for rel, size in sorted(files.items()):
            if not rel.startswith("media/"):
                continue
            if extension(rel) not in MEDIA_TYPES:
                self.problems.append(Problem(self.shown(rel), 0, f"media of this type is not "
                                             f"accepted (only {or_list(MEDIA_TYPES)})"))
                continue
            if size > MAX_MEDIA_BYTES:
                continue  # the walk reported it
            digest, looks_right = hash_media(self.root / rel)
            if not looks_right:
                self.problems.append(Problem(self.shown(rel), 0, f"the content is not "
                                             f"{extension(rel)} (its first bytes do not match)"))
            found.append(MediaFile(rel, size, digest))
        return tuple(found)
