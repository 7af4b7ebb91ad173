"""organiser edits: cancellation reason, e-mail notes, answers' wording, page ratings

Revision ID: 0004_organiser_edits
Revises: 0003
Create Date: 2026-12-01 05:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004_organiser_edits'
down_revision = '0004_imports'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cancellation_reason', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('email_note', sa.String(length=500), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('email_note_en', sa.String(length=500), nullable=False, server_default=''))
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('answer_labels', sa.JSON(), nullable=False, server_default=sa.text("'{}'")))
    op.create_table('page_ratings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('path', sa.String(length=300), nullable=False),
    sa.Column('useful', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.String(length=40), nullable=False),
    sa.Column('rated_on', sa.Date(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_page_ratings')),
    )
    with op.batch_alter_table('page_ratings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_page_ratings_path'), ['path'], unique=False)


def downgrade():
    with op.batch_alter_table('page_ratings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_page_ratings_path'))
    op.drop_table('page_ratings')
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.drop_column('answer_labels')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_column('email_note_en')
        batch_op.drop_column('email_note')
        batch_op.drop_column('cancellation_reason')
