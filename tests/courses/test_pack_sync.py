"""Course packs ⇄ database: import, idempotence, changes by stable id, archive, export.

Import goes through ``import_folders`` (what the CLI and the first start use); learners' rows are
written directly, so these tests need nothing of the quiz or progress services.
"""
from __future__ import annotations

import dataclasses
import re
import shutil

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from lms.audit.models import AuditLog
from lms.authoring.pack_sync import course_to_pack, import_folders, pack_digest
from lms.core.errors import ValidationFailed
from lms.courses import media
from lms.courses.models import Course, Lesson, MediaFile
from lms.courses.packs import read_pack, write_pack
from lms.extensions import db
from lms.quizzes.models import Attempt, Question, Quiz, Response

from .conftest import COURSES, SHIPPED, dump, media_pack_files, question, table_counts, write_files

PROBLEM_LINE = re.compile(r"^\S+:\d+: \S")


def course_state(slug: str) -> dict:
    """Everything an import may change about one course, as plain values."""
    db.session.expire_all()
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    lessons = db.session.scalars(select(Lesson).where(Lesson.course_id == course.id))
    questions = db.session.scalars(select(Question).where(Question.course_id == course.id))
    quizzes = db.session.scalars(select(Quiz).where(Quiz.course_id == course.id))
    return {
        "course": (course.version, course.pack_digest, course.title, course.status),
        "lessons": {lesson.key: (lesson.version, lesson.archived, lesson.position, lesson.title,
                                 lesson.html) for lesson in lessons},
        "questions": {q.key: (q.version, q.archived, q.quiz_id, q.position, q.stem)
                      for q in questions},
        "quizzes": {q.id: (q.lesson_id, q.archived) for q in quizzes},
    }


def without_files(pack):
    """The pack with lesson file names blanked: the database keeps no file names, so an export
    names lessons ``lessons/NN-<id>.md`` whatever they were called."""
    return dataclasses.replace(pack, lessons=tuple(dataclasses.replace(lesson, file="")
                                                   for lesson in pack.lessons))


def copy_pack(slug: str, tmp_path):
    target = tmp_path / "packs" / slug
    shutil.copytree(COURSES / slug, target)
    return target


def row_dict(row) -> dict:
    return {column.key: getattr(row, column.key) for column in row.__table__.columns}


# ---- the three report modules -----------------------------------------------------------------

def test_the_three_modules_import(app):
    outcomes = import_folders([COURSES])
    assert sorted(o.course.slug for o in outcomes) == SHIPPED
    assert all(o.created and o.changed for o in outcomes)
    for outcome in outcomes:
        pack = read_pack(COURSES / outcome.course.slug).pack
        course = outcome.course
        assert (course.title, course.summary, course.category, course.required,
                course.credit_hours) == (pack.title, pack.summary, pack.category, pack.required,
                                         pack.credit_hours)
        assert course.status == "published" and course.version == 1
        assert course.pack_digest == pack_digest(pack)
        lessons = db.session.scalars(select(Lesson).where(Lesson.course_id == course.id)
                                     .order_by(Lesson.position)).all()
        assert [(lesson.key, lesson.title, lesson.minutes) for lesson in lessons] == \
            [(data.id, data.title, data.minutes) for data in pack.lessons]
        assert 4 <= len(lessons) <= 6
        assert all(lesson.html.startswith("<") and "<script" not in lesson.html
                   for lesson in lessons)
        keys = set(db.session.scalars(select(Question.key).where(
            Question.course_id == course.id)))
        assert keys == {q.key for q in pack.questions()}
        final = db.session.scalar(select(Quiz).where(Quiz.course_id == course.id,
                                                     Quiz.lesson_id.is_(None)))
        assert final.draw == 10 and len(pack.final_quiz.questions) >= 20
    assert db.session.scalar(select(AuditLog.action).limit(1)) == "course.import"


def test_importing_the_same_packs_twice_changes_nothing(app):
    import_folders([COURSES])
    before = table_counts()
    states = {slug: course_state(slug) for slug in SHIPPED}
    outcomes = import_folders([COURSES])
    assert [o.changed or o.created for o in outcomes] == [False] * len(SHIPPED)
    assert table_counts() == before  # not even an audit row
    assert {slug: course_state(slug) for slug in SHIPPED} == states


def test_each_pack_folder_can_be_given_on_its_own(app):
    import_folders([COURSES / slug for slug in SHIPPED])
    before = table_counts()
    import_folders([COURSES])
    assert table_counts() == before


# ---- a changed pack ---------------------------------------------------------------------------

@pytest.fixture
def learner_records(member):
    """``make(course)``: a finished attempt with a response on the first lesson's check, and
    progress rows where the progress domain has its tables; returns a snapshot function."""
    def make(course: Course):
        first = db.session.scalar(select(Lesson).where(Lesson.course_id == course.id)
                                  .order_by(Lesson.position))
        quiz = db.session.scalar(select(Quiz).where(Quiz.lesson_id == first.id))
        question_row = db.session.scalar(select(Question).where(Question.quiz_id == quiz.id)
                                         .order_by(Question.position))
        snapshot = [{"key": question_row.key, "kind": question_row.kind,
                     "stem": question_row.stem, "options": question_row.options,
                     "answer": question_row.answer, "explanation": question_row.explanation,
                     "points": 1, "order": list(range(len(question_row.options)))}]
        attempt = Attempt(user_id=member.id, quiz_id=quiz.id, number=1, state="submitted",
                          score=1, max_score=1, passed=True, snapshot=snapshot)
        db.session.add(attempt)
        db.session.flush()
        db.session.add(Response(attempt_id=attempt.id, question_key=question_row.key,
                                answer=list(question_row.answer), correct=True, points=1))
        rows = [attempt]
        if "lesson_progress" in db.metadata.tables:  # the progress domain is there
            from lms.progress.models import LessonProgress

            lessons = db.session.scalars(select(Lesson).where(Lesson.course_id == course.id))
            rows += [LessonProgress(user_id=member.id, lesson_id=lesson.id,
                                    course_id=course.id) for lesson in lessons]
            db.session.add_all(rows[1:])
        db.session.commit()
        kinds = [Attempt, Response] + sorted({type(row) for row in rows} - {Attempt},
                                             key=lambda kind: kind.__name__)

        def snapshot_rows():
            db.session.expire_all()
            return {kind.__name__: sorted((row_dict(row) for row in db.session.scalars(
                select(kind))), key=lambda values: values["id"]) for kind in kinds}

        return snapshot_rows

    return make


def change_dangke(folder):
    """Edit one lesson body and one check question, delete lesson 06 and one final question,
    add a lesson and a final question."""
    lesson = folder / "lessons/02-governance.md"
    lesson.write_text(lesson.read_text(encoding="utf-8") + "\n新加的一段：议事要有记录。\n",
                      encoding="utf-8")
    first = folder / "lessons/01-fields.md"
    text = first.read_text(encoding="utf-8")
    assert "甲市抓产业时，除了村党组织，还把党的组织建到了哪里？" in text
    first.write_text(text.replace("甲市抓产业时，除了村党组织，还把党的组织建到了哪里？",
                                  "甲市把党的组织建到了哪里？"), encoding="utf-8")
    (folder / "lessons/06-green-grid.md").unlink()
    (folder / "lessons/07-new.md").write_text(
        "---\n" + dump({"id": "new-lesson", "title": "新的一课", "minutes": 3}) + "---\n新课正文。\n",
        encoding="utf-8")
    course_yaml = folder / "course.yaml"
    course_yaml.write_text(course_yaml.read_text(encoding="utf-8").replace(
        "lessons/06-green-grid.md", "lessons/07-new.md"), encoding="utf-8")
    final_path = folder / "quizzes/final.yaml"
    final = yaml.safe_load(final_path.read_text(encoding="utf-8"))
    removed = final["questions"].pop(1)["id"]
    final["questions"].append(question("final-new", stem="新加的一道题？"))
    final_path.write_text(dump(final), encoding="utf-8")
    return removed


def test_a_changed_pack_updates_by_id_archives_and_keeps_learners_records(app, tmp_path,
                                                                         learner_records):
    folder = copy_pack("dangke-tianjian", tmp_path)
    (outcome,) = import_folders([folder])
    records = learner_records(outcome.course)
    before, learners = course_state("dangke-tianjian"), records()
    removed = change_dangke(folder)

    (outcome,) = import_folders([folder])
    assert outcome.changed and not outcome.created
    after = course_state("dangke-tianjian")
    assert after["course"][0] == 2
    assert after["course"][1] == pack_digest(read_pack(folder).pack) != before["course"][1]

    lessons_before, lessons = before["lessons"], after["lessons"]
    assert lessons["governance"][0] == 2 and "议事要有记录" in lessons["governance"][4]
    for key in ("fields", "poverty", "five-good", "collective"):  # unchanged text: same version
        assert lessons[key] == lessons_before[key]
    assert lessons["green-grid"][:2] == (1, True)
    assert lessons["new-lesson"][:3] == (1, False, 6)

    questions_before, questions = before["questions"], after["questions"]
    assert questions["fields-q1"][0] == 2 and questions["fields-q1"][4] == "甲市把党的组织建到了哪里？"
    assert questions["fields-q2"] == questions_before["fields-q2"]
    assert questions[removed][:2] == (1, True)
    assert all(questions[k][1] for k in ("green-grid-q1", "green-grid-q2", "green-grid-q3"))
    assert questions["final-new"][:2] == (1, False)
    unchanged = set(questions_before) - {"fields-q1", removed, "green-grid-q1", "green-grid-q2",
                                         "green-grid-q3"}
    assert all(questions[k][:2] == questions_before[k][:2] for k in unchanged)
    # the removed lesson's check is archived with it
    green_grid = db.session.scalar(select(Lesson.id).where(Lesson.key == "green-grid"))
    assert db.session.scalar(select(Quiz.archived).where(Quiz.lesson_id == green_grid))

    assert records() == learners  # attempts, responses and progress untouched

    # and the changed pack, imported again, changes nothing
    counts = table_counts()
    (outcome,) = import_folders([folder])
    assert not outcome.changed and table_counts() == counts
    assert course_state("dangke-tianjian") == after


def test_a_lesson_that_comes_back_is_revived(app, tmp_path):
    folder = copy_pack("dangke-tianjian", tmp_path)
    import_folders([folder])
    course_yaml = folder / "course.yaml"
    original = course_yaml.read_text(encoding="utf-8")
    course_yaml.write_text(original.replace("  - lessons/06-green-grid.md\n", ""),
                           encoding="utf-8")
    import_folders([folder])
    assert course_state("dangke-tianjian")["lessons"]["green-grid"][1] is True
    course_yaml.write_text(original, encoding="utf-8")
    import_folders([folder])
    state = course_state("dangke-tianjian")
    assert state["course"][0] == 3
    assert state["lessons"]["green-grid"][:3] == (2, False, 6)
    assert not state["questions"]["green-grid-q1"][1]


def test_changing_only_course_fields_bumps_the_course_but_no_lesson(app, tmp_path):
    folder = copy_pack("xinxing-nongmin", tmp_path)
    import_folders([folder])
    before = course_state("xinxing-nongmin")
    course_yaml = folder / "course.yaml"
    course_yaml.write_text(course_yaml.read_text(encoding="utf-8").replace(
        "credit_hours: 1\n", "credit_hours: 0.5\n"), encoding="utf-8")
    import_folders([folder])
    after = course_state("xinxing-nongmin")
    assert after["course"][0] == before["course"][0] + 1
    assert after["lessons"] == before["lessons"] and after["questions"] == before["questions"]
    assert db.session.scalar(select(Course.credit_hours)) == 0.5


def test_renaming_a_lesson_file_changes_nothing(app, tmp_path):
    """The file name is layout, not content: the lesson keeps its id, the course its version."""
    folder = copy_pack("xinxing-nongmin", tmp_path)
    import_folders([folder])
    before, counts = course_state("xinxing-nongmin"), table_counts()
    (folder / "lessons/01-talent.md").rename(folder / "lessons/talent.md")
    course_yaml = folder / "course.yaml"
    course_yaml.write_text(course_yaml.read_text(encoding="utf-8").replace(
        "lessons/01-talent.md", "lessons/talent.md"), encoding="utf-8")
    (outcome,) = import_folders([folder])
    assert not outcome.changed
    assert course_state("xinxing-nongmin") == before and table_counts() == counts


# ---- export -----------------------------------------------------------------------------------

@pytest.mark.parametrize("slug", SHIPPED)
def test_export_then_import_is_a_fixed_point(app, tmp_path, slug):
    import_folders([COURSES / slug])
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    pack, media_bytes = course_to_pack(course)
    assert pack == without_files(read_pack(COURSES / slug).pack)

    written = write_pack(pack, tmp_path / "out", media_bytes)
    back = read_pack(written)
    assert back.problems == [] and without_files(back.pack) == pack

    before, counts = course_state(slug), table_counts()
    (outcome,) = import_folders([written])
    assert not outcome.changed
    assert course_state(slug) == before and table_counts() == counts
    assert course_to_pack(course)[0] == pack


def test_a_pack_with_media_imports_serves_and_exports(app, tmp_path, media_pack):
    (outcome,) = import_folders([media_pack])
    course = outcome.course
    pack = read_pack(media_pack).pack
    rows = {m.path: m for m in db.session.scalars(select(MediaFile))}
    assert {path: (row.sha256, row.size, row.content_type) for path, row in rows.items()} == {
        "media/boat.png": (pack.media[0].sha256, pack.media[0].size, "image/png"),
        "media/read.mp3": (pack.media[1].sha256, pack.media[1].size, "audio/mpeg"),
        "media/wave.ogg": (pack.media[2].sha256, pack.media[2].size, "audio/ogg")}
    for item in pack.media:
        stored = media.stored_path(item.sha256, media.extension_for(rows[item.path].content_type))
        assert stored.read_bytes() == (media_pack / item.path).read_bytes()
    intro = db.session.scalar(select(Lesson).where(Lesson.key == "intro"))
    image_url = f"/media/{rows['media/boat.png'].sha256}.png"
    assert intro.html.count(f'src="{image_url}"') == 2  # media/x and ../media/x alike
    assert intro.audio == "media/read.mp3"

    exported, media_bytes = course_to_pack(course)
    assert exported == without_files(pack)
    assert media_bytes == {item.path: (media_pack / item.path).read_bytes()
                           for item in pack.media}
    written = write_pack(exported, tmp_path / "out", media_bytes)
    assert sorted(p.name for p in (written / "lessons").iterdir()) == \
        ["01-intro.md", "02-second.md", "03-third.md"]
    assert without_files(read_pack(written).pack) == exported

    before, counts = course_state("media-demo"), table_counts()
    (again,) = import_folders([written])
    assert not again.changed
    assert course_state("media-demo") == before and table_counts() == counts


def test_a_media_file_removed_from_the_pack_loses_its_row(app, media_pack):
    import_folders([media_pack])
    files = media_pack_files()
    del files["media/wave.ogg"]
    files["lessons/third.md"] = files["lessons/third.md"].replace("audio: media/wave.ogg\n", "")
    write_files(media_pack, files)
    import_folders([media_pack])
    assert set(db.session.scalars(select(MediaFile.path))) == {"media/boat.png",
                                                                "media/read.mp3"}
    assert db.session.scalar(select(Lesson.audio).where(Lesson.key == "third")) is None


# ---- all or nothing ---------------------------------------------------------------------------

BROKEN = [
    ("course.yaml", "category: 实用技术", "category: 娱乐"),
    ("lessons/second.md", "answer: B", "answer: F"),
    ("lessons/intro.md", "media/boat.png)", "media/missing.png)"),
    ("course.yaml", "lessons/third.md", "../../etc/passwd.md"),
    ("lessons/second.md", "id: second\n", "id: intro\n"),
    ("quizzes/final.yaml", "draw: 2", "draw: 9"),
    ("course.yaml", "title: 渔船上的党课", "title: [unclosed"),
]


@pytest.mark.parametrize(("rel", "old", "new"), BROKEN)
def test_a_pack_with_any_problem_imports_nothing(app, tmp_path, rel, old, new):
    files = media_pack_files()
    assert old in files[rel]
    files[rel] = files[rel].replace(old, new)
    broken = write_files(tmp_path / "packs" / "media-demo", files)
    good = shutil.copytree(COURSES / "xinxing-nongmin", tmp_path / "packs" / "xinxing-nongmin")
    before = table_counts()
    with pytest.raises(ValidationFailed) as caught:
        import_folders([good.parent])
    assert caught.value.problems
    assert all(PROBLEM_LINE.match(p) or re.match(r"^\S+: \S", p) for p in caught.value.problems)
    assert any(p.startswith("media-demo/") for p in caught.value.problems)
    assert table_counts() == before
    assert broken.exists()


def test_a_problem_in_one_pack_leaves_the_other_packs_as_they_were(app, tmp_path):
    folder = tmp_path / "packs"
    shutil.copytree(COURSES, folder)
    import_folders([folder])
    states, counts = {slug: course_state(slug) for slug in SHIPPED}, table_counts()
    good = folder / "xinxing-nongmin/course.yaml"
    good.write_text(good.read_text(encoding="utf-8").replace("title: 新型职业农民培训",
                                                             "title: 改过的标题"), encoding="utf-8")
    bad = folder / "dangke-tianjian/lessons/03-poverty.md"
    bad.write_text(bad.read_text(encoding="utf-8").replace("minutes:", "minutes: 99\nxx:", 1),
                   encoding="utf-8")
    with pytest.raises(ValidationFailed):
        import_folders([folder])
    assert table_counts() == counts
    assert {slug: course_state(slug) for slug in SHIPPED} == states


def test_an_unknown_audience_rolls_back_the_packs_before_it(app, tmp_path, make_org):
    make_org("C9", "county")
    folder = tmp_path / "packs"
    shutil.copytree(COURSES / "cungangbu-nengli", folder / "cungangbu-nengli")
    files = media_pack_files()
    files["course.yaml"] = files["course.yaml"].replace("audience: all", "audience: NOPE")
    write_files(folder / "media-demo", files)  # imported after cungangbu-nengli
    before = table_counts()
    with pytest.raises(ValidationFailed, match="NOPE"):
        import_folders([folder])
    assert table_counts() == before


def test_an_audience_code_limits_the_course_to_that_subtree(app, tmp_path, tree):
    files = media_pack_files()
    files["course.yaml"] = files["course.yaml"].replace("audience: all", "audience: A")
    folder = write_files(tmp_path / "packs" / "media-demo", files)
    (outcome,) = import_folders([folder])
    assert outcome.course.audience_org_id == tree["a"].id
    assert course_to_pack(outcome.course)[0].audience == "A"


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.binary(max_size=300))
def test_any_bytes_in_a_lesson_never_give_a_partial_import(app, tmp_path, data):
    files = media_pack_files()
    files["lessons/second.md"] = data
    folder = write_files(tmp_path / "fuzz" / "media-demo", files)
    before = table_counts()
    try:
        import_folders([folder])
    except ValidationFailed:
        assert table_counts() == before
    else:  # only a lesson that happens to be valid gets in, and then all of it
        assert db.session.scalar(select(Course.slug)) == "media-demo"
        db.session.execute(Response.__table__.delete())
        for model in (Question, Quiz, MediaFile, Lesson, AuditLog, Course):
            db.session.execute(model.__table__.delete())
        db.session.commit()
