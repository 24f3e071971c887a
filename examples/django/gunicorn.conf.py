"""Gunicorn settings for the example: listen on $HOST:$PORT (127.0.0.1:8000 unless told
otherwise) and write every line as mozlog JSON on stdout.

Gunicorn configures logging in its master process, before any worker imports Django:
``logconfig_dict`` is the only way its own messages ("Listening at", "Booting worker",
"Worker timeout") become mozlog. Its access log is off: ``request.summary`` already
records every request, with the request id gunicorn's line lacks. Django's ``LOGGING``
setting takes over in each worker when the project loads.
"""

import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
accesslog = None
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"mozlog": {"class": "dockerflow.logging.MozlogHandler", "name": "exampleproject"}},
    # Gunicorn merges this over its defaults key by key: the root logger and both of
    # gunicorn's loggers are redefined so nothing refers to its default handlers.
    "root": {"handlers": ["mozlog"], "level": "INFO"},
    "loggers": {
        "gunicorn.error": {"handlers": ["mozlog"], "level": "INFO", "propagate": False},
        "gunicorn.access": {"handlers": ["mozlog"], "level": "WARNING", "propagate": False},
    },
}
