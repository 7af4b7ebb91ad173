"""catalogue version row, index on events.ends_at

Revision ID: 0004_catalogue_version
Revises: 0003
Create Date: 2026-12-01 05:40:00.000000

"""
from alembic import op
import sqlalchemy as sa
import app.db


# revision identifiers, used by Alembic.
revision = '0004_catalogue_version'
down_revision = '0004_organiser_edits'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('catalogue_versions',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('changed_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalogue_versions'))
    )
    op.execute("INSERT INTO catalogue_versions (id, version) VALUES (1, 1)")
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_events_ends_at'), ['ends_at'], unique=False)


def downgrade():
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_events_ends_at'))
    op.drop_table('catalogue_versions')
