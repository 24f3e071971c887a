"""The database and migration checks against real SQLite files and a real PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.db import connection
from django.test import Client, override_settings
from djtest_support import migrate, use_database

from dockerflow import health
from dockerflow.django.checks import check_database_connected, check_migrations_applied


def ids(messages: list[Any]) -> list[str]:
    return [m.id for m in messages]


def heartbeat_body() -> tuple[int, dict[str, Any]]:
    with override_settings(DEBUG=True):
        response = Client().get("/__heartbeat__")
    return response.status_code, response.json()


# --- SQLite ----------------------------------------------------------------------------------


def test_sqlite_migrated_database_is_ok(sqlite_url: str) -> None:
    with use_database(sqlite_url):
        migrate()
        assert check_database_connected(None) == []
        assert check_migrations_applied(None) == []
        status, body = heartbeat_body()
    assert status == 200
    assert body["status"] == "ok"


def test_sqlite_unapplied_migration_is_a_warning(sqlite_url: str) -> None:
    with use_database(sqlite_url):
        migrate()
        migrate("shop", "0001")
        messages = check_migrations_applied(None)
        status, body = heartbeat_body()
    assert ids(messages) == [health.WARNING_UNAPPLIED_MIGRATION]
    assert "shop.0002_item_price" in messages[0].msg
    assert status == 200  # a warning does not fail the heartbeat
    assert body["checks"]["check_migrations_applied"] == "warning"
    assert body["details"]["check_migrations_applied"]["messages"] == {
        health.WARNING_UNAPPLIED_MIGRATION: "Unapplied migration shop.0002_item_price"
    }


def test_sqlite_empty_database_lists_every_migration(sqlite_url: str) -> None:
    with use_database(sqlite_url):
        messages = check_migrations_applied(None)
        only_shop = check_migrations_applied([apps.get_app_config("shop")])
    assert len(messages) > 2 and set(ids(messages)) == {health.WARNING_UNAPPLIED_MIGRATION}
    assert len(only_shop) == 2


def test_sqlite_cannot_connect(tmp_path: Path) -> None:
    with use_database(f"sqlite:///{tmp_path}/missing/dir/db.sqlite3"):
        assert ids(check_database_connected(None)) == [health.ERROR_CANNOT_CONNECT_DATABASE]
        assert ids(check_migrations_applied(None)) == [health.INFO_CANT_CHECK_MIGRATIONS]
        status, body = heartbeat_body()
    assert status == 500
    assert body["checks"]["check_database_connected"] == "error"
    assert body["checks"]["check_migrations_applied"] == "info"


def test_misconfigured_database() -> None:
    with use_database("", ENGINE="django.db.backends.dummy"):
        messages = check_database_connected(None)
        assert ids(check_migrations_applied(None)) == [health.INFO_CANT_CHECK_MIGRATIONS]
    assert ids(messages) == [health.ERROR_MISCONFIGURED_DATABASE]


def test_unusable_database(tmp_path: Path) -> None:
    # A real SQLite database behind a backend whose connections never pass is_usable().
    with use_database(
        "", ENGINE="djtestproject.unusable_backend", NAME=str(tmp_path / "db.sqlite3")
    ):
        assert ids(check_database_connected(None)) == [health.ERROR_UNUSABLE_DATABASE]


def test_checks_run_from_manage_py_check(sqlite_url: str) -> None:
    from django.core.management import call_command

    with use_database(sqlite_url):
        migrate("shop", "0001")
        import io

        out = io.StringIO()
        call_command("check", stdout=out, stderr=out)
    assert health.WARNING_UNAPPLIED_MIGRATION in out.getvalue()


# --- PostgreSQL ------------------------------------------------------------------------------


def test_postgres_migrated_then_unapplied_then_down_then_back(
    pg_url: str, postgres_service: Any
) -> None:
    with use_database(pg_url):
        migrate()
        status, body = heartbeat_body()
        assert (status, body["status"]) == (200, "ok")

        migrate("shop", "0001")
        assert ids(check_migrations_applied(None)) == [health.WARNING_UNAPPLIED_MIGRATION]
        status, body = heartbeat_body()
        assert (status, body["checks"]["check_migrations_applied"]) == (200, "warning")
        migrate()

        postgres_service.stop()
        try:
            status, body = heartbeat_body()
            assert status == 500
            assert list(body["details"]["check_database_connected"]["messages"]) == [
                health.ERROR_CANNOT_CONNECT_DATABASE
            ]
            assert list(body["details"]["check_migrations_applied"]["messages"]) == [
                health.INFO_CANT_CHECK_MIGRATIONS
            ]
        finally:
            postgres_service.start()
        status, body = heartbeat_body()
        assert (status, body["status"]) == (200, "ok")


def test_postgres_connections_stay_flat_across_500_heartbeats(
    pg_url: str, postgres_service: Any
) -> None:
    dbname = pg_url.rsplit("/", 1)[1]
    with use_database(pg_url):
        migrate()
        connection.close()
        client = Client()
        assert client.get("/__heartbeat__").status_code == 200
        baseline = postgres_service.wait_for_connection_count(dbname, 0)
        assert baseline == 0
        for _ in range(500):
            assert client.get("/__heartbeat__").status_code == 200
        after = postgres_service.wait_for_connection_count(dbname, baseline)
    assert after == baseline


def test_postgres_persistent_connection_survives_a_restart(
    pg_url: str, postgres_service: Any
) -> None:
    """A CONN_MAX_AGE connection kept by a thread is stale after a restart: the checks
    replace it instead of reporting an outage."""
    with use_database(pg_url, conn_max_age=600):
        migrate()
        assert check_database_connected(None) == []  # opens and keeps a connection
        assert connection.connection is not None
        postgres_service.stop()
        postgres_service.start()
        assert check_database_connected(None) == []
        assert check_migrations_applied(None) == []
        postgres_service.stop()
        postgres_service.start()
        assert check_migrations_applied(None) == []
        status, body = heartbeat_body()
        assert (status, body["status"]) == (200, "ok")


@pytest.mark.parametrize("asgi", [False, True])
def test_postgres_heartbeat_with_conn_max_age_after_restart(
    pg_url: str, postgres_service: Any, asgi: bool
) -> None:
    import asyncio

    from django.test import AsyncClient

    def get() -> int:
        if asgi:
            return asyncio.run(AsyncClient().get("/__heartbeat__")).status_code  # type: ignore[no-any-return]
        return Client().get("/__heartbeat__").status_code  # type: ignore[no-any-return]

    with use_database(pg_url, conn_max_age=600):
        migrate()
        assert Client().get("/items/").status_code == 200  # a kept request connection
        assert get() == 200
        postgres_service.stop()
        postgres_service.start()
        assert get() == 200
