"""Which of our own mails a delivery report is about, and which recipients it failed.

A report is believed only as far as it refers to mail we actually sent: its
Message-IDs must be those of our outbox rows, and a failed recipient it names
must be the one that row went to. Anyone can write "Undelivered Mail Returned
to Sender" naming a customer's address; only the delivery system that handled
our mail knows our (random) Message-ID for that address. Pure: the report and
the outbox rows it names in, the verdict out.
"""
from __future__ import annotations

from dataclasses import dataclass

from gateway.mail.hygiene import Bounce


@dataclass(frozen=True)
class Sent:
    """One of our outbox rows a report names."""

    message_id: str
    recipient: str


@dataclass(frozen=True)
class Attributed:
    failed_ids: tuple[str, ...] = ()  # our mails that did not arrive
    bouncing: tuple[str, ...] = ()  # the addresses they were sent to: held from now on
    ours: bool = False  # the report is about mail of ours (even when only delayed)


NOTHING = Attributed()


def attribute(report: Bounce | None, sent: tuple[Sent, ...], returned: tuple[Sent, ...] = ()) -> Attributed:
    """The report's failures restricted to our mails and their own recipients.

    A report naming recipients fails a row only when the row's recipient is among the
    failed ones; a report naming none (some plain-text bounces) fails the rows whose
    Message-ID it returns when it reports a failure at all. `returned`: the rows whose
    VERP return path the report was sent to (gateway.mail.verp): the signed address
    proves which mail and recipient it is about, so a failure it reports fails exactly
    those, whatever recipients it names (a forwarding address, nobody).
    """
    if report is None:
        return NOTHING
    if returned:
        hit = returned if report.permanent else ()
        return Attributed(failed_ids=tuple(dict.fromkeys(row.message_id for row in hit)),
                          bouncing=tuple(dict.fromkeys(row.recipient.lower() for row in hit)), ours=True)
    wanted = set(report.original_message_ids)
    rows = tuple(row for row in sent if row.message_id in wanted)
    failed = {address.lower() for address in report.failed}
    if report.recipients:
        hit = tuple(row for row in rows if row.recipient.lower() in failed)
    else:
        hit = rows if report.permanent else ()
    return Attributed(failed_ids=tuple(dict.fromkeys(row.message_id for row in hit)),
                      bouncing=tuple(dict.fromkeys(row.recipient.lower() for row in hit)),
                      ours=bool(rows))
