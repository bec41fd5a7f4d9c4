"""SQLAlchemy models, engine and session, queries and Alembic migrations."""
