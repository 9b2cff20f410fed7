"""Every message of the shared real-mail corpus through parse() and assess().

The corpus (../shared/corpus/realmail, described by its MANIFEST.tsv) holds
~370 real messages from public test suites: broken MIME, lying charsets,
bounces, auto-replies, list mail. Accuracy figures are printed by
bench/hygiene_accuracy.py; here only what must always hold is asserted.
"""
from __future__ import annotations

from functools import lru_cache

import pytest

from gateway.mail.hygiene import assess, bounce_report
from gateway.mail.parse import Mail, Unprocessable, parse
from realmail import ABSENT, CORPUS, manifest

MUST_BE_AUTOMATIC = frozenset({"autoreply", "bounce", "list"})  # MANIFEST.tsv tag names
OWN = frozenset({"care@example.com"})

if not (CORPUS / "MANIFEST.tsv").is_file():
    pytest.skip(ABSENT, allow_module_level=True)

MANIFEST = manifest()


@lru_cache(maxsize=None)
def outcome(path: str) -> Mail | Unprocessable:
    try:
        return parse((CORPUS / path).read_bytes())
    except Unprocessable as exc:
        return exc


def test_manifest_lists_every_file_in_the_corpus() -> None:
    on_disk = {p.relative_to(CORPUS).as_posix() for p in CORPUS.rglob("*")
               if p.is_file() and p.name not in ("MANIFEST.tsv", "SOURCES.md")}
    assert on_disk == {path for path, _ in MANIFEST}
    assert len(MANIFEST) > 300


@pytest.mark.parametrize("path", [p for p, _ in MANIFEST])
def test_parse_never_raises_anything_but_unprocessable(path: str) -> None:
    result = outcome(path)  # any other exception fails the test here
    if isinstance(result, Unprocessable):
        assert not str(result).startswith("parser error"), f"library/parser failure: {result}"
        return
    assert result.sender and "@" in result.sender
    for value in (result.subject, result.sender_name, *(a.filename for a in result.attachments)):
        assert "\n" not in value and "\r" not in value
    for text in (result.subject, result.text, result.new_text, result.sender_name, result.signature):
        text.encode("utf-8")  # no lone surrogates from undecodable bytes
    assert all(a.filename and "/" not in a.filename and "\\" not in a.filename for a in result.attachments)
    assert all(a.size == len(a.payload) for a in result.attachments)


@pytest.mark.parametrize("path", [p for p, tags in MANIFEST if tags & MUST_BE_AUTOMATIC])
def test_autoreplies_bounces_and_lists_never_look_human(path: str) -> None:
    result = outcome(path)
    if isinstance(result, Unprocessable):
        return  # quarantined: it gets no automatic answer either
    verdict = assess(result, OWN)
    assert verdict.automatic, f"{path}: {verdict}"


@pytest.mark.parametrize("path", [p for p, tags in MANIFEST if "not-bounce" in tags])
def test_negative_bounce_samples_are_not_bounces(path: str) -> None:
    result = outcome(path)
    assert not isinstance(result, Unprocessable)
    assert assess(result, OWN).kind != "bounce"


def test_most_dsn_bounces_yield_a_report() -> None:
    dsn = [p for p, tags in MANIFEST if "multipart/report(delivery-status)" in tags]
    reports = [bounce_report(m, (CORPUS / p).read_bytes()) for p in dsn
               if not isinstance(m := outcome(p), Unprocessable)]
    with_recipient = [r for r in reports if r is not None and r.recipients]
    assert len(with_recipient) >= 0.9 * len(reports)


def test_russian_samples_decode_to_cyrillic() -> None:
    russian = [p for p, tags in MANIFEST if "lang=ru" in tags and tags & {"charset=koi8-r", "charset=windows-1251"}]
    mails = [m for p in russian if not isinstance(m := outcome(p), Unprocessable)]
    assert mails
    for mail in mails:
        sample = mail.subject + mail.text
        if not sample.isascii():  # some samples carry the charset only on empty parts
            assert any("а" <= ch <= "я" for ch in sample.lower()), mail.subject
        assert "\ufffd" not in mail.subject
