"""Smoke tests of the real-server fixtures the rest of the suite stands on."""
from __future__ import annotations

import smtplib

import pytest

from servers import SmtpPeer, client_tls_context, make_mail, password_authenticator, server_tls_context


def test_dovecot_append_list_fetch_and_restart_keeps_mail(dovecot):
    account = dovecot.add_user()
    raw = make_mail(subject="hello dovecot")
    uid = dovecot.append(account.username, raw)
    dovecot.append(account.username, make_mail(), folder="Archive")

    assert dovecot.messages(account.username) == {uid: raw.replace(b"\n", b"\r\n")}
    assert {"INBOX", "Archive"} <= set(dovecot.folders(account.username))

    dovecot.restart()
    assert list(dovecot.messages(account.username)) == [uid]


def test_dovecot_lmtp_delivery_and_tls_login(dovecot):
    account = dovecot.add_user()
    dovecot.deliver(account.username, make_mail(subject="via lmtp"))
    with dovecot.connect(account.username, tls=True) as client:
        client.select_folder("INBOX", readonly=True)
        assert len(client.search(["SUBJECT", "via lmtp"])) == 1


def test_postgres_fresh_database_survives_restart(postgres):
    import psycopg2

    url = postgres.create_database("smoke")
    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE t (x int); INSERT INTO t VALUES (42)")
    conn.close()

    postgres.restart()
    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cur:
        cur.execute("SELECT x FROM t")
        assert cur.fetchall() == [(42,)]
    conn.close()
    assert postgres.create_database("smoke") == url  # recreated empty
    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_tables WHERE tablename = 't'")
        assert cur.fetchone() == (0,)
    conn.close()


def test_smtp_peer_records_accepted_mail(smtp_peer):
    with smtplib.SMTP(smtp_peer.host, smtp_peer.port, timeout=10) as client:
        client.sendmail("a@example.test", ["b@example.test"], make_mail(subject="peer"))
    [mail] = smtp_peer.wait_for(1)
    assert mail.rcpt_tos == ("b@example.test",)
    assert b"Subject: peer" in mail.data


def test_smtp_peer_scripted_replies(smtp_peer_factory):
    peer = smtp_peer_factory(replies=["451 4.3.0 try later"], default_reply="250 OK")
    with smtplib.SMTP(peer.host, peer.port, timeout=10) as client:
        with pytest.raises(smtplib.SMTPDataError) as refused:
            client.sendmail("a@example.test", ["b@example.test"], make_mail())
        assert refused.value.smtp_code == 451
        client.sendmail("a@example.test", ["b@example.test"], make_mail())
    assert peer.attempts == 2 and len(peer.messages) == 1

    always = smtp_peer_factory(default_reply="550 5.7.1 no")
    with smtplib.SMTP(always.host, always.port, timeout=10) as client:
        with pytest.raises(smtplib.SMTPDataError):
            client.sendmail("a@example.test", ["b@example.test"], make_mail())
    assert always.messages == []


def test_smtp_peer_starttls_with_auth(smtp_peer_factory, tls_cert):
    cert, key = tls_cert
    peer = smtp_peer_factory(tls_context=server_tls_context(cert, key), require_starttls=True,
                             authenticator=password_authenticator("relay", "s3cret"), auth_required=True)
    with smtplib.SMTP(peer.host, peer.port, timeout=10) as client:
        client.starttls(context=client_tls_context(cert))
        with pytest.raises(smtplib.SMTPAuthenticationError):
            client.login("relay", "wrong")
        client.login("relay", "s3cret")
        client.sendmail("a@example.test", ["b@example.test"], make_mail())
    assert [m.login for m in peer.wait_for(1)] == ["relay"]


def test_smtp_peer_implicit_tls(tls_cert):
    cert, key = tls_cert
    with SmtpPeer(tls_context=server_tls_context(cert, key), implicit_tls=True) as peer:
        with smtplib.SMTP_SSL(peer.host, peer.port, timeout=10, context=client_tls_context(cert)) as client:
            client.sendmail("a@example.test", ["b@example.test"], make_mail())
        assert len(peer.wait_for(1)) == 1
