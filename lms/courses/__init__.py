"""Courses: the catalogue, the course page, the lesson reader, media, short links and QR codes.

`packs` (the course-pack reader and writer) is pure Python and imports nothing of Flask.
"""
from flask import Blueprint

from lms.core.i18n import N_
from lms.core.nav import add_nav

bp = Blueprint("courses", __name__)

add_nav(bp, "courses.catalogue", N_("课程"), 10, lambda user: True)

from lms.courses import views  # noqa: E402,F401
