"""English versions of event, programme, project, venue and newsletter texts

Revision ID: 0004_translations
Revises: 0003
Create Date: 2026-12-01 05:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004_translations'
down_revision = '0003'
branch_labels = None
depends_on = None

# (table, column, type): each an optional English version beside the original text.
COLUMNS = (
    ('events', 'title_en', sa.String(length=300)),
    ('events', 'summary_en', sa.String(length=600)),
    ('events', 'description_en', sa.Text()),
    ('sessions', 'title_en', sa.String(length=300)),
    ('sessions', 'description_en', sa.Text()),
    ('materials', 'title_en', sa.String(length=300)),
    ('projects', 'name_en', sa.String(length=200)),
    ('projects', 'description_en', sa.Text()),
    ('venues', 'name_en', sa.String(length=200)),
    ('venues', 'accessibility_notes_en', sa.Text()),
    ('newsletter_campaigns', 'subject_en', sa.String(length=200)),
    ('newsletter_campaigns', 'body_markdown_en', sa.Text()),
)


def upgrade():
    for table in dict.fromkeys(t for t, _c, _k in COLUMNS):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for t, column, kind in COLUMNS:
                if t == table:
                    batch_op.add_column(sa.Column(column, kind, nullable=False, server_default=''))


def downgrade():
    for table in reversed(list(dict.fromkeys(t for t, _c, _k in COLUMNS))):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for t, column, _kind in reversed(COLUMNS):
                if t == table:
                    batch_op.drop_column(column)
