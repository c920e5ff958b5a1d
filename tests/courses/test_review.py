"""The editorial review of a pack: the 学时 rule (a problem that refuses validate and import) and
the warnings `flask courses validate` prints (docs/content-guide.md)."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from lms.authoring.pack_sync import import_folders
from lms.core.errors import ValidationFailed
from lms.courses.models import Course
from lms.courses.packs import read_pack
from lms.courses.packs.review import hours_for, review_pack, study_minutes
from lms.extensions import db

from .conftest import COURSES, SHIPPED, dump, lesson_text, question, write_files

SOURCES = [{"title": "党建引领乡村振兴发展的地方实践与经验启示", "author": "人民论坛理论研究中心",
            "date": "未注明"}]
#: 500 readable characters: two minutes at 250 a minute
BODY = "党员带头学习，" * 70 + "学用结合，一起进步。\n"


def small_pack(tmp_path, *, credit=0.5, minutes=2, body=BODY, sources=SOURCES, extra=None,
               answers=("B", "C", "A", "D"), final_text=None):
    """One lesson (2 check questions) and a final quiz of four single-choice items, 2 drawn:
    2 + 2 + 2 = 6 minutes of study."""
    course = {"title": "小课", "summary": "用来测试编辑规则的小课。", "category": "理论",
              "required": False, "credit_hours": credit, "audience": "all"}
    if sources is not None:
        course["sources"] = sources
    if extra is not None:
        course["credit_extra"] = extra
    course["lessons"] = ["lessons/01-one.md"]
    course["final_quiz"] = "quizzes/final.yaml"
    lesson = lesson_text({"id": "one", "title": "第一课", "minutes": minutes, "check": {
        "mastery": "1 of 2", "questions": [
            question("one-q1", options=("甲", "乙", "丙", "丁"), answer="C"),
            question("one-q2", kind="truefalse", answer=True, stem="甲市把党课送上了渔船。")]}},
        body)
    final = {"pass_percent": 60, "draw": 2, "questions": [
        question(f"final-q{n}", stem=final_text or "哪一项对？", options=("甲", "乙", "丙", "丁"),
                 answer=letter) for n, letter in enumerate(answers, start=1)]}
    return write_files(tmp_path / "packs" / "review-demo", {
        "course.yaml": dump(course), "lessons/01-one.md": lesson,
        "quizzes/final.yaml": dump(final)})


def review(folder):
    result = read_pack(folder)
    assert result.ok, result.problems
    return review_pack(folder, result.pack)


def messages(findings):
    return [str(f) for f in findings]


@pytest.mark.parametrize(("minutes", "hours"), [
    (0, 0.5), (10, 0.5), (33, 0.5), (34, 1.0), (45, 1.0), (56, 1.0), (57, 1.5), (90, 2.0),
    (101, 2.0), (102, 2.5),
])
def test_one_hour_per_45_minutes_to_the_nearest_half_at_least_a_half(minutes, hours):
    assert hours_for(minutes) == hours


def test_study_minutes_count_lessons_answered_questions_and_a_stated_extra(tmp_path):
    assert study_minutes(read_pack(small_pack(tmp_path)).pack) == 2 + 2 + 2
    with_extra = small_pack(tmp_path, extra={"minutes": 40, "reason": "党小组围绕本课讨论一次"})
    assert study_minutes(read_pack(with_extra).pack) == 46


def test_the_shipped_packs_claim_what_the_rule_allows_and_have_no_warnings():
    for slug in SHIPPED:
        found = review(COURSES / slug)
        assert found.problems == [] and found.warnings == [], slug


def test_more_hours_than_the_rule_allows_is_a_problem_on_the_credit_line(tmp_path):
    folder = small_pack(tmp_path, credit=1)
    (problem,) = review(folder).problems
    assert str(problem).startswith("review-demo/course.yaml:5: credit_hours 1 is more than the "
                                   "学时 rule allows: 6 minutes")
    assert "give 0.5" in str(problem)


def test_validate_refuses_it_and_import_writes_nothing(tmp_path, runner, app):
    folder = small_pack(tmp_path, credit=1)
    result = runner.invoke(args=["courses", "validate", str(folder)])
    assert result.exit_code == 1
    assert "review-demo/course.yaml:5: credit_hours 1 is more than" in result.output
    with pytest.raises(ValidationFailed) as error:
        import_folders([folder])
    assert any("credit_hours 1 is more than" in p for p in error.value.problems)
    assert db.session.scalar(select(func.count()).select_from(Course)) == 0


def test_a_stated_extra_lets_a_course_credit_the_time_it_names(tmp_path, app):
    folder = small_pack(tmp_path, credit=1, extra={"minutes": 40, "reason": "党小组讨论一次"})
    assert review(folder).problems == []
    (outcome,) = import_folders([folder])
    course = outcome.course
    assert (course.credit_hours, course.credit_extra_minutes, course.credit_extra_reason) == (
        1, 40, "党小组讨论一次")
    assert course.sources == [dict(SOURCES[0], note="")]


def test_a_pack_without_sources_gets_a_warning(tmp_path):
    (warning,) = review(small_pack(tmp_path, sources=None)).warnings
    assert str(warning).startswith("review-demo/course.yaml:1: no sources")


@pytest.mark.parametrize(("text", "warned"), [
    ("培育新型职业农民", "'新型职业农民' is a retired term: write '高素质农民'"),
    ("做到一懂二爱", "'一懂二爱' is a retired term: write '一懂两爱'"),
    ("决战脱贫攻坚", "'决战脱贫攻坚' is a retired term"),
    ("从新型职业农民到高素质农民", None),  # the change explained in the same file
    ("报告提出要选优配强书记", "a bare '报告'"),
    ("报告认为", "a bare '报告'"),
    ("党的十九大报告提出", None),
    ("党代会报告和政府工作报告", None),
    ("在中国共产党第二十次全国代表大会上的报告", None),
])
def test_retired_terms_and_a_bare_report_are_warned_with_their_line(tmp_path, text, warned):
    folder = small_pack(tmp_path, body=BODY + text + "\n")
    found = messages(review(folder).warnings)
    if warned is None:
        assert found == []
    else:
        lines = (folder / "lessons/01-one.md").read_text(encoding="utf-8").split("\n")
        (warning,) = found
        assert warning.startswith(f"review-demo/lessons/01-one.md:{lines.index(text) + 1}: "
                                  f"{warned}")


def test_a_bare_report_in_a_question_stem_is_warned_in_the_quiz_file(tmp_path):
    found = messages(review(small_pack(tmp_path, final_text="报告具体介绍了哪几项？")).warnings)
    assert len(found) == 4 and all(f.startswith("review-demo/quizzes/final.yaml:") for f in found)


def test_single_choice_keys_mostly_on_one_letter_are_warned(tmp_path):
    spread = review(small_pack(tmp_path, answers=("A", "B", "C", "D"))).warnings
    assert spread == []
    (warning,) = review(small_pack(tmp_path, answers=("A", "A", "A", "B"))).warnings
    assert str(warning) == (
        "review-demo/quizzes/final.yaml: 3 of 5 single-choice answers are A (A 3, B 1, C 1): "
        "spread the keys over the options (they are shuffled on screen, not in exports and print)")


@pytest.mark.parametrize(("minutes", "warned"), [(2, False), (1, False), (4, False), (5, True),
                                                 (60, True)])
def test_lesson_minutes_far_from_its_length_are_warned(tmp_path, minutes, warned):
    found = messages(review(small_pack(tmp_path, minutes=minutes, credit=0.5)).warnings)
    assert bool(found) == warned
    if warned:
        assert found[0].startswith(f"review-demo/lessons/01-one.md:4: minutes: {minutes}, but "
                                   "the text (500 characters) reads in about 2")
