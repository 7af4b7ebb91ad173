"""Trust: check-in tokens, session versions, password resets, login throttling, mail cool-downs.

Revision ID: 0002_trust
Revises: 0002
Create Date: 2026-12-01
"""
import secrets

import sqlalchemy as sa
from alembic import op

import app.db

revision = '0002_trust'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    # A separate door code for every registration; existing rows get one now.
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('checkin_token', sa.String(length=64), nullable=True))
    conn = op.get_bind()
    regs = sa.table('registrations', sa.column('id', sa.Integer), sa.column('checkin_token', sa.String))
    for (rid,) in conn.execute(sa.select(regs.c.id)).all():
        conn.execute(regs.update().where(regs.c.id == rid).values(checkin_token=secrets.token_urlsafe(32)))
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.alter_column('checkin_token', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_registrations_checkin_token'), ['checkin_token'])

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='1', nullable=False))

    op.create_table('password_resets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_password_resets_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_password_resets')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_password_resets_token_hash'))
    )
    with op.batch_alter_table('password_resets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_password_resets_user_id'), ['user_id'], unique=False)

    op.create_table('login_throttle',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_failure_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('locked_until', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_login_throttle'))
    )
    op.create_table('mail_cooldowns',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('last_sent_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('day', sa.String(length=10), nullable=False),
    sa.Column('sent_today', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_mail_cooldowns'))
    )


    _clean_single_line_rows()


# Tables whose short text columns people type into; their existing rows lose line breaks
# and control characters, as new input does (app/security/single_line.py).
SINGLE_LINE_TABLES = (
    'events', 'sessions', 'venues', 'speakers', 'projects', 'materials', 'registrations',
    'registration_questions', 'newsletter_subscribers', 'users', 'newsletter_campaigns',
)


def _clean_single_line_rows():
    from app.security.single_line import single_line

    conn = op.get_bind()
    inspector = sa.inspect(conn)
    existing = set(inspector.get_table_names())
    for name in SINGLE_LINE_TABLES:
        if name not in existing:
            continue
        columns = [c['name'] for c in inspector.get_columns(name)
                   if isinstance(c['type'], sa.String) and not isinstance(c['type'], (sa.Text, sa.Enum))
                   and getattr(c['type'], 'length', None)]
        if not columns or 'id' not in {c['name'] for c in inspector.get_columns(name)}:
            continue
        table = sa.table(name, sa.column('id'), *(sa.column(c) for c in columns))
        for row in conn.execute(sa.select(table)).mappings():
            changed = {c: single_line(row[c]) for c in columns if row[c] != single_line(row[c])}
            if changed:
                conn.execute(table.update().where(table.c.id == row['id']).values(**changed))


def downgrade():
    op.drop_table('mail_cooldowns')
    op.drop_table('login_throttle')
    with op.batch_alter_table('password_resets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_password_resets_user_id'))
    op.drop_table('password_resets')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_version')
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_registrations_checkin_token'), type_='unique')
        batch_op.drop_column('checkin_token')
