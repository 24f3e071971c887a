"""version.json loading."""

from __future__ import annotations

import asyncio
import json
import logging
import os

import pytest

from dockerflow.version import VersionFileError, get_version, load_version, load_version_async

VERSION = {"source": "https://github.com/x/y", "version": "1.0", "commit": "abc", "build": "b"}


def test_get_version(tmp_path):
    (tmp_path / "version.json").write_text(json.dumps(VERSION))
    assert get_version(tmp_path) == VERSION
    assert get_version(str(tmp_path)) == VERSION


def test_missing_is_none(tmp_path):
    assert get_version(tmp_path) is None
    assert get_version(tmp_path / "does-not-exist") is None


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"{not json", "not valid JSON"),
        (b"[1, 2]", "JSON object"),
        (b'"text"', "JSON object"),
        (b"\xff\xfe\x00", "not valid JSON"),
        (b"", "not valid JSON"),
    ],
)
def test_malformed_raises_a_clear_error(tmp_path, content, reason):
    (tmp_path / "version.json").write_bytes(content)
    with pytest.raises(VersionFileError, match=reason) as info:
        get_version(tmp_path)
    assert info.value.path == os.path.join(str(tmp_path), "version.json")


def test_directory_instead_of_file(tmp_path):
    (tmp_path / "version.json").mkdir()
    with pytest.raises(VersionFileError, match="directory"):
        get_version(tmp_path)


def test_unreadable(tmp_path):
    # A symlink loop cannot be opened, whoever runs the tests (root included).
    (tmp_path / "version.json").symlink_to(tmp_path / "version.json")
    with pytest.raises(VersionFileError, match="cannot be read"):
        get_version(tmp_path)


def test_load_version_outcomes(tmp_path, caplog):
    assert load_version(get_version, tmp_path)[0] == 404
    (tmp_path / "version.json").write_text(json.dumps(VERSION))
    assert load_version(get_version, tmp_path) == (200, VERSION)
    (tmp_path / "version.json").write_text("{oops")
    caplog.clear()
    status, body = load_version(get_version, tmp_path)
    assert status == 500
    assert "oops" not in json.dumps(body)
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert "not valid JSON" in errors[0].getMessage()

    def broken(root):
        raise RuntimeError("callback bug")

    caplog.clear()
    assert load_version(broken, tmp_path)[0] == 500
    assert len([r for r in caplog.records if r.levelno == logging.ERROR]) == 1
    assert load_version(lambda root: ["not", "a", "dict"], tmp_path)[0] == 500


def test_load_version_async(tmp_path):
    (tmp_path / "version.json").write_text(json.dumps(VERSION))

    async def async_callback(root):
        return {"version": "async"}

    async def main():
        return (
            await load_version_async(get_version, tmp_path),
            await load_version_async(async_callback, tmp_path),
            await load_version_async(lambda root: None, tmp_path),
        )

    sync_result, async_result, missing = asyncio.run(main())
    assert sync_result == (200, VERSION)
    assert async_result == (200, {"version": "async"})
    assert missing[0] == 404
