"""Everything a command needs, built from one Config: the composition root's parts.

`gateway run`, `ingest`, `tick`, `show` all share this, so the daemon and
the one-shot commands can never disagree about where mail is stored or how
it is sent.
"""
from __future__ import annotations

import os
from typing import TYPE_CHECKING

import peewee as pw

from gateway.config import Config
from gateway.desk.policy import Policy
from gateway.mail.language import LanguageDetector
from gateway.outbound.transports import EmlFolderTransport, SmtpTransport, Transport
from gateway.store.archive import Archive
from gateway.store.migrate import open_database
from gateway.store.private import restrict, sqlite_files

if TYPE_CHECKING:
    from gateway.ingest.pipeline import Pipeline
    from gateway.ingest.reader import Reader
    from gateway.outbound.compose import Templates
    from gateway.outbound.outbox import Outbox


class Runtime:
    """The database, archive and policy; the pipeline, templates and outbox are built on
    first use. Each drags in libraries (mail parsing, phone numbers, jinja2) that cost a
    few hundred ms to import, and most one-shot commands need at most one of them: `list`
    and `show` none, `tick` the outbox, the MTA pipe the pipeline."""

    def __init__(self, config: Config, database: pw.Database, archive: Archive, policy: Policy):
        self.config, self.database, self.archive, self.policy = config, database, archive, policy
        self._pipeline: Pipeline | None = None
        self._outbox: Outbox | None = None
        self.reader: Reader | None = None  # the daemon's budgeted reader (gateway/ingest/reader.py); None: in-process

    @classmethod
    def open(cls, config: Config, policy: Policy | None = None,
             detector: LanguageDetector | None = None) -> "Runtime":
        database = open_database(config.database_url)
        restrict(*sqlite_files(config.database_url), config.resolve(config.storage.archive),
                 config.resolve(config.outbound.maildir))  # what a run under a looser umask left open
        return cls(config, database, Archive(config.resolve(config.storage.archive)),
                   policy or Policy.load(config, detector=detector))

    @property
    def pipeline(self) -> Pipeline:
        if self._pipeline is None:
            from gateway.ingest.pipeline import Pipeline as Ingest
            self._pipeline = Ingest(self.policy, self.database, self.archive)
            if self.reader is not None:
                self._pipeline.reader = self.reader
        return self._pipeline

    def use_reader(self, reader: Reader) -> None:
        """Read mail with `reader` from now on (the daemon's budgeted one)."""
        self.reader, self._pipeline = reader, None

    @property
    def outbox(self) -> Outbox:
        if self._outbox is None:
            from gateway.outbound.outbox import Outbox as OutboxWorker  # jinja2 and babel load here
            self._outbox = OutboxWorker(self.policy, self.database, _templates(self.policy),
                                        make_transport(self.config), self.archive)
        return self._outbox

    @property
    def templates(self) -> Templates:
        return self.outbox.templates if self._outbox is not None else _templates(self.policy)

    def reload(self, config: Config) -> None:
        """Swap rules, templates and calendar (SIGHUP); the database stays. A broken
        config raises before anything is swapped, so the old one keeps working."""
        same_detector = config.gateway.language_detection == self.config.gateway.language_detection \
            and config.gateway.languages == self.config.gateway.languages
        policy = Policy.load(config, detector=self.policy.detector if same_detector else None)
        self.config, self.policy = config, policy
        self._pipeline = None
        self._outbox = None

    def close(self) -> None:
        if not self.database.is_closed():
            self.database.close()


def _templates(policy: Policy) -> Templates:
    from gateway.outbound.compose import Templates as Compiled
    return Compiled(policy.templates_dir, policy.config.gateway.default_language)


def make_transport(config: Config) -> Transport:
    if config.outbound.transport == "smtp":
        smtp = config.outbound.smtp
        return SmtpTransport(smtp, os.environ.get(smtp.password_env, "") if smtp.password_env else "")
    return EmlFolderTransport(config.resolve(config.outbound.maildir))
