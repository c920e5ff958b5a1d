"""A second reference page for the throughput and memory goals: the smallest signed-in page the
project's fixed stack can serve, built the way that stack is normally used.

    BENCH_STACK_DB=/tmp/stack.db gunicorn -c gunicorn.conf.py --chdir bench -w 2 \
        -b 127.0.0.1:8002 stack_app:app

Flask-SQLAlchemy with two ORM models, Flask-Login (the user loaded from the session on every
request), Flask-WTF's CSRF protection (a token in the page), Flask-Babel (translated strings), a
template from a loader (compiled once). The page reads one row and renders a few lines. No
organisations, roles, navigation, rate limits or security headers: what the libraries alone
cost, to put the bare page and the lesson page in proportion. bench/county.py serves it beside
them, on its own SQLite file, and loads it in the same runs.

``GET /login`` signs in the one user without a password: this app only ever listens on
127.0.0.1 during a benchmark run.

``POST /save`` is the stack's smallest write, what saving a quiz answer cannot do with less: the
signed-in user and the CSRF token checked, one row of ``answers`` taken ``FOR UPDATE``, one row
updated, a commit, a small JSON answer (bench/quiz_ceiling.py loads it on PostgreSQL:
``BENCH_STACK_DB`` may be a database URL instead of a file path).
"""
from __future__ import annotations

import os
import random

from flask import Flask, jsonify, redirect, render_template, request
from flask_babel import Babel
from flask_login import LoginManager, UserMixin, login_required, login_user
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from jinja2 import DictLoader
from sqlalchemy import String, Text, select, update
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{{ lesson.title }} · {{ _('田埂课堂') }}</title></head>
<body><h1>{{ lesson.title }}</h1>
<p>{{ _('约 %(m)d 分钟', m=lesson.minutes) }}</p>
{{ lesson.html|safe }}
<form method="post" action="/logout"><input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
<button type="submit">{{ _('退出登录') }}</button></form>
</body></html>
"""


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)


class Reader(UserMixin, db.Model):
    __tablename__ = "readers"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40))


class Page(db.Model):
    __tablename__ = "pages"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(80))
    minutes: Mapped[int]
    html: Mapped[str] = mapped_column(Text)


class Answer(db.Model):
    __tablename__ = "answers"
    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[str] = mapped_column(String(40))


#: rows of ``answers``: enough that concurrent saves seldom wait on one another's row lock
ANSWERS = 10_000


def create_app(path: str) -> Flask:
    app = Flask(__name__)
    app.config.update(SECRET_KEY="bench-only-stack-secret",
                      SQLALCHEMY_DATABASE_URI=path if "://" in path else f"sqlite:///{path}")
    app.jinja_loader = DictLoader({"page.html": PAGE})
    db.init_app(app)
    CSRFProtect(app)
    Babel(app)
    logins = LoginManager(app)
    logins.user_loader(lambda ident: db.session.get(Reader, int(ident)))

    @app.get("/login")
    def login():
        login_user(db.session.get(Reader, 1))
        return redirect("/")

    @app.get("/")
    @login_required
    def page():
        lesson = db.session.scalar(select(Page).where(Page.id == 1))
        return render_template("page.html", lesson=lesson)

    @app.post("/save")
    @login_required
    def save():
        ident = random.randint(1, ANSWERS)
        db.session.execute(select(Answer.value).where(Answer.id == ident).with_for_update())
        db.session.execute(update(Answer).where(Answer.id == ident)
                           .values(value=request.form.get("value", "")[:40]))
        db.session.commit()
        return jsonify(saved=True)

    return app


def create_tables(path: str, html: str) -> None:
    """The file the page reads: one reader and one page holding ``html`` (county.py passes the
    measured lesson's HTML, so both pages carry the same text)."""
    app = create_app(path)
    with app.app_context():
        db.create_all()
        db.session.merge(Reader(id=1, name="张桂英"))
        db.session.merge(Page(id=1, title="党建引领乡村振兴", minutes=8, html=html))
        if db.session.get(Answer, 1) is None:
            db.session.add_all([Answer(id=i, value="") for i in range(1, ANSWERS + 1)])
        db.session.commit()


app = create_app(os.environ["BENCH_STACK_DB"]) if "BENCH_STACK_DB" in os.environ else None
