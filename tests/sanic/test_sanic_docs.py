"""The Sanic documentation's logging configuration, run as written in a process of its own."""

from __future__ import annotations

import json

import pytest
from docblocks import python_block, run_script

# What an application module does around the documented block: dockerflow and Sanic
# are imported first (so their loggers exist when the configuration is applied), then
# a route raises, and the request is made through Sanic's test client.
_APP = """
import dockerflow.sanic
{block}
from dockerflow.sanic import Dockerflow

Dockerflow(app)


@app.get("/boom")
async def boom(request):
    raise ValueError("boom")


_, response = app.test_client.get("/boom", headers={{"X-Request-ID": "rid-docs"}})
assert response.status == 500, response.status
"""


@pytest.mark.parametrize(
    ("page", "marker"),
    [("docs/sanic.rst", "log_config = {"), ("packages/dockerflow-sanic/README.md", "LOGGING = {")],
)
def test_documented_log_config_keeps_sanics_loggers(page: str, marker: str) -> None:
    block = python_block(page, marker)
    assert "app = Sanic(" in block  # the block creates the app with its configuration
    done = run_script(_APP.format(block=block))
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stdout.splitlines()]  # mozlog, every line
    # Sanic's own report of the unhandled exception, which a disabled sanic.error drops.
    [sanic_error] = [r for r in records if r["Type"] == "sanic.error"]
    assert "ValueError" in sanic_error["Fields"]["traceback"]
    assert sanic_error["Fields"]["rid"] == "rid-docs"
    [summary] = [r for r in records if r["Type"] == "request.summary"]
    assert summary["Fields"]["code"] == 500
