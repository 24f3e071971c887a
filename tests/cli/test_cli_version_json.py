"""``dockerflow version-json``: CI environments (recorded variable sets), flags, atomic
writes, and ``--check`` with the rules of ``dockerflow.version``."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from cli_support import dockerflow

SHA = "52ce614fbf99540a1bf6228e36be6cef63b4d73b"

# The variables each CI sets in a job, as documented by the CI (a subset of the full
# environment: the identifying ones, the ones we read, and neighbours we must not read).
GITHUB_TAG = {
    "CI": "true",
    "GITHUB_ACTIONS": "true",
    "GITHUB_SERVER_URL": "https://github.com",
    "GITHUB_API_URL": "https://api.github.com",
    "GITHUB_REPOSITORY": "mozilla-services/my-app",
    "GITHUB_REPOSITORY_OWNER": "mozilla-services",
    "GITHUB_SHA": SHA,
    "GITHUB_REF": "refs/tags/v2026.11.3",
    "GITHUB_REF_NAME": "v2026.11.3",
    "GITHUB_REF_TYPE": "tag",
    "GITHUB_RUN_ID": "7431234567",
    "GITHUB_RUN_NUMBER": "118",
    "GITHUB_RUN_ATTEMPT": "1",
    "GITHUB_WORKFLOW": "build",
    "GITHUB_EVENT_NAME": "push",
    "RUNNER_OS": "Linux",
}
GITHUB_BRANCH = {
    **GITHUB_TAG,
    "GITHUB_REF": "refs/heads/main",
    "GITHUB_REF_NAME": "main",
    "GITHUB_REF_TYPE": "branch",
}
GITLAB_TAG = {
    "CI": "true",
    "GITLAB_CI": "true",
    "CI_SERVER_URL": "https://gitlab.example.com",
    "CI_PROJECT_URL": "https://gitlab.example.com/group/my-app",
    "CI_PROJECT_PATH": "group/my-app",
    "CI_REPOSITORY_URL": "https://gitlab-ci-token:[MASKED]@gitlab.example.com/group/my-app.git",
    "CI_COMMIT_SHA": SHA,
    "CI_COMMIT_SHORT_SHA": SHA[:8],
    "CI_COMMIT_REF_NAME": "v1.4.0",
    "CI_COMMIT_TAG": "v1.4.0",
    "CI_JOB_ID": "5551212",
    "CI_JOB_URL": "https://gitlab.example.com/group/my-app/-/jobs/5551212",
    "CI_PIPELINE_URL": "https://gitlab.example.com/group/my-app/-/pipelines/991",
}
GITLAB_BRANCH = {k: v for k, v in GITLAB_TAG.items() if k != "CI_COMMIT_TAG"}
GITLAB_BRANCH["CI_COMMIT_REF_NAME"] = "main"
CIRCLECI_TAG = {
    "CI": "true",
    "CIRCLECI": "true",
    "CIRCLE_PROJECT_USERNAME": "mozilla-services",
    "CIRCLE_PROJECT_REPONAME": "my-app",
    "CIRCLE_REPOSITORY_URL": "git@github.com:mozilla-services/my-app.git",
    "CIRCLE_SHA1": SHA,
    "CIRCLE_TAG": "v3.0.1",
    "CIRCLE_BUILD_NUM": "4242",
    "CIRCLE_BUILD_URL": "https://circleci.com/gh/mozilla-services/my-app/4242",
    "CIRCLE_BRANCH": "",
}
CIRCLECI_BRANCH = {k: v for k, v in CIRCLECI_TAG.items() if k != "CIRCLE_TAG"}
CIRCLECI_BRANCH["CIRCLE_BRANCH"] = "main"
BUILDKITE_TAG = {
    "CI": "true",
    "BUILDKITE": "true",
    "BUILDKITE_REPO": "git@github.com:mozilla-services/my-app.git",
    "BUILDKITE_COMMIT": SHA,
    "BUILDKITE_BRANCH": "v0.9.0",
    "BUILDKITE_TAG": "v0.9.0",
    "BUILDKITE_BUILD_NUMBER": "77",
    "BUILDKITE_BUILD_URL": "https://buildkite.com/mozilla/my-app/builds/77",
    "BUILDKITE_PIPELINE_SLUG": "my-app",
}
BUILDKITE_BRANCH = {**BUILDKITE_TAG, "BUILDKITE_TAG": "", "BUILDKITE_BRANCH": "main"}
JENKINS_TAG = {
    "JENKINS_URL": "https://jenkins.example.com/",
    "JENKINS_HOME": "/var/jenkins_home",
    "BUILD_URL": "https://jenkins.example.com/job/my-app/job/v5.1.0/3/",
    "BUILD_NUMBER": "3",
    "JOB_NAME": "my-app/v5.1.0",
    "GIT_URL": "https://deploy:s3cret@git.example.com/mozilla/my-app.git",
    "GIT_COMMIT": SHA,
    "GIT_BRANCH": "v5.1.0",
    "TAG_NAME": "v5.1.0",
}
JENKINS_BRANCH = {k: v for k, v in JENKINS_TAG.items() if k != "TAG_NAME"}
JENKINS_BRANCH["GIT_BRANCH"] = "origin/main"

CASES = {
    "github-tag": (
        GITHUB_TAG,
        "https://github.com/mozilla-services/my-app",
        "v2026.11.3",
        "https://github.com/mozilla-services/my-app/actions/runs/7431234567",
    ),
    "github-branch": (
        GITHUB_BRANCH,
        "https://github.com/mozilla-services/my-app",
        "",
        "https://github.com/mozilla-services/my-app/actions/runs/7431234567",
    ),
    "gitlab-tag": (
        GITLAB_TAG,
        "https://gitlab.example.com/group/my-app",
        "v1.4.0",
        "https://gitlab.example.com/group/my-app/-/jobs/5551212",
    ),
    "gitlab-branch": (
        GITLAB_BRANCH,
        "https://gitlab.example.com/group/my-app",
        "",
        "https://gitlab.example.com/group/my-app/-/jobs/5551212",
    ),
    "circleci-tag": (
        CIRCLECI_TAG,
        "https://github.com/mozilla-services/my-app",
        "v3.0.1",
        "https://circleci.com/gh/mozilla-services/my-app/4242",
    ),
    "circleci-branch": (
        CIRCLECI_BRANCH,
        "https://github.com/mozilla-services/my-app",
        "",
        "https://circleci.com/gh/mozilla-services/my-app/4242",
    ),
    "buildkite-tag": (
        BUILDKITE_TAG,
        "https://github.com/mozilla-services/my-app",
        "v0.9.0",
        "https://buildkite.com/mozilla/my-app/builds/77",
    ),
    "buildkite-branch": (
        BUILDKITE_BRANCH,
        "https://github.com/mozilla-services/my-app",
        "",
        "https://buildkite.com/mozilla/my-app/builds/77",
    ),
    "jenkins-tag": (
        JENKINS_TAG,
        "https://git.example.com/mozilla/my-app",  # the credentials are dropped
        "v5.1.0",
        "https://jenkins.example.com/job/my-app/job/v5.1.0/3/",
    ),
    "jenkins-branch": (
        JENKINS_BRANCH,
        "https://git.example.com/mozilla/my-app",
        "",
        "https://jenkins.example.com/job/my-app/job/v5.1.0/3/",
    ),
}

CI_MARKERS = ("GITHUB_ACTIONS", "GITLAB_CI", "CIRCLECI", "BUILDKITE", "JENKINS_URL")


def clean_env(**values: str) -> dict[str, str]:
    """This process's environment without any CI variable, plus ``values``."""
    prefixes = ("GITHUB_", "CI_", "CIRCLE", "BUILDKITE", "JENKINS_", "GIT_", "RUNNER_")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(prefixes) and k not in {"CI", "GITLAB_CI", "BUILD_URL", "TAG_NAME"}
    }
    env.update(values)
    return env


@pytest.mark.parametrize("case", sorted(CASES))
def test_version_json_from_each_ci(case, tmp_path: Path):
    variables, source, version, build = CASES[case]
    out = tmp_path / "version.json"
    result = dockerflow("version-json", "-o", str(out), env=clean_env(**variables))
    assert result.returncode == 0, result.stderr
    text = out.read_text()
    assert json.loads(text) == {
        "source": source,
        "version": version,
        "commit": SHA,
        "build": build,
    }
    assert list(json.loads(text)) == ["source", "version", "commit", "build"]
    assert stat.S_IMODE(out.stat().st_mode) == 0o644
    assert os.listdir(tmp_path) == ["version.json"]  # no temporary file left behind
    assert dockerflow("version-json", "--check", str(out)).returncode == 0


def test_flags_override_the_environment(tmp_path: Path):
    out = tmp_path / "version.json"
    result = dockerflow(
        "version-json",
        "-o",
        str(out),
        "--version",
        "1.2.3",
        "--build",
        "https://ci.example.com/b/1",
        env=clean_env(**GITHUB_BRANCH),
    )
    assert result.returncode == 0
    assert json.loads(out.read_text()) == {
        "source": "https://github.com/mozilla-services/my-app",
        "version": "1.2.3",
        "commit": SHA,
        "build": "https://ci.example.com/b/1",
    }


def test_without_ci_every_field_comes_from_flags_and_stdout():
    result = dockerflow(
        "version-json",
        "-o",
        "-",
        "--source",
        "https://github.com/o/a",
        "--commit",
        "abc",
        "--build",
        "local",
        env=clean_env(),
    )
    assert result.returncode == 0
    assert json.loads(result.stdout) == {
        "source": "https://github.com/o/a",
        "version": "",
        "commit": "abc",
        "build": "local",
    }


def test_missing_values_name_the_variable_and_write_nothing(tmp_path: Path):
    out = tmp_path / "version.json"
    out.write_text('{"previous": "file"}')
    env = clean_env(**{k: v for k, v in GITHUB_TAG.items() if k != "GITHUB_SHA"})
    result = dockerflow("version-json", "-o", str(out), env=env)
    assert result.returncode == 1
    assert result.stderr == (
        "dockerflow version-json: nothing written: "
        "commit: $GITHUB_SHA is not set (GitHub Actions); pass --commit\n"
    )
    assert out.read_text() == '{"previous": "file"}'
    assert os.listdir(tmp_path) == ["version.json"]

    result = dockerflow("version-json", "-o", str(out), env=clean_env())
    assert result.returncode == 1
    assert "no CI detected (none of " + ", ".join(CI_MARKERS) + " is set)" in result.stderr
    assert "source: pass --source; commit: pass --commit; build: pass --build" in result.stderr

    env = clean_env(**{k: v for k, v in GITLAB_TAG.items() if k != "CI_JOB_URL"})
    result = dockerflow("version-json", "-o", str(out), env=env)
    assert "build: $CI_JOB_URL is not set (GitLab CI); pass --build" in result.stderr


def test_forced_ci_and_buildkite_head(tmp_path: Path):
    env = clean_env(**{**BUILDKITE_BRANCH, "BUILDKITE_COMMIT": "HEAD"})
    result = dockerflow("version-json", "-o", "-", env=env)
    assert result.returncode == 1
    assert "commit: $BUILDKITE_COMMIT is not set (Buildkite)" in result.stderr
    # --ci picks the provider even without its marker variable.
    env = clean_env(**{k: v for k, v in GITLAB_TAG.items() if k != "GITLAB_CI"})
    result = dockerflow("version-json", "--ci", "gitlab", "-o", "-", env=env)
    assert result.returncode == 0
    assert json.loads(result.stdout)["version"] == "v1.4.0"


def test_unwritable_destination(tmp_path: Path):
    result = dockerflow(
        "version-json",
        "-o",
        str(tmp_path / "missing" / "version.json"),
        env=clean_env(**GITHUB_TAG),
    )
    assert result.returncode == 2
    assert result.stderr.startswith("dockerflow version-json: cannot write ")


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (None, "does not exist"),
        ("{not json", "is not valid JSON"),
        ("[1, 2]", "must hold a JSON object, not list"),
        (b"\xff\xfe", "is not valid JSON"),
        ('{"source": "s", "version": "", "commit": "c"}', "no 'build' field"),
        (
            '{"source": "s", "version": 1, "commit": "c", "build": "b"}',
            "'version' must be a string",
        ),
        ('{"source": "", "version": "", "commit": "c", "build": "b"}', "'source' is empty"),
        ("[" * 100000 + "]" * 100000, "is not valid JSON"),
    ],
)
def test_check_reports_why(tmp_path: Path, content, reason):
    path = tmp_path / "version.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    result = dockerflow("version-json", "--check", str(path))
    assert result.returncode == 1
    assert result.stderr.startswith(f"dockerflow version-json: {path}")
    assert reason in result.stderr
    assert "Traceback" not in result.stderr


def test_check_accepts_the_examples_files():
    from cli_support import EXAMPLES

    for path in sorted(EXAMPLES.glob("*/version.json")):
        result = dockerflow("version-json", "--check", str(path))
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith(f"{path}: ok (source=")


@pytest.mark.parametrize(
    ("clone_url", "web_url"),
    [
        ("git@github.com:mozilla/app.git", "https://github.com/mozilla/app"),
        ("ssh://git@gitlab.example.com:2222/group/app.git", "https://gitlab.example.com/group/app"),
        ("https://x-token:abc@github.com/mozilla/app.git", "https://github.com/mozilla/app"),
        ("https://git.example.com:8443/app/", "https://git.example.com:8443/app"),
        ("http://git.internal/app.git", "http://git.internal/app"),
        ("https://github.com/mozilla/app", "https://github.com/mozilla/app"),
    ],
)
def test_source_urls_are_web_addresses_without_credentials(clone_url, web_url):
    from dockerflow.cli._version_json import source_url

    assert source_url(clone_url) == web_url


def test_version_helpers_of_core(tmp_path: Path):
    """The public helpers ``--check`` uses, in dockerflow.version."""
    from dockerflow.version import (
        VERSION_FIELDS,
        VersionFileError,
        get_version,
        read_version_file,
        version_problems,
    )

    assert VERSION_FIELDS == ("source", "version", "commit", "build")
    good = {"source": "s", "version": "", "commit": "c", "build": "b", "extra": 1}
    assert version_problems(good) == []
    assert version_problems([]) == ["must be a JSON object, not list"]
    assert version_problems({"source": "s", "version": "", "commit": " ", "build": 7}) == [
        "'commit' is empty",
        "'build' must be a string, not int",
    ]
    with pytest.raises(VersionFileError, match="does not exist"):
        read_version_file(tmp_path / "version.json")
    assert get_version(tmp_path) is None  # /__version__'s 404
    (tmp_path / "version.json").write_text("[" * 100000)
    with pytest.raises(VersionFileError, match="is not valid JSON"):
        get_version(tmp_path)  # not a RecursionError
