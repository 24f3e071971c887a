"""``dockerflow lint-dockerfile``: the spec's Dockerfile rules, on written Dockerfiles."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_support import EXAMPLES, dockerflow

GOOD = """\
# syntax=docker/dockerfile:1
FROM python:3.12-slim AS build
RUN pip wheel --wheel-dir /wheels gunicorn

FROM python:3.12-slim
ENV PORT=8000 \\
    PYTHONUNBUFFERED=1
RUN groupadd --gid 10001 app && \\
    # a comment inside the continued line
    useradd --uid 10001 --gid app --home-dir /app --no-create-home app
WORKDIR /app
COPY --from=build /wheels /wheels
COPY --chown=app:app . .
USER app
EXPOSE 8000
HEALTHCHECK CMD ["dockerflow", "probe"]
ENTRYPOINT ["/app/bin/run.sh"]
CMD ["web"]
"""

ALPINE = """\
FROM python:3.12-alpine
RUN addgroup -g 10001 -S app && adduser -u 10001 -G app -S -D -H -g "App user" app
ADD ["src/", "/app/src/"]
USER 10001:10001
ENTRYPOINT ["sh", "-c"]
CMD ["exec gunicorn --bind 0.0.0.0:${PORT:-8000} app:app"]
"""

EXEC_FORM_RUN = """\
FROM debian:12-slim
RUN ["/bin/sh", "-c", "set -eu; groupadd -g 10001 app; useradd -u 10001 -g app app"]
WORKDIR /app
COPY src/ ./src/
USER app:app
ENTRYPOINT ["/bin/sh", "-c", "exec ./src/run --port ${PORT:-8000}"]
CMD ["web"]
"""

ESCAPE_BACKTICK = """\
# escape=`
FROM mcr.microsoft.com/python
RUN groupadd -g10001 app `
    && useradd -u 10001 -g 10001 app
COPY . /app
USER app
ENV PORT 8000
ENTRYPOINT ["/app/run.sh"]
CMD ["web"]
"""


def lint(tmp_path: Path, text: str) -> tuple[int, dict[str, dict[str, object]]]:
    path = tmp_path / "Dockerfile"
    path.write_text(text)
    result = dockerflow("lint-dockerfile", "--json", str(path))
    assert result.stderr == ""
    [report] = json.loads(result.stdout)
    assert report["passed"] is (result.returncode == 0)
    return result.returncode, {rule["id"]: rule for rule in report["rules"]}


@pytest.mark.parametrize(
    "text",
    [GOOD, ALPINE, EXEC_FORM_RUN, ESCAPE_BACKTICK],
    ids=["debian", "alpine", "exec-form", "escape"],
)
def test_conforming_dockerfiles_pass(tmp_path: Path, text: str):
    status, rules = lint(tmp_path, text)
    failed = {k: v for k, v in rules.items() if v["result"] != "pass" and v["required"]}
    assert (status, failed) == (0, {})


def test_human_output_one_line_per_rule(tmp_path: Path):
    path = tmp_path / "Dockerfile"
    path.write_text(GOOD)
    result = dockerflow("lint-dockerfile", str(path))
    assert result.returncode == 0
    assert result.stdout.splitlines() == [
        str(path),
        "PASS  sources.app     required     line 13: COPY to /app",
        "PASS  group.app       required     line 8: GID 10001",
        "PASS  user.app        required     line 8: UID 10001, group app",
        "PASS  user.switch     required     line 14: USER app",
        "PASS  entrypoint-cmd  required     ENTRYPOINT line 17, CMD line 18",
        "PASS  port            required     line 6: PORT=8000",
        "PASS  healthcheck     recommended  line 16",
    ]


@pytest.mark.parametrize(
    ("change", "rule", "detail"),
    [
        (("COPY --chown=app:app . .", "COPY . /srv"), "sources.app", "nothing is copied to /app"),
        (("groupadd --gid 10001 app", "groupadd app"), "group.app", "GID not set, expected 10001"),
        (("--uid 10001 --gid app", "--uid 1000 --gid app"), "user.app", "UID 1000, expected 10001"),
        (("--uid 10001 --gid app", "--uid 10001"), "user.app", "primary group not set"),
        (("USER app", "USER root"), "user.switch", "the last USER is 'root'"),
        (("USER app\n", ""), "user.switch", "no USER instruction"),
        (('ENTRYPOINT ["/app/bin/run.sh"]\n', ""), "entrypoint-cmd", "no ENTRYPOINT"),
        (('CMD ["web"]\n', ""), "entrypoint-cmd", "no CMD"),
        (
            ("ENV PORT=8000 \\\n    PYTHONUNBUFFERED=1", "ENV PYTHONUNBUFFERED=1"),
            "port",
            "not taken from $PORT",
        ),
        (("EXPOSE 8000", "EXPOSE 8080"), "port", "PORT=8000, but EXPOSE says 8080"),
    ],
)
def test_each_rule_fails_by_name(tmp_path: Path, change, rule, detail):
    old, new = change
    assert old in GOOD
    status, rules = lint(tmp_path, GOOD.replace(old, new))
    assert status == 1
    assert rules[rule]["result"] == "fail"
    assert detail in rules[rule]["detail"]
    others = {k for k, v in rules.items() if v["result"] == "fail" and k != rule}
    assert others == set()


def test_healthcheck_is_recommended_only(tmp_path: Path):
    status, rules = lint(tmp_path, GOOD.replace('HEALTHCHECK CMD ["dockerflow", "probe"]\n', ""))
    assert status == 0
    assert rules["healthcheck"] == {
        "id": "healthcheck",
        "required": False,
        "result": "fail",
        "detail": 'no HEALTHCHECK (HEALTHCHECK CMD ["dockerflow", "probe"])',
    }


def test_only_the_final_stage_counts(tmp_path: Path):
    text = GOOD.replace("FROM python:3.12-slim\nENV", "FROM python:3.12-slim\nUSER nobody\nENV")
    text += "\nFROM scratch\nCOPY --from=build /wheels /wheels\n"
    status, rules = lint(tmp_path, text)
    assert status == 1
    assert rules["user.switch"]["detail"] == "no USER instruction: runs as root (USER app)"


def test_final_stage_built_on_an_earlier_one(tmp_path: Path):
    base, _, final = GOOD.partition("USER app\n")
    text = base.replace("FROM python:3.12-slim\n", "FROM python:3.12-slim AS base\n", 1)
    text = text.replace("FROM python:3.12-slim AS build", "FROM python:3.12-slim AS build", 1)
    text += "\nFROM base\nUSER app\n" + final
    status, rules = lint(tmp_path, text)
    assert status == 0, rules


def test_unreadable_and_not_a_dockerfile(tmp_path: Path):
    result = dockerflow("lint-dockerfile", str(tmp_path / "nope"))
    assert result.returncode == 2
    assert "No such file or directory" in result.stderr
    path = tmp_path / "Dockerfile"
    path.write_bytes(b"\x00\xff garbage 'unbalanced\n\\")
    result = dockerflow("lint-dockerfile", str(path))
    assert result.returncode == 1
    assert "no FROM instruction" in result.stdout
    assert "Traceback" not in result.stderr


def test_port_in_exec_form_is_not_expanded(tmp_path: Path):
    """``CMD ["gunicorn", "--bind", "0.0.0.0:$PORT"]`` passes "$PORT" as is: caught."""
    text = GOOD.replace('CMD ["web"]', 'CMD ["gunicorn", "--bind", "0.0.0.0:$PORT"]')
    status, rules = lint(tmp_path, text)
    assert status == 1
    assert rules["port"]["detail"] == (
        "line 18: CMD in exec form passes $PORT literally (no shell expands it): "
        "use the shell form or sh -c"
    )
    shell_form = GOOD.replace('CMD ["web"]', "CMD gunicorn --bind 0.0.0.0:$PORT")
    status, rules = lint(tmp_path, shell_form)
    assert (status, rules["port"]["result"]) == (0, "pass")


EXAMPLE_DOCKERFILES = sorted(EXAMPLES.glob("*/Dockerfile"))


def test_every_example_has_a_dockerfile():
    names = {path.parent.name for path in EXAMPLE_DOCKERFILES}
    assert names >= {"django", "flask", "sanic"}
    assert names == {
        p.name for p in EXAMPLES.iterdir() if p.is_dir() and not p.name.startswith(".")
    }


@pytest.mark.parametrize("path", EXAMPLE_DOCKERFILES, ids=lambda p: p.parent.name)
def test_every_example_dockerfile_passes(path: Path):
    """Each example's Dockerfile follows the spec, HEALTHCHECK with ``dockerflow probe``."""
    result = dockerflow("lint-dockerfile", "--json", str(path))
    assert result.returncode == 0, result.stdout
    [report] = json.loads(result.stdout)
    assert {rule["id"]: rule["result"] for rule in report["rules"]} == {
        "sources.app": "pass",
        "group.app": "pass",
        "user.app": "pass",
        "user.switch": "pass",
        "entrypoint-cmd": "pass",
        "port": "pass",
        "healthcheck": "pass",
    }
    from dockerflow.cli._lint import final_stage, parse

    [healthcheck] = [i for i in final_stage(parse(path.read_text())) if i.keyword == "HEALTHCHECK"]
    assert healthcheck.args.endswith('CMD ["dockerflow", "probe"]'), healthcheck.args
