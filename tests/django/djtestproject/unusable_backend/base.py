"""A SQLite backend whose connections always fail Django's ``is_usable()`` probe."""

from django.db.backends.sqlite3.base import DatabaseWrapper as SQLiteDatabaseWrapper


class DatabaseWrapper(SQLiteDatabaseWrapper):
    def is_usable(self) -> bool:
        return False
