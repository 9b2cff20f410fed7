"""The raw archive: content-addressed, idempotent, atomic."""
from __future__ import annotations

import hashlib

from gateway.store.archive import Archive


def test_store_is_idempotent_and_content_addressed(tmp_path):
    archive = Archive(tmp_path)
    digest = archive.store(b"raw mail")
    assert digest == hashlib.sha256(b"raw mail").hexdigest()
    assert archive.store(b"raw mail") == digest
    assert archive.load(digest) == b"raw mail"
    assert len(list(tmp_path.rglob("*.eml"))) == 1
    assert not list(tmp_path.rglob(".tmp-*"))


def test_blobs_live_apart_from_mail(tmp_path):
    archive = Archive(tmp_path)
    digest = archive.store_blob(b"\x89PNG")
    assert (tmp_path / "attachments" / digest[:2] / digest).read_bytes() == b"\x89PNG"


def test_store_many_writes_each_mail_once_and_leaves_no_temp_files(tmp_path):
    archive = Archive(tmp_path)
    first = archive.store(b"already here")
    digests = archive.store_many([b"one", b"two", b"one", b"already here"])
    assert digests[0] == digests[2] and digests[3] == first
    assert [archive.load(d) for d in digests] == [b"one", b"two", b"one", b"already here"]
    assert len(list(tmp_path.rglob("*.eml"))) == 3
    assert not list(tmp_path.rglob(".tmp-*"))


def test_durable_store_syncs_each_file_before_its_rename_and_the_directories_after(tmp_path, monkeypatch):
    """The order that makes a power loss unable to leave a committed mail without its file."""
    import os
    synced: list[tuple[str, bool]] = []  # (path synced, was a final *.eml present yet)
    real_fsync = os.fsync

    def recording_fsync(fd: int) -> None:
        path = os.readlink(f"/proc/self/fd/{fd}")
        synced.append((path, any(tmp_path.rglob("*.eml"))))
        real_fsync(fd)
    monkeypatch.setattr("gateway.store.archive.os.fsync", recording_fsync)
    digests = Archive(tmp_path).store_many([b"first mail", b"second mail"])
    files = [p for p, _ in synced if "/.tmp-" in p]
    directories = [p for p, _ in synced if "/.tmp-" not in p]
    assert len(files) == 2 and not any(final for p, final in synced if "/.tmp-" in p)
    assert {str(tmp_path / d[:2]) for d in digests} | {str(tmp_path)} == set(directories)
    assert all(final for p, final in synced if "/.tmp-" not in p)


def test_a_copy_that_needs_no_durability_syncs_nothing(tmp_path, monkeypatch):
    calls: list[int] = []
    monkeypatch.setattr("gateway.store.archive.os.fsync", calls.append)
    Archive(tmp_path).store(b"outgoing copy", durable=False)
    assert calls == []
