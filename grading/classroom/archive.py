"""An LMS download, checked whole before anything is touched.

A zip from Canvas' or Moodle's "download all submissions" can arrive missing (a wrong path),
empty or cut short (the download stopped), as a web page (the LMS sent its login page), or with
a damaged entry (a bad sector, a broken transfer). Extracting it first and failing halfway is
how a collection used to lose the previous one. ``check_zip`` reads every entry to the end, so
zip's own CRC-32 check runs on each, and raises a ``ValueError`` that says which of these it is,
names the damaged entries, and says what to do (download it again).
"""

import zipfile
import zlib
from pathlib import Path

ZIP_MAGIC = b"PK\x03\x04"  # the first bytes of a zip's first entry
CHUNK = 1 << 20


def _entry_error(error: Exception) -> str:
    text = str(error).strip() or type(error).__name__
    if isinstance(error, zlib.error):
        return f"its compressed data is corrupt ({text})"
    if "CRC" in text:
        return "its contents fail the zip's CRC-32 check"
    if isinstance(error, RuntimeError) and "encrypted" in text:
        return "it is encrypted"
    return text


def check_zip(path: Path) -> list[str]:
    """The names of the files in the zip at ``path``, after reading every one of them; a
    ``ValueError`` saying what is wrong with the download otherwise."""
    path = Path(path)
    again = "download it again from the LMS and rerun; nothing was changed"
    if not path.exists():
        raise ValueError(f"zip: {path} does not exist (ZIP= takes the path of the downloaded zip)")
    if not path.is_file():
        raise ValueError(f"zip: {path} is a folder, not the downloaded zip file")
    size = path.stat().st_size
    if size == 0:
        raise ValueError(
            f"zip: {path.name} is empty (0 bytes): the download did not finish; {again}"
        )
    with open(path, "rb") as fh:
        head = fh.read(512)
    if not zipfile.is_zipfile(path):
        if head.startswith(ZIP_MAGIC):
            raise ValueError(
                f"zip: {path.name} is truncated: it starts as a zip but its end (the zip's table "
                f"of contents) is missing after {size} bytes, so the download was cut off; {again}"
            )
        if head.lstrip().lower().startswith((b"<!doctype html", b"<html", b"<?xml", b"<")):
            raise ValueError(
                f"zip: {path.name} is a web page, not a zip: the LMS sent a page (a login or an "
                f"error page) instead of the submissions; {again}"
            )
        raise ValueError(
            f"zip: {path.name} is not a zip file (it starts with {head[:8]!r}); give the zip of "
            "the LMS's download of all submissions"
        )
    damaged, names = [], []
    try:
        with zipfile.ZipFile(path) as zf:
            infos = [info for info in zf.infolist() if not info.is_dir()]
            for info in infos:
                names.append(info.filename)
                try:
                    with zf.open(info) as entry:
                        while entry.read(CHUNK):
                            pass
                except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError) as error:
                    damaged.append(f"{info.filename} ({_entry_error(error)})")
                except NotImplementedError as error:
                    damaged.append(f"{info.filename} ({error})")
    except zipfile.BadZipFile as error:
        raise ValueError(
            f"zip: {path.name} cannot be opened as a zip ({error}); {again}"
        ) from None
    if damaged:
        raise ValueError(
            f"zip: {path.name} is damaged: {len(damaged)} of its {len(infos)} files cannot be "
            f"read: {'; '.join(damaged)}. {again[0].upper()}{again[1:]}"
        )
    if not names:
        raise ValueError(f"zip: {path.name} holds no files; check that it is the right download")
    return names
