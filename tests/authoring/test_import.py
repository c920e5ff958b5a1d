"""Question import through the web (upload → preview → confirm) and the command line, with each
reader's good and bad inputs; nothing is ever half-imported."""
from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from lms.audit.models import AuditLog
from lms.authoring import bank, services
from lms.core.questions import QuestionData
from lms.courses.models import Course
from lms.extensions import db
from lms.quizzes.formats import write_csv, write_gift, write_xlsx
from lms.quizzes.models import Question, Quiz
from tests.helpers import (
    AIKEN,
    EDITOR_COURSE,
    GIFT_EXAMPLES,
    confirm_import,
    sample_questions,
    upload_bank,
    xlsx_rows,
)

BANK = [QuestionData(**{**q.__dict__, "key": f"bank-{i}"})
        for i, q in enumerate(sample_questions("x"), start=1)]
GIFT = ("::q1:: 党费按月交纳。{T}\n\n"
        "产业链党支部建在哪里？{~村委会 =产业链上 ~县城 ####支部建在产业链上。}\n\n"
        "党的根本宗旨是全心全意为人民{=服务 =服务人民}。\n").encode()


GOOD = {
    "bank.xlsx": (write_xlsx(BANK), 4),
    "bank.csv": (write_csv(BANK), 4),
    "bank.gift": (write_gift(BANK), 4),
    "bank.txt": (GIFT, 3),
    "aiken.txt": (AIKEN, 2),
}
BAD = {
    "empty.xlsx": (b"", "文件是空的"),
    "empty.csv": (b"", "文件是空的"),
    "empty.gift": (b"  \n", "文件是空的"),
    "empty.txt": (b"", "文件是空的"),
    "photo.xlsx": (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "PNG 图片"),
    "photo.csv": (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "PNG 图片"),
    "photo.gift": (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "PNG 图片"),
    "renamed.xlsx": ("题型,题干,正确答案\n单选,题,A\n".encode(), "这不是 xlsx"),
    # neither UTF-8 nor GB18030 (a GBK file is read as it is: test_gbk_files_are_read)
    "mangled.csv": ("题型,题干,选项A,选项B,正确答案\n".encode() + b"\xff\x80,x\n",
                    "不是 UTF-8 编码"),
    "mangled.gift": (b"\xff\x80{T}\n", "不是 UTF-8 编码"),
    "mangled.txt": (b"\xff\x80?\nA. 1\nB. 2\nANSWER: A\n", "不是 UTF-8 编码"),
    "columns.xlsx": (xlsx_rows([["题型", "题干"], ["单选", "题"]]), "缺少必需的列：正确答案"),
    "columns.csv": ("题型,题目内容\n单选,题\n".encode(), "缺少必需的列"),
    "letter.xlsx": (xlsx_rows([["题型", "题干", "选项A", "选项B", "正确答案"],
                                ["单选", "好题", "甲", "乙", "B"],
                                ["单选", "坏题", "甲", "乙", "D"]]), "row 3"),
    "letter.csv": ("题型,题干,选项A,选项B,正确答案\n单选,好题,甲,乙,A\n多选,坏题,甲,乙,AE\n"
                   .encode(), "row 3"),
    "letter.txt": ("好题？\nA. 甲\nB. 乙\nANSWER: A\n\n坏题？\nA. 甲\nB. 乙\nANSWER: D\n"
                   .encode(), "line 9"),
    "braces.gift": ("好题{T}\n\n坏题{=甲 ~乙\n".encode(), "line 3"),
    "huge.csv": (b"a" * (5 * 1024 * 1024 + 10), "上限是 5 MB"),
    "tool.exe": (b"MZ\x90\x00", "不支持这种文件"),
}


def _count() -> int:
    return db.session.scalar(select(func.count(Question.id)))


@pytest.mark.parametrize("name", sorted(GOOD))
def test_good_files_preview_then_import_everything(client_for, trainer, make_course, name):
    data, expected = GOOD[name]
    course = make_course(**EDITOR_COURSE, owner=trainer, status="draft").course
    web = client_for(trainer)
    before = _count()
    page = upload_bank(web, course, name, data).get_data(as_text=True)
    assert f"可导入的题（{expected}）" in page and "确认导入" in page
    assert _count() == before  # the preview writes nothing
    response = confirm_import(web, course, page)
    assert response.status_code == 302
    assert _count() == before + expected
    assert len(bank.live_questions(bank.final_quiz(course))) == 4 + expected
    audit = db.session.scalar(select(AuditLog).where(
        AuditLog.action == "authoring.questions.import"))
    assert audit.actor_id == trainer.id


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_files_get_a_clear_message_and_nothing_is_written(client_for, trainer, make_course,
                                                               name):
    data, message = BAD[name]
    course = make_course(**EDITOR_COURSE, owner=trainer, status="draft").course
    before = _count()
    response = upload_bank(client_for(trainer), course, name, data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    # the command line says "row 3"; a page says 第 3 行
    message = re.sub(r"^(?:row|line) (\d+)$", r"第 \1 行", message)
    assert message in page, page[-3000:]
    assert "确认导入" not in page
    assert _count() == before


def test_import_into_a_lesson_check_makes_the_check(client_for, trainer, make_course):
    course = make_course(**EDITOR_COURSE, owner=trainer, status="draft").course
    lesson = services.live_lessons(course)[1]
    assert bank.lesson_check(lesson) is None
    web = client_for(trainer)
    page = upload_bank(web, course, "aiken.txt", AIKEN, target=lesson.key).get_data(as_text=True)
    assert "随堂测验" in page
    confirm_import(web, course, page)
    check = bank.lesson_check(lesson)
    assert [q.key for q in bank.live_questions(check)] == ["q001", "q002"]


def test_keys_taken_elsewhere_are_renamed_and_update_mode_matches_them(client_for, trainer,
                                                                        make_course):
    course = make_course(**EDITOR_COURSE, owner=trainer, status="draft").course
    web = client_for(trainer)
    lesson = services.live_lessons(course)[1]
    page = upload_bank(web, course, "aiken.txt", AIKEN, target=lesson.key).get_data(as_text=True)
    confirm_import(web, course, page)
    # the same keys again into the final quiz: renamed, never clobbering the check's questions
    page = upload_bank(web, course, "aiken.txt", AIKEN).get_data(as_text=True)
    assert "q001-2" in page and "已被占用" in page
    confirm_import(web, course, page)
    final = bank.final_quiz(course)
    assert {"q001-2", "q002-2"} <= {q.key for q in bank.live_questions(final)}
    # update mode on the bank's own export changes nothing and adds nothing
    from lms.quizzes.formats import write_xlsx as writer

    exported = writer([q.to_data() for q in bank.live_questions(final)])
    before = {q.key: q.version for q in bank.live_questions(final)}
    page = upload_bank(web, course, "again.xlsx", exported, mode="update").get_data(as_text=True)
    assert "无变化" in page
    confirm_import(web, course, page)
    assert {q.key: q.version for q in bank.live_questions(final)} == before
    # an edited stem in update mode bumps that question's version
    edited = [QuestionData(**{**q.to_data().__dict__, "stem": q.stem + "（改）"})
              if q.key == "q001-2" else q.to_data() for q in bank.live_questions(final)]
    page = upload_bank(web, course, "edit.xlsx", writer(edited), mode="update").get_data(
        as_text=True)
    confirm_import(web, course, page)
    question = db.session.scalar(select(Question).where(Question.key == "q001-2"))
    assert question.version == before["q001-2"] + 1 and question.stem.endswith("（改）")


def test_gift_examples_preview_lists_what_is_taken_and_refused(client_for, trainer,
                                                                make_course):
    course = make_course(**EDITOR_COURSE, owner=trainer, status="draft").course
    web = client_for(trainer)
    before = _count()
    page = upload_bank(web, course, "fieldside.gift", GIFT_EXAMPLES.read_bytes()).get_data(
        as_text=True)
    assert "可导入的题（28）" in page and "不支持、不会导入的题（9）" in page
    for line in ("第 97 行：中国共产党成立于哪一年？：不支持数值题（numerical）",
                 "第 91 行：配对：不支持配对题（matching）"):
        assert line in page
    confirm_import(web, course, page)
    assert _count() == before + 28


def test_a_stale_or_foreign_token_imports_nothing(client_for, trainer, other_trainer,
                                                  make_course):
    course = make_course(**EDITOR_COURSE, owner=trainer, status="draft").course
    services.add_co_author(trainer, course, other_trainer.phone)
    web = client_for(trainer)
    page = upload_bank(web, course, "aiken.txt", AIKEN).get_data(as_text=True)
    import re

    token = re.search(r'name="token" type="hidden" value="([0-9a-f]+)"', page)[1]
    before = _count()
    # the co-author cannot use the trainer's parked file, nor a made-up or path-like token
    for who, value in ((other_trainer, token), (trainer, "0" * 32), (trainer, "../../x")):
        response = client_for(who).post(f"/authoring/courses/{course.id}/import/confirm",
                                        data={"token": value, "filename": "aiken.txt",
                                              "target": "final", "mode": "add"})
        assert "预览已过期" in response.get_data(as_text=True)
    assert _count() == before


def test_a_confirm_that_fails_writes_nothing(client_for, trainer, make_course, monkeypatch):
    """A failure halfway through the write rolls everything back."""
    from lms.authoring import bank_import

    course = make_course(**EDITOR_COURSE, owner=trainer, status="draft").course
    web = client_for(trainer)
    page = upload_bank(web, course, "bank.csv", write_csv(BANK)).get_data(as_text=True)
    original = bank_import._write

    def broken(course, quiz, plan):
        original(course, quiz, plan)
        raise RuntimeError("disk full")

    monkeypatch.setattr(bank_import, "_write", broken)
    before = (_count(), db.session.scalar(select(func.count(Quiz.id))))
    with pytest.raises(RuntimeError):
        confirm_import(web, course, page)
    db.session.rollback()
    assert (_count(), db.session.scalar(select(func.count(Quiz.id)))) == before


# ---- the command line ---------------------------------------------------------------------------

def _cli(runner, tmp_path, name: str, data: bytes, *args):
    path = tmp_path / name
    path.write_bytes(data)
    return runner.invoke(args=["questions", "import", str(path), *args])


@pytest.mark.parametrize("name", sorted(GOOD))
def test_cli_imports_good_files(runner, tmp_path, trainer, make_course, name):
    data, expected = GOOD[name]
    course = make_course(**EDITOR_COURSE, owner=trainer, status="draft", slug="cli-course").course
    before = _count()
    result = _cli(runner, tmp_path, name, data, "--course", "cli-course", "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.output.count("taken") == expected and "试运行" in result.output
    assert _count() == before
    result = _cli(runner, tmp_path, name, data, "--course", "cli-course")
    assert result.exit_code == 0, result.output
    assert _count() == before + expected
    assert f"新增 {expected} 题" in result.output
    assert course.id


@pytest.mark.parametrize("name", sorted(set(BAD) - {"tool.exe"}))
def test_cli_refuses_bad_files_and_imports_nothing(runner, tmp_path, trainer, make_course,
                                                   name):
    data, message = BAD[name]
    make_course(**EDITOR_COURSE, owner=trainer, status="draft", slug="cli-course")
    before = _count()
    result = _cli(runner, tmp_path, name, data, "--course", "cli-course")
    assert result.exit_code == 1
    assert message in result.output
    assert _count() == before


def test_cli_gift_examples_report_and_refuse_the_whole_file(runner, trainer, make_course):
    lesson_course = make_course(**EDITOR_COURSE, owner=trainer, status="draft", slug="cli-course").course
    lesson = services.live_lessons(lesson_course)[1]
    before = _count()
    result = runner.invoke(args=["questions", "import", str(GIFT_EXAMPLES), "--course",
                                 "cli-course", "--quiz", lesson.key])
    assert result.exit_code == 1
    assert result.output.count("taken ") == 28 and result.output.count("refused ") == 9
    assert "refused  line 111: Seven Options: 不支持超过 6 个选项的选择题" in result.output
    assert "taken    line 69: fee-basis" in result.output
    assert "没有导入任何题目" in result.output
    assert _count() == before and bank.lesson_check(lesson) is None


@pytest.mark.parametrize("args, message", [
    (["--course", "nope"], "没有课程 nope"),
    (["--course", "cli-course", "--quiz", "no-such-lesson"], "没有代号为 no-such-lesson 的课"),
])
def test_cli_unknown_course_or_lesson(runner, tmp_path, trainer, make_course, args, message):
    make_course(**EDITOR_COURSE, owner=trainer, status="draft", slug="cli-course")
    result = _cli(runner, tmp_path, "aiken.txt", AIKEN, *args)
    assert result.exit_code == 1 and message in result.output


def test_cli_imports_into_a_lesson_check_and_audits_as_system(runner, tmp_path, trainer,
                                                              make_course):
    course = make_course(**EDITOR_COURSE, owner=trainer, status="draft", slug="cli-course").course
    lesson = services.live_lessons(course)[1]
    result = _cli(runner, tmp_path, "bank.gift", write_gift(BANK), "--course", "cli-course",
                  "--quiz", lesson.key)
    assert result.exit_code == 0, result.output
    assert [q.key for q in bank.live_questions(bank.lesson_check(lesson))] == [
        q.key for q in BANK]
    row = db.session.scalar(select(AuditLog).where(
        AuditLog.action == "authoring.questions.import"))
    assert row.actor_id is None and row.actor_label == "system"


# ---- fuzzing ------------------------------------------------------------------------------------

def _mutations():
    valid = [GOOD[name][0] for name in sorted(GOOD)]
    return st.tuples(st.sampled_from(valid), st.integers(0, 10_000), st.binary(max_size=8)).map(
        lambda t: t[0][: t[1] % (len(t[0]) + 1)] + t[2] + t[0][t[1] % (len(t[0]) + 1) + 1:])


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.one_of(st.binary(max_size=3000), _mutations()),
       name=st.sampled_from(["x.xlsx", "x.csv", "x.gift", "x.txt", "x.aiken", "x.bin"]),
       fmt=st.sampled_from(["", "xlsx", "csv", "gift", "aiken"]))
def test_random_bytes_never_500_and_never_import_partly(client_for, trainer, make_course, data,
                                                        name, fmt):
    course = db.session.scalar(select(Course).where(Course.slug == "fuzz")) \
        or make_course(**EDITOR_COURSE, owner=trainer, status="draft", slug="fuzz").course
    web = client_for(trainer)
    before = _count()
    response = upload_bank(web, course, name, data, fmt=fmt)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert _count() == before
    if "确认导入" in page:
        import re

        planned = int(re.search(r"可导入的题（(\d+)）", page)[1])
        assert confirm_import(web, course, page).status_code == 302
        assert _count() == before + planned


@pytest.mark.parametrize("name, data", [
    ("gbk.csv", "题型,题干,选项A,选项B,正确答案\n单选,党费怎么交？,按月,按年,A\n".encode("gbk")),
    ("gbk.gift", "党费按月交纳。{T}\n".encode("gbk")),
    ("gbk.txt", "党费怎么交？\nA. 按月\nB. 按年\nANSWER: A\n".encode("gb18030")),
])
def test_gbk_files_are_read_as_they_are(name, data):
    """Chinese Excel, WPS and Notepad save GBK by default: the file is read, not refused."""
    from lms.authoring.bank_import import detect_format, read_bank

    parsed = read_bank(detect_format(name, data), data)
    assert not parsed.problems and parsed.questions
    assert "党费" in parsed.questions[0].stem


def test_an_english_reader_gets_import_problems_and_question_errors_in_english(
        client_for, trainer, make_course):
    course = make_course(**EDITOR_COURSE, owner=trainer, status="draft").course
    web = client_for(trainer)
    web.get("/lang/en")
    page = upload_bank(web, course, "letter.csv", BAD["letter.csv"][0]).get_data(as_text=True)
    assert "Row 3: The answer “AE” names option E, which is empty" in page
    quiz = bank.final_quiz(course)
    page = web.post(f"/authoring/courses/{course.id}/quizzes/{quiz.id}/questions/new", data={
        "kind": "single", "stem": "哪两个？", "option_a": "甲", "option_b": "乙", "option_c": "",
        "correct": ["A", "B"], "explanation": "因为", "points": "1"}).get_data(as_text=True)
    assert "A single-choice question has exactly one correct option" in page
    assert "单选题只能有一个正确答案" not in page
