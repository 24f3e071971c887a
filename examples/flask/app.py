"""A small Flask service following Dockerflow, with dockerflow-flask.

It serves ``/`` plus the Dockerflow endpoints (``/__version__``, ``/__heartbeat__``,
``/__lbheartbeat__``, ``/__error__``), checks its embedded SQLite database in the
heartbeat, and logs mozlog JSON to stdout: one ``request.summary`` line per request,
the application's own logs and Flask's error records, all carrying the request id.

Configuration comes from the environment (the Dockerflow way):

``DATABASE_URL``
    SQLAlchemy URL of the database (default: an SQLite file in the temp directory).
``VERSION_PATH``
    the directory holding ``version.json`` (default: this file's directory, which is
    ``/app`` in the Docker image).
``DOCKERFLOW_*``
    any dockerflow setting, e.g. ``DOCKERFLOW_HEARTBEAT_FAILED_STATUS_CODE=503``.

Run it with ``bash examples/flask/run.sh`` from the repository root, or in Docker.
"""

from __future__ import annotations

import logging.config
import os
import tempfile

from flask import Flask, g
from flask_sqlalchemy import SQLAlchemy

from dockerflow.flask import Dockerflow, checks

HERE = os.path.dirname(os.path.abspath(__file__))

# Logging first, before the app exists: mozlog JSON on stdout, the request id on every
# record. The loggers a Dockerflow app must configure: ``request.summary`` (one record
# per request, INFO), ``dockerflow`` (check messages of a failing heartbeat from
# ``dockerflow.checks.registry``, a bad version.json from ``dockerflow.version``, the
# extension's own from ``dockerflow.flask``), the app's own, and the root logger: Flask
# logs "Exception on /path [GET]" to the app's logger (named after the import name,
# here "app"), which reaches the root. Configuring the root before ``Flask()`` also keeps
# Flask from adding its plain-text stderr handler.
logging.config.dictConfig(
    {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "dockerflow.logging.RequestIdLogFilter"}},
        "handlers": {
            "mozlog": {
                "class": "dockerflow.logging.MozlogHandler",
                "name": "dockerflow-flask-example",
                "filters": ["request_id"],
            }
        },
        "root": {"handlers": ["mozlog"], "level": "WARNING"},
        "loggers": {
            "request.summary": {"level": "INFO"},
            "dockerflow": {"level": "INFO"},
            "example": {"level": "INFO"},
        },
    }
)
logger = logging.getLogger("example")

app = Flask(__name__)
app.config["SQLALCHEMY_DATABASE_URI"] = os.environ.get(
    "DATABASE_URL",
    "sqlite:///" + os.path.join(tempfile.gettempdir(), "dockerflow-flask-example.db"),
)
# Every DOCKERFLOW_* environment variable becomes a config key of the same name (the
# values stay strings: dockerflow reads "5", "true" or "503" as well as native values).
app.config.update(
    {key: value for key, value in os.environ.items() if key.startswith("DOCKERFLOW_")}
)
db = SQLAlchemy(app)
dockerflow = Dockerflow(app, db=db, version_path=os.environ.get("VERSION_PATH", HERE))


@dockerflow.check
def check_disk_space() -> list[checks.CheckMessage]:
    """A custom check: warn when the database's disk is almost full."""
    stat = os.statvfs(tempfile.gettempdir())
    if stat.f_bavail * stat.f_frsize < 50 * 1024 * 1024:
        return [checks.Warning("less than 50 MB free", id="example.health.W001")]
    return []


@app.route("/")
def index() -> dict[str, str]:
    logger.info("Saying hello")
    return {"hello": "world", "request_id": g.request_id}
