"""Accounts."""
from __future__ import annotations

import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.i18n import N_
from lms.core.models import IdMixin, TimestampMixin
from lms.extensions import db

#: 党员状态, in the order a person moves through them
MEMBER_STATUSES = ("full", "probationary", "candidate", "activist")
#: how each status is named (a msgid: pages translate it; the roster file uses it as written)
STATUS_LABELS = {"full": N_("正式党员"), "probationary": N_("预备党员"),
                 "candidate": N_("发展对象"), "activist": N_("入党积极分子")}


def new_session_token() -> str:
    return secrets.token_hex(16)


#: the font sizes of the switch at the foot of every page
FONT_SIZES = ("standard", "large", "xlarge")


class User(IdMixin, TimestampMixin, UserMixin, db.Model):
    """A person who signs in with a mainland mobile number.

    Authority comes from :class:`lms.orgs.models.Membership` rows, not from columns here, except
    ``is_admin`` (the system administrator, over everything).
    """

    __tablename__ = "users"

    phone: Mapped[str] = mapped_column(String(11), unique=True)
    name: Mapped[str] = mapped_column(String(60))
    password_hash: Mapped[str] = mapped_column(String(255))
    #: set after a reset to a one-time code: the next sign-in must choose a new password
    must_change_password: Mapped[bool] = mapped_column(default=False)
    #: when the one-time code stops working (``ONE_TIME_CODE_HOURS`` after it was issued)
    code_expires_at: Mapped[datetime | None]
    #: part of the id kept in the session cookie; rotating it kills every old cookie (sign-out)
    session_token: Mapped[str] = mapped_column(String(32), default=new_session_token)
    is_admin: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    #: 正式党员 / 预备党员 / 发展对象 / 入党积极分子; None for staff who are not members here
    status: Mapped[str | None] = mapped_column(String(20))
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    #: 流动党员: away six months or more without moving their membership
    is_mobile: Mapped[bool] = mapped_column(default=False)
    mobile_where: Mapped[str | None] = mapped_column(String(120))
    mobile_contact: Mapped[str | None] = mapped_column(String(60))
    #: 不作硬性要求 (条例第二十三条): old age or illness; study is brought to them
    is_exempt: Mapped[bool] = mapped_column(default=False)
    exempt_reason: Mapped[str | None] = mapped_column(String(120))
    last_login_at: Mapped[datetime | None]
    #: "zh_CN" or "en"; None follows the browser cookie / default
    locale: Mapped[str | None] = mapped_column(String(10))
    #: 标准 / 大 / 特大 kept with the account, so a member's size follows them to any phone
    font_size: Mapped[str | None] = mapped_column(String(10))

    org = relationship("Organization", foreign_keys=[org_id], lazy="raise_on_sql")
    memberships = relationship(
        "Membership", back_populates="user", lazy="raise_on_sql", cascade="all, delete-orphan"
    )

    def get_id(self) -> str:
        return f"{self.id}.{self.session_token}"

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_authenticated(self) -> bool:
        """Always, for a loaded user (the loader refuses an inactive one). UserMixin's reads
        ``active``, which loads the whole row again after a commit expired it: once more in
        every page that saves something and then looks at ``current_user``."""
        return True

    def __repr__(self) -> str:
        return f"<User {self.id} {self.phone}>"


class SignInThrottle(db.Model):
    """Wrong passwords counted per phone number entered, whether or not an account has it
    (``auth.throttle``): five within the window lock the number, and the sign-in page says so
    with the time the lock lifts, alike for a member's number and anyone else's.

    The number is kept only as ``key``, an HMAC of it under the app's secret key, so the table
    does not list the numbers of people who are not members (a plain hash would not do: eleven
    digits are guessed through in minutes).
    """

    __tablename__ = "sign_in_throttles"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: failures since ``window_started_at`` (reset when the window has passed or the lock is set)
    failures: Mapped[int] = mapped_column(default=0)
    window_started_at: Mapped[datetime | None]
    locked_until: Mapped[datetime | None]
    #: rows whose last failure is older than the window and the lock together are swept
    last_failed_at: Mapped[datetime] = mapped_column(index=True)
