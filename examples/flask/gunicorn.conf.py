"""Gunicorn settings for the example: listen on $PORT (default 8000) and log mozlog JSON.

Gunicorn's own messages go to stdout as mozlog JSON too; its access log is off, since
``request.summary`` already records every request.
"""

import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
accesslog = None
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {
        "mozlog": {"class": "dockerflow.logging.MozlogHandler", "name": "dockerflow-flask-example"}
    },
    # Gunicorn merges this over its defaults key by key: the root logger and both of
    # gunicorn's loggers are redefined so nothing refers to its default handlers.
    "root": {"handlers": ["mozlog"], "level": "INFO"},
    "loggers": {
        "gunicorn.error": {"handlers": ["mozlog"], "level": "INFO", "propagate": False},
        # Access lines are INFO: WARNING keeps them out, request.summary has every request.
        "gunicorn.access": {"handlers": ["mozlog"], "level": "WARNING", "propagate": False},
    },
}
