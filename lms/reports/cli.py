"""`flask reports archive`: every branch's year archive under a township or county."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from flask_babel import force_locale
from sqlalchemy import select

from lms.auth.models import User
from lms.extensions import db
from lms.orgs.access import can
from lms.orgs.models import Organization
from lms.reports import archive, bp, pdf


def _fail(message: str) -> None:
    click.echo(f"错误：{message}", err=True)
    sys.exit(1)


@bp.cli.command("archive")
@click.option("--org", "code", required=True, help="the township's or county's code")
@click.option("--year", required=True, type=int)
@click.option("--as", "phone", default=None,
              help="build only what this account may see (refused outside its scope)")
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
def archive_command(code, year, phone, dest):
    """Write <code>-<year>.pdf and .xlsx for every branch under --org into DEST. A rerun skips
    the branches already written, so a stopped run resumes."""
    node = db.session.scalar(select(Organization).where(Organization.code == code))
    if node is None:
        _fail(f"没有代码为 {code} 的党组织。")
    if phone is not None:
        user = db.session.scalar(select(User).where(User.phone == phone))
        if user is None or not can(user, "view_reports", node):
            _fail(f"{phone} 无权查看 {node.name} 的学习档案。")
    if not 1949 <= year <= 2200:
        _fail(f"年度 {year} 不对。")
    try:
        pdf.font_file()
    except pdf.FontMissing as error:
        _fail(str(error))
    branches = archive.branches_under(node)
    click.echo(f"{node.name}：{len(branches)} 个支部，{year} 年度，写入 {dest}")
    with click.progressbar(length=len(branches), label="学习档案", show_pos=True,
                           show_eta=True, file=sys.stderr) as bar:
        # no request here to choose a language from: the documents are in the default one
        with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE") or "zh"):
            summary = archive.build_all(node, year, dest, progress=lambda org: bar.update(1))
    click.echo(f"新建 {len(summary.built)} 个，已有跳过 {len(summary.skipped)} 个，"
               f"失败 {len(summary.failed)} 个；党员 {summary.members} 人；"
               f"用时 {summary.seconds:.1f} 秒。")
    for failed_code, reason in summary.failed:
        click.echo(f"失败 {failed_code}：{reason}", err=True)
    if summary.failed:
        sys.exit(1)


xapi_cli = AppGroup("xapi", help="Learning records out: send the xAPI outbox to the LRS.")
bp.record_once(lambda state: state.app.cli.add_command(xapi_cli))


@xapi_cli.command("send")
def xapi_send_command():
    """Send every due statement to XAPI_ENDPOINT, in batches (XAPI_BATCH, 100)."""
    from lms.reports import xapi_send

    if not current_app.config.get("XAPI_ENDPOINT"):
        _fail("没有配置 XAPI_ENDPOINT：学习记录不会离开服务器。")
    done = xapi_send.send_all(progress=lambda d: click.echo(
        f"  已发送 {d.sent} 条" + (f"，失败 {d.failed} 条" if d.failed else ""), err=True))
    waiting, failing = xapi_send.pending()
    click.echo(f"发送 {done.sent} 条（{done.batches} 批）；仍在等待 {waiting} 条，"
               f"其中出错待重试 {failing} 条。")
    if done.failed:
        sys.exit(1)
