"""The customer's files on a staff notice: attached from the archive when the row is rendered.

A staff member answering from their mail client must see the receipt or the photo the customer
sent (after an #ask, often the whole point of the reply). The outbox row names the mail that
carried them (`files_of`: its sha256, apply._with_files); the bytes are read from the archive by
their key at send time, never copied into the row's params. The notice carries them up to
`[staff] attach_max_mb` in all, in the order the customer sent them; the rest are listed by name,
type and size with the way to fetch them (the templates' staff footer), so nothing is hidden.
"""
from __future__ import annotations

from dataclasses import dataclass

from gateway.mail.filenames import safe_filename
from gateway.store.archive import Archive
from gateway.store.models import AttachmentRecord, Message

MB = 1024 * 1024


@dataclass(frozen=True)
class StaffFile:
    filename: str  # safe to show and to put in a Content-Disposition (mail/filenames.py)
    content_type: str
    size: int
    sha256: str
    payload: bytes | None  # None: listed, not attached (over the cap, or gone from the archive)

    @property
    def attached(self) -> bool:
        return self.payload is not None


def files_of(message_sha256: str, archive: Archive, cap_mb: float) -> tuple[StaffFile, ...]:
    """The files of the stored mail `message_sha256`, the first ones that fit in `cap_mb` with bytes."""
    records = (AttachmentRecord.select().join(Message).where(Message.sha256 == message_sha256)
               .order_by(AttachmentRecord.id))
    room, found = int(cap_mb * MB), []
    for record in records:
        payload = None
        if record.size <= room:
            try:
                payload = archive.load_blob(record.sha256)
            except OSError:  # purged by retention or lost: listed, the notice still goes out
                payload = None
        if payload is not None:
            room -= len(payload)
        found.append(StaffFile(safe_filename(record.filename), record.content_type or "application/octet-stream",
                               record.size, record.sha256, payload))
    return tuple(found)


def listing(files: tuple[StaffFile, ...]) -> list[dict[str, object]]:
    """The template's view of the files (README: Templates, `files`)."""
    return [{"filename": f.filename, "content_type": f.content_type, "size": f.size,
             "size_label": size_label(f.size), "attached": f.attached} for f in files]


def size_label(size: int) -> str:
    """A size as staff read it: 812 B, 41 KB, 2.3 MB."""
    if size < 1024:
        return f"{size} B"
    if size < MB:
        return f"{size // 1024} KB"
    return f"{size / MB:.1f} MB"
