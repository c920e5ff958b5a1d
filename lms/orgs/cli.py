"""`flask orgs …` and `flask users …`: the same services as the pages, run as the system."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from lms.auth.services import create_user, require_user
from lms.core.errors import DomainError, ValidationFailed
from lms.orgs import bp, roster, services
from lms.orgs.models import ORG_KINDS, ROLES


class SystemActor:
    """Who acts when an operator runs a command on the server: the admin's powers."""

    is_authenticated = True
    is_admin = True
    id = None
    phone = ""
    name = "命令行"


SYSTEM = SystemActor()
users_cli = AppGroup("users", help="Accounts: create, import a roster, reset a password.")
bp.record_once(lambda state: state.app.cli.add_command(users_cli))


def _fail(error: DomainError) -> None:
    click.echo(f"错误：{error}", err=True)
    for problem in getattr(error, "problems", []):
        click.echo(problem, err=True)
    sys.exit(1)


@bp.cli.command("create")
@click.option("--name", required=True)
@click.option("--kind", required=True, type=click.Choice(ORG_KINDS))
@click.option("--code", required=True)
@click.option("--parent-code", default=None, help="omit for a county (the root)")
def create_org_command(name, kind, code, parent_code):
    """Add an organisation node."""
    try:
        parent = services.get_org_by_code(parent_code) if parent_code else None
        org = services.create_org(SYSTEM, name=name, kind=kind, code=code, parent=parent)
    except DomainError as error:
        _fail(error)
    click.echo(f"已创建 {org.code} {org.name}（{org.path}）")


@users_cli.command("create")
@click.option("--phone", required=True)
@click.option("--name", required=True)
@click.option("--password", default=None, help="omit to print a one-time code instead")
@click.option("--org-code", default=None)
@click.option("--role", default=None, type=click.Choice(ROLES))
@click.option("--status", default=None, type=click.Choice(["full", "probationary", "candidate",
                                                          "activist"]))
@click.option("--admin", "is_admin", is_flag=True, help="system administrator")
def create_user_command(phone, name, password, org_code, role, status, is_admin):
    """Create an account, optionally with a role on its organisation."""
    try:
        org = services.get_org_by_code(org_code) if org_code else None
        if role and org is None:
            raise ValidationFailed("--role 需要同时给出 --org-code。")
        user, code = create_user(phone=phone, name=name, password=password, status=status,
                                 org_id=org.id if org else None, is_admin=is_admin)
        if role:
            services.grant_role(SYSTEM, user, org, role)
    except DomainError as error:
        _fail(error)
    click.echo(f"已创建 {user.name} {user.phone}")
    if code:
        click.echo(f"一次性登录码：{code}（首次登录后须修改密码）")


@users_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True)
def import_users_command(file: Path, dry_run: bool):
    """Import a roster (.xlsx or .csv): every row or none."""
    try:
        outcome = roster.import_roster(SYSTEM, file.read_bytes(), file.name, dry_run=dry_run)
    except DomainError as error:
        _fail(error)
    if outcome.problems:
        for problem in outcome.problems:
            click.echo(problem, err=True)
        sys.exit(1)
    verb = "将" if dry_run else "已"
    click.echo(f"{verb}新建 {len(outcome.created)} 人，{verb}更新 {len(outcome.updated)} 人。")
    for name, phone, code in outcome.created:
        click.echo(f"{phone}\t{name}\t{code}" if code else f"{phone}\t{name}")


@users_cli.command("reset-password")
@click.option("--phone", required=True)
def reset_password_command(phone):
    """Give an account a one-time code that must be changed at the next sign-in."""
    try:
        user = require_user(phone)
        code = services.reset_password(SYSTEM, user)
    except DomainError as error:
        _fail(error)
    click.echo(f"{user.name} {user.phone} 的一次性登录码：{code}")
