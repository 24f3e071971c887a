"""dockerflow.flask works with Flask alone: SQLAlchemy, Alembic, Flask-Migrate,
Flask-Login, Flask-Redis and redis-py are imported only when they are used."""

from __future__ import annotations

import subprocess
import sys
import textwrap

OPTIONAL = [
    "sqlalchemy",
    "flask_sqlalchemy",
    "alembic",
    "flask_migrate",
    "flask_login",
    "flask_redis",
    "redis",
]

SCRIPT = textwrap.dedent(
    """
    import importlib.abc, sys

    BLOCKED = set(sys.argv[1].split(","))

    class Block(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ModuleNotFoundError(f"No module named {name!r} (blocked)", name=name)
            return None

    sys.meta_path.insert(0, Block())

    import flask
    from dockerflow.flask import Dockerflow, checks
    from dockerflow.flask.app import HeartbeatFailure
    from dockerflow.flask.signals import heartbeat_passed

    app = flask.Flask("only_flask")
    app.secret_key = "x"
    dockerflow = Dockerflow(app)

    @dockerflow.check
    def check_custom():
        return [checks.Warning("w", id="x.W1")]

    client = app.test_client()
    assert client.get("/__lbheartbeat__").status_code == 200
    assert client.get("/__heartbeat__").json["status"] == "warning"
    assert client.get("/__version__").status_code in (200, 404)
    loaded = sorted(name for name in sys.modules if name.split(".")[0] in BLOCKED)
    assert not loaded, loaded
    print("OK")
    """
)


def test_import_and_serve_without_optional_packages() -> None:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, ",".join(OPTIONAL)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "OK"
