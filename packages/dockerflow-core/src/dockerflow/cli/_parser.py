"""The command line of ``dockerflow``: every subcommand's arguments and help.

Kept apart from the subcommands' code so that parsing the command line imports
:mod:`argparse` and nothing else; :func:`dockerflow.cli.main` then imports the one
module that runs (``args.module``).
"""

from __future__ import annotations

import argparse

EXIT_CODES = """\
exit status:
  0  everything passed
  1  failed: the report, or the message on stderr, says why
  2  usage error, or an input that cannot be read
"""

MAIN_EPILOG = (
    """\
examples:
  dockerflow version-json -o /app/version.json      # in CI, before docker build
  dockerflow probe                                  # in HEALTHCHECK
  dockerflow check http://127.0.0.1:8000            # is this service Dockerflow?
  dockerflow lint-dockerfile Dockerfile
  docker logs web | dockerflow logs                 # read mozlog as a person

`dockerflow COMMAND --help` tells more about each command.

"""
    + EXIT_CODES
)

VERSION_JSON_EPILOG = (
    """\
The values come from the CI's environment, detected: GitHub Actions, GitLab CI,
CircleCI, Buildkite, Jenkins. A tag build gives `version` the tag; otherwise it is
empty, as the spec allows. Every field can be set by its flag. A value that is
neither found nor given is an error naming the variable that was looked for: no
file is written then. The file is written atomically (a temporary file renamed
over the target), so a reader never sees half of it.

examples:
  dockerflow version-json                                 # CI detected, /app/version.json
  dockerflow version-json -o version.json --version "$(git describe --tags)"
  dockerflow version-json --ci none --source https://github.com/org/app \\
      --commit "$(git rev-parse HEAD)" --build "$BUILD_URL" -o -   # to stdout
  dockerflow version-json --check /app/version.json       # validate an existing file

"""
    + EXIT_CODES
)

PROBE_EPILOG = (
    """\
Exits 0 when the service answers 2xx, 1 otherwise with one line on stderr saying
why: connection refused, no answer in time, or the status (and, for a heartbeat,
the IDs of the failing checks). Nothing is printed on success. A URL that
cannot be used exits 1 too: Docker reserves 2 in HEALTHCHECK. URL defaults to
http://127.0.0.1:$PORT/__lbheartbeat__ (PORT defaults to 8000); a URL without a
path gets that path too.

examples:
  HEALTHCHECK CMD ["dockerflow", "probe"]                 # in a Dockerfile
  dockerflow probe --heartbeat --timeout 5                # readiness, with the checks
  dockerflow probe http://127.0.0.1:9000/__lbheartbeat__
  # Kubernetes: livenessProbe: {exec: {command: [dockerflow, probe]}}

"""
    + EXIT_CODES
)

CHECK_EPILOG = (
    """\
Checks, rule by rule, what the Dockerflow spec asks of /__version__,
/__heartbeat__ and /__lbheartbeat__; works against any service, whatever its
language. A rule is `required` (the spec's must: a failure makes the exit status
1) or `recommended` (reported, never fails the run).

examples:
  dockerflow check http://127.0.0.1:8000
  dockerflow check --json https://stage.example.com > conformance.json

"""
    + EXIT_CODES
)

LINT_EPILOG = (
    """\
The spec's Dockerfile requirements, checked in the final stage: the sources copied
to /app; a group `app` with GID 10001; a user `app` with UID 10001 in it; `USER
app`; both ENTRYPOINT and CMD; the port taken from $PORT. A HEALTHCHECK is
recommended. Nothing is built: no Docker engine is needed.

examples:
  dockerflow lint-dockerfile                              # ./Dockerfile
  dockerflow lint-dockerfile docker/web/Dockerfile docker/worker/Dockerfile

"""
    + EXIT_CODES
)

LOGS_EPILOG = (
    """\
--pretty (the default): one line per record, coloured by severity on a terminal:
time, severity, type, message, then the other fields; a request.summary reads
`GET /path 200 12ms rid=...`; tracebacks are unfolded; lines that are not JSON go
through unchanged. Control characters in records are escaped, never sent to the
terminal.

--validate: every line must be one mozlog JSON object (Timestamp integer
nanoseconds, Type, Logger, Hostname, EnvVersion, Severity 0-7, Pid, Fields an
object); prints the count and the first failures with their line numbers.

examples:
  docker logs -f web | dockerflow logs
  docker run --rm app | dockerflow logs --validate        # in CI
  dockerflow logs --validate --max-failures 50 < app.log

"""
    + EXIT_CODES
)


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds: {text!r}")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """Return the parser of the ``dockerflow`` command line."""
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog="dockerflow",
        description="Dockerflow tools: version.json for CI, a container probe, spec checks "
        "of a service and a Dockerfile, a mozlog reader.",
        epilog=MAIN_EPILOG,
        formatter_class=formatter,
    )
    # prog given: argparse would otherwise build a help formatter (and import shutil)
    # on every run, which `dockerflow probe` pays for at each HEALTHCHECK.
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", prog="dockerflow")

    p = sub.add_parser(
        "version-json",
        help="write version.json from the CI's environment, or --check one",
        description="Write the Dockerflow version object (source, version, commit, build).",
        epilog=VERSION_JSON_EPILOG,
        formatter_class=formatter,
    )
    p.set_defaults(module="_version_json")
    p.add_argument(
        "-o",
        "--output",
        default="/app/version.json",
        metavar="PATH",
        help="where to write (default: /app/version.json; '-' for stdout)",
    )
    p.add_argument(
        "--ci",
        default="auto",
        choices=["auto", "github", "gitlab", "circleci", "buildkite", "jenkins", "none"],
        help="which CI's variables to read (default: detected)",
    )
    p.add_argument("--source", help="URL of the source repository")
    p.add_argument(
        "--version",
        dest="version_",
        metavar="VERSION",
        help="the release (default: the tag of a tag build, else empty)",
    )
    p.add_argument("--commit", help="the commit hash the image is built from")
    p.add_argument("--build", help="URL of the CI build")
    p.add_argument(
        "--check",
        metavar="PATH",
        help="validate the existing file PATH instead of writing one",
    )

    p = sub.add_parser(
        "probe",
        help="exit 0 when the service answers 2xx (for HEALTHCHECK, exec probes)",
        description="A health probe for images without curl.",
        epilog=PROBE_EPILOG,
        formatter_class=formatter,
    )
    p.set_defaults(module="_probe")
    p.add_argument("url", nargs="?", help="the URL to probe (default: see below)")
    p.add_argument(
        "--heartbeat",
        action="store_true",
        help="probe /__heartbeat__ (the backing services) instead of /__lbheartbeat__",
    )
    p.add_argument(
        "--timeout",
        type=_positive_float,
        default=2.0,
        metavar="SECONDS",
        help="give up after this long, all included (default: 2)",
    )

    p = sub.add_parser(
        "check",
        help="check a running service against the Dockerflow spec",
        description="A conformance report of a running service, rule by rule.",
        epilog=CHECK_EPILOG,
        formatter_class=formatter,
    )
    p.set_defaults(module="_check")
    p.add_argument("url", metavar="URL", help="the service's base URL, e.g. http://127.0.0.1:8000")
    p.add_argument("--json", action="store_true", help="print the report as one JSON object")
    p.add_argument(
        "--timeout",
        type=_positive_float,
        default=10.0,
        metavar="SECONDS",
        help="limit of each request (default: 10)",
    )
    p.add_argument(
        "--samples",
        type=_positive_int,
        default=5,
        metavar="N",
        help="requests to each heartbeat endpoint for the latency comparison (default: 5)",
    )

    p = sub.add_parser(
        "lint-dockerfile",
        help="check a Dockerfile against the spec's requirements",
        description="Check Dockerfiles against the Dockerflow spec, one line per rule.",
        epilog=LINT_EPILOG,
        formatter_class=formatter,
    )
    p.set_defaults(module="_lint")
    p.add_argument(
        "paths",
        nargs="*",
        default=["Dockerfile"],
        metavar="PATH",
        help="the Dockerfiles (default: ./Dockerfile; '-' for stdin)",
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON")

    p = sub.add_parser(
        "logs",
        help="read mozlog JSON on stdin: --pretty (default) or --validate",
        description="Read mozlog JSON log lines on stdin.",
        epilog=LOGS_EPILOG,
        formatter_class=formatter,
    )
    p.set_defaults(module="_logs")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument(
        "--pretty",
        dest="mode",
        action="store_const",
        const="pretty",
        help="one readable line per record (the default)",
    )
    mode.add_argument(
        "--validate",
        dest="mode",
        action="store_const",
        const="validate",
        help="check that every line is one mozlog JSON object",
    )
    p.add_argument(
        "--color",
        choices=["auto", "always", "never"],
        default="auto",
        help="colour by severity (default: auto, on a terminal unless NO_COLOR is set)",
    )
    p.add_argument(
        "--max-failures",
        type=_positive_int,
        default=10,
        metavar="N",
        help="with --validate: how many failures to print (default: 10)",
    )
    return parser
