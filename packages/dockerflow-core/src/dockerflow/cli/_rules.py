"""Rules and their report, shared by ``dockerflow check`` and ``dockerflow lint-dockerfile``."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Rule:
    """One rule's outcome.

    ``required`` rules are the spec's musts: one failing makes the command fail.
    ``recommended`` ones are reported (``WARN``) and never change the exit status.
    """

    id: str
    required: bool
    result: str  # "pass", "fail" or "skip"
    detail: str


def passed(rules: list[Rule]) -> bool:
    """Whether every required rule passed (or was skipped)."""
    return all(rule.result != "fail" for rule in rules if rule.required)


def render(rules: list[Rule], width: int = 26) -> list[str]:
    """One line per rule: ``PASS  heartbeat.body  required  status 'ok', 2 checks``."""
    lines = []
    for rule in rules:
        if rule.result == "fail":
            mark = "FAIL" if rule.required else "WARN"
        else:
            mark = rule.result.upper()
        kind = "required" if rule.required else "recommended"
        lines.append(f"{mark}  {rule.id:<{width}} {kind:<11}  {rule.detail}")
    return lines
