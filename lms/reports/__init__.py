"""Reports: documents and oversight built on the study records — 学时证明 as PDF, 结业证书 with
a public verify page, charts, the branch's year archive, and learning records out as xAPI.

Comes after `progress` in the import order: it reads the ledger and completions and learns of
new completions through `lms.progress.signals`.
"""
from flask import Blueprint

from lms.core.i18n import N_
from lms.core.nav import add_nav

bp = Blueprint("reports", __name__, cli_group="reports")


def _sees_reports(user) -> bool:
    from lms.orgs.access import can

    return can(user, "view_reports")


add_nav(bp, "reports.branch_index", N_("学习情况"), 40, _sees_reports)

from lms.reports import cli, views  # noqa: E402,F401


def _demo(state):
    from lms.demo import on_demo

    def issue_certificates(app):
        from lms.reports import certificates

        certificates.issue_missing()

    on_demo(state.app, issue_certificates)


bp.record_once(_demo)
