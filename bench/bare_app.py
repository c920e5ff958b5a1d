"""The reference page for the throughput budget: a bare Flask page that renders a small template
from SQLite, served by gunicorn exactly like the app (bench/county.py starts it).

    BENCH_BARE_DB=/tmp/bare.db gunicorn -c gunicorn.conf.py --chdir bench -w 2 -b 127.0.0.1:8001 \
        bare_app:app

It opens the SQLite file per request (the flaskr tutorial's way), reads a handful of rows and
renders them with a Jinja template loaded once (as render_template caches it). No extensions, no
session, no sign-in: what "bare" costs on this machine, measured in the same run as the lesson
page so that the ratio is not skewed by whatever else the machine does.
"""
from __future__ import annotations

import os
import sqlite3

from flask import Flask, g, render_template
from jinja2 import DictLoader

PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{{ title }}</title></head>
<body><h1>{{ title }}</h1>
<ul>{% for row in rows %}<li>{{ row.title }} · {{ row.minutes }} 分钟</li>{% endfor %}</ul>
</body></html>
"""
ROWS = [("党的基本理论", 8), ("乡村振兴政策", 6), ("村集体经济", 7), ("茶园病虫害防治", 5),
        ("新型职业农民", 9)]


def create_table(path: str) -> None:
    """The file the bare page reads (bench/county.py calls this before starting gunicorn)."""
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE IF NOT EXISTS lessons "
                           "(id INTEGER PRIMARY KEY, title TEXT, minutes INTEGER)")
        connection.execute("DELETE FROM lessons")
        connection.executemany("INSERT INTO lessons (title, minutes) VALUES (?, ?)", ROWS)


app = Flask(__name__)
app.jinja_loader = DictLoader({"page.html": PAGE})


def _db() -> sqlite3.Connection:
    if "db" not in g:
        g.db = sqlite3.connect(os.environ["BENCH_BARE_DB"])
        g.db.row_factory = sqlite3.Row
    return g.db


@app.teardown_appcontext
def _close(_error) -> None:
    connection = g.pop("db", None)
    if connection is not None:
        connection.close()


@app.get("/")
def page():
    rows = _db().execute("SELECT title, minutes FROM lessons ORDER BY id").fetchall()
    return render_template("page.html", title="今日学习", rows=rows)
