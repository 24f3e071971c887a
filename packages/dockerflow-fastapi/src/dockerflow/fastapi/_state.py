"""Reading the ``DOCKERFLOW_*`` settings a FastAPI app keeps on ``app.state``."""

from __future__ import annotations

import logging
import weakref
from typing import Any

from ..config import DockerflowSettings, Getter, read_settings, warn_about_settings

__all__ = ["app_state_getter", "read_app_settings", "warn_about_app_settings"]

#: The apps whose settings were looked at when they started (so, once per process).
_started: weakref.WeakSet[Any] = weakref.WeakSet()


def _missing(name: str, default: Any) -> Any:
    return default


def app_state_getter(app: Any) -> Getter:
    """Return ``get(name, default)`` reading ``app.state`` (a :class:`starlette.datastructures.State`).

    ``app`` may be ``None`` or an object without ``state`` (a bare ASGI app behind our
    middleware): every setting then has its default.
    """
    state = getattr(app, "state", None)
    if state is None:
        return _missing
    values = getattr(state, "_state", None)
    if type(values) is dict:  # Starlette's State keeps its attributes in this dict
        return values.get
    return lambda name, default: getattr(state, name, default)


def _state_names(app: Any) -> list[Any]:
    """The names set on ``app.state`` (none when it has no state)."""
    state = getattr(app, "state", None)
    values = getattr(state, "_state", None)
    if isinstance(values, dict):
        return list(values)
    try:
        return list(vars(state))
    except TypeError:  # None, or an object without __dict__
        return []


def read_app_settings(app: Any) -> DockerflowSettings:
    """The validated ``DOCKERFLOW_*`` settings set on ``app.state``, read now.

    :raises dockerflow.config.ConfigurationError: naming a setting whose value
        cannot be used.
    """
    return read_settings(app_state_getter(app))


def warn_about_app_settings(app: Any) -> None:
    """Log a ``WARNING`` on ``dockerflow.fastapi`` for each ``DOCKERFLOW_*`` setting on
    ``app.state`` the endpoints could not use, a failure status below 400, and each
    name on ``app.state`` that looks like a setting misspelt
    (:func:`dockerflow.config.warn_about_settings`); once per app in a process.

    The middlewares call it when the app starts (its ``lifespan`` scope), so a typo
    shows at start-up, not only as a failing heartbeat.
    """
    try:
        if app in _started:
            return
        _started.add(app)
    except TypeError:  # an app that cannot be weakly referenced: looked at every start
        pass
    warn_about_settings(
        app_state_getter(app), logging.getLogger("dockerflow.fastapi"), names=_state_names(app)
    )
