"""Fixtures for the course import, reader and rendering tests.

- ``SHIPPED``: the three report modules in ``courses/``; ``imported`` loads them.
- ``media_pack(tmp_path)``: a small pack with an image, an audio lesson and a final quiz, written
  from ``media_pack_files()`` (a dict a test may change first); its lesson files are not named
  ``NN-<id>.md`` on purpose, so export has to rename them.
- ``table_counts()``: rows in every table, to prove an import wrote nothing.
- ``unsafe_markup(html)``: what in a page could run script or load from another host.
"""
from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from sqlalchemy import func, select

from lms.extensions import db
from tests.helpers import MP3, OGG, png

ROOT = Path(__file__).resolve().parents[2]
COURSES = ROOT / "courses"
SHIPPED = sorted(p.name for p in COURSES.iterdir() if (p / "course.yaml").exists())


def dump(data) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=4096)


def question(key: str, stem: str = "哪一项对？", options=("甲", "乙", "丙"), answer="B",
             kind: str = "single", explanation: str = "因为乙对。") -> dict:
    data = {"id": key, "kind": kind, "stem": stem}
    if kind in ("single", "multiple"):
        data["options"] = list(options)
    data["answer"] = answer
    data["explanation"] = explanation
    return data


def lesson_text(front: dict, body: str) -> str:
    return f"---\n{dump(front)}---\n{body}"


def media_pack_files() -> dict[str, str | bytes]:
    """The files of the small media pack, by pack path."""
    course = {"title": "渔船上的党课", "summary": "一门带图片和音频的小课，用来测试导入与阅读。",
              "category": "实用技术", "required": False, "credit_hours": 0.5,
              "audience": "all",
              "lessons": ["lessons/intro.md", "lessons/second.md", "lessons/third.md"],
              "final_quiz": "quizzes/final.yaml"}
    intro = lesson_text(
        {"id": "intro", "title": "上船第一课", "minutes": 3, "audio": "media/read.mp3",
         "check": {"mastery": "1 of 2", "questions": [
             question("intro-q1"),
             question("intro-q2", stem="渔船上也能学党课。", kind="truefalse", answer=True)]}},
        "## 看图\n\n![渔船](media/boat.png)\n\n同一张图换个写法：![渔船](../media/boat.png)\n\n"
        "出海前先学一课。\n")
    second = lesson_text(
        {"id": "second", "title": "第二课", "minutes": 4,
         "check": {"mastery": "all", "questions": [question("second-q1")]}},
        "第二课的正文。\n")
    third = lesson_text({"id": "third", "title": "第三课", "minutes": 5, "audio": "media/wave.ogg"},
                        "第三课的正文。\n")
    final = {"pass_percent": 60, "draw": 2, "max_attempts": 3, "time_limit_minutes": 0,
             "grading": "highest", "multiple_scoring": "all_or_nothing", "review": True,
             "questions": [question("final-q1"), question("final-q2", answer="AC",
                                                          kind="multiple"),
                           question("final-q3", kind="fill", stem="党员要带头____。",
                                    answer=["学习"])]}
    return {"course.yaml": dump(course), "lessons/intro.md": intro, "lessons/second.md": second,
            "lessons/third.md": third, "quizzes/final.yaml": dump(final),
            "media/boat.png": png(2, 2), "media/read.mp3": MP3, "media/wave.ogg": OGG}


def write_files(folder: Path, files: dict[str, str | bytes]) -> Path:
    if folder.exists():
        shutil.rmtree(folder)
    for rel, content in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return folder


@pytest.fixture
def media_pack(tmp_path) -> Path:
    """``tmp_path/packs/media-demo``: the small pack with media."""
    return write_files(tmp_path / "packs" / "media-demo", media_pack_files())


@pytest.fixture
def imported(app):
    """The three shipped modules imported; ``{slug: Course}``."""
    from lms.authoring.pack_sync import import_folders

    return {outcome.course.slug: outcome.course for outcome in import_folders([COURSES])}


def table_counts() -> dict[str, int]:
    db.session.expire_all()
    return {table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in db.metadata.sorted_tables}


# ---- what "inert" means for a page --------------------------------------------------------------

#: elements a page may never carry from content (the page's own <script src=/static/…> aside)
FORBIDDEN_TAGS = {"iframe", "object", "embed", "base", "svg", "math", "style", "frame",
                  "frameset", "applet", "template", "noscript"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "poster", "data", "srcset", "xlink:href",
                  "background", "cite"}
#: attributes whose URL the browser loads by itself (a link only goes somewhere when clicked)
LOADING_ATTRIBUTES = {"src", "poster", "data", "srcset", "background"}
LOCAL_HOSTS = {"localhost", "127.0.0.1"}
_CONTROL = re.compile(r"[\x00-\x20]")


class _Inspector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.tags: list[str] = []

    def handle_comment(self, data):
        self.found.append(f"comment <!--{data}-->")

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        values = dict(attrs)
        if tag == "script" and not (values.get("src") or "").startswith("/static/"):
            self.found.append(f"script {attrs}")
        if tag in FORBIDDEN_TAGS:
            self.found.append(f"<{tag}>")
        if tag == "meta" and "http-equiv" in values:
            self.found.append(f"meta {attrs}")
        for name, value in attrs:
            value = value or ""
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}={value!r}>")
            if name == "style" and not re.fullmatch(r"text-align:\s*\w+;?", value):
                self.found.append(f"<{tag} style={value!r}>")
            if name in URL_ATTRIBUTES:
                flat = _CONTROL.sub("", value).lower()
                # the one data: URL allowed is base.html's empty favicon (it loads nothing)
                empty_icon = tag == "link" and values.get("rel") == "icon" and flat == "data:,"
                if flat.startswith(("javascript:", "vbscript:", "data:")) and not empty_icon:
                    self.found.append(f"<{tag} {name}={value!r}>")
                loads = name in LOADING_ATTRIBUTES or (tag == "link" and name == "href")
                if loads and not empty_icon and (urlsplit(flat).scheme or flat.startswith("//")) \
                        and urlsplit(flat).hostname not in LOCAL_HOSTS:
                    self.found.append(f"<{tag} {name}={value!r}> loads from another host")


def unsafe_markup(html: str) -> list[str]:
    """Everything in ``html`` that could run script or make the browser load from another host."""
    inspector = _Inspector()
    inspector.feed(html)
    inspector.close()
    return inspector.found


def tag_names(html: str) -> set[str]:
    inspector = _Inspector()
    inspector.feed(html)
    inspector.close()
    return set(inspector.tags)
