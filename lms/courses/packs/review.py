"""The editorial review of a course pack that reads cleanly: the 学时 rule, and warnings for what a
county organisation department would send back. Pure Python: no Flask, no database.

The rule (``docs/content-guide.md``): credit follows the time a member spends. A lesson counts its
``minutes``; every question a member answers counts ``QUESTION_MINUTES`` (each lesson check's
questions, and the final quiz's ``draw``); ``credit_extra.minutes`` counts when the pack says what
that time is. One 学时 per ``MINUTES_PER_HOUR`` minutes, rounded to the nearest half, at least a
half. A pack claiming more ``credit_hours`` than that has a problem; the import and
``flask courses validate`` refuse it.

Warnings do not refuse a pack; ``flask courses validate`` prints them, and a shipped pack has none.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .model import Pack, Problem

MINUTES_PER_HOUR = 45
QUESTION_MINUTES = 1
#: characters a member reads in a minute (older readers, on a phone); a lesson's ``minutes`` more
#: than twice or less than half its length at this pace gets a warning
READING_PACE = 250

#: retired term → the current one. A file may name a retired term when it also names the current
#: one (explaining the change); otherwise the retired term gets a warning.
RETIRED_TERMS = {
    "新型职业农民": "高素质农民",
    "一懂二爱": "一懂两爱",
    "决战脱贫攻坚": "巩固拓展脱贫攻坚成果",
    "打赢脱贫攻坚战": "巩固拓展脱贫攻坚成果",
    "精准脱贫攻坚": "巩固拓展脱贫攻坚成果",
    "社会主义新农村": "乡村振兴",
}

#: "报告" names a 党代会 report or 政府工作报告 only with what comes before it (十九大报告,
#: 党代会报告, 工作报告, …大会上的报告) or as part of a title (…》报告, 报告》); alone it is bare
_BARE_REPORT = re.compile(r"(?<![大会作》])(?<!上的)报告(?!》)")
_READABLE = re.compile(r"[\w\u3000-\u303f\uff00-\uffef]")
#: share of one letter among a pack's single-choice keys above which the keys get a warning
KEY_SHARE = 0.5
MIN_SINGLE_FOR_SHARE = 4


@dataclass
class Review:
    """What the review found: ``problems`` refuse the pack, ``warnings`` are for its editor."""

    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


def study_minutes(pack: Pack) -> int:
    """The minutes the 学时 rule counts for ``pack``."""
    minutes = sum(lesson.minutes for lesson in pack.lessons)
    minutes += QUESTION_MINUTES * sum(len(lesson.check.questions) for lesson in pack.lessons
                                      if lesson.check)
    if pack.final_quiz:
        minutes += QUESTION_MINUTES * pack.final_quiz.draw
    if pack.credit_extra_reason:
        minutes += pack.credit_extra_minutes
    return minutes


def hours_for(minutes: int) -> float:
    """学时 for ``minutes`` of study: one per 45 minutes, to the nearest half (halves round up),
    at least 0.5."""
    return max(0.5, math.floor(minutes * 2 / MINUTES_PER_HOUR + 0.5) / 2)


def allowed_hours(pack: Pack) -> float:
    return hours_for(study_minutes(pack))


def review_pack(folder, pack: Pack) -> Review:
    """Review ``pack``, read from ``folder``; problems and warnings name ``<slug>/<file>:<line>``."""
    files = _PackFiles(Path(folder), pack.slug)
    review = Review()
    minutes, allowed = study_minutes(pack), allowed_hours(pack)
    if pack.credit_hours > allowed:
        review.problems.append(files.at("course.yaml", "credit_hours:", (
            f"credit_hours {pack.credit_hours:g} is more than the 学时 rule allows: {minutes} "
            f"minutes of study (lessons, one minute per question answered"
            f"{', credit_extra' if pack.credit_extra_reason else ''}) give {allowed:g} "
            f"(1 per {MINUTES_PER_HOUR} minutes, to the nearest half)")))
    if not pack.sources:
        review.warnings.append(files.at("course.yaml", "title:", (
            "no sources: name the works the course draws on and quotes (title, author, date)")))
    for lesson in pack.lessons:
        readable = len(_READABLE.findall(lesson.body))
        expected = max(1, math.ceil(readable / READING_PACE))
        if lesson.minutes > 2 * expected or lesson.minutes * 2 < expected:
            review.warnings.append(files.at(lesson.file, "minutes:", (
                f"minutes: {lesson.minutes}, but the text ({readable} characters) reads in about "
                f"{expected} at {READING_PACE} characters a minute")))
    review.warnings.extend(files.scan())
    review.warnings.extend(_key_spread(pack, files))
    return review


def _key_spread(pack: Pack, files: _PackFiles) -> list[Problem]:
    keys = Counter(chr(ord("A") + q.answer[0]) for q in pack.questions()
                   if q.kind == "single" and q.answer)
    total = sum(keys.values())
    if total < MIN_SINGLE_FOR_SHARE:
        return []
    letter, count = keys.most_common(1)[0]
    if count / total <= KEY_SHARE:
        return []
    spread = ", ".join(f"{k} {keys[k]}" for k in sorted(keys))
    where = "quizzes/final.yaml" if pack.final_quiz else "course.yaml"
    return [Problem(f"{pack.slug}/{where}", 0, (
        f"{count} of {total} single-choice answers are {letter} ({spread}): spread the keys "
        f"over the options (they are shuffled on screen, not in exports and print)"))]


class _PackFiles:
    """The pack's text files, for naming the line a finding is about."""

    def __init__(self, root: Path, slug: str):
        self.root, self.slug = root, slug
        self._lines: dict[str, list[str]] = {}

    def lines(self, rel: str) -> list[str]:
        if rel not in self._lines:
            try:
                self._lines[rel] = (self.root / rel).read_text(encoding="utf-8").split("\n")
            except (OSError, UnicodeDecodeError):
                self._lines[rel] = []
        return self._lines[rel]

    def at(self, rel: str, start: str, message: str) -> Problem:
        """A finding on the first line of ``rel`` starting with ``start`` (else no line)."""
        line = next((n for n, text in enumerate(self.lines(rel), start=1)
                     if text.lstrip().startswith(start)), 0)
        return Problem(f"{self.slug}/{rel}", line, message)

    def scan(self) -> list[Problem]:
        """Retired terms and bare "报告" in every Markdown and YAML file of the pack."""
        found = []
        texts = sorted(p for p in self.root.rglob("*")
                       if p.is_file() and p.suffix in (".md", ".yaml", ".yml"))
        for path in texts:
            rel = path.relative_to(self.root).as_posix()
            lines = self.lines(rel)
            whole = "\n".join(lines)
            for number, text in enumerate(lines, start=1):
                for old, new in RETIRED_TERMS.items():
                    if old in text and new not in whole:
                        found.append(Problem(f"{self.slug}/{rel}", number, (
                            f"{old!r} is a retired term: write {new!r} (or explain the change "
                            f"in the same file)")))
                if _BARE_REPORT.search(text):
                    found.append(Problem(f"{self.slug}/{rel}", number, (
                        "a bare '报告': name the work (《…》一文, 党的二十大报告) instead")))
        return found


def review_paths(paths) -> Review:
    """Read and review the packs at ``paths`` (as ``validate_paths`` finds them): the reader's
    problems, then for each pack that reads cleanly the review's problems and warnings."""
    from .reader import pack_folders, read_pack

    review = Review()
    for folder, problem in pack_folders(paths):
        if problem:
            review.problems.append(problem)
            continue
        result = read_pack(folder)
        review.problems.extend(result.problems)
        if result.ok:
            found = review_pack(folder, result.pack)
            review.problems.extend(found.problems)
            review.warnings.extend(found.warnings)
    return review
