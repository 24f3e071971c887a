"""The one list of intended differences from the reference library.

Every difference the compat suite finds between the reference (``dockerflow==2026.3.4``)
and our packages must be covered by an entry here; any other difference fails. An entry
exists only where the reference is defective (a crash, a hang, a leak, a lost or garbled
log record, a security exposure) and names its entry in ``docs/migration.rst`` (a text
that must appear there: ``test_compat_core.py`` checks it does).

Entries match by scenario name and observation path, both shell-style patterns
(``fnmatch``): ``logs[*].fields.msg`` matches that field of every captured record.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any


@dataclass(frozen=True)
class Intended:
    """An intended difference.

    :param scenarios: the scenario names it applies to (patterns).
    :param path: the observation path (pattern).
    :param reason: why we differ: the reference's defect.
    :param migration: a text of ``docs/migration.rst`` that documents it.
    """

    scenarios: str
    path: str
    reason: str
    migration: str

    def covers(self, difference: Any) -> bool:
        return fnmatchcase(difference.scenario, self.scenarios) and fnmatchcase(
            difference.path, self.path
        )


INTENDED: tuple[Intended, ...] = (
    Intended(
        scenarios="core_formatter_jsonlike_message",
        path="*.Fields.msg",
        reason="The reference formatter drops the message of a record whose text starts with "
        "'{' and ends with '}': the record's text is lost.",
        migration="**A message that looks like JSON is logged.**",
    ),
)
