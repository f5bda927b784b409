"""Alembic migrations: one tree, portable across SQLite and PostgreSQL."""
