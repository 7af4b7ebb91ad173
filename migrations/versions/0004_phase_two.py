"""Phase two: English texts, imports, organiser edits, the catalogue version, uploaded files, subscribers' erasure

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 06:20:00

One revision for the release; each part below has its own upgrade and downgrade.
"""
from alembic import op
import sqlalchemy as sa
import app.db


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    _upgrade_translations()
    _upgrade_imports()
    _upgrade_organiser_edits()
    _upgrade_catalogue_version()
    _upgrade_files()
    _upgrade_subscriber_rights()


def downgrade():
    _downgrade_subscriber_rights()
    _downgrade_files()
    _downgrade_catalogue_version()
    _downgrade_organiser_edits()
    _downgrade_imports()
    _downgrade_translations()


# --- English versions of event, programme, project, venue and newsletter texts

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


def _upgrade_translations():
    for table in dict.fromkeys(t for t, _c, _k in COLUMNS):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for t, column, kind in COLUMNS:
                if t == table:
                    batch_op.add_column(sa.Column(column, kind, nullable=False, server_default=''))


def _downgrade_translations():
    for table in reversed(list(dict.fromkeys(t for t, _c, _k in COLUMNS))):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for t, column, _kind in reversed(COLUMNS):
                if t == table:
                    batch_op.drop_column(column)


# --- imports: staged uploads, the consent note of imported subscribers


def _upgrade_imports():
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


def _downgrade_imports():
    with op.batch_alter_table('newsletter_subscribers', schema=None) as batch_op:
        batch_op.drop_column('consent_note')

    with op.batch_alter_table('staged_imports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staged_imports_expires_at'))
        batch_op.drop_index(batch_op.f('ix_staged_imports_event_id'))

    op.drop_table('staged_imports')


# --- organiser edits: cancellation reason, e-mail notes, answers' wording, page ratings


def _upgrade_organiser_edits():
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


def _downgrade_organiser_edits():
    with op.batch_alter_table('page_ratings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_page_ratings_path'))
    op.drop_table('page_ratings')
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.drop_column('answer_labels')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_column('email_note_en')
        batch_op.drop_column('email_note')
        batch_op.drop_column('cancellation_reason')


# --- catalogue version row, index on events.ends_at


def _upgrade_catalogue_version():
    op.create_table('catalogue_versions',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('changed_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalogue_versions'))
    )
    # No row yet: the first catalogue change creates it (an upsert), and `flask data copy`
    # finds the table empty like every other.
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_events_ends_at'), ['ends_at'], unique=False)


def _downgrade_catalogue_version():
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_events_ends_at'))
    op.drop_table('catalogue_versions')


# --- files: blobs, material files, pictures


def _upgrade_files():
    # ### commands auto generated by Alembic - please adjust! ###
    op.create_table('blobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('backend', sa.String(length=20), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_blobs')),
    sa.UniqueConstraint('sha256', name=op.f('uq_blobs_sha256'))
    )
    with op.batch_alter_table('blobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_blobs_last_used_at'), ['last_used_at'], unique=False)

    op.create_table('blob_chunks',
    sa.Column('blob_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['blob_id'], ['blobs.id'], name=op.f('fk_blob_chunks_blob_id_blobs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('blob_id', 'seq', name=op.f('pk_blob_chunks'))
    )
    op.create_table('pictures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('project_id', sa.Integer(), nullable=True),
    sa.Column('speaker_id', sa.Integer(), nullable=True),
    sa.Column('venue_id', sa.Integer(), nullable=True),
    sa.Column('alt', sa.String(length=300), nullable=False),
    sa.Column('uploaded_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_pictures_event_id_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_pictures_project_id_projects'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['speaker_id'], ['speakers.id'], name=op.f('fk_pictures_speaker_id_speakers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['venue_id'], ['venues.id'], name=op.f('fk_pictures_venue_id_venues'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pictures')),
    sa.UniqueConstraint('event_id', name=op.f('uq_pictures_event_id')),
    sa.UniqueConstraint('project_id', name=op.f('uq_pictures_project_id')),
    sa.UniqueConstraint('speaker_id', name=op.f('uq_pictures_speaker_id')),
    sa.UniqueConstraint('venue_id', name=op.f('uq_pictures_venue_id'))
    )
    op.create_table('picture_variants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('picture_id', sa.Integer(), nullable=False),
    sa.Column('size', sa.String(length=10), nullable=False),
    sa.Column('format', sa.String(length=10), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('blob_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['blob_id'], ['blobs.id'], name=op.f('fk_picture_variants_blob_id_blobs')),
    sa.ForeignKeyConstraint(['picture_id'], ['pictures.id'], name=op.f('fk_picture_variants_picture_id_pictures'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_picture_variants')),
    sa.UniqueConstraint('picture_id', 'size', 'format', name='uq_picture_variants_size_format')
    )
    with op.batch_alter_table('picture_variants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_picture_variants_blob_id'), ['blob_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_picture_variants_picture_id'), ['picture_id'], unique=False)

    op.create_table('material_files',
    sa.Column('material_id', sa.Integer(), nullable=False),
    sa.Column('blob_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('uploaded_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['blob_id'], ['blobs.id'], name=op.f('fk_material_files_blob_id_blobs')),
    sa.ForeignKeyConstraint(['material_id'], ['materials.id'], name=op.f('fk_material_files_material_id_materials'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('material_id', name=op.f('pk_material_files'))
    )
    with op.batch_alter_table('material_files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_material_files_blob_id'), ['blob_id'], unique=False)

    # ### end Alembic commands ###


def _downgrade_files():
    # ### commands auto generated by Alembic - please adjust! ###
    with op.batch_alter_table('material_files', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_material_files_blob_id'))

    op.drop_table('material_files')
    with op.batch_alter_table('picture_variants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_picture_variants_picture_id'))
        batch_op.drop_index(batch_op.f('ix_picture_variants_blob_id'))

    op.drop_table('picture_variants')
    op.drop_table('pictures')
    op.drop_table('blob_chunks')
    with op.batch_alter_table('blobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_blobs_last_used_at'))

    op.drop_table('blobs')
    # ### end Alembic commands ###


# --- subscriber rights: when a newsletter subscriber's personal data were erased


def _upgrade_subscriber_rights():
    with op.batch_alter_table('newsletter_subscribers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('erased_at', app.db.UTCDateTime(timezone=True), nullable=True))


def _downgrade_subscriber_rights():
    with op.batch_alter_table('newsletter_subscribers', schema=None) as batch_op:
        batch_op.drop_column('erased_at')
