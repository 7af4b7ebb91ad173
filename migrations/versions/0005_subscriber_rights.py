"""subscriber rights: when a newsletter subscriber's personal data were erased

Revision ID: 0005_subscriber_rights
Revises: 0004_imports
Create Date: 2026-12-01 06:10:00

"""
from alembic import op
import sqlalchemy as sa
import app.db


# revision identifiers, used by Alembic.
revision = '0005_subscriber_rights'
down_revision = '0004_imports'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('newsletter_subscribers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('erased_at', app.db.UTCDateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('newsletter_subscribers', schema=None) as batch_op:
        batch_op.drop_column('erased_at')
