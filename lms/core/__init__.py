"""Shared pieces: db mixins, errors, clock, access helpers, pagination, text normalisation."""
from flask import Blueprint

bp = Blueprint("core", __name__)

from lms.core import views  # noqa: E402,F401
