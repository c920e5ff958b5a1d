"""Fixtures for the trainer's editor: a second trainer, a 宣传委员, and a course built through
the services the way the web editor builds one."""
from __future__ import annotations

import pytest

from lms.core.questions import QuestionData

BODY = "## 田间课堂\n\n支部把党课送到**田间地头**。\n\n- 产业链党支部\n- 致富带头人\n"


@pytest.fixture
def other_trainer(make_user, tree):
    return make_user("林讲师", org=tree["town"], roles=[("trainer", tree["town"])])


@pytest.fixture
def propaganda(make_user, tree):
    """宣传委员 of branch A: holds "author" there."""
    return make_user("宣传委员", org=tree["a"], roles=[("propaganda", tree["a"])])


def home_org(user):
    """The course audience an author may pick by default: their own branch (None for the
    administrator, who alone may choose "all")."""
    from lms.extensions import db
    from lms.orgs.models import Organization

    return None if user.is_admin else db.session.get(Organization, user.org_id)


def sample_questions(prefix: str) -> list[QuestionData]:
    return [
        QuestionData(key=f"{prefix}-1", kind="single", stem="产业链党支部建在哪里？",
                     options=("村委会", "产业链上", "县城"), answer=(1,),
                     explanation="支部建在产业链上。"),
        QuestionData(key=f"{prefix}-2", kind="multiple", stem="哪些属于三会一课？",
                     options=("支部党员大会", "村民会", "党课"), answer=(0, 2),
                     explanation="三会一课包括支部党员大会和党课。", points=2),
        QuestionData(key=f"{prefix}-3", kind="truefalse", stem="党员应按月交纳党费。",
                     answer=(True,), explanation="党章规定。"),
        QuestionData(key=f"{prefix}-4", kind="fill", stem="党的根本宗旨是全心全意为人民____。",
                     answer=("服务", "服务人民"), explanation="根本宗旨。"),
    ]


@pytest.fixture
def build_course(app):
    """``build_course(owner, publish=False)``: two lessons, a 2-question check on the first, a
    4-question final quiz; built through the editor's services."""
    from lms.authoring import bank, services

    def build(owner, *, publish: bool = False, title: str = "党课进田间", slug: str = ""):
        course = services.create_course(owner, title=title, summary="把党课送到田间地头。",
                                        category="理论", required=True, credit_hours=0.5,
                                        slug=slug, audience=home_org(owner))
        first = services.add_lesson(owner, course, title="党课送到田间", minutes=5)
        services.update_lesson(owner, first, title=first.title, minutes=5, body=BODY, audio=None)
        second = services.add_lesson(owner, course, title="自治法治德治", minutes=4)
        services.update_lesson(owner, second, title=second.title, minutes=4,
                               body="三治融合。", audio=None)
        check = bank.ensure_check(owner, first)
        for q in sample_questions(f"{first.key}-q")[:2]:
            bank.save_question(owner, check, None, q)
        bank.update_check_settings(owner, check, mastery_required=1)
        final = bank.ensure_final_quiz(owner, course)
        for q in sample_questions("final-q"):
            bank.save_question(owner, final, None, q)
        bank.update_final_settings(owner, final, pass_percent=60, draw=3, max_attempts=3,
                                   time_limit_minutes=0, grading="highest",
                                   multiple_scoring="all_or_nothing", review=True)
        if publish:
            services.publish_course(owner, course)
        return course

    return build


