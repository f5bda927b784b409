"""landlord portal: landlord users, their web sessions, uploaded files awaiting confirmation

The portal's accounts and sessions are tables of their own, apart from the staff's
`users` and `web_sessions`, so that neither can be taken for the other. A file
uploaded for a preview is kept encrypted with the session that uploaded it
(deleted with it) until it is confirmed or expires.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 07:05:13.987871
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db


revision: str = '0009'
down_revision: str | Sequence[str] | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('landlord_users',
    sa.Column('landlord_id', sa.Uuid(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('token_version', sa.Integer(), nullable=False),
    sa.Column('last_sign_in_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('link_hash', sa.String(length=64), nullable=True),
    sa.Column('link_expires_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['landlord_id'], ['landlords.id'], name=op.f('fk_landlord_users_landlord_id_landlords'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_landlord_users')),
    sa.UniqueConstraint('email', name=op.f('uq_landlord_users_email')),
    sa.UniqueConstraint('link_hash', name=op.f('uq_landlord_users_link_hash'))
    )
    with op.batch_alter_table('landlord_users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_landlord_users_landlord_id'), ['landlord_id'], unique=False)

    op.create_table('landlord_web_sessions',
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('token_version', sa.Integer(), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ip', sa.String(length=64), nullable=True),
    sa.Column('user_agent', sa.String(length=200), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['landlord_users.id'], name=op.f('fk_landlord_web_sessions_user_id_landlord_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_landlord_web_sessions')),
    sa.UniqueConstraint('secret_hash', name=op.f('uq_landlord_web_sessions_secret_hash'))
    )
    with op.batch_alter_table('landlord_web_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_landlord_web_sessions_user_id'), ['user_id'], unique=False)

    op.create_table('portal_uploads',
    sa.Column('session_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=True),
    sa.Column('content_encrypted', sa.Text(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['landlord_web_sessions.id'], name=op.f('fk_portal_uploads_session_id_landlord_web_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_portal_uploads'))
    )
    with op.batch_alter_table('portal_uploads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_portal_uploads_session_id'), ['session_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('portal_uploads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_portal_uploads_session_id'))

    op.drop_table('portal_uploads')
    with op.batch_alter_table('landlord_web_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_landlord_web_sessions_user_id'))

    op.drop_table('landlord_web_sessions')
    with op.batch_alter_table('landlord_users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_landlord_users_landlord_id'))

    op.drop_table('landlord_users')
