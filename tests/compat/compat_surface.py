"""The public-surface scenario: what modules, names and signatures an installation has.

Runs in both environments (standard library only, besides the ``dockerflow`` modules it
inspects). :func:`dump` walks the reference's module tree; :func:`describe` is run under
our packages for the module list the reference produced. The harness compares the two
(:func:`compat_harness.compare_surfaces`).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import types
from typing import Any

from compat_observe import Observer, normalise

#: Integrations whose modules are part of the surface (the reference ships them all).
PACKAGES = ("dockerflow",)


#: Modules whose instances count as a module's public values (constants, loggers, context
#: variables); instances of other types are imports of third-party objects.
_VALUE_MODULES = frozenset({"builtins", "logging", "contextvars"})


def _params(obj: Any) -> list[list[Any]] | None:
    try:
        signature = inspect.signature(obj)
    except (TypeError, ValueError):
        return None
    return [
        [p.name, p.kind.name, p.default is not inspect.Parameter.empty]
        for p in signature.parameters.values()
    ]


def _defined_here(obj: Any) -> bool:
    module = getattr(obj, "__module__", None) or ""
    return module == "dockerflow" or module.startswith("dockerflow.")


def _describe_object(obj: Any, *, members: bool) -> dict[str, Any]:
    if inspect.isclass(obj):
        described: dict[str, Any] = {"kind": "class", "signature": _params(obj)}
        if members:
            described["members"] = {
                name: _describe_member(obj, name) for name in dir(obj) if not name.startswith("_")
            }
        return described
    if callable(obj):
        return {"kind": "callable", "signature": _params(obj)}
    return {"kind": "value", "type": type(obj).__name__}


def _describe_member(cls: type, name: str) -> dict[str, Any]:
    raw = inspect.getattr_static(cls, name, None)
    if isinstance(raw, property):
        return {"kind": "property"}
    try:
        value = getattr(cls, name)
    except Exception:
        return {"kind": "value", "type": "?"}
    return _describe_object(value, members=False)


def describe(module_name: str, expected: Any = ()) -> dict[str, Any]:
    """The public surface of one module: ``{"error": ...}`` when it cannot be imported,
    else ``{"names": {name: description}}`` for each public name that is not a module
    and not a class or function imported from a third-party library. Names in
    ``expected`` are looked up with ``getattr`` too (a module ``__getattr__`` may provide
    them lazily)."""
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}
    names: dict[str, Any] = {}
    found = dict(vars(module))
    for name in expected:
        if name not in found:
            try:
                found[name] = getattr(module, name)
            except AttributeError:
                pass
    for name, obj in found.items():
        if name.startswith("_") or issubclass(type(obj), types.ModuleType):
            continue
        if (inspect.isclass(obj) or inspect.isroutine(obj)) and not _defined_here(obj):
            continue  # e.g. `from werkzeug.exceptions import InternalServerError`
        kind_module = type(obj).__module__
        if kind_module in ("typing", "types", "collections.abc", "_collections_abc"):
            if getattr(obj, "_name", None) == name:
                continue  # `from typing import Optional`
            names[name] = {"kind": "alias"}  # e.g. CheckFn = Callable[..., ...]
            continue
        if (
            not (inspect.isclass(obj) or inspect.isroutine(obj))
            and kind_module not in _VALUE_MODULES
            and not _defined_here(type(obj))
        ):
            continue  # `from __future__ import ...`, a third-party proxy object, ...
        names[name] = _describe_object(obj, members=True)
    return {"names": names}


def _configure_django() -> None:
    """Minimal Django settings, so that the Django modules can be imported and inspected."""
    try:
        import django
        from django.conf import settings
    except ImportError:
        return
    settings.configure(
        INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "dockerflow.django"],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
    )
    django.setup()


def module_tree() -> list[str]:
    """Every module of the installed ``dockerflow`` tree, sorted."""
    found: set[str] = set()
    for package in PACKAGES:
        root = importlib.import_module(package)
        if getattr(root, "__file__", None):
            found.add(package)
        for info in pkgutil.walk_packages(root.__path__, f"{package}.", onerror=lambda _n: None):
            found.add(info.name)
    return sorted(found)


def dump(obs: Observer) -> None:
    """The scenario: record the surface of the modules of ``obs.params["expected"]``
    (``{module: [names]}``, the reference's surface, for our run), or of the whole
    installed tree when it is not given (the reference run)."""
    _configure_django()
    expected = obs.params.get("expected") or {key: [] for key in module_tree()}
    obs.observations["surface"] = normalise(
        {name: describe(name, names) for name, names in expected.items()}
    )
