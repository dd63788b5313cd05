"""The venue's verification service (``zkmargin serve``): app (FastAPI), store (SQLite/PostgreSQL), cli."""
