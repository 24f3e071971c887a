"""``dockerflow lint-dockerfile``: a Dockerfile against the Dockerflow spec.

The Dockerfile is parsed the way Docker reads it (parser directives, line
continuations with the escape character, comments, JSON and shell forms), and
the rules look at the final stage, including the stages it is built ``FROM``. The
``RUN`` commands that create the group and the user are split into shell words
(:mod:`shlex`) and their options read as ``groupadd``/``useradd`` (shadow-utils),
Debian's ``addgroup``/``adduser`` and BusyBox's (Alpine) read them.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import sys
from dataclasses import asdict, dataclass

from . import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from ._rules import Rule, passed, render

APP = "app"
APP_ID = "10001"
_SHELLS = ("sh", "bash", "dash", "ash")


@dataclass
class Instruction:
    """One instruction: its keyword (upper case), arguments and first line number."""

    keyword: str
    args: str
    line: int

    def json_args(self) -> list[str] | None:
        """The arguments in JSON (exec) form, or ``None`` for the shell form."""
        text = self.args.strip()
        if not text.startswith("["):
            return None
        try:
            value = json.loads(text)
        except ValueError:
            return None
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return value
        return None

    def words(self) -> list[str]:
        """The arguments as words: the JSON list, or the shell form split."""
        as_json = self.json_args()
        if as_json is not None:
            return as_json
        return _split(self.args)


def _split(text: str) -> list[str]:
    try:
        return shlex.split(text, comments=False)
    except ValueError:  # unbalanced quotes: still look at the words
        return text.split()


_DIRECTIVE = re.compile(r"#\s*([a-zA-Z]+)\s*=\s*(\S+)\s*$")


def parse(text: str) -> list[Instruction]:
    """The instructions of a Dockerfile, continuation lines joined."""
    lines = text.splitlines()
    escape = "\\"
    start = 0
    for index, line in enumerate(lines):  # parser directives: only before anything else
        match = _DIRECTIVE.match(line.strip())
        if not match:
            break
        if match.group(1).lower() == "escape" and match.group(2) in ("\\", "`"):
            escape = match.group(2)
        start = index + 1
    instructions: list[Instruction] = []
    current: list[str] = []
    first = 0
    for number, raw in enumerate(lines[start:], start + 1):
        stripped = raw.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if current and stripped.startswith("#"):
            continue  # a comment inside a continued instruction
        if not current:
            first = number
        if stripped.endswith(escape):
            current.append(stripped[: -len(escape)])
            continue
        current.append(stripped)
        _add(instructions, " ".join(part for part in current if part), first)
        current = []
    if current:
        _add(instructions, " ".join(part for part in current if part), first)
    return instructions


def _add(instructions: list[Instruction], text: str, line: int) -> None:
    keyword, _, args = text.partition(" ")
    instructions.append(Instruction(keyword.upper(), args.strip(), line))


def final_stage(instructions: list[Instruction]) -> list[Instruction]:
    """The instructions that make the final image: its stage and the stages it is built on."""
    stages: list[tuple[str, str, list[Instruction]]] = []  # (name, base, instructions)
    for instruction in instructions:
        if instruction.keyword == "FROM":
            words = [w for w in instruction.words() if not w.startswith("--")]
            base = words[0] if words else ""
            name = words[2].lower() if len(words) >= 3 and words[1].lower() == "as" else ""
            stages.append((name, base.lower(), [instruction]))
        elif stages:
            stages[-1][2].append(instruction)
        else:
            stages.append(("", "", [instruction]))  # ARG before FROM
    if not stages:
        return []
    chain: list[Instruction] = []
    name, base, body = stages[-1]
    seen = {len(stages) - 1}
    chain = body
    while True:
        parent = next(
            (i for i, (n, _, _) in enumerate(stages) if n and n == base and i not in seen), None
        )
        if parent is None:
            return chain
        seen.add(parent)
        _, base, body = stages[parent]
        chain = body + chain


def _commands(script: str, depth: int = 0) -> list[list[str]]:
    """The simple commands of a shell script, as words (split at ;, &&, ||, |)."""
    lexer = shlex.shlex(script, posix=True, punctuation_chars=";&|()")
    lexer.whitespace_split = True
    lexer.commenters = ""
    try:
        tokens = list(lexer)
    except ValueError:
        tokens = script.split()
    commands: list[list[str]] = [[]]
    for token in tokens:
        if token and set(token) <= set(";&|()"):
            commands.append([])
        else:
            commands[-1].append(token)
    result = []
    for words in commands:
        while words and (words[0] in ("sudo", "exec", "command") or "=" in words[0]):
            words = words[1:]
        if not words:
            continue
        shell = os.path.basename(words[0]) in _SHELLS
        if shell and "-c" in words[1:-1] and depth < 3:
            # `sh -c 'groupadd ...'` (the JSON form of RUN often reads so): its script
            result.extend(_commands(words[words.index("-c") + 1], depth + 1))
        else:
            result.append(words)
    return result


def _options(words: list[str], with_value: set[str]) -> tuple[dict[str, str], list[str]]:
    """``--opt value``, ``--opt=value``, ``-o value``, ``-ovalue`` and the positionals."""
    options: dict[str, str] = {}
    positional: list[str] = []
    index = 0
    while index < len(words):
        word = words[index]
        if word.startswith("--") and "=" in word:
            key, value = word.split("=", 1)
            options[key] = value
        elif word in with_value:
            options[word] = words[index + 1] if index + 1 < len(words) else ""
            index += 1
        elif word.startswith("-") and not word.startswith("--") and word[:2] in with_value:
            options[word[:2]] = word[2:]
        elif word.startswith("-"):
            options[word] = ""
        else:
            positional.append(word)
        index += 1
    return options, positional


_GROUPADD_VALUES = {
    "-g",
    "--gid",
    "-K",
    "--key",
    "-p",
    "--password",
    "-R",
    "--root",
    "-P",
    "--prefix",
}
_USERADD_VALUES = {
    "-u", "--uid", "-g", "--gid", "-G", "--groups", "-d", "--home-dir", "--home", "-s",
    "--shell", "-c", "--comment", "-k", "--skel", "-e", "--expiredate", "-f", "--inactive",
    "-K", "--key", "-p", "--password", "-R", "--root", "-P", "--prefix", "-b", "--base-dir",
    "-h", "--ingroup", "--gecos", "--firstuid", "--lastuid", "--firstgid", "--lastgid",
}  # fmt: skip


@dataclass
class Account:
    """A group or user created by a ``RUN``."""

    kind: str  # "group" or "user"
    name: str
    id: str
    group: str  # the user's primary group ("" for a group)
    line: int


def accounts(stage: list[Instruction]) -> list[Account]:
    """The groups and users created by the ``RUN`` instructions of ``stage``."""
    found = []
    for instruction in stage:
        if instruction.keyword != "RUN":
            continue
        as_json = instruction.json_args()
        script = shlex.join(as_json) if as_json is not None else instruction.args
        for words in _commands(script):
            tool = os.path.basename(words[0])
            if tool in ("groupadd", "addgroup"):
                options, positional = _options(words[1:], _GROUPADD_VALUES)
                if len(positional) != 1:
                    continue  # BusyBox `addgroup USER GROUP` adds a member
                gid = options.get("-g", options.get("--gid", ""))
                found.append(Account("group", positional[0], gid, "", instruction.line))
            elif tool in ("useradd", "adduser"):
                options, positional = _options(words[1:], _USERADD_VALUES)
                if not positional:
                    continue
                uid = options.get("-u", options.get("--uid", ""))
                if tool == "useradd":
                    group = options.get("-g", options.get("--gid", ""))
                else:  # Debian: --ingroup/--gid; BusyBox: -G (its -g is the GECOS)
                    group = options.get("--ingroup", options.get("--gid", options.get("-G", "")))
                found.append(Account("user", positional[-1], uid, group, instruction.line))
    return found


def lint(text: str) -> list[Rule]:
    """Every rule's finding for the Dockerfile ``text``."""
    stage = final_stage(parse(text))
    if not stage or stage[0].keyword != "FROM":
        return [Rule("dockerfile", True, "fail", "no FROM instruction: not a Dockerfile")]
    findings = [
        _rule_sources(stage),
        *_rule_accounts(stage),
        _rule_user(stage),
        _rule_entrypoint_cmd(stage),
        _rule_port(stage),
        _rule_healthcheck(stage),
    ]
    return findings


def _rule_sources(stage: list[Instruction]) -> Rule:
    workdir = "/"
    for instruction in stage:
        if instruction.keyword == "WORKDIR":
            target = instruction.args.strip().strip("\"'")
            workdir = os.path.normpath(os.path.join(workdir, target))
        elif instruction.keyword in ("COPY", "ADD"):
            words = [w for w in instruction.words() if not w.startswith("--")]
            if len(words) < 2:
                continue
            dest = os.path.normpath(os.path.join(workdir, words[-1]))
            if dest == "/app" or dest.startswith("/app/"):
                return Rule(
                    "sources.app",
                    True,
                    "pass",
                    f"line {instruction.line}: {instruction.keyword} to {dest}",
                )
    return Rule("sources.app", True, "fail", "nothing is copied to /app (COPY . /app)")


def _rule_accounts(stage: list[Instruction]) -> list[Rule]:
    found = accounts(stage)
    groups = [a for a in found if a.kind == "group" and a.name == APP]
    users = [a for a in found if a.kind == "user" and a.name == APP]
    if not groups:
        group = Rule(
            "group.app",
            True,
            "fail",
            f"no group {APP!r} is created (groupadd --gid {APP_ID} {APP})",
        )
    elif groups[-1].id != APP_ID:
        gid = groups[-1].id or "not set"
        group = Rule(
            "group.app",
            True,
            "fail",
            f"line {groups[-1].line}: group {APP!r} has GID {gid}, expected {APP_ID}",
        )
    else:
        group = Rule("group.app", True, "pass", f"line {groups[-1].line}: GID {APP_ID}")
    if not users:
        user = Rule(
            "user.app",
            True,
            "fail",
            f"no user {APP!r} is created (useradd --uid {APP_ID} --gid {APP} {APP})",
        )
    else:
        last = users[-1]
        problems = []
        if last.id != APP_ID:
            problems.append(f"UID {last.id or 'not set'}, expected {APP_ID}")
        if last.group not in (APP, APP_ID):
            problems.append(f"primary group {last.group or 'not set'}, expected {APP}")
        if problems:
            user = Rule("user.app", True, "fail", f"line {last.line}: " + "; ".join(problems))
        else:
            user = Rule("user.app", True, "pass", f"line {last.line}: UID {APP_ID}, group {APP}")
    return [group, user]


def _rule_user(stage: list[Instruction]) -> Rule:
    users = [i for i in stage if i.keyword == "USER"]
    if not users:
        return Rule("user.switch", True, "fail", f"no USER instruction: runs as root (USER {APP})")
    last = users[-1]
    name, _, group = last.args.strip().partition(":")
    if name in (APP, APP_ID) and group in ("", APP, APP_ID):
        return Rule("user.switch", True, "pass", f"line {last.line}: USER {last.args.strip()}")
    return Rule(
        "user.switch",
        True,
        "fail",
        f"line {last.line}: the last USER is {last.args.strip()!r}, expected {APP}",
    )


def _rule_entrypoint_cmd(stage: list[Instruction]) -> Rule:
    present = {i.keyword: i for i in stage if i.keyword in ("ENTRYPOINT", "CMD")}
    missing = [k for k in ("ENTRYPOINT", "CMD") if k not in present]
    if missing:
        return Rule("entrypoint-cmd", True, "fail", f"no {' and no '.join(missing)}")
    return Rule(
        "entrypoint-cmd",
        True,
        "pass",
        f"ENTRYPOINT line {present['ENTRYPOINT'].line}, CMD line {present['CMD'].line}",
    )


_PORT_REF = re.compile(r"\$(PORT\b|\{PORT[}:\-=?+])")


def _env_values(instruction: Instruction) -> dict[str, str]:
    words = _split(instruction.args)
    if words and "=" not in words[0]:  # legacy `ENV KEY value`
        return {words[0]: " ".join(words[1:])}
    return dict(w.split("=", 1) for w in words if "=" in w)


def _rule_port(stage: list[Instruction]) -> Rule:
    port_default = ""
    env_line = 0
    for instruction in stage:
        if instruction.keyword in ("ENV", "ARG"):
            values = _env_values(instruction)
            if "PORT" in values:
                port_default, env_line = values["PORT"], instruction.line
    used = []
    commands = {i.keyword: i for i in stage if i.keyword in ("ENTRYPOINT", "CMD")}
    entrypoint, cmd = commands.get("ENTRYPOINT"), commands.get("CMD")
    # The container runs ENTRYPOINT's exec form followed by CMD's (a shell form
    # ENTRYPOINT ignores CMD): `$PORT` is expanded only in a shell form, or in the
    # script a shell gets after -c.
    runs: list[tuple[Instruction, list[str] | None]] = []
    if entrypoint is not None:
        runs.append((entrypoint, entrypoint.json_args()))
    if cmd is not None and (entrypoint is None or runs[0][1] is not None):
        runs.append((cmd, cmd.json_args()))
    argv = [word for _, words in runs for word in (words or [])]
    offset = 0
    for instruction, words in runs:
        if not _PORT_REF.search(instruction.args):
            offset += len(words or [])
            continue
        if words is not None:
            script = argv.index("-c") + 1 if "-c" in argv[1:] else -1
            shell = bool(argv) and os.path.basename(argv[0]) in _SHELLS
            literal = [n for n, word in enumerate(words, offset) if _PORT_REF.search(word)]
            if not shell or any(n != script for n in literal):
                return Rule(
                    "port",
                    True,
                    "fail",
                    f"line {instruction.line}: {instruction.keyword} in exec form passes $PORT "
                    "literally (no shell expands it): use the shell form or sh -c",
                )
            offset += len(words)
        used.append(instruction)
    if not port_default and not used:
        return Rule(
            "port",
            True,
            "fail",
            "the port is not taken from $PORT (ENV PORT=8000, and the server listening on ${PORT})",
        )
    exposed = [w for i in stage if i.keyword == "EXPOSE" for w in _split(i.args)]
    exposed_ports = {w.split("/", 1)[0] for w in exposed}
    if port_default.isdigit() and exposed_ports and port_default not in exposed_ports:
        return Rule(
            "port",
            True,
            "fail",
            f"line {env_line}: PORT={port_default}, but EXPOSE says {', '.join(sorted(exposed))}",
        )
    where = []
    if port_default:
        where.append(f"line {env_line}: PORT={port_default}")
    if used:
        where.append(f"${{PORT}} used on line {used[0].line}")
    return Rule("port", True, "pass", "; ".join(where))


def _rule_healthcheck(stage: list[Instruction]) -> Rule:
    checks = [i for i in stage if i.keyword == "HEALTHCHECK"]
    if not checks or checks[-1].args.strip().upper() == "NONE":
        return Rule(
            "healthcheck",
            False,
            "fail",
            'no HEALTHCHECK (HEALTHCHECK CMD ["dockerflow", "probe"])',
        )
    return Rule("healthcheck", False, "pass", f"line {checks[-1].line}")


def run(args: argparse.Namespace) -> int:
    """Lint each path; 0 when every required rule passes in every file."""
    status = EXIT_OK
    reports = []
    for path in args.paths:
        try:
            if path == "-":
                text = sys.stdin.read()
            else:
                with open(path, encoding="utf-8", errors="replace") as fp:
                    text = fp.read()
        except OSError as exc:
            sys.stderr.write(f"dockerflow lint-dockerfile: {path}: {exc.strerror or exc}\n")
            return EXIT_USAGE
        rules = lint(text)
        ok = passed(rules)
        if not ok:
            status = EXIT_FAILED
        if args.json:
            reports.append({"path": path, "passed": ok, "rules": [asdict(r) for r in rules]})
            continue
        sys.stdout.write("\n".join([path, *render(rules, width=15)]) + "\n")
    if args.json:
        sys.stdout.write(json.dumps(reports, indent=2) + "\n")
    return status
