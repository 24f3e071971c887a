"""The Flask documentation's logging configuration, run as written in a process of its own."""

from __future__ import annotations

import json

import pytest
from docblocks import python_block, run_script

# An application module around the documented block: a library imported first has
# created its logger (as SQLAlchemy's and many others do at import), then the block
# configures logging, then the app is created and a view raises.
_APP = """
import logging

library_logger = logging.getLogger("somelibrary")  # created at the library's import
{block}
from flask import Flask
from dockerflow.flask import Dockerflow

app = Flask("myproject")
Dockerflow(app)


@app.get("/boom")
def boom():
    library_logger.warning("pool exhausted")
    raise ValueError("boom")


response = app.test_client().get("/boom", headers={{"X-Request-ID": "rid-docs"}})
assert response.status_code == 500, response.status_code
"""


@pytest.mark.parametrize(
    ("page", "marker"),
    [("docs/flask.rst", "dictConfig({"), ("packages/dockerflow-flask/README.md", "dictConfig(")],
)
def test_documented_logging_keeps_loggers_created_before_it(page: str, marker: str) -> None:
    done = run_script(_APP.format(block=python_block(page, marker)))
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    records = [json.loads(line) for line in done.stdout.splitlines()]  # mozlog, every line
    by_type = {r["Type"]: r for r in records}
    assert by_type["somelibrary"]["Fields"]["msg"] == "pool exhausted"
    assert by_type["somelibrary"]["Fields"]["rid"] == "rid-docs"
    assert "ValueError" in by_type["myproject"]["Fields"]["traceback"]  # Flask's own report
    assert by_type["request.summary"]["Fields"]["code"] == 500
