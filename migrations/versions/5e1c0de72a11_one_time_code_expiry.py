"""users.code_expires_at: a one-time code works once and for a limited time

Revision ID: 5e1c0de72a11
Revises: d9813252fa71
Create Date: 2026-12-04 14:00:00

"""
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '5e1c0de72a11'
down_revision = 'd9813252fa71'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('code_expires_at', sa.DateTime(), nullable=True))
    # codes handed out before this revision get the usual 72 hours from now, not forever
    later = datetime.now(timezone.utc).replace(tzinfo=None) + timedelta(hours=72)
    op.execute(sa.text("UPDATE users SET code_expires_at = :later WHERE must_change_password")
               .bindparams(later=later))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('code_expires_at')
