"""Zips like an LMS's "download all submissions", and the damage a bad transfer does to one."""

import zipfile
from pathlib import Path

LOCAL_HEADER = 30  # bytes of a zip entry's local header before its name and extra field


def make_zip(path: Path, entries) -> Path:
    """``entries``: [(name, bytes, the submission time as a datetime)], deflated as Canvas and
    Moodle do, each file's time the submission time."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data, when in entries:
            info = zipfile.ZipInfo(name, date_time=when.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return Path(path)


def damage(path: Path, entry: str) -> Path:
    """Flip a byte in the middle of ``entry``'s stored data, as a bad transfer would: the zip
    still opens and lists every file, only reading that one fails."""
    path = Path(path)
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(entry)
    data = bytearray(path.read_bytes())
    start = info.header_offset + LOCAL_HEADER + len(info.filename.encode()) + len(info.extra)
    data[start + info.compress_size // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    return path
