"""Reports: documents and oversight built on the study records — 学时证明 as PDF, 结业证书 with
a public verify page, charts, the branch's year archive, and learning records out as xAPI.

Comes after `progress` in the import order: it reads the ledger and completions and learns of
new completions through `lms.progress.signals`.
"""
from flask import Blueprint

bp = Blueprint("reports", __name__)

from lms.reports import views  # noqa: E402,F401


def _demo(state):
    from lms.demo import on_demo

    def issue_certificates(app):
        from lms.reports import certificates

        certificates.issue_missing()

    on_demo(state.app, issue_certificates)


bp.record_once(_demo)
