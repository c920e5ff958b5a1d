"""courses: sources (the works a course draws on and quotes) and credit_extra (study time outside
the lessons that the 学时 rule counts, with its reason)

Revision ID: a7c3d2e91b04
Revises: c2fcee271656
Create Date: 2026-12-04 14:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7c3d2e91b04'
down_revision = 'c2fcee271656'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sources', sa.JSON(), nullable=False,
                                      server_default=sa.text("'[]'")))
        batch_op.add_column(sa.Column('credit_extra_minutes', sa.Integer(), nullable=False,
                                      server_default=sa.text('0')))
        batch_op.add_column(sa.Column('credit_extra_reason', sa.String(length=300),
                                      nullable=False, server_default=''))
    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.alter_column('sources', server_default=None)
        batch_op.alter_column('credit_extra_minutes', server_default=None)
        batch_op.alter_column('credit_extra_reason', server_default=None)


def downgrade():
    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.drop_column('credit_extra_reason')
        batch_op.drop_column('credit_extra_minutes')
        batch_op.drop_column('sources')
