"""Dockerflow(app, ...) refuses at setup an object argument that can never work, with a
TypeError naming the argument (the reference accepted them; every heartbeat then failed
with E100), and keeps accepting every object its checks work with."""

from __future__ import annotations

from typing import Any

import flask
import pytest
import redis
from flask_migrate import Migrate
from flask_redis import FlaskRedis
from flask_sqlalchemy import SQLAlchemy

from dockerflow import checks
from dockerflow.flask import Dockerflow


@pytest.fixture
def app() -> flask.Flask:
    app = flask.Flask("arguments")
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite://"
    return app


@pytest.fixture(autouse=True)
def _clean_registry() -> Any:
    yield
    checks.clear_checks()


@pytest.mark.parametrize(
    ("argument", "value", "expected"),
    [
        (
            "redis",
            redis,
            "redis= expects a redis-py client or a Flask-Redis instance, not the module 'redis'",
        ),
        ("redis", redis.Redis, "not the class redis.client.Redis (an instance is needed)"),
        ("redis", "redis://localhost:6379/0", "a str without .ping"),
        ("db", SQLAlchemy, "db= expects a Flask-SQLAlchemy instance"),
        ("db", "sqlite://", "db= expects a Flask-SQLAlchemy instance"),
        ("migrate", object(), "migrate= expects a Flask-Migrate instance"),
        ("registry", {}, "registry= expects a dockerflow.checks.CheckRegistry, not dict"),
    ],
    ids=[
        "redis-module",
        "redis-class",
        "redis-url",
        "db-class",
        "db-url",
        "migrate-object",
        "registry-dict",
    ],
)
def test_rejected_at_init(app: flask.Flask, argument: str, value: Any, expected: str) -> None:
    with pytest.raises(TypeError, match=rf"^{argument}= expects") as info:
        Dockerflow(app, **{argument: value})
    assert expected in str(info.value)
    assert "dockerflow" not in app.extensions  # nothing half set up
    assert checks.get_checks() == {}


def test_real_objects_are_accepted(app: flask.Flask) -> None:
    db = SQLAlchemy(app)
    # Flask-Redis before init_app (the application factory pattern) has no client yet.
    Dockerflow(app, db=db, redis=FlaskRedis(), migrate=Migrate(app, db))
    assert set(checks.get_checks()) == {
        "check_database_connected",
        "check_redis_connected",
        "check_migrations_applied",
    }
    checks.clear_checks()
    Dockerflow(flask.Flask("other"), redis=redis.Redis.from_url("redis://127.0.0.1:1/0"))
    assert set(checks.get_checks()) == {"check_redis_connected"}
