"""Real peers for the test suite: a private Dovecot, a private PostgreSQL, an SMTP peer.

The design forbids mocks of IMAP/SMTP/PostgreSQL, so tests talk to the real
programs. Each one runs from its own directory under /tmp on free loopback ports
and never touches the system instances (/etc/dovecot, port 5432). The facts this
relies on (uids, directory modes, anvil penalty, pg as root) are in
../shared/SERVERS.md.
"""
from __future__ import annotations

import glob
import os
import select
import shutil
import signal
import smtplib
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Callable, Iterable

from imapclient import IMAPClient

HOST = "127.0.0.1"
START_TIMEOUT = 20.0


def free_port() -> int:
    """A TCP port nobody listens on right now (aiosmtpd cannot take port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def private_dir(prefix: str) -> Path:
    """A temp dir every daemon user can enter: mkdtemp() makes 0700 dirs, which
    Dovecot's unprivileged mail processes and postgres cannot traverse."""
    path = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    path.chmod(0o755)
    return path


def make_self_signed_cert(directory: Path) -> tuple[Path, Path]:
    """cert.pem/key.pem for CN=localhost (SAN localhost and 127.0.0.1), so a client
    may verify either name with the cert itself as its ca_file."""
    directory.mkdir(parents=True, exist_ok=True)
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True)
    key.chmod(0o644)  # Dovecot's config process reads it after dropping privileges
    return cert, key


def server_tls_context(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(cert), str(key))
    return context


def client_tls_context(ca_file: Path) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(ca_file))


def wait_until(predicate: Callable[[], Any], timeout: float, what: str, interval: float = 0.05) -> Any:
    """Poll `predicate` until it returns something truthy; raise with `what` otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


def make_mail(subject: str = "Test", sender: str = "customer@example.test",
              to: str = "care@example.test", body: str = "Hello", message_id: str | None = None) -> bytes:
    """A small well-formed message with a unique Message-ID, as raw bytes."""
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, to, subject
    msg["Message-ID"] = message_id or f"<{uuid.uuid4().hex}@example.test>"
    msg["Date"] = "Mon, 06 Jan 2025 10:00:00 +0000"
    msg.set_content(body)
    return msg.as_bytes()


def _greets(port: int, expected: bytes) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=1) as sock:
            sock.settimeout(2)
            return sock.recv(200).startswith(expected)
    except OSError:
        return False


def _port_closed(port: int) -> bool:
    try:
        socket.create_connection((HOST, port), timeout=0.5).close()
        return False
    except OSError:
        return True


# ---------------------------------------------------------------- Dovecot

DOVECOT_CONF = """\
protocols = imap lmtp
instance_name = {name}
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
listen = 127.0.0.1
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
ssl = yes
ssl_cert = <{d}/tls/cert.pem
ssl_key = <{d}/tls/key.pem
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/passwd.d/%u
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={d}/mail/%d/%n
}}
mail_location = maildir:~/Maildir
namespace inbox {{
  inbox = yes
  separator = /
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps}
  }}
  {chroot}
}}
service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {lmtp}
  }}
}}
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
  {chroot}
}}
service ipc {{
  {chroot}
}}
{unprivileged}
{extra}
"""


@dataclass(frozen=True)
class Account:
    username: str
    password: str


class PrivateDovecot:
    """One Dovecot instance of our own: IMAP, IMAPS and LMTP on free loopback ports.

    `extra_config` is appended to dovecot.conf, e.g. an `imap_capability = ...` line
    to hide IDLE or MOVE and exercise the client's fallbacks.
    """

    def __init__(self, extra_config: str = ""):
        self.dir = private_dir("gw-dovecot-")
        self.imap_port, self.imaps_port, self.lmtp_port = free_port(), free_port(), free_port()
        self.host = HOST
        self.conf = self.dir / "dovecot.conf"
        self.passwd = self.dir / "passwd.d"
        self.accounts: dict[str, str] = {}
        self.process: subprocess.Popen[bytes] | None = None
        self.cert, self.key = make_self_signed_cert(self.dir / "tls")
        self._write_config(extra_config)

    @property
    def ca_file(self) -> Path:
        return self.cert

    @property
    def log(self) -> str:
        path = self.dir / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def _write_config(self, extra: str) -> None:
        for sub in ("run", "state", "mail"):
            (self.dir / sub).mkdir(exist_ok=True)
        self.passwd.mkdir(exist_ok=True)
        root = os.geteuid() == 0
        if root:
            shutil.chown(self.dir / "mail", "nobody", "nogroup")
        uid, gid = (65534, 65534) if root else (os.getuid(), os.getgid())
        user = "" if root else (f"default_internal_user = {_username()}\n"
                                f"default_login_user = {_username()}\n"
                                f"default_internal_group = {_groupname()}")
        self.conf.write_text(DOVECOT_CONF.format(
            d=self.dir, name=self.dir.name, uid=uid, gid=gid, imap=self.imap_port,
            imaps=self.imaps_port, lmtp=self.lmtp_port, extra=extra,
            chroot="" if root else "chroot =", unprivileged=user))
        check = subprocess.run(["dovecot", "-c", str(self.conf), "-n"], capture_output=True, text=True)
        if check.returncode:
            raise RuntimeError(f"bad dovecot config {self.conf}: {check.stderr}")

    def start(self) -> "PrivateDovecot":
        self.process = subprocess.Popen(
            ["dovecot", "-c", str(self.conf), "-F"],
            stdout=subprocess.DEVNULL, stderr=open(self.dir / "stderr.log", "ab"))  # noqa: SIM115 (Dovecot writes to it as long as it runs)
        try:
            wait_until(lambda: self.process.poll() is not None or _greets(self.imap_port, b"* OK"),
                       START_TIMEOUT, "the Dovecot greeting")
        except TimeoutError:
            self.stop()
            raise
        if self.process.poll() is not None:
            raise RuntimeError(f"dovecot exited with {self.process.returncode}:\n{self.log}")
        return self

    def stop(self) -> None:
        """SIGTERM the master, then the children it leaves behind: a stopped master
        lets logged-in imap processes go on serving their connections, which is not
        what a server restart looks like to a client."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        for pid in self._leftover_pids():
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        wait_until(lambda: not self._leftover_pids(), 10, "Dovecot's processes to exit")
        wait_until(lambda: _port_closed(self.imap_port), 10, "Dovecot to release its port")

    def _leftover_pids(self) -> list[int]:
        """Processes of this instance only: Dovecot titles them 'dovecot-<instance_name>/...'."""
        prefix = f"dovecot-{self.dir.name}/".encode()
        pids = []
        for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
            try:
                if cmdline.read_bytes().startswith(prefix) and _alive(int(cmdline.parent.name)):
                    pids.append(int(cmdline.parent.name))
            except OSError:
                continue
        return pids

    def restart(self) -> None:
        """Same dir, ports and mail; every client connection is cut."""
        self.stop()
        self.start()

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> "PrivateDovecot":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------ accounts

    def add_user(self, username: str | None = None, password: str = "secret") -> Account:
        """A new mailbox; a fresh user per test keeps a session-wide server isolated.
        One passwd-file per user: Dovecot stats a shared file at most once a second,
        so a user appended to it may stay unknown for a moment."""
        username = username or f"u{uuid.uuid4().hex[:10]}@example.test"
        self.accounts[username] = password
        (self.passwd / username).write_text(f"{username}:{{PLAIN}}{password}\n")
        return Account(username, password)

    def connect(self, username: str, tls: bool = False) -> IMAPClient:
        """A logged-in client, for tests to look at or change a mailbox directly."""
        if tls:
            client = IMAPClient(HOST, port=self.imaps_port, ssl=True,
                                ssl_context=client_tls_context(self.ca_file), timeout=10)
        else:
            client = IMAPClient(HOST, port=self.imap_port, ssl=False, timeout=10)
        client.login(username, self.accounts[username])
        return client

    def append(self, username: str, raw: bytes, folder: str = "INBOX",
               flags: Iterable[bytes] = ()) -> int:
        """APPEND a message (creating the folder if needed); returns its UID."""
        with self.connect(username) as client:
            if not client.folder_exists(folder):
                client.create_folder(folder)
            response = client.append(folder, raw, flags=tuple(flags))
        text = response.decode() if isinstance(response, bytes) else str(response)
        return int(text.split("APPENDUID", 1)[1].split("]")[0].split()[1])

    def messages(self, username: str, folder: str = "INBOX") -> dict[int, bytes]:
        """UID -> raw bytes of every message in `folder` ({} when it does not exist)."""
        with self.connect(username) as client:
            if not client.folder_exists(folder):
                return {}
            client.select_folder(folder, readonly=True)
            uids = client.search(["ALL"])
            if not uids:
                return {}
            return {uid: data[b"BODY[]"] for uid, data in client.fetch(uids, ["BODY.PEEK[]"]).items()}

    def flags(self, username: str, folder: str = "INBOX") -> dict[int, tuple[bytes, ...]]:
        with self.connect(username) as client:
            client.select_folder(folder, readonly=True)
            uids = client.search(["ALL"])
            return {uid: tuple(flags) for uid, flags in client.get_flags(uids).items()} if uids else {}

    def folders(self, username: str) -> list[str]:
        with self.connect(username) as client:
            return [name for _flags, _sep, name in client.list_folders()]

    def deliver(self, recipient: str, raw: bytes, sender: str = "customer@example.test") -> None:
        """Deliver over LMTP, the way the company's MTA would."""
        with smtplib.LMTP(HOST, self.lmtp_port, timeout=10) as lmtp:
            lmtp.sendmail(sender, [recipient], raw)


def _username() -> str:
    import pwd
    return pwd.getpwuid(os.getuid()).pw_name


def _groupname() -> str:
    import grp
    return grp.getgrgid(os.getgid()).gr_name


class FreezableProxy:
    """A TCP relay in front of a server that can go silent without closing anything,
    like a NAT box that dropped the connection: the only way a client notices is
    its own timeouts. Connections accepted while frozen stay silent too."""

    def __init__(self, upstream_port: int):
        self.upstream_port = upstream_port
        self.frozen = threading.Event()
        self.closed = threading.Event()
        self.listener = socket.create_server((HOST, 0))
        self.port = self.listener.getsockname()[1]
        self.sockets: list[socket.socket] = [self.listener]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.closed.is_set():
            try:
                client, _ = self.listener.accept()
                upstream = socket.create_connection((HOST, self.upstream_port))
            except OSError:
                continue
            self.sockets += [client, upstream]
            for source, target in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        while not self.closed.is_set():
            if self.frozen.is_set() or not select.select([source], [], [], 0.05)[0]:
                time.sleep(0.01)
                continue
            try:
                data = source.recv(65536)
                if not data:
                    target.shutdown(socket.SHUT_WR)
                    return
                target.sendall(data)
            except OSError:
                return

    def close(self) -> None:
        self.closed.set()
        for sock in self.sockets:
            sock.close()


# ---------------------------------------------------------------- PostgreSQL

def postgres_bin() -> Path | None:
    """The newest installed PostgreSQL server binaries (Debian layout), if any."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                        key=lambda p: int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0)
    return Path(candidates[-1]).parent if candidates else None


class PrivatePostgres:
    """A throwaway cluster on a free port; superuser gw/pw, trust nobody else."""

    user, password = "gw", "pw"

    def __init__(self, bindir: Path | None = None):
        found = bindir or postgres_bin()
        if found is None:
            raise RuntimeError("PostgreSQL server binaries not found under /usr/lib/postgresql")
        self.bin = found
        self.dir = private_dir("gw-postgres-")
        self.data = self.dir / "data"
        self.port = free_port()
        self.host = HOST
        (self.dir / "pwfile").write_text(self.password + "\n")
        if os.geteuid() == 0:  # initdb and postgres refuse to run as root
            shutil.chown(self.dir, "postgres", "postgres")
            shutil.chown(self.dir / "pwfile", "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-U", self.user, f"--pwfile={self.dir / 'pwfile'}",
                  "-A", "scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8", "-N")

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bin / program), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode:
            raise RuntimeError(f"{program} failed: {result.stdout}{result.stderr}")

    def start(self) -> "PrivatePostgres":
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.dir / "postgres.log"), "-w", "-t", "30",
                  "-o", f"-p {self.port} -k {self.dir} -c listen_addresses={HOST} -c fsync=off", "start")
        return self

    def _pid(self) -> int | None:
        pidfile = self.data / "postmaster.pid"
        try:
            return int(pidfile.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def stop(self) -> None:
        """Fast shutdown (SIGINT): open sessions are cut, as in a server crash/restart."""
        pid = self._pid()
        if pid is None:
            return
        try:
            os.kill(pid, signal.SIGINT)
        except ProcessLookupError:
            return
        wait_until(lambda: not _alive(pid), 30, "PostgreSQL to stop")

    def restart(self) -> None:
        self.stop()
        self.start()

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> "PrivatePostgres":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def url(self, name: str) -> str:
        return f"postgresql://{self.user}:{self.password}@{HOST}:{self.port}/{name}"

    def create_database(self, name: str | None = None) -> str:
        """A fresh, empty database; returns its URL. A name already taken is dropped first."""
        import psycopg2

        name = name or f"t_{uuid.uuid4().hex[:12]}"
        if not name.replace("_", "").isalnum():
            raise ValueError(f"database name must be alphanumeric/underscore: {name!r}")
        conn = psycopg2.connect(host=HOST, port=self.port, user=self.user, password=self.password,
                                dbname="postgres")
        try:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                cur.execute(f'CREATE DATABASE "{name}"')
        finally:
            conn.close()
        return self.url(name)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie child of ours still answers kill(0); postgres is not our child (pg_ctl forks)
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    except (OSError, IndexError):
        return False


# ---------------------------------------------------------------- SMTP peer

@dataclass(frozen=True)
class ReceivedMail:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes
    login: str | None = None


@dataclass
class _Recorder:
    """The aiosmtpd handler: answers DATA from a script, keeps what it accepted."""

    replies: list[str]
    default_reply: str
    received: list[ReceivedMail] = field(default_factory=list)
    attempts: int = 0
    changed: threading.Condition = field(default_factory=threading.Condition)
    delay: float = 0.0  # seconds before answering DATA: a slow relay keeps the sender's claim in flight

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.delay:
            import asyncio
            await asyncio.sleep(self.delay)
        with self.changed:
            self.attempts += 1
            reply = self.replies.pop(0) if self.replies else self.default_reply
            if reply.startswith("250"):
                login = getattr(session.auth_data, "login", None)
                self.received.append(ReceivedMail(
                    envelope.mail_from, tuple(envelope.rcpt_tos), bytes(envelope.original_content or envelope.content),
                    login.decode() if isinstance(login, bytes) else login))
            self.changed.notify_all()
        return reply


def password_authenticator(username: str, password: str) -> Callable[..., Any]:
    """An aiosmtpd authenticator accepting exactly one PLAIN/LOGIN credential."""
    from aiosmtpd.smtp import AuthResult, LoginPassword

    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login == username.encode()
              and auth_data.password == password.encode())
        return AuthResult(success=ok, handled=False, auth_data=auth_data)

    return authenticate


class SmtpPeer:
    """An SMTP server on loopback that records what it accepts.

    `replies` scripts the answers to successive DATA commands (e.g. ["451 4.3.0 later"]
    then `default_reply` for the rest; default_reply="550 5.7.1 no" rejects all).
    `tls_context` offers STARTTLS, `implicit_tls` serves TLS from the first byte;
    `delay` answers each DATA that many seconds late.
    """

    def __init__(self, replies: Iterable[str] = (), default_reply: str = "250 OK",
                 tls_context: ssl.SSLContext | None = None, require_starttls: bool = False,
                 implicit_tls: bool = False, authenticator: Callable[..., Any] | None = None,
                 auth_required: bool = False, delay: float = 0.0):
        from aiosmtpd.controller import Controller

        self.host, self.port = HOST, free_port()
        self.recorder = _Recorder(list(replies), default_reply, delay=delay)
        kwargs: dict[str, Any] = {"authenticator": authenticator, "auth_required": auth_required,
                                  "auth_require_tls": tls_context is not None}
        if implicit_tls:
            kwargs["ssl_context"] = tls_context
        else:
            kwargs.update(tls_context=tls_context, require_starttls=require_starttls)
        self.controller = Controller(self.recorder, hostname=HOST, port=self.port,
                                     server_hostname="localhost", **kwargs)

    def start(self) -> "SmtpPeer":
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def __enter__(self) -> "SmtpPeer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def messages(self) -> list[ReceivedMail]:
        with self.recorder.changed:
            return list(self.recorder.received)

    @property
    def attempts(self) -> int:
        """DATA commands seen, accepted or not."""
        with self.recorder.changed:
            return self.recorder.attempts

    def wait_for(self, count: int, timeout: float = 10.0) -> list[ReceivedMail]:
        """Block until at least `count` messages were accepted; raise TimeoutError if not."""
        with self.recorder.changed:
            if not self.recorder.changed.wait_for(lambda: len(self.recorder.received) >= count, timeout):
                raise TimeoutError(f"SMTP peer got {len(self.recorder.received)} of {count} messages "
                                   f"within {timeout:.0f}s")
            return list(self.recorder.received)
