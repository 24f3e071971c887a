"""Flask under gunicorn: Flask-SQLAlchemy (no ``pool_pre_ping``: a restart leaves dead
connections in each worker's pool) and a sync redis-py client."""

from __future__ import annotations

import os
from typing import Any

import redis
from flask import Flask, request
from flask_sqlalchemy import SQLAlchemy

from dockerflow.flask import Dockerflow

from . import PID_HEADER, check_timeout, database_url, occupy, redis_options

app = Flask(__name__)
app.config["SQLALCHEMY_DATABASE_URI"] = database_url()
app.config["DOCKERFLOW_CHECK_TIMEOUT"] = check_timeout()
db = SQLAlchemy(app)
dockerflow = Dockerflow(app, db=db, redis=redis.Redis(**redis_options()))


@app.after_request
def worker_pid(response: Any) -> Any:
    response.headers[PID_HEADER] = str(os.getpid())
    return response


@app.get("/__pid__")
def pid() -> str:
    return str(os.getpid())


@app.get("/__occupy__")
def occupied() -> str:
    return str(occupy(request.args.get("token", "")))
