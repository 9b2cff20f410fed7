"""Everything a command needs, built from one Config: the composition root's parts.

`gateway run`, `ingest`, `tick`, `show` all share this, so the daemon and
the one-shot commands can never disagree about where mail is stored or how
it is sent.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import peewee as pw

from gateway.archive import Archive
from gateway.compose import Templates
from gateway.config import Config
from gateway.models import open_database
from gateway.outbox import Outbox
from gateway.pipeline import Pipeline
from gateway.policy import Policy
from gateway.transports import MaildirTransport, SmtpTransport, Transport


@dataclass
class Runtime:
    config: Config
    database: pw.Database
    archive: Archive
    policy: Policy
    templates: Templates
    pipeline: Pipeline
    outbox: Outbox

    @classmethod
    def open(cls, config: Config, policy: Policy | None = None) -> "Runtime":
        database = open_database(config.database_url)
        archive = Archive(config.resolve(config.storage.archive))
        policy = policy or Policy.load(config)
        templates = Templates(policy.templates_dir, config.gateway.default_language)
        pipeline = Pipeline(policy, database, archive)
        outbox = Outbox(policy, database, templates, make_transport(config), archive)
        return cls(config, database, archive, policy, templates, pipeline, outbox)

    def reload(self, config: Config) -> None:
        """Swap rules, templates and calendar (SIGHUP); the database stays."""
        same_detector = config.gateway.language_detection == self.config.gateway.language_detection \
            and config.gateway.languages == self.config.gateway.languages
        policy = Policy.load(config, detector=self.policy.detector if same_detector else None)
        templates = Templates(policy.templates_dir, config.gateway.default_language)
        self.config, self.policy, self.templates = config, policy, templates
        self.pipeline = Pipeline(policy, self.database, self.archive)
        self.outbox = Outbox(policy, self.database, templates, make_transport(config), self.archive)

    def close(self) -> None:
        if not self.database.is_closed():
            self.database.close()


def make_transport(config: Config) -> Transport:
    if config.outbound.transport == "smtp":
        smtp = config.outbound.smtp
        return SmtpTransport(smtp, os.environ.get(smtp.password_env, "") if smtp.password_env else "")
    return MaildirTransport(config.resolve(config.outbound.maildir))
