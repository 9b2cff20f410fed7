"""attribute(): a delivery report counts only for mail we sent, and only for its own recipient."""
from __future__ import annotations

from gateway.mail.bounces import NOTHING, Attributed, Sent, attribute
from gateway.mail.hygiene import Bounce

ACK = Sent("ack-1@shop.test", "Aysel@Example.az")
OTHER = Sent("ack-2@shop.test", "bob@example.org")


def report(ids=("ack-1@shop.test",), recipients=("aysel@example.az",), failed=("aysel@example.az",),
           permanent=True) -> Bounce:
    return Bounce(original_message_ids=tuple(ids), recipients=tuple(recipients), failed=tuple(failed),
                  permanent=permanent, diagnostic="550 5.1.1")


def test_a_failure_of_our_mail_to_that_recipient_counts() -> None:
    assert attribute(report(), (ACK,)) == Attributed(("ack-1@shop.test",), ("aysel@example.az",), True)


def test_no_report_or_no_row_of_ours_changes_nothing() -> None:
    assert attribute(None, (ACK,)) == NOTHING
    assert attribute(report(ids=("stranger@evil.example",)), ()) == NOTHING


def test_a_report_naming_a_victim_on_someone_elses_message_changes_nothing() -> None:
    """Our Message-ID, but to another recipient: the named address is not ours to hold."""
    result = attribute(report(ids=("ack-2@shop.test",)), (OTHER,))
    assert result.failed_ids == () and result.bouncing == () and result.ours


def test_a_delayed_report_fails_nothing_but_is_ours() -> None:
    result = attribute(report(failed=(), permanent=False), (ACK,))
    assert result == Attributed((), (), True)


def test_only_the_failed_recipients_rows_fail() -> None:
    both = report(ids=("ack-1@shop.test", "ack-2@shop.test"), recipients=("aysel@example.az", "bob@example.org"),
                  failed=("bob@example.org",))
    assert attribute(both, (ACK, OTHER)) == Attributed(("ack-2@shop.test",), ("bob@example.org",), True)


def test_a_report_naming_no_recipient_fails_the_rows_it_returns_when_it_reports_a_failure() -> None:
    assert attribute(report(recipients=(), failed=()), (ACK,)).bouncing == ("aysel@example.az",)
    assert attribute(report(recipients=(), failed=(), permanent=False), (ACK,)).failed_ids == ()


def test_a_forwarding_address_failing_counts_through_the_original_recipient() -> None:
    forwarded = report(recipients=("aysel@new.example",), failed=("aysel@new.example", "aysel@example.az"))
    assert attribute(forwarded, (ACK,)).bouncing == ("aysel@example.az",)
