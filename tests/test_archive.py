"""The raw archive: content-addressed, idempotent, atomic."""
from __future__ import annotations

import hashlib

from gateway.archive import Archive


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
