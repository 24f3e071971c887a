"""A Django site for the fault-injection suite (gunicorn WSGI and uvicorn ASGI)."""
