"""Logging in the mozlog JSON format, and the request-id tools.

The documented API::

    from dockerflow.logging import MozlogFormatter, MozlogHandler, RequestIdLogFilter

See :class:`MozlogFormatter` for the format and :mod:`dockerflow.request` for the
request-id rules.
"""

from ..request import RequestIdLogFilter, get_or_generate_request_id, request_id_context
from .formatter import JsonLogFormatter, MozlogFormatter, SafeJSONEncoder, safer_format_traceback
from .handler import MozlogHandler

__all__ = [
    "JsonLogFormatter",
    "MozlogFormatter",
    "MozlogHandler",
    "RequestIdLogFilter",
    "SafeJSONEncoder",
    "get_or_generate_request_id",
    "request_id_context",
    "safer_format_traceback",
]
