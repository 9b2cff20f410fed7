"""Attachment file names safe to show, store and put in a Content-Disposition.

Its own small module, apart from parse: the outbox names the customer's files on staff
notices (outbound/files.py) and must not load the mail-parsing libraries for it.
"""
from __future__ import annotations

import re
import unicodedata

FILENAME_MAX = 150  # characters; leaves room under NAME_MAX for a hash prefix
_FILENAME_RESERVED = re.compile(r'[<>:"/\\|?*]')


def safe_filename(name: str, fallback: str = "attachment.bin") -> str:
    """A name safe to show and to store: no directories, controls or hidden dots.

    Format characters are dropped too: a right-to-left override can make
    "invoice\u202etxt.exe" display as "invoiceexe.txt".
    """
    name = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = _FILENAME_RESERVED.sub("_", name).strip(" .")
    if not name:
        return fallback
    if len(name) <= FILENAME_MAX:
        return name
    stem, dot, ext = name.rpartition(".")
    if not dot or len(ext) > 16:
        return name[:FILENAME_MAX]
    return stem[: FILENAME_MAX - len(ext) - 1] + "." + ext
