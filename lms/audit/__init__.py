"""Audit log: the one function that writes it, and the admin's view of it."""
from flask import Blueprint

bp = Blueprint("audit", __name__, url_prefix="/audit")

from lms.audit import views  # noqa: E402,F401
