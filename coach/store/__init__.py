"""The record of truth (relational, SQLAlchemy) and the index (Chroma) that is rebuilt from it."""
