"""grading.classroom.archive: every way an LMS download goes wrong is told apart before anything
is touched: missing, empty, truncated, a web page, not a zip, a damaged entry (named)."""

import zipfile

import pytest

from grading.classroom.archive import check_zip
from tests.support.zips import damage

NOTEBOOK = b'{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}' * 200


def good_zip(path):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("doejane_1001_5551_a2.ipynb", NOTEBOOK)
        zf.writestr("roerichard_LATE_1002_5552_a2-1.ipynb", NOTEBOOK[::-1])
        zf.writestr("folder/", b"")
    return path


def test_a_good_zip_gives_its_file_names(tmp_path):
    assert check_zip(good_zip(tmp_path / "ok.zip")) == [
        "doejane_1001_5551_a2.ipynb",
        "roerichard_LATE_1002_5552_a2-1.ipynb",
    ]


def test_each_bad_download_has_its_own_message(tmp_path):
    good = good_zip(tmp_path / "ok.zip").read_bytes()
    cases = {
        "missing.zip": (None, r"zip: \S+missing\.zip does not exist"),
        "empty.zip": (b"", r"empty \(0 bytes\): the download did not finish; download it again"),
        "cut.zip": (good[: len(good) // 2], r"is truncated: it starts as a zip but its end"),
        "login.zip": (b"<!DOCTYPE html><html>Log in", r"is a web page, not a zip"),
        "notes.zip": (b"just some text", r"is not a zip file \(it starts with b'just som'\)"),
    }
    for name, (data, message) in cases.items():
        if data is not None:
            (tmp_path / name).write_bytes(data)
        with pytest.raises(ValueError, match=message):
            check_zip(tmp_path / name)


def test_a_damaged_entry_is_named_and_the_others_are_not(tmp_path):
    path = good_zip(tmp_path / "damaged.zip")
    damage(path, "roerichard_LATE_1002_5552_a2-1.ipynb")
    assert zipfile.is_zipfile(path)  # its table of contents is intact: only reading finds it
    with pytest.raises(ValueError) as error:
        check_zip(path)
    message = str(error.value)
    assert message.startswith(
        "zip: damaged.zip is damaged: 1 of its 2 files cannot be read: "
        "roerichard_LATE_1002_5552_a2-1.ipynb ("
    )
    assert "doejane" not in message
    assert message.endswith("Download it again from the LMS and rerun; nothing was changed")


def test_a_stored_entry_with_a_wrong_crc_is_caught(tmp_path):
    path = tmp_path / "stored.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("a.ipynb", NOTEBOOK)
    damage(path, "a.ipynb")
    with pytest.raises(ValueError, match=r"a\.ipynb \(its contents fail the zip's CRC-32 check\)"):
        check_zip(path)
