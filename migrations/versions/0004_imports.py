"""imports: staged uploads, the consent note of imported subscribers

Revision ID: 0004_imports
Revises: 0003
Create Date: 2026-12-01 05:40:00

"""
from alembic import op
import sqlalchemy as sa
import app.db


# revision identifiers, used by Alembic.
revision = '0004_imports'
down_revision = '0004_translations'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('staged_imports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('header', sa.JSON(), nullable=False),
    sa.Column('rows', sa.JSON(), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_staged_imports_event_id_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_staged_imports_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staged_imports'))
    )
    with op.batch_alter_table('staged_imports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staged_imports_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_staged_imports_expires_at'), ['expires_at'], unique=False)

    with op.batch_alter_table('newsletter_subscribers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('consent_note', sa.String(length=500), nullable=False, server_default=''))


def downgrade():
    with op.batch_alter_table('newsletter_subscribers', schema=None) as batch_op:
        batch_op.drop_column('consent_note')

    with op.batch_alter_table('staged_imports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staged_imports_expires_at'))
        batch_op.drop_index(batch_op.f('ix_staged_imports_event_id'))

    op.drop_table('staged_imports')
