"""``dockerflow version-json``: the build's ``version.json``, written in CI.

Each supported CI is described by a :class:`CI`: how to detect it and which of its
documented variables gives each field. ``source`` URLs are normalised to the web
address of the repository (``git@host:org/app.git`` and ``ssh://`` forms become
``https://host/org/app``) and credentials embedded in a clone URL are dropped: they
must never end up served at ``/__version__``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from ..version import VERSION_FIELDS, VersionFileError, read_version_file, version_problems
from . import EXIT_FAILED, EXIT_OK, EXIT_USAGE

Env = Mapping[str, str]
#: A field's value from the environment, and the variable(s) it was looked up in.
Lookup = tuple[str | None, str]


def source_url(url: str) -> str:
    """The web URL of a repository from its clone URL, without credentials.

    >>> source_url("git@github.com:mozilla/app.git")
    'https://github.com/mozilla/app'
    >>> source_url("https://ci:token@gitlab.example.com/group/app.git")
    'https://gitlab.example.com/group/app'
    """
    url = url.strip()
    if "://" not in url and ":" in url and "@" in url.split(":", 1)[0]:
        # scp-like syntax: [user@]host:path
        host, path = url.split(":", 1)
        url = f"ssh://{host}/{path.lstrip('/')}"
    parts = urlsplit(url)
    if not parts.hostname:
        return url
    scheme = "https" if parts.scheme in ("ssh", "git", "git+ssh", "https") else parts.scheme
    netloc = parts.hostname
    if parts.port and parts.scheme in ("http", "https"):
        netloc += f":{parts.port}"
    path = parts.path.rstrip("/")
    if path.endswith(".git"):
        path = path[:-4]
    return urlunsplit((scheme, netloc, path, "", ""))


def _var(env: Env, name: str) -> Lookup:
    value = env.get(name, "").strip()
    return (value or None), name


def _optional_source(env: Env, name: str) -> Lookup:
    value, name = _var(env, name)
    return (source_url(value) if value else None), name


def _github(env: Env) -> dict[str, Lookup]:
    server = env.get("GITHUB_SERVER_URL", "").strip().rstrip("/") or "https://github.com"
    repo, repo_var = _var(env, "GITHUB_REPOSITORY")
    run_id, run_var = _var(env, "GITHUB_RUN_ID")
    ref_type = env.get("GITHUB_REF_TYPE", "")
    ref = env.get("GITHUB_REF", "")
    if ref_type == "tag":
        tag = env.get("GITHUB_REF_NAME", "").strip() or ref.removeprefix("refs/tags/")
    elif not ref_type and ref.startswith("refs/tags/"):
        tag = ref.removeprefix("refs/tags/")
    else:
        tag = ""
    build: str | None = None
    if repo and run_id:
        build = f"{server}/{repo}/actions/runs/{run_id}"
    return {
        "source": (f"{server}/{repo}" if repo else None, repo_var),
        "version": (tag, "GITHUB_REF_TYPE/GITHUB_REF_NAME"),
        "commit": _var(env, "GITHUB_SHA"),
        "build": (build, run_var if repo else repo_var),
    }


def _gitlab(env: Env) -> dict[str, Lookup]:
    return {
        "source": _var(env, "CI_PROJECT_URL"),
        "version": (env.get("CI_COMMIT_TAG", "").strip(), "CI_COMMIT_TAG"),
        "commit": _var(env, "CI_COMMIT_SHA"),
        "build": _var(env, "CI_JOB_URL"),
    }


def _circleci(env: Env) -> dict[str, Lookup]:
    return {
        "source": _optional_source(env, "CIRCLE_REPOSITORY_URL"),
        "version": (env.get("CIRCLE_TAG", "").strip(), "CIRCLE_TAG"),
        "commit": _var(env, "CIRCLE_SHA1"),
        "build": _var(env, "CIRCLE_BUILD_URL"),
    }


def _buildkite(env: Env) -> dict[str, Lookup]:
    commit, name = _var(env, "BUILDKITE_COMMIT")
    if commit == "HEAD":  # a build of whatever the branch's head is: not a commit yet
        commit = None
    return {
        "source": _optional_source(env, "BUILDKITE_REPO"),
        "version": (env.get("BUILDKITE_TAG", "").strip(), "BUILDKITE_TAG"),
        "commit": (commit, name),
        "build": _var(env, "BUILDKITE_BUILD_URL"),
    }


def _jenkins(env: Env) -> dict[str, Lookup]:
    # GIT_URL and GIT_COMMIT come from the Git plugin, TAG_NAME from a multibranch
    # pipeline building a tag.
    return {
        "source": _optional_source(env, "GIT_URL"),
        "version": (env.get("TAG_NAME", "").strip(), "TAG_NAME"),
        "commit": _var(env, "GIT_COMMIT"),
        "build": _var(env, "BUILD_URL"),
    }


@dataclass(frozen=True)
class CI:
    """A CI service: its name, how to detect it, how to read each field."""

    key: str
    name: str
    #: The variable whose presence (with this value, if any) identifies it.
    detect: tuple[str, str | None]
    read: Callable[[Env], dict[str, Lookup]]

    def detected(self, env: Env) -> bool:
        variable, value = self.detect
        found = env.get(variable, "").strip()
        return bool(found) and (value is None or found.lower() == value)


CIS = (
    CI("github", "GitHub Actions", ("GITHUB_ACTIONS", "true"), _github),
    CI("gitlab", "GitLab CI", ("GITLAB_CI", "true"), _gitlab),
    CI("circleci", "CircleCI", ("CIRCLECI", "true"), _circleci),
    CI("buildkite", "Buildkite", ("BUILDKITE", "true"), _buildkite),
    CI("jenkins", "Jenkins", ("JENKINS_URL", None), _jenkins),
)


class MissingValue(Exception):
    """A required field is neither in the environment nor given by its flag."""


def detect_ci(env: Env) -> CI | None:
    """The CI whose marker variable is set in ``env``, or ``None``."""
    return next((ci for ci in CIS if ci.detected(env)), None)


def build_version(
    env: Env, ci_key: str = "auto", overrides: Mapping[str, str | None] | None = None
) -> tuple[dict[str, str], CI | None]:
    """The version object from the CI's variables and the flags in ``overrides``.

    :returns: the object (the four fields, in the spec's order) and the CI used.
    :raises MissingValue: naming the variable looked for, or the flag to pass.
    """
    overrides = overrides or {}
    if ci_key == "auto":
        ci = detect_ci(env)
    elif ci_key == "none":
        ci = None
    else:
        ci = next(ci for ci in CIS if ci.key == ci_key)
    found: dict[str, Lookup] = ci.read(env) if ci else {}
    version: dict[str, str] = {}
    missing: list[str] = []
    for field in VERSION_FIELDS:
        given = overrides.get(field)
        if given is not None:
            version[field] = given
            continue
        value, variable = found.get(field, (None, ""))
        if value is None and field == "version":
            value = ""  # not a tag build: the spec allows an empty version
        if value is None:
            if ci:
                missing.append(f"{field}: ${variable} is not set ({ci.name}); pass --{field}")
            else:
                missing.append(f"{field}: pass --{field}")
            continue
        version[field] = value
    if missing:
        if ci is None and ci_key == "auto":
            markers = ", ".join(ci.detect[0] for ci in CIS)
            missing.insert(0, f"no CI detected (none of {markers} is set)")
        raise MissingValue("; ".join(missing))
    return version, ci


def write_atomically(path: str, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file renamed over it.

    A reader sees the old file or the whole new one, never a part; the file is
    readable by everyone (0644), as a file served by an unprivileged app user must be.
    """
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".version.json.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fp:
            fp.write(text)
            fp.flush()
            os.fsync(fp.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _error(message: str) -> None:
    sys.stderr.write(f"dockerflow version-json: {message}\n")


def check(path: str) -> int:
    """``--check PATH``: 0 when the file is the spec's version object, else 1."""
    try:
        version = read_version_file(path)
    except VersionFileError as exc:
        _error(str(exc))
        return EXIT_FAILED
    problems = version_problems(version)
    if problems:
        _error(f"{path}: " + "; ".join(problems))
        return EXIT_FAILED
    summary = ", ".join(f"{field}={version[field]!r}" for field in VERSION_FIELDS)
    sys.stdout.write(f"{path}: ok ({summary})\n")
    return EXIT_OK


def run(args: argparse.Namespace) -> int:
    """Write the version object, or check a file with ``--check``."""
    if args.check:
        return check(args.check)
    overrides = {
        "source": args.source,
        "version": args.version_,
        "commit": args.commit,
        "build": args.build,
    }
    try:
        version, ci = build_version(os.environ, args.ci, overrides)
    except MissingValue as exc:
        _error(f"nothing written: {exc}")
        return EXIT_FAILED
    problems = version_problems(version)
    if problems:
        _error("nothing written: " + "; ".join(problems))
        return EXIT_FAILED
    text = json.dumps(version, indent=2) + "\n"
    if args.output == "-":
        sys.stdout.write(text)
        return EXIT_OK
    try:
        write_atomically(args.output, text)
    except OSError as exc:
        _error(f"cannot write {args.output}: {exc.strerror or exc}")
        return EXIT_USAGE
    origin = ci.name if ci else "flags"
    sys.stderr.write(f"dockerflow version-json: wrote {args.output} (from {origin})\n")
    return EXIT_OK
