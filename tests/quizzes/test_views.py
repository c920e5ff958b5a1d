"""Quiz pages: wiring, the lesson-check section, the final quiz, JSON saves, permissions and
IDOR on every route with an id, CSRF, and GETs that change nothing."""
from __future__ import annotations

from datetime import timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import func, select

from lms.extensions import db
from lms.quizzes import services
from lms.quizzes.models import Attempt, Response, WrongAnswer
from tests.helpers import answers_for, form_of, right_value, sign_in_with_csrf

JSON = {"Accept": "application/json"}


def lesson_url(course):
    return f"/courses/{course.course.slug}/lessons/{course.lesson.key}"


def latest_attempt(user, quiz):
    db.session.expire_all()
    return db.session.scalar(select(Attempt).where(
        Attempt.user_id == user.id, Attempt.quiz_id == quiz.id).order_by(Attempt.number.desc()))


# ---- the lesson check ------------------------------------------------------------------------

def test_lesson_check_from_start_to_done(client, login, member, make_course):
    course = make_course(check=3, mastery=2, final=10, draw=3)
    login(member)
    page = client.get(lesson_url(course)).get_data(as_text=True)
    assert "本课测验" in page and "开始本课测验" in page
    response = client.post(f"/quizzes/{course.check.id}/start")
    assert response.status_code == 302 and response.location.endswith(lesson_url(course) + "#check")
    attempt = latest_attempt(member, course.check)
    page = client.get(lesson_url(course)).get_data(as_text=True)
    for entry in attempt.snapshot:
        assert entry["stem"] in page and f'name="shown" value="{entry["key"]}"' in page
    # a plain-form save of one question (no JS), then submit
    first = attempt.snapshot[0]
    response = client.post(f"/quizzes/attempts/{attempt.id}/answer",
                           data={**form_of({first["key"]: right_value(first)}),
                                 "save": first["key"]})
    assert response.status_code == 302 and response.location.endswith(f"#q-{first['key']}")
    response = client.post(f"/quizzes/attempts/{attempt.id}/submit",
                           data=form_of(answers_for(attempt, right=3)))
    assert response.status_code == 303
    page = client.get(lesson_url(course)).get_data(as_text=True)
    assert "本课已完成" in page and "再试一次" not in page
    # review is on for checks: the answers and explanations are one link away
    assert attempt.snapshot[0]["explanation"] not in page
    review_url = f"/quizzes/attempts/{attempt.id}/review"
    assert f'href="{review_url}"' in page
    review = client.get(review_url).get_data(as_text=True)
    assert all(entry["explanation"] in review for entry in attempt.snapshot)


def test_a_missed_check_offers_a_reshuffled_retry_without_the_answers(client, login, member,
                                                                      make_course):
    course = make_course(check=3, final=10, draw=3)
    login(member)
    client.post(f"/quizzes/{course.check.id}/start")
    attempt = latest_attempt(member, course.check)
    client.post(f"/quizzes/attempts/{attempt.id}/submit",
                data=form_of(answers_for(attempt, right=2)))
    page = client.get(lesson_url(course)).get_data(as_text=True)
    assert "再试一次" in page and "答对 2 题，需要答对 3 题" in page
    assert all(e["explanation"] not in page for e in attempt.snapshot)
    assert "正确答案" not in page
    client.post(f"/quizzes/{course.check.id}/start")
    retry = latest_attempt(member, course.check)
    assert retry.number == 2 and retry.state == "in_progress"


# ---- the final quiz --------------------------------------------------------------------------

def test_final_quiz_flow_with_json_saves_and_double_submit(client, login, member, make_course):
    course = make_course(check=3, mastery=2, final=6, draw=4, max_attempts=2)
    quiz = course.final
    login(member)
    course_page = client.get(f"/courses/{course.course.slug}/").get_data(as_text=True)
    assert "结业测验" in course_page and f"/quizzes/{quiz.id}" in course_page
    page = client.get(f"/quizzes/{quiz.id}").get_data(as_text=True)
    assert "开始答题" in page and "最多 2 次" in page
    response = client.post(f"/quizzes/{quiz.id}/start")
    attempt = latest_attempt(member, quiz)
    assert response.location.endswith(f"/quizzes/attempts/{attempt.id}")
    page = client.get(f"/quizzes/attempts/{attempt.id}").get_data(as_text=True)
    assert all(e["stem"] in page for e in attempt.snapshot)
    for key, value in answers_for(attempt, right=3).items():
        saved = client.post(f"/quizzes/attempts/{attempt.id}/answer",
                            data=form_of({key: value}), headers=JSON)
        assert saved.status_code == 200 and list(saved.json["saved"]) == [key]
    first = client.post(f"/quizzes/attempts/{attempt.id}/submit", headers=JSON)
    second = client.post(f"/quizzes/attempts/{attempt.id}/submit", headers=JSON)
    assert first.status_code == 200 and second.status_code == 409
    assert first.json["score"] == second.json["score"] == 3.0
    assert second.json["already_submitted"] and not first.json["already_submitted"]
    again = client.post(f"/quizzes/attempts/{attempt.id}/submit")
    assert again.status_code == 303 and again.location.endswith(f"/attempts/{attempt.id}/review")
    review = client.get(again.location).get_data(as_text=True)
    assert "已经交过卷" in review and "3 / 4" in review
    assert all(e["explanation"] in review for e in attempt.snapshot)
    # editing a submitted attempt: 409
    entry = attempt.snapshot[0]
    edit = client.post(f"/quizzes/attempts/{attempt.id}/answer",
                       data=form_of({entry["key"]: right_value(entry)}))
    assert edit.status_code == 409
    assert client.post(f"/quizzes/attempts/{attempt.id}/answer",
                       data=form_of({entry["key"]: right_value(entry)}),
                       headers=JSON).status_code == 409


def test_review_without_answers_when_the_quiz_says_so(client, login, member, make_course):
    quiz = make_course(check=3, mastery=2, final=4, draw=4, review=False).final
    attempt = services.start_attempt(member, quiz.id).attempt
    services.submit_attempt(member, attempt.id, answers_for(attempt, right=1))
    login(member)
    page = client.get(f"/quizzes/attempts/{attempt.id}/review").get_data(as_text=True)
    assert "1 / 4" in page and "不显示答案和解析" in page
    assert all(e["explanation"] not in page for e in attempt.snapshot)


def test_attempts_used_up(client, login, member, make_course):
    quiz = make_course(check=3, mastery=2, final=2, draw=2, max_attempts=1).final
    services.submit_attempt(member, services.start_attempt(member, quiz.id).attempt.id)
    login(member)
    assert "次数已经用完" in client.get(f"/quizzes/{quiz.id}").get_data(as_text=True)
    response = client.post(f"/quizzes/{quiz.id}/start", follow_redirects=True)
    assert "次数已经用完" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Attempt.id))) == 1


def test_a_lesson_check_quiz_page_leads_to_its_lesson(client, login, member, make_course):
    course = make_course(check=3, mastery=2, final=10, draw=3)
    login(member)
    response = client.get(f"/quizzes/{course.check.id}")
    assert response.status_code == 302 and response.location.endswith(lesson_url(course) + "#check")


# ---- tampering through HTTP ------------------------------------------------------------------

def test_foreign_questions_and_extra_fields(client, login, member, make_course):
    other = make_course(check=3, mastery=2, final=3, draw=3).final
    quiz = make_course(check=3, mastery=2, final=3, draw=3).final
    foreign = services.start_attempt(member, other.id).attempt.snapshot[0]
    attempt = services.start_attempt(member, quiz.id).attempt
    login(member)
    response = client.post(f"/quizzes/attempts/{attempt.id}/answer",
                           data=form_of({foreign["key"]: right_value(foreign)}), headers=JSON)
    assert response.status_code == 400 and response.json["problems"] == [foreign["key"]]
    entry = attempt.snapshot[0]
    tampered = {**form_of({entry["key"]: right_value(entry)}), "score": "100",
                "user_id": "1", "correct": "1", "passed": "1", "max_score": "1",
                "state": "submitted", "submitted_at": "2000-01-01", "points": "99"}
    assert client.post(f"/quizzes/attempts/{attempt.id}/answer", data=tampered,
                       headers=JSON).status_code == 200
    response = client.post(f"/quizzes/attempts/{attempt.id}/submit?score=100&debug=1",
                           data={"score": "100", "passed": "1"}, headers=JSON)
    assert response.json["score"] == 1.0 and response.json["max_score"] == 3.0
    assert not response.json["passed"]


def test_answers_and_fields_in_a_submit_for_foreign_questions_are_refused(client, login, member,
                                                                         make_course):
    quiz = make_course(check=3, mastery=2, final=3, draw=3).final
    attempt = services.start_attempt(member, quiz.id).attempt
    login(member)
    response = client.post(f"/quizzes/attempts/{attempt.id}/submit",
                           data={"q-not-mine": "1"})
    assert response.status_code == 400
    assert db.session.get(Attempt, attempt.id).state == "in_progress"


# ---- IDOR: every route with an <int:> id, as another member ------------------------------------

def test_every_id_route_hides_other_members_objects(app, client, login, member, member_b,
                                                    make_course, trainer, make_user, tree):
    owner = make_user("另一位讲师", org=tree["county"], roles=[("trainer", tree["county"])])
    course = make_course(check=3, mastery=2, final=3, draw=3, owner=owner)
    quiz = course.final
    attempt = services.start_attempt(member_b, quiz.id).attempt
    done = services.start_attempt(member_b, course.check.id).attempt
    services.submit_attempt(member_b, done.id, answers_for(done, right=0))
    entry = db.session.scalars(select(WrongAnswer).where(WrongAnswer.user_id == member_b.id)).first()
    ids = {"attempt_id": [attempt.id, done.id], "entry_id": [entry.id],
           "course_id": [course.course.id]}
    entry_form = form_of({attempt.snapshot[0]["key"]: right_value(attempt.snapshot[0])})
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("quizzes.")
             and any(a in ids for a in r.arguments)]
    assert len(rules) >= 6
    checked = 0
    for who in (member, trainer):
        client.post("/logout")
        login(who)
        for rule in rules:
            (arg,) = rule.arguments
            for value in ids[arg]:
                url = rule.build({arg: value})[1]
                for method in rule.methods & {"GET", "POST"}:
                    response = client.open(url, method=method, data=entry_form)
                    # statistics: a member lacks the capability (403); a trainer who does
                    # not own the course learns nothing of it (404)
                    expected = 403 if arg == "course_id" and who is member else 404
                    assert response.status_code == expected, (who.name, method, url)
                    checked += 1
    assert checked >= 12
    db.session.expire_all()
    assert db.session.get(Attempt, attempt.id).state == "in_progress"
    assert db.session.scalar(select(Response.answer).where(
        Response.attempt_id == attempt.id, Response.question_key == attempt.snapshot[0]["key"])) == []


def test_review_is_403_before_submission_and_404_for_others(client, login, member, member_b,
                                                            make_course):
    quiz = make_course(check=3, mastery=2, final=10, draw=3).final
    attempt = services.start_attempt(member, quiz.id).attempt
    login(member)
    assert client.get(f"/quizzes/attempts/{attempt.id}/review").status_code == 403
    assert client.get(f"/quizzes/attempts/{attempt.id}/review?debug=1").status_code == 403
    services.submit_attempt(member, attempt.id)
    assert client.get(f"/quizzes/attempts/{attempt.id}/review").status_code == 200
    client.post("/logout")
    login(member_b)
    assert client.get(f"/quizzes/attempts/{attempt.id}/review").status_code == 404


def test_quizzes_of_courses_out_of_sight_are_404(client, login, member, make_course, make_org,
                                                 tree):
    quiz = make_course(check=3, mastery=2, final=10, draw=3, audience=make_org("Z", "branch", tree["town"])).final
    login(member)
    assert client.get(f"/quizzes/{quiz.id}").status_code == 404
    assert client.post(f"/quizzes/{quiz.id}/start").status_code == 404
    assert client.get("/quizzes/999999").status_code == 404


# ---- trainer statistics and navigation -------------------------------------------------------

def test_statistics_per_question(client, login, trainer, member, member_b, make_course, admin):
    course = make_course(check=3, mastery=2, final=2, draw=2, owner=trainer)
    quiz = course.final
    picks = []
    for user, right in ((member, 2), (member_b, 0)):
        attempt = services.start_attempt(user, quiz.id).attempt
        answers = answers_for(attempt, right=right)
        services.submit_attempt(user, attempt.id, answers)
        single = next(e for e in attempt.snapshot if e["kind"] == "single")
        picks.append(single["options"][int(answers[single["key"]])])
    login(trainer)
    assert "题目统计" in client.get("/quizzes/stats/").get_data(as_text=True)
    page = client.get(f"/quizzes/stats/{course.course.id}").get_data(as_text=True)
    assert "第1题（single）题干" in page and "50%" in page
    assert f"{picks[1]} <span class=\"muted\">× 1" in page  # the wrong pick, in words
    other = make_course(check=3, mastery=2, final=2, draw=2)
    assert client.get(f"/quizzes/stats/{other.course.id}").status_code == 404
    client.post("/logout")
    login(admin)
    assert client.get(f"/quizzes/stats/{other.course.id}").status_code == 200


def test_statistics_need_the_author_capability(client, login, member, make_course):
    course = make_course(check=3, mastery=2, final=10, draw=3, owner=member)
    login(member)
    assert client.get("/quizzes/stats/").status_code == 403
    assert client.get(f"/quizzes/stats/{course.course.id}").status_code == 403


def test_navigation_entries(client, login, member, trainer):
    login(member)
    page = client.get("/wrong-answers/").get_data(as_text=True)
    assert 'href="/wrong-answers/"' in page and "/quizzes/stats/" not in page
    assert "错题本是空的" in page
    client.post("/logout")
    login(trainer)
    assert 'href="/quizzes/stats/"' in client.get("/wrong-answers/").get_data(as_text=True)


def test_practice_through_the_page(client, login, member, make_course):
    quiz = make_course(check=3, mastery=2, final=1, draw=1).final
    attempt = services.start_attempt(member, quiz.id).attempt
    services.submit_attempt(member, attempt.id)
    entry = attempt.snapshot[0]
    row = db.session.scalar(select(WrongAnswer))
    login(member)
    page = client.get("/wrong-answers/").get_data(as_text=True)
    assert entry["stem"] in page and entry["explanation"] not in page
    first = client.post(f"/wrong-answers/{row.id}/check", data={"answer": right_value(entry)},
                        headers=JSON)
    assert first.json["correct"] and first.json["streak"] == 1
    assert first.json["explanation"] == entry["explanation"]
    second = client.post(f"/wrong-answers/{row.id}/check", data={"answer": right_value(entry)},
                         follow_redirects=True).get_data(as_text=True)
    assert "移出错题本" in second and "错题本是空的" in second


# ---- CSRF and GETs that write nothing --------------------------------------------------------

def test_every_post_needs_a_csrf_token(app_factory, member, make_course):
    course = make_course(check=3, mastery=2, final=10, draw=3)
    attempt = services.start_attempt(member, course.final.id).attempt
    app = app_factory(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    sign_in_with_csrf(client, member)
    posts = [f"/quizzes/{course.final.id}/start", f"/quizzes/attempts/{attempt.id}/answer",
             f"/quizzes/attempts/{attempt.id}/submit", "/wrong-answers/1/check"]
    for url in posts:
        assert client.post(url, data={"shown": "x"}).status_code == 400, url
        assert client.post(url, data={"shown": "x"}, headers=JSON).status_code == 400, url
    with app.app_context():
        assert db.session.get(Attempt, attempt.id).state == "in_progress"


def row_counts():
    return {t.name: db.session.scalar(select(func.count()).select_from(t))
            for t in db.metadata.sorted_tables}


def test_no_get_changes_the_database(client, login, member, make_course, trainer):
    course = make_course(check=3, mastery=2, final=4, draw=2, time_limit_minutes=1, owner=trainer)
    checked = services.start_attempt(member, course.check.id).attempt
    services.submit_attempt(member, checked.id)
    services.start_attempt(member, course.check.id)
    attempt = services.start_attempt(member, course.final.id).attempt
    login(member)
    urls = [lesson_url(course), f"/courses/{course.course.slug}/",
            f"/quizzes/{course.final.id}", f"/quizzes/{course.check.id}",
            f"/quizzes/attempts/{attempt.id}", f"/quizzes/attempts/{checked.id}/review",
            f"/quizzes/attempts/{attempt.id}/review", "/wrong-answers/",
            f"/quizzes/attempts/{attempt.id}/answer", f"/quizzes/attempts/{attempt.id}/submit"]
    db.session.commit()
    before = row_counts()
    states = db.session.execute(select(Attempt.id, Attempt.state, Attempt.score)).all()
    with freeze_time(attempt.deadline + timedelta(hours=2)):
        for url in urls:
            assert client.get(url).status_code in (200, 302, 403, 405), url
    db.session.expire_all()
    assert row_counts() == before
    assert db.session.execute(select(Attempt.id, Attempt.state, Attempt.score)).all() == states


@pytest.mark.parametrize("kind", ["radio", "checkbox", "text"])
def test_question_inputs_render_each_kind(client, login, member, make_course, kind):
    quiz = make_course(check=3, mastery=2, final=4, draw=4).final
    attempt = services.start_attempt(member, quiz.id).attempt
    login(member)
    page = client.get(f"/quizzes/attempts/{attempt.id}").get_data(as_text=True)
    assert f'type="{kind}"' in page


def test_a_nul_in_a_fill_in_answer_is_refused_and_the_attempt_still_submits(client, login,
                                                                            member, make_course):
    """A NUL was saved, and then every submit of that attempt failed on PostgreSQL: the attempt
    stayed in progress forever. The boundary refuses it before anything is stored."""
    course = make_course(check=3, mastery=2, final=4, draw=4)
    login(member)
    client.post(f"/quizzes/{course.final.id}/start")
    attempt = latest_attempt(member, course.final)
    fill = next(e for e in attempt.snapshot if e["kind"] == "fill")
    refused = client.post(f"/quizzes/attempts/{attempt.id}/answer",
                          data=form_of({fill["key"]: "服\x00务"}), headers=JSON)
    assert refused.status_code == 400
    assert refused.headers["Content-Security-Policy"]
    assert db.session.scalar(select(Response.answer).where(
        Response.attempt_id == attempt.id, Response.question_key == fill["key"])) in (None, [])
    done = client.post(f"/quizzes/attempts/{attempt.id}/submit", headers=JSON)
    assert done.status_code == 200
    assert latest_attempt(member, course.final).state == "submitted"
