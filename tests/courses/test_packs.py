"""Course packs: reading, every problem with its line, writing back, and fuzzing.

The fixture pack below is written to ``tmp_path/demo`` by :func:`make_pack`; a test changes it
with edits ``(path, old, new)`` (``old`` must be there), ``(path, content)`` or ``(path, None)``.
"""
from __future__ import annotations

import ast
import dataclasses
import hashlib
import os
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lms.core.questions import KINDS, QuestionData, question_problems
from lms.courses.packs import Pack, Problem, read_pack, validate_paths, write_pack
from lms.courses.packs.quizparts import _message_key
from lms.courses.packs.reader import image_sources

ROOT = Path(__file__).resolve().parents[2]
COURSES = ROOT / "courses"

COURSE = """\
title: 测试课程
summary: 一门用来测试的课。
category: 理论
required: true
credit_hours: 2
audience: all
lessons:
  - lessons/01-intro.md
  - lessons/02-more.md
final_quiz: quizzes/final.yaml
"""
INTRO = """\
---
id: intro
title: 第一课
minutes: 5
audio: media/intro.mp3
check:
  mastery: 1 of 2
  questions:
    - id: intro-q1
      kind: single
      stem: 哪个对？
      options: [甲, 乙, 丙]
      answer: B
      explanation: 乙对。
    - id: intro-q2
      kind: truefalse
      stem: 天是蓝的。
      answer: 对
      explanation: 晴天是蓝的。
---
# 第一课

![图](../media/photo.png)
正文。
"""
MORE = """\
---
id: more
title: 第二课
minutes: 3
---
正文 ![图](media/photo.png)

    ![代码块里的不算](media/none.png)
"""
FINAL = """\
pass_percent: 60
draw: 2
max_attempts: 3
time_limit_minutes: 0
grading: highest
multiple_scoring: partial
review: true
questions:
  - id: final-q1
    kind: multiple
    stem: 哪些对？
    options: [甲, 乙, 丙, 丁]
    answer: ACD
    explanation: 甲丙丁对。
  - id: final-q2
    kind: fill
    stem: 一加一等于____。
    answer: [二, "2"]
    explanation: 一加一等于二。
  - id: final-q3
    kind: multiple
    stem: 选两个。
    options: [甲, 乙]
    answer: [A, B]
    explanation: 都对。
    points: 2
"""
PNG = b"\x89PNG\r\n\x1a\n" + bytes(24)
MP3 = b"ID3\x04\x00" + bytes(27)
FILES = {
    "course.yaml": COURSE,
    "lessons/01-intro.md": INTRO,
    "lessons/02-more.md": MORE,
    "quizzes/final.yaml": FINAL,
    "media/photo.png": PNG,
    "media/intro.mp3": MP3,
}
C, L1, L2, Q = "course.yaml", "lessons/01-intro.md", "lessons/02-more.md", "quizzes/final.yaml"


def make_pack(root: Path, *edits, name: str = "demo") -> Path:
    """The fixture pack at ``root/name`` with ``edits`` applied."""
    files = dict(FILES)
    for path, *change in edits:
        if len(change) == 2:
            old, new = change
            assert old in files[path], f"{old!r} is not in {path}"
            files[path] = files[path].replace(old, new, 1)
        else:
            files[path] = change[0]
    pack = root / name
    for path, content in files.items():
        if content is None:
            continue
        (pack / path).parent.mkdir(parents=True, exist_ok=True)
        data = content.encode() if isinstance(content, str) else content
        (pack / path).write_bytes(data)
    return pack


def problems_of(path) -> list[str]:
    result = read_pack(path)
    assert (result.pack is None) == bool(result.problems)
    return [str(p) for p in result.problems]


# --- a sound pack ------------------------------------------------------------------------------

def test_the_fixture_pack_reads_into_plain_data(tmp_path):
    result = read_pack(make_pack(tmp_path))
    assert result.problems == [] and result.ok
    pack = result.pack
    assert (pack.slug, pack.title, pack.category, pack.required, pack.credit_hours,
            pack.audience) == ("demo", "测试课程", "理论", True, 2.0, "all")
    intro, more = pack.lessons
    assert (intro.id, intro.file, intro.position, intro.minutes, intro.audio) == (
        "intro", "lessons/01-intro.md", 1, 5, "media/intro.mp3")
    assert intro.body == "# 第一课\n\n![图](../media/photo.png)\n正文。\n"
    assert intro.check.mastery_required == 1
    assert intro.check.questions == (
        QuestionData(key="intro-q1", kind="single", stem="哪个对？", answer=(1,),
                     options=("甲", "乙", "丙"), explanation="乙对。"),
        QuestionData(key="intro-q2", kind="truefalse", stem="天是蓝的。", answer=(True,),
                     explanation="晴天是蓝的。"),
    )
    assert (more.position, more.audio, more.check) == (2, None, None)
    quiz = pack.final_quiz
    assert (quiz.pass_percent, quiz.draw, quiz.max_attempts, quiz.time_limit_minutes,
            quiz.grading, quiz.multiple_scoring, quiz.review) == (
        60, 2, 3, 0, "highest", "partial", True)
    assert [(q.key, q.answer, q.points) for q in quiz.questions] == [
        ("final-q1", (0, 2, 3), 1.0), ("final-q2", ("二", "2"), 1.0), ("final-q3", (0, 1), 2.0)]
    assert [(m.path, m.size, m.sha256) for m in pack.media] == [
        ("media/intro.mp3", len(MP3), hashlib.sha256(MP3).hexdigest()),
        ("media/photo.png", len(PNG), hashlib.sha256(PNG).hexdigest()),
    ]
    assert [q.key for q in pack.questions()] == [
        "intro-q1", "intro-q2", "final-q1", "final-q2", "final-q3"]


def test_optional_keys_take_their_defaults(tmp_path):
    final = "pass_percent: 50\ndraw: 1\nquestions:\n" + FINAL.split("questions:\n")[1]
    pack = read_pack(make_pack(tmp_path, (C, "audience: all\n", ""), (Q, final),
                               (L1, "mastery: 1 of 2", "mastery: all"))).pack
    assert pack.audience == "all"
    assert pack.lessons[0].check.mastery_required == 2
    quiz = pack.final_quiz
    assert (quiz.max_attempts, quiz.time_limit_minutes, quiz.grading, quiz.multiple_scoring,
            quiz.review) == (3, 0, "highest", "all_or_nothing", True)


def test_a_pack_without_final_quiz_or_media(tmp_path):
    pack = read_pack(make_pack(tmp_path, (C, "final_quiz: quizzes/final.yaml\n", ""), (Q, None),
                               (L1, "audio: media/intro.mp3\n", ""), (L1, "../media/photo.png",
                               "https://example.org/x.png"), (L2, "(media/photo.png)", "(#)"),
                               ("media/photo.png", None), ("media/intro.mp3", None))).pack
    assert pack.final_quiz is None and pack.media == () and pack.lessons[0].audio is None


@pytest.mark.parametrize(("kind", "written", "answer"), [
    ("multiple", "ACD", (0, 2, 3)),
    ("multiple", "A,C,D", (0, 2, 3)),
    ("multiple", "A、C、D", (0, 2, 3)),
    ("multiple", "[A, C, D]", (0, 2, 3)),
    ("multiple", "[C, A, D, A]", (0, 2, 3)),
    ("multiple", "acd", (0, 2, 3)),
    ("multiple", "ＡＣＤ", (0, 2, 3)),  # full-width letters from a Chinese input method
    ("single", "b", (1,)),
    ("truefalse", "true", (True,)),
    ("truefalse", "False", (False,)),
    ("truefalse", "对", (True,)),
    ("truefalse", "错", (False,)),
    ("fill", "1949", ("1949",)),
    ("fill", "010", ("010",)),  # the text as written, not the YAML 1.1 octal 8
    ("fill", "[五好, 5好]", ("五好", "5好")),
])
def test_answer_notation(tmp_path, kind, written, answer):
    options = {"single": "[甲, 乙, 丙]", "multiple": "[甲, 乙, 丙, 丁]"}.get(kind)
    question = f"  - id: q\n    kind: {kind}\n    stem: 题\n"
    question += f"    options: {options}\n" if options else ""
    question += f"    answer: {written}\n    explanation: 因为。\n"
    final = "pass_percent: 60\ndraw: 1\nquestions:\n" + question
    result = read_pack(make_pack(tmp_path, (Q, final)))
    assert result.problems == []
    assert result.pack.final_quiz.questions[0].answer == answer


def test_paths_are_normalised_inside_the_pack(tmp_path):
    pack = read_pack(make_pack(tmp_path, (C, "  - lessons/02-more.md",
                                          "  - lessons/../lessons/./02-more.md"))).pack
    assert pack.lessons[1].file == "lessons/02-more.md"


def test_crlf_and_a_bom_read_like_plain_text(tmp_path):
    windows = {path: "\ufeff" + FILES[path].replace("\n", "\r\n") for path in (C, L1, L2, Q)}
    plain = read_pack(make_pack(tmp_path / "a")).pack
    assert read_pack(make_pack(tmp_path / "b", *windows.items())).pack == plain


def test_images_in_code_blocks_and_links_are_found_as_markdown_sees_them():
    assert image_sources("a\n\n![x](../media/照片.png \"t\") b\n![y][r]\n\n[r]: media/y.png\n\n"
                         "    ![z](media/code.png)\n") == [
        (2, "../media/照片.png"), (3, "media/y.png")]


# --- every problem, with its line --------------------------------------------------------------

ROWS = [
    # malformed YAML and front matter
    ("yaml-syntax", [(C, "category: 理论", "category: 理论: 哲学")],
     "demo/course.yaml:3: YAML syntax error: mapping values are not allowed here"),
    ("front-matter-syntax", [(L1, "minutes: 5", "minutes: 5: 6")],
     "demo/lessons/01-intro.md:4: YAML syntax error: mapping values are not allowed here"),
    ("no-opening-fence", [(L2, "---\nid: more", "id: more")],
     "demo/lessons/02-more.md:1: a lesson file starts with a '---' line"),
    ("no-closing-fence", [(L2, "minutes: 3\n---\n", "minutes: 3\n")],
     "demo/lessons/02-more.md:1: the front matter has no closing '---' line"),
    ("empty-front-matter", [(L2, "---\n---\n正文\n")],
     "demo/lessons/02-more.md:1: front matter is empty"),
    ("empty-course-yaml", [(C, "# nothing yet\n")], "demo/course.yaml:1: course.yaml is empty"),
    ("not-a-mapping", [(C, "- title\n- summary\n")],
     "demo/course.yaml:1: course.yaml must be a mapping of keys"),
    ("two-documents", [(C, "credit_hours: 2\n", "credit_hours: 2\n---\nx: 1\n")],
     "demo/course.yaml:6: YAML syntax error: expected a single document in the stream, "
     "but found another document"),
    ("alias", [(C, "title: 测试课程", "title: &t 测试课程"), (C, "summary: 一门用来测试的课。",
                                                             "summary: *t")],
     "demo/course.yaml:2: YAML aliases (*t) are not allowed in a pack"),
    ("python-tag", [(C, "title: 测试课程", "title: !!python/object/apply:os.system [echo]")],
     "demo/course.yaml:1: unsupported YAML tag !!python/object/apply:os.system"),
    ("local-tag", [(L1, "title: 第一课", "title: !lesson 第一课")],
     "demo/lessons/01-intro.md:3: unsupported YAML tag !lesson"),
    ("deep-nesting", [(C, "audience: all", "audience: " + "[" * 30 + "]" * 30)],
     "demo/course.yaml:6: YAML nested more than 20 levels deep"),
    ("control-character", [(C, "summary: 一门", "summary: 一\x07门")],
     "demo/course.yaml:2: YAML cannot contain the character U+0007"),
    ("duplicate-key", [(C, COURSE + "title: 又一个\n")],
     "demo/course.yaml:11: duplicate key 'title' in course.yaml"),
    # unknown and missing keys
    ("unknown-course-key", [(C, "audience: all", "audience: all\ncolour: red")],
     "demo/course.yaml:7: unknown key 'colour' in course.yaml (allowed: title, summary,"),
    ("missing-course-key", [(C, "summary: 一门用来测试的课。\n", "")],
     "demo/course.yaml:1: missing required key 'summary' in course.yaml"),
    ("unknown-front-matter-key", [(L1, "minutes: 5", "minutes: 5\nauthor: 老王")],
     "demo/lessons/01-intro.md:5: unknown key 'author' in front matter"),
    ("missing-front-matter-key", [(L2, "minutes: 3\n", "")],
     "demo/lessons/02-more.md:2: missing required key 'minutes' in front matter"),
    ("unknown-check-key", [(L1, "mastery: 1 of 2", "mastery: 1 of 2\n  shuffle: true")],
     "demo/lessons/01-intro.md:8: unknown key 'shuffle' in check"),
    ("missing-check-key", [(L1, "  mastery: 1 of 2\n", "")],
     "demo/lessons/01-intro.md:6: missing required key 'mastery' in check"),
    ("check-not-a-mapping", [(L1, "check:\n  mastery: 1 of 2\n  questions:", "check: 有\nx:")],
     "demo/lessons/01-intro.md:6: check must be a mapping of keys"),
    ("unknown-quiz-key", [(Q, "review: true", "review: true\nshuffle: true")],
     "demo/quizzes/final.yaml:8: unknown key 'shuffle' in the final quiz"),
    ("missing-quiz-key", [(Q, "draw: 2\n", "")],
     "demo/quizzes/final.yaml:1: missing required key 'draw' in the final quiz"),
    ("unknown-question-key", [(Q, "    points: 2", "    points: 2\n    hint: 想想")],
     "demo/quizzes/final.yaml:27: unknown key 'hint' in question"),
    ("missing-question-key", [(L1, "      explanation: 乙对。\n", "")],
     "demo/lessons/01-intro.md:9: missing required key 'explanation' in question"),
    ("missing-options", [(L1, "      options: [甲, 乙, 丙]\n", "")],
     "demo/lessons/01-intro.md:9: missing required key 'options' in question"),
    ("question-not-a-mapping", [(Q, "  - id: final-q1\n", "  - 一道题\n  - id: final-q1\n")],
     "demo/quizzes/final.yaml:9: question must be a mapping of keys"),
    # wrong types and ranges
    ("category", [(C, "category: 理论", "category: 哲学")],
     "demo/course.yaml:3: category '哲学' is not one of 理论, 政策, 实用技术, 干部, 农民"),
    ("required-not-bool", [(C, "required: true", "required: 必修")],
     "demo/course.yaml:4: required must be true or false"),
    ("credit-hours-zero", [(C, "credit_hours: 2", "credit_hours: 0")],
     "demo/course.yaml:5: credit_hours must be more than 0 and at most 100 (got 0)"),
    ("credit-hours-over", [(C, "credit_hours: 2", "credit_hours: 100.5")],
     "demo/course.yaml:5: credit_hours must be more than 0 and at most 100 (got 100.5)"),
    ("credit-hours-text", [(C, "credit_hours: 2", "credit_hours: 两")],
     "demo/course.yaml:5: credit_hours must be a number (got '两')"),
    ("credit-hours-nan", [(C, "credit_hours: 2", "credit_hours: .nan")],
     "demo/course.yaml:5: credit_hours must be a number (got '.nan')"),
    ("title-empty", [(C, "title: 测试课程", "title:")], "demo/course.yaml:1: title is empty"),
    ("title-too-long", [(C, "title: 测试课程", "title: " + "长" * 121)],
     "demo/course.yaml:1: title is 121 characters long; at most 120"),
    ("summary-too-long", [(C, "summary: 一门用来测试的课。", "summary: " + "长" * 501)],
     "demo/course.yaml:2: summary is 501 characters long; at most 500"),
    ("title-a-list", [(C, "title: 测试课程", "title: [测试, 课程]")],
     "demo/course.yaml:1: title must be text, not a list"),
    ("no-lessons", [(C, "lessons:\n  - lessons/01-intro.md\n  - lessons/02-more.md",
                     "lessons: []")],
     "demo/course.yaml:7: lessons must list 1 to 30 files (got 0)"),
    ("lessons-not-a-list", [(C, "lessons:\n  - lessons/01-intro.md\n  - lessons/02-more.md",
                             "lessons: lessons/01-intro.md")],
     "demo/course.yaml:7: lessons must be a list"),
    ("minutes-over", [(L1, "minutes: 5", "minutes: 90")],
     "demo/lessons/01-intro.md:4: minutes must be between 1 and 60 (got 90)"),
    ("minutes-zero", [(L1, "minutes: 5", "minutes: 0")],
     "demo/lessons/01-intro.md:4: minutes must be between 1 and 60 (got 0)"),
    ("minutes-not-whole", [(L1, "minutes: 5", "minutes: 5.5")],
     "demo/lessons/01-intro.md:4: minutes must be a whole number (got '5.5')"),
    ("lesson-id-pattern", [(L2, "id: more", "id: More_2")],
     "demo/lessons/02-more.md:2: lesson id 'More_2' must be 1 to 40 of a-z 0-9 -"),
    ("pass-percent-zero", [(Q, "pass_percent: 60", "pass_percent: 0")],
     "demo/quizzes/final.yaml:1: pass_percent must be between 1 and 100 (got 0)"),
    ("pass-percent-over", [(Q, "pass_percent: 60", "pass_percent: 101")],
     "demo/quizzes/final.yaml:1: pass_percent must be between 1 and 100 (got 101)"),
    ("draw-over", [(Q, "draw: 2", "draw: 4")],
     "demo/quizzes/final.yaml:2: draw is 4 but the quiz has only 3 questions"),
    ("draw-zero", [(Q, "draw: 2", "draw: 0")],
     "demo/quizzes/final.yaml:2: draw must be 1 or more (got 0)"),
    ("max-attempts", [(Q, "max_attempts: 3", "max_attempts: -1")],
     "demo/quizzes/final.yaml:3: max_attempts must be 0 or more (got -1)"),
    ("time-limit", [(Q, "time_limit_minutes: 0", "time_limit_minutes: 半小时")],
     "demo/quizzes/final.yaml:4: time_limit_minutes must be a whole number (got '半小时')"),
    ("grading", [(Q, "grading: highest", "grading: best")],
     "demo/quizzes/final.yaml:5: grading 'best' is not one of highest, last"),
    ("multiple-scoring", [(Q, "multiple_scoring: partial", "multiple_scoring: some")],
     "demo/quizzes/final.yaml:6: multiple_scoring 'some' is not one of all_or_nothing, partial"),
    ("review", [(Q, "review: true", "review: 也许")],
     "demo/quizzes/final.yaml:7: review must be true or false"),
    ("no-questions", [(Q, FINAL.split("questions:")[0] + "questions: []\n")],
     "demo/quizzes/final.yaml:8: questions must list at least one question"),
    # questions: the kind rules come from question_problems, at the line of their key
    ("answer-not-an-option", [(L1, "answer: B", "answer: E")],
     "demo/lessons/01-intro.md:13: the answer is not among the options (answer E; options A–C)"),
    ("answer-not-letters", [(L1, "answer: B", "answer: 2")],
     "demo/lessons/01-intro.md:13: answer '2' must be option letters, such as B or ACD"),
    ("answer-empty", [(L1, "answer: B", "answer:")],
     "demo/lessons/01-intro.md:13: answer is empty"),
    ("single-two-answers", [(L1, "answer: B", "answer: AB")],
     "demo/lessons/01-intro.md:13: a single-choice question has exactly one correct option"),
    ("multiple-one-answer", [(Q, "answer: ACD", "answer: C")],
     "demo/quizzes/final.yaml:13: a multiple-choice question has at least two correct options"),
    ("truefalse-answer", [(L1, "answer: 对", "answer: 也许")],
     "demo/lessons/01-intro.md:18: a true/false answer is true or false"),
    ("truefalse-options", [(L1, "      answer: 对", "      options: [对, 错]\n      answer: 对")],
     "demo/lessons/01-intro.md:18: a true/false question has no options"),
    ("fill-options", [(Q, "    answer: [二, \"2\"]", "    options: [二, 三]\n    answer: 二")],
     "demo/quizzes/final.yaml:18: a fill-in-the-blank question has no options"),
    ("fill-no-answer", [(Q, "answer: [二, \"2\"]", "answer: []")],
     "demo/quizzes/final.yaml:18: a fill-in-the-blank question needs at least one accepted"),
    ("same-options", [(L1, "[甲, 乙, 丙]", "[甲, 甲, 丙]")],
     "demo/lessons/01-intro.md:12: two options are the same"),
    ("one-option", [(Q, "options: [甲, 乙]", "options: [甲]")],
     "demo/quizzes/final.yaml:23: a multiple question needs 2 to 6 options"),
    ("empty-stem", [(L1, "stem: 哪个对？", "stem: ''")],
     "demo/lessons/01-intro.md:11: the question has no stem"),
    ("unknown-kind", [(L1, "kind: single", "kind: essay")],
     "demo/lessons/01-intro.md:10: unknown question kind 'essay'"),
    ("points", [(Q, "points: 2", "points: -1")],
     "demo/quizzes/final.yaml:26: points must be a positive number"),
    ("question-id-pattern", [(Q, "id: final-q1", "id: final q1")],
     "demo/quizzes/final.yaml:9: question id 'final q1' must be 1 to 64 of A-Z a-z 0-9 _ . -"),
    ("duplicate-question-id", [(Q, "id: final-q1", "id: intro-q1")],
     "demo/quizzes/final.yaml:9: question id 'intro-q1' is already used at "
     "demo/lessons/01-intro.md:9"),
    ("duplicate-question-id-in-a-file", [(Q, "id: final-q3", "id: final-q1")],
     "demo/quizzes/final.yaml:20: question id 'final-q1' is already used at "
     "demo/quizzes/final.yaml:9"),
    ("duplicate-lesson-id", [(L2, "id: more", "id: intro")],
     "demo/lessons/02-more.md:2: lesson id 'intro' is already used in demo/lessons/01-intro.md"),
    ("mastery-m-not-count", [(L1, "mastery: 1 of 2", "mastery: 1 of 3")],
     "demo/lessons/01-intro.md:7: mastery \"1 of 3\" counts 3 questions but the check has 2"),
    ("mastery-n-over-m", [(L1, "mastery: 1 of 2", "mastery: 3 of 2")],
     "demo/lessons/01-intro.md:7: mastery \"3 of 2\" must ask for 1 to 2 right answers"),
    ("mastery-zero", [(L1, "mastery: 1 of 2", "mastery: 0 of 2")],
     "demo/lessons/01-intro.md:7: mastery \"0 of 2\" must ask for 1 to 2 right answers"),
    ("mastery-unparseable", [(L1, "mastery: 1 of 2", "mastery: 大部分")],
     "demo/lessons/01-intro.md:7: mastery must be \"N of M\" or \"all\" (got '大部分')"),
    ("check-without-questions", [(L1, "  questions:\n", "  questions: []\n  old:\n")],
     "demo/lessons/01-intro.md:8: questions must list at least one question"),
    # files that are missing, and paths that are refused
    ("lesson-file-missing", [(C, "  - lessons/02-more.md", "  - lessons/03-gone.md")],
     "demo/course.yaml:9: lesson file 'lessons/03-gone.md' does not exist"),
    ("lesson-listed-twice", [(C, "  - lessons/02-more.md", "  - lessons/01-intro.md")],
     "demo/course.yaml:9: lesson file 'lessons/01-intro.md' is listed twice (first on line 8)"),
    ("quiz-file-missing", [(Q, None)],
     "demo/course.yaml:10: final_quiz 'quizzes/final.yaml' does not exist"),
    ("audio-missing", [(L1, "audio: media/intro.mp3", "audio: media/gone.mp3")],
     "demo/lessons/01-intro.md:5: audio 'media/gone.mp3' does not exist"),
    ("audio-not-audio", [(L1, "audio: media/intro.mp3", "audio: media/photo.png")],
     "demo/lessons/01-intro.md:5: audio 'media/photo.png' must end in .mp3, .m4a, .ogg or .webm"),
    ("image-missing-up", [(L1, "../media/photo.png", "../media/gone.png")],
     "demo/lessons/01-intro.md:23: image '../media/gone.png' does not exist"),
    ("image-missing", [(L2, "(media/photo.png)", "(media/gone.png)")],
     "demo/lessons/02-more.md:6: image 'media/gone.png' does not exist"),
    ("image-not-an-image", [(L2, "(media/photo.png)", "(media/intro.mp3)")],
     "demo/lessons/02-more.md:6: image 'media/intro.mp3' must end in .png, .jpg, .jpeg, .gif"),
    ("image-outside-media", [(L2, "(media/photo.png)", "(pics/photo.png)")],
     "demo/lessons/02-more.md:6: image 'pics/photo.png' is not under media/"),
    ("image-leaves-pack", [(L2, "(media/photo.png)", "(../../other/media/photo.png)")],
     "demo/lessons/02-more.md:6: image '../../other/media/photo.png' leaves the pack ('..')"),
    ("image-absolute", [(L2, "(media/photo.png)", "(/etc/media/photo.png)")],
     "demo/lessons/02-more.md:6: image '/etc/media/photo.png' is an absolute path"),
    ("absolute-path", [(C, "  - lessons/02-more.md", "  - /etc/lessons/02-more.md")],
     "demo/course.yaml:9: lesson file '/etc/lessons/02-more.md' is an absolute path "
     "(paths are relative to the pack)"),
    ("windows-absolute-path", [(C, "  - lessons/02-more.md", "  - C:/lessons/02-more.md")],
     "demo/course.yaml:9: lesson file 'C:/lessons/02-more.md' is an absolute path"),
    ("dotdot-leaves", [(C, "  - lessons/02-more.md", "  - lessons/../../other/lessons/x.md")],
     "demo/course.yaml:9: lesson file 'lessons/../../other/lessons/x.md' leaves the pack ('..')"),
    ("backslash", [(C, "  - lessons/02-more.md", "  - lessons\\02-more.md")],
     "demo/course.yaml:9: lesson file 'lessons\\\\02-more.md' contains a backslash or NUL"),
    ("wrong-folder", [(C, "  - lessons/02-more.md", "  - quizzes/02-more.md")],
     "demo/course.yaml:9: lesson file 'quizzes/02-more.md' is not under lessons/"),
    ("lesson-not-markdown", [(C, "  - lessons/02-more.md", "  - lessons/02-more.txt")],
     "demo/course.yaml:9: lesson file 'lessons/02-more.txt' must end in .md"),
    ("quiz-wrong-folder", [(C, "final_quiz: quizzes/final.yaml", "final_quiz: lessons/x.yaml")],
     "demo/course.yaml:10: final_quiz 'lessons/x.yaml' is not under quizzes/"),
    ("hidden-file", [(L1, "audio: media/intro.mp3", "audio: media/.intro.mp3")],
     "demo/lessons/01-intro.md:5: audio 'media/.intro.mp3' names a hidden file or folder"),
    ("no-course-yaml", [(C, None)], "demo/course.yaml: the pack has no course.yaml"),
    # limits, media types and encodings
    ("lesson-too-big", [(L2, MORE + "长" * 90_000)],
     "demo/lessons/02-more.md: the file is 264 KiB; the limit is 256 KiB"),
    ("media-type", [("media/logo.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>")],
     "demo/media/logo.svg: media of this type is not accepted (only .png, .jpg,"),
    ("media-html", [("media/page.html", b"<script>alert(1)</script>")],
     "demo/media/page.html: media of this type is not accepted"),
    ("media-no-extension", [("media/README", b"notes")],
     "demo/media/README: media of this type is not accepted"),
    ("media-bytes-lie", [("media/photo.png", b"<svg onload=alert(1)>")],
     "demo/media/photo.png: the content is not png (its first bytes do not match)"),
    ("lesson-not-utf8", [(L2, MORE.replace("minutes: 3", "minutes: 3\nsource: ").encode()
                          .replace(b"source: ", b"source: \xd5\xfe\xb2\xdf"))],
     "demo/lessons/02-more.md:5: the file is not UTF-8 text"),
    ("course-gbk", [(C, COURSE.encode("gbk"))], "demo/course.yaml:1: the file is not UTF-8 text"),
]


@pytest.mark.parametrize(("edits", "expected"), [pytest.param(e, x, id=i) for i, e, x in ROWS])
def test_each_problem_is_reported_with_its_line(tmp_path, edits, expected):
    found = problems_of(make_pack(tmp_path, *edits))
    assert any(problem.startswith(expected) for problem in found), found


@settings(max_examples=300, deadline=None)
@given(st.builds(
    QuestionData, key=st.just("q"), kind=st.sampled_from((*KINDS, "essay")),
    stem=st.sampled_from(("", "题")), points=st.sampled_from((1.0, 0.0, -1.0)),
    options=st.lists(st.sampled_from(("", "甲", "乙", "丙")), max_size=7).map(tuple),
    answer=st.lists(st.sampled_from((-1, 0, 1, 2, 7, True, False, "", "x")), max_size=3).map(
        tuple)))
def test_every_question_problem_points_at_a_key(question):
    """A message question_problems() gains later must be mapped, or it loses its line."""
    for message in question_problems(question):
        assert _message_key(message) is not None, message


def test_every_row_tests_a_different_problem():
    assert len({expected for _, _, expected in ROWS}) == len(ROWS)


def test_all_problems_are_reported_at_once(tmp_path):
    found = problems_of(make_pack(
        tmp_path, (C, "category: 理论", "category: 哲学"), (L1, "answer: B", "answer: E"),
        (L2, "minutes: 3", "minutes: 0"), (Q, "grading: highest", "grading: best"),
        ("media/x.svg", b"<svg/>")))
    assert [p.split(": ")[0] for p in found] == [
        "demo/course.yaml:3", "demo/lessons/01-intro.md:13", "demo/lessons/02-more.md:4",
        "demo/media/x.svg", "demo/quizzes/final.yaml:5"]


def test_lessons_are_checked_even_when_course_yaml_is_broken(tmp_path):
    found = problems_of(make_pack(tmp_path, (C, "title: [\n"), (L2, "minutes: 3", "minutes: 0"),
                                  (Q, "draw: 2", "draw: 9")))
    assert any(p.startswith("demo/course.yaml:") for p in found)
    assert "demo/lessons/02-more.md:4: minutes must be between 1 and 60 (got 0)" in found
    assert "demo/quizzes/final.yaml:2: draw is 9 but the quiz has only 3 questions" in found


def test_a_question_problem_is_not_reported_twice(tmp_path):
    found = problems_of(make_pack(tmp_path, (L1, "      options: [甲, 乙, 丙]\n", "")))
    assert found == ["demo/lessons/01-intro.md:9: missing required key 'options' in question "
                     "(a single question lists them)"]


def test_the_folder_name_must_be_a_slug(tmp_path):
    assert problems_of(make_pack(tmp_path, name="Demo_Pack")) == [
        "Demo_Pack: the folder name 'Demo_Pack' is not a course slug "
        "(lowercase letters, digits and '-')"]


def test_a_path_that_is_no_folder(tmp_path):
    (tmp_path / "file").write_text("x")
    assert problems_of(tmp_path / "file") == ["file: is not a folder"]
    assert problems_of(tmp_path / "gone") == ["gone: no such folder"]


def test_a_media_file_over_the_limit(tmp_path):
    pack = make_pack(tmp_path)
    with open(pack / "media" / "big.mp3", "wb") as handle:
        handle.truncate(21 * 2**20)  # sparse: costs no disk
    assert problems_of(pack) == ["demo/media/big.mp3: the file is 21.0 MiB; the limit is 20 MiB"]


def test_too_many_files(tmp_path):
    pack = make_pack(tmp_path, *((f"notes/{n:03}.txt", "x") for n in range(195)))
    assert problems_of(pack) == ["demo: the pack has 201 files (a pack holds at most 200)"]


def test_a_folder_bomb_stops_the_walk_early(tmp_path):
    pack = make_pack(tmp_path)
    for n in range(900):
        (pack / "notes" / f"{n:03}").mkdir(parents=True)
    assert problems_of(pack) == ["demo: the pack has more than 200 files "
                                 "(a pack holds at most 200)"]


def test_a_symlink_out_of_the_pack_is_refused_and_not_read(tmp_path):
    secret = tmp_path / "secret.mp3"
    secret.write_bytes(MP3)
    pack = make_pack(tmp_path, ("media/intro.mp3", None))
    os.symlink(secret, pack / "media" / "intro.mp3")
    assert problems_of(pack) == [
        "demo/lessons/01-intro.md:5: audio 'media/intro.mp3' is a symlink pointing outside the "
        "pack",
        "demo/media/intro.mp3: is a symlink pointing outside the pack"]


def test_a_symlinked_folder_out_of_the_pack_is_refused(tmp_path):
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "02-more.md").write_text(MORE)
    pack = make_pack(tmp_path, (L2, None), (C, "lessons/02-more.md", "lessons/more/02-more.md"))
    os.symlink(tmp_path / "elsewhere", pack / "lessons" / "more")
    assert problems_of(pack) == [
        "demo/course.yaml:9: lesson file 'lessons/more/02-more.md' is a symlink pointing outside "
        "the pack",
        "demo/lessons/more: is a symlink pointing outside the pack"]


def test_a_symlink_inside_the_pack_is_a_file_like_any_other(tmp_path):
    pack = make_pack(tmp_path)
    os.symlink(pack / "media" / "photo.png", pack / "media" / "same.png")
    assert [m.path for m in read_pack(pack).pack.media] == [
        "media/intro.mp3", "media/photo.png", "media/same.png"]


def test_a_fifo_is_not_read(tmp_path):
    pack = make_pack(tmp_path, (L2, None))
    os.mkfifo(pack / L2)
    assert problems_of(pack) == [
        "demo/course.yaml:9: lesson file 'lessons/02-more.md' is not a regular file",
        "demo/lessons/02-more.md: is not a regular file"]


def test_a_billion_laughs_is_refused_at_once(tmp_path):
    lol = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
    for name, prev in zip("bcdefghi", "abcdefgh", strict=True):
        lol += f"{name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
    started = time.monotonic()
    found = problems_of(make_pack(tmp_path, (C, lol)))
    assert found == ["demo/course.yaml:2: YAML aliases (*a) are not allowed in a pack"]
    assert time.monotonic() - started < 5


def test_problem_text():
    assert str(Problem("demo/course.yaml", 3, "bad")) == "demo/course.yaml:3: bad"
    assert str(Problem("demo", 0, "bad")) == "demo: bad"
    assert str(Problem("demo", message="bad")) == "demo: bad"


# --- validate_paths ----------------------------------------------------------------------------

def test_validate_paths_takes_packs_and_folders_of_packs(tmp_path):
    make_pack(tmp_path / "courses", name="good")
    bad = make_pack(tmp_path / "courses", (C, "category: 理论", "category: 哲学"), name="bad")
    (tmp_path / "courses" / ".git").mkdir()
    expected = ["bad/course.yaml:3: category '哲学' is not one of 理论, 政策, 实用技术, 干部, 农民"]
    assert [str(p) for p in validate_paths([tmp_path / "courses"])] == expected
    assert [str(p) for p in validate_paths([bad, tmp_path / "courses" / "good"])] == expected
    (tmp_path / "empty").mkdir()
    assert [str(p) for p in validate_paths([tmp_path / "empty", tmp_path / "gone"])] == [
        f"{tmp_path / 'empty'}: no course packs here (a pack is a folder with a course.yaml)",
        "gone: no such folder"]


# --- writing back ------------------------------------------------------------------------------

def test_write_pack_is_a_fixed_point(tmp_path):
    source = make_pack(tmp_path / "in")
    pack = read_pack(source).pack
    written = write_pack(pack, tmp_path / "out", source)
    assert written == tmp_path / "out" / "demo"
    assert read_pack(written).pack == pack
    again = write_pack(read_pack(written).pack, tmp_path / "again", written)
    assert {p.relative_to(again): p.read_bytes() for p in again.rglob("*") if p.is_file()} == {
        p.relative_to(written): p.read_bytes() for p in written.rglob("*") if p.is_file()}


def test_write_pack_takes_media_bytes_keyed_by_path(tmp_path):
    pack = read_pack(make_pack(tmp_path / "in")).pack
    written = write_pack(pack, tmp_path / "out", {"media/photo.png": PNG, "media/intro.mp3": MP3})
    assert (written / "media" / "photo.png").read_bytes() == PNG
    assert read_pack(written).pack == pack


@pytest.mark.parametrize(("media_source", "message"), [
    (None, "the pack has media files but no media_source"),
    ({"media/photo.png": PNG}, "media_source has no bytes for media/intro.mp3"),
    ({"media/photo.png": PNG, "media/intro.mp3": MP3 + b"!"},
     "the bytes for media/intro.mp3 do not match its size and sha256"),
])
def test_write_pack_refuses_missing_or_wrong_media_and_leaves_nothing(tmp_path, media_source,
                                                                      message):
    pack = read_pack(make_pack(tmp_path / "in")).pack
    with pytest.raises(ValueError, match=message):
        write_pack(pack, tmp_path / "out", media_source)
    assert list((tmp_path / "out").iterdir()) == []


def test_write_pack_replaces_only_when_asked(tmp_path):
    source = make_pack(tmp_path / "in")
    pack = read_pack(source).pack
    written = write_pack(pack, tmp_path / "out", source)
    (written / "lessons" / "stale.md").write_text("old")
    with pytest.raises(FileExistsError):
        write_pack(pack, tmp_path / "out", source)
    shorter = dataclasses.replace(pack, lessons=pack.lessons[:1], title="新标题")
    assert write_pack(shorter, tmp_path / "out", written, replace=True) == written
    assert read_pack(written).pack == shorter
    assert not (written / "lessons" / "stale.md").exists()
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["demo"]


def test_write_pack_names_lessons_that_have_no_file(tmp_path):
    source = make_pack(tmp_path / "in")
    pack = read_pack(source).pack
    unnamed = dataclasses.replace(pack, lessons=tuple(
        dataclasses.replace(lesson, file="") for lesson in pack.lessons))
    written = write_pack(unnamed, tmp_path / "out", source)
    assert [lesson.file for lesson in read_pack(written).pack.lessons] == [
        "lessons/01-intro.md", "lessons/02-more.md"]


@pytest.mark.parametrize(("change", "message"), [
    ({"slug": "Bad Slug"}, "is not a course slug"),
    ({"lessons": "../../escape.md"}, "leaves the pack"),
    ({"lessons": "lessons/same.md"}, "is used twice"),
    ({"media": "../../etc/passwd.png"}, "leaves the pack"),
])
def test_write_pack_refuses_unsafe_names(tmp_path, change, message):
    source = make_pack(tmp_path / "in")
    pack = read_pack(source).pack
    if "slug" in change:
        pack = dataclasses.replace(pack, slug=change["slug"])
    if "lessons" in change:
        pack = dataclasses.replace(pack, lessons=tuple(
            dataclasses.replace(lesson, file=change["lessons"]) for lesson in pack.lessons))
    if "media" in change:
        pack = dataclasses.replace(pack, media=(
            dataclasses.replace(pack.media[0], path=change["media"]),))
    with pytest.raises(ValueError, match=message):
        write_pack(pack, tmp_path / "out", source)
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []


# --- the packs that ship in courses/ -----------------------------------------------------------

SHIPPED = sorted(p for p in COURSES.iterdir() if p.is_dir()) if COURSES.is_dir() else []


@pytest.mark.skipif(not SHIPPED, reason="courses/ holds no packs yet")
@pytest.mark.parametrize("folder", SHIPPED, ids=[p.name for p in SHIPPED])
def test_shipped_packs_read_without_problems_and_write_back_the_same(tmp_path, folder):
    result = read_pack(folder)
    assert [str(p) for p in result.problems] == []
    written = write_pack(result.pack, tmp_path, folder)
    assert read_pack(written).pack == result.pack


# --- fuzzing: anything in, problems out --------------------------------------------------------

YAMLISH = st.lists(st.sampled_from([
    "title", "summary", "lessons", "questions", "id", "answer", "kind", "mastery", "check",
    ":", ": ", "- ", "  ", "    ", "\n", "\t", "[", "]", "{", "}", ",", "&a ", "*a", "!!str ",
    "!!python/name:os.system ", "|", ">", "'", '"', "#", "---", "...", "?", "1 of 2", "0x1_",
    "0b_", "1:30", ".nan", "~", "null", "true", "对", "理论", "lessons/01-intro.md", "%",
    "\ufeff", "\x85", "\u2028", "\x00",
]), max_size=60).map("".join)
FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def fuzz_pack(tmp_path_factory):
    return make_pack(tmp_path_factory.mktemp("fuzz"))


def _read_with(pack: Path, rel: str, data: bytes) -> None:
    (pack / rel).write_bytes(data)
    result = read_pack(pack)
    assert all(isinstance(p, Problem) and str(p) for p in result.problems)
    assert (result.pack is None) == bool(result.problems)


@FUZZ
@given(text=st.text() | YAMLISH)
def test_any_text_as_course_yaml_gives_problems_not_exceptions(fuzz_pack, text):
    _read_with(fuzz_pack, C, text.encode("utf-8", "surrogatepass"))


@FUZZ
@given(text=st.text() | YAMLISH)
def test_any_text_as_front_matter_gives_problems_not_exceptions(fuzz_pack, text):
    _read_with(fuzz_pack, L2, f"---\n{text}\n---\n正文\n".encode("utf-8", "surrogatepass"))


@FUZZ
@given(data=st.binary(max_size=300))
def test_any_bytes_as_a_quiz_give_problems_not_exceptions(fuzz_pack, data):
    _read_with(fuzz_pack, Q, data)


@pytest.mark.parametrize("text", [
    "null", "~", "true", "no", "010", "0x1F", "1:30", "2024-01-01", ".nan", "- item", "a: b",
    "#hash", "'quoted'", '"quoted"', "[list]", "{map}", "*alias", "&anchor", "!tag", "%25",
    "---", "...", "多行\n文本", "行尾空格 \n下一行", "制\t表", "0\x850", "a\u2028b", "a\u2029b",
    "\ufeffbom", "铃\x07", "长" * 300,
])
def test_awkward_text_survives_write_and_read(tmp_path, text):
    source = make_pack(tmp_path / "in")
    pack = read_pack(source).pack
    intro = pack.lessons[0]
    single = dataclasses.replace(intro.check.questions[0], stem=text, options=(text, "乙"),
                                 explanation=text)
    fill = QuestionData(key="fill-1", kind="fill", stem=text, answer=(text,), explanation=text)
    intro = dataclasses.replace(intro, title=text, check=dataclasses.replace(
        intro.check, questions=(single, intro.check.questions[1], fill)))
    pack = dataclasses.replace(pack, summary=text[:500], audience=text,
                               lessons=(intro, *pack.lessons[1:]))
    result = read_pack(write_pack(pack, tmp_path / "out", source))
    assert result.problems == []
    assert result.pack == pack


def _clean(text: str) -> bool:
    return bool(text) and text == text.strip()


CLEAN_TEXT = st.text(min_size=1, max_size=30).filter(_clean)


@FUZZ
@given(title=CLEAN_TEXT, stem=CLEAN_TEXT, options=st.lists(CLEAN_TEXT, min_size=2, max_size=6,
                                                            unique=True),
       accepted=st.lists(CLEAN_TEXT, min_size=1, max_size=3), explanation=CLEAN_TEXT,
       body=st.text(max_size=80).filter(lambda b: "\r" not in b and not image_sources(b)))
def test_any_text_survives_write_and_read(tmp_path_factory, title, stem, options, accepted,
                                          explanation, body):
    source = make_pack(tmp_path_factory.mktemp("in"))
    pack: Pack = read_pack(source).pack
    intro = pack.lessons[0]
    single, truefalse = intro.check.questions
    single = dataclasses.replace(single, stem=stem, options=tuple(options), answer=(1,),
                                 explanation=explanation)
    fill = QuestionData(key="fill-1", kind="fill", stem=stem, answer=tuple(accepted),
                        explanation=explanation)
    intro = dataclasses.replace(intro, title=title, body=body, check=dataclasses.replace(
        intro.check, questions=(single, truefalse, fill), mastery_required=3))
    pack = dataclasses.replace(pack, title=title, lessons=(intro, *pack.lessons[1:]))
    written = write_pack(pack, tmp_path_factory.mktemp("out"), source)
    result = read_pack(written)
    assert result.problems == []
    assert result.pack == pack


# --- the packs package stays pure --------------------------------------------------------------

def test_the_packs_package_imports_no_flask_and_no_database():
    package = ROOT / "lms" / "courses" / "packs"
    imported = set()
    for source in package.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                imported.add(node.module)
    roots = {name.split(".")[0] for name in imported}
    assert not roots & {"flask", "flask_sqlalchemy", "sqlalchemy", "werkzeug"}
    assert {name for name in imported if name.startswith("lms.")} <= {"lms.core.questions"}
