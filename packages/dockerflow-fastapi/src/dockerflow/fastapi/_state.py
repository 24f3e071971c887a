"""Reading the ``DOCKERFLOW_*`` settings a FastAPI app keeps on ``app.state``."""

from __future__ import annotations

from typing import Any

from ..config import DockerflowSettings, Getter, read_settings

__all__ = ["app_state_getter", "read_app_settings"]


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


def read_app_settings(app: Any) -> DockerflowSettings:
    """The validated ``DOCKERFLOW_*`` settings set on ``app.state``, read now.

    :raises dockerflow.config.ConfigurationError: naming a setting whose value
        cannot be used.
    """
    return read_settings(app_state_getter(app))
