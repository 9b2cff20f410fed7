"""Outgoing copies stored compactly: the text of each mail we sent, zlib-compressed
against a dictionary of its kind and language.

Why: a year of reminders, escalations and status replies made the rendered text
of outgoing copies most of the database (issue 23: 298 of 456 MB). Each is a
template filled in, so plain zlib saves only about half; the first text of the
same kind and language, used as a preset dictionary, lets zlib refer to the
template's words instead of repeating them (measured on a deadline wave with a
real text as dictionary: 1.4 KB
of text became 52 bytes). The dictionary is the template rendered with the
fictional sample data of `gateway preview` (never a real mail: a dictionary
outlives every purge, so it must hold nobody's data). It is stored once, in
`text_dictionary`, and never changes, so every copy packed with it can be read back as long as the
database lives; an edited template only compresses less well against it.

A packed value is 4 bytes of dictionary id (big-endian) and the zlib stream.
The exact bytes sent stay in the archive as before; this text is what `show`
and the export print.
"""
from __future__ import annotations

import struct
import threading
import weakref
import zlib
from typing import Callable

import peewee as pw

from gateway.store.models import Message, TextDictionary, utcnow

MAX_DICTIONARY = 32 * 1024  # zlib uses at most the last 32 KB of a preset dictionary
_HEADER = struct.Struct(">I")


def pack(text: str, dictionary_id: int, dictionary: bytes) -> bytes:
    """Pure: the packed form of `text` against `dictionary` (id 0: no dictionary)."""
    compressor = zlib.compressobj(9, zdict=dictionary) if dictionary else zlib.compressobj(9)
    return _HEADER.pack(dictionary_id) + compressor.compress(text.encode("utf-8")) + compressor.flush()


def dictionary_id_of(packed: bytes) -> int:
    return _HEADER.unpack_from(packed)[0]


def unpack(packed: bytes, dictionary: bytes) -> str:
    """Pure: the text `pack` was given."""
    body = bytes(packed[_HEADER.size:])
    decompressor = zlib.decompressobj(zdict=dictionary) if dictionary else zlib.decompressobj()
    return (decompressor.decompress(body) + decompressor.flush()).decode("utf-8")


class Packer:
    """Packs and unpacks outgoing copies; each database's dictionaries are read once per process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._caches: weakref.WeakKeyDictionary[pw.Database, _Cache] = weakref.WeakKeyDictionary()

    def pack(self, kind: str, language: str, text: str, sample: Callable[[], str]) -> bytes:
        """Call inside the write transaction that stores the copy. `sample()` renders the
        template with fictional data; the first time a kind and language is packed it
        becomes their dictionary (another process racing us may win; then theirs)."""
        if not text:
            return pack("", 0, b"")
        dictionary_id = self._dictionary_for(kind[:32], language[:8], sample)
        return pack(text, dictionary_id, self._dictionary(dictionary_id))

    def text(self, message: Message) -> str:
        """A stored message's text: plain for mail that came in, unpacked for our copies."""
        packed = message.packed
        if not packed:
            return message.text
        packed = bytes(packed)
        return unpack(packed, self._dictionary(dictionary_id_of(packed)))

    def _cache(self) -> "_Cache":
        database = _database()
        with self._lock:
            cache = self._caches.get(database)
            if cache is None:
                cache = self._caches[database] = _Cache()
            return cache

    def _dictionary_for(self, kind: str, language: str, sample: Callable[[], str]) -> int:
        cache = self._cache()
        known = cache.by_kind.get((kind, language))
        if known is not None:
            return known
        data = sample().encode("utf-8")[-MAX_DICTIONARY:]
        if not data:
            cache.by_kind[(kind, language)] = 0
            return 0
        TextDictionary.insert(kind=kind, language=language, data=data, created_at=utcnow()) \
            .on_conflict_ignore().execute()
        row = TextDictionary.get((TextDictionary.kind == kind) & (TextDictionary.language == language))
        cache.by_id[row.id] = bytes(row.data)
        cache.by_kind[(kind, language)] = row.id
        return row.id

    def _dictionary(self, dictionary_id: int) -> bytes:
        if not dictionary_id:
            return b""
        cache = self._cache()
        found = cache.by_id.get(dictionary_id)
        if found is None:
            found = cache.by_id[dictionary_id] = bytes(TextDictionary.get_by_id(dictionary_id).data)
        return found


class _Cache:
    def __init__(self) -> None:
        self.by_id: dict[int, bytes] = {}
        self.by_kind: dict[tuple[str, str], int] = {}


def _database() -> pw.Database:
    database = Message._meta.database
    return database.obj if isinstance(database, pw.DatabaseProxy) else database


PACKER = Packer()


def message_text(message: Message) -> str:
    return PACKER.text(message)


def pack_existing(database: pw.Database, batch: int = 500) -> int:
    """Migration: pack the plain text of outgoing copies stored before packing; the rows packed."""
    done = 0
    while True:
        rows = list(Message.select(Message.id, Message.kind, Message.text)
                    .where((Message.direction == "out") & Message.packed.is_null() & (Message.text != ""))
                    .limit(batch))
        if not rows:
            return done
        for row in rows:  # no template at hand here: plain zlib (a real text must not become a dictionary)
            Message.update(packed=pack(row.text, 0, b""), text="").where(Message.id == row.id).execute()
        done += len(rows)
