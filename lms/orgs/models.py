"""The organisation tree and roles on it."""
from __future__ import annotations

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.models import IdMixin, TimestampMixin
from lms.extensions import db

#: kinds, top to bottom; a node's parent must be of a kind in ALLOWED_PARENTS
ORG_KINDS = ("county", "township", "village_committee", "general_branch", "branch", "group")
ALLOWED_PARENTS = {
    "county": (None,),
    "township": ("county",),
    "village_committee": ("township",),
    "general_branch": ("township", "village_committee"),
    "branch": ("township", "village_committee", "general_branch"),
    "group": ("village_committee", "general_branch", "branch"),
}

ROLES = (
    "secretary", "deputy", "organizer", "propaganda", "discipline", "group_leader", "trainer",
    "admin",
)
#: roles whose holders count as 支部书记和班子成员 for the yearly target
CADRE_ROLES = frozenset({"secretary", "deputy", "organizer", "propaganda", "discipline"})


class Organization(IdMixin, TimestampMixin, db.Model):
    """A node of 县委 → 乡镇党委 → 村党委/党总支/党支部 → 党小组."""

    __tablename__ = "organizations"

    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(80))
    #: short code used by imports and the CLI, e.g. "V01"
    code: Mapped[str] = mapped_column(String(32), unique=True)
    #: materialised ancestor path "/1/5/9/": a subtree is one indexed prefix query
    path: Mapped[str] = mapped_column(String(255), index=True)
    depth: Mapped[int] = mapped_column(default=0)

    parent = relationship("Organization", remote_side="Organization.id", lazy="raise_on_sql")

    def __repr__(self) -> str:
        return f"<Organization {self.code} {self.path}>"

    def child_toward(self, path: str) -> int | None:
        """The id of this node's child on the way to ``path`` (a node in the subtree), or None
        for the node itself: roll-ups fold each organisation into the child it lies under."""
        level = len(self.path.strip("/").split("/"))
        parts = (path or "").strip("/").split("/")
        return int(parts[level]) if len(parts) > level else None


class Membership(IdMixin, TimestampMixin, db.Model):
    """A role a user holds on a node; its authority covers the node's subtree."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "org_id", "role"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))

    user = relationship("User", back_populates="memberships", lazy="raise_on_sql")
    org = relationship("Organization", lazy="joined", innerjoin=True)
