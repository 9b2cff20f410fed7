"""The peer: Roundup's mail gateway (`roundup-mailgw`, from PyPI), set up to do our job.

Run alone: python3 bench/peer_roundup.py [--fast] FILE.eml...   (one process per message)
           python3 bench/peer_roundup.py [--fast] --mbox FILE    (mbox mode)

A venv under bench/work/roundup-venv gets `roundup`; a `classic` tracker on
sqlite is installed once per hashing variant and copied fresh for each run.
Changes from the shipped tracker, each one needed to do a complaint desk's job:

- schema.py: the Anonymous role gets "Email Access", so mail from unknown
  senders opens issues (classic ships it commented out, against spam);
- [mail] debug = outgoing.mbox: every outgoing mail goes to that file, nothing
  reaches the network; [mail] domain / [tracker] web are required values;
- [nosy] messages_to_author = new: the author of a new issue gets a copy, the
  nearest thing Roundup has to our acknowledgement (shipped: no mail at all);
- [mailgw] convert_htmltotext = dehtml (its built-in converter): shipped
  ("none") it rejects HTML-only mail, and in 2.6.0 the rejection notice itself
  crashes (TypeError deep-copying the config in mailgw.flatten), which in mbox
  mode aborts the whole run.

Hashing: Roundup creates a user with a random PBKDF2 password for every
unknown sender. [main] password_pbkdf2_default_rounds ships as 250000
("shipped"); "fast" sets 1000, the minimum Roundup enforces, so the
comparison is not just the cost of one deliberate hash per new customer.

This module only knows how to set Roundup up and read what it did; bench/run.py
runs and measures the commands it returns.
"""
from __future__ import annotations

import argparse
import mailbox
import re
import shutil
import sqlite3
import subprocess
import sys
import venv
from contextlib import closing
from dataclasses import dataclass
from email.utils import getaddresses
from pathlib import Path

WORK = Path(__file__).resolve().parent / "work"
VENV = WORK / "roundup-venv"
ROUNDS_SETTING = ("main", "password_pbkdf2_default_rounds")
VARIANTS = {"shipped": 250000, "fast": 1000}  # variant -> PBKDF2 rounds for auto-created users
TRACKER_DOMAIN = "tracker.test"
DEBUG_MAIL = "outgoing.mbox"

# (section, key, value) set in config.ini; see the module docstring for why each
SETTINGS = (
    ("tracker", "web", "http://localhost/bench/"),
    ("mail", "domain", TRACKER_DOMAIN),
    ("mail", "host", "localhost"),
    ("mail", "debug", DEBUG_MAIL),
    ("nosy", "messages_to_author", "new"),
    ("mailgw", "convert_htmltotext", "dehtml"),
)
ANONYMOUS_EMAIL = re.compile(r"^#\s*(db\.security\.addPermissionToRole\('Anonymous', 'Email Access'\))", re.M)


@dataclass(frozen=True)
class Reply:
    recipient: str
    message_id: str  # without angle brackets
    in_reply_to: str
    issue: str


def executable(name: str, venv_dir: Path = VENV) -> Path:
    return venv_dir / "bin" / name


def ensure_venv(venv_dir: Path = VENV) -> Path:
    """A venv with roundup from PyPI, built once and reused."""
    if not executable("roundup-mailgw", venv_dir).exists():
        venv.EnvBuilder(with_pip=True, clear=True).create(venv_dir)
        subprocess.run([str(executable("pip", venv_dir)), "install", "--quiet", "roundup"], check=True)
    return venv_dir


def version(venv_dir: Path = VENV) -> str:
    result = subprocess.run([str(executable("roundup-mailgw", venv_dir)), "--version"], capture_output=True,
                            text=True)
    return result.stdout.strip() or result.stderr.strip()


def set_option(text: str, section: str, key: str, value: str) -> str:
    """Set `key` in `[section]` of Roundup's commented config.ini, keeping its comments."""
    start = text.index(f"\n[{section}]\n")
    end = text.find("\n[", start + 1)
    end = len(text) if end < 0 else end
    body, count = re.subn(rf"^#?\s*{re.escape(key)} = .*$", f"{key} = {value}", text[start:end], count=1,
                          flags=re.M)
    if not count:
        raise KeyError(f"roundup config.ini has no [{section}] {key}")
    return text[:start] + body + text[end:]


def template(variant: str, venv_dir: Path = VENV, work: Path = WORK) -> Path:
    """An initialised classic tracker for a hashing variant, built once."""
    home = work / f"roundup-template-{variant}"
    if (home / "db" / "db").exists():
        return home
    shutil.rmtree(home, ignore_errors=True)
    admin = str(executable("roundup-admin", venv_dir))
    subprocess.run([admin, "-i", str(home), "install", "classic", "sqlite"], check=True, capture_output=True)
    schema = home / "schema.py"
    schema.write_text(ANONYMOUS_EMAIL.sub(r"\1", schema.read_text(encoding="utf-8")), encoding="utf-8")
    config = home / "config.ini"
    text = config.read_text(encoding="utf-8")
    for section, key, value in SETTINGS + (ROUNDS_SETTING + (str(VARIANTS[variant]),),):
        text = set_option(text, section, key, value)
    config.write_text(text, encoding="utf-8")
    subprocess.run([admin, "-i", str(home), "initialise", "bench-admin-password"], check=True, capture_output=True)
    return home


def fresh_tracker(variant: str, dest: Path, venv_dir: Path = VENV) -> Path:
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(template(variant, venv_dir), dest)
    return dest


def mbox_command(tracker: Path, mbox_path: Path, venv_dir: Path = VENV) -> list[str]:
    """mbox mode. roundup-mailgw empties the mbox as it goes, so pass a copy."""
    return [str(executable("roundup-mailgw", venv_dir)), str(tracker), "mailbox", str(mbox_path)]


def pipe_command(tracker: Path, venv_dir: Path = VENV) -> list[str]:
    """One process per message, the message on stdin: the MTA pipe."""
    return [str(executable("roundup-mailgw", venv_dir)), str(tracker)]


def containers(tracker: Path) -> dict[str, str]:
    """Message-ID (without brackets) -> issue designator, for every stored message."""
    with closing(sqlite3.connect(tracker / "db" / "db")) as db:
        rows = db.execute("SELECT m._messageid, im.nodeid FROM _msg m "
                          "LEFT JOIN issue_messages im ON im.linkid = m.id WHERE m.__retired__ = 0").fetchall()
    return {(mid or "").strip().strip("<>"): f"issue{issue}" if issue else "" for mid, issue in rows if mid}


def replies(tracker: Path) -> list[Reply]:
    """Every mail Roundup sent (to its debug file)."""
    path = tracker / DEBUG_MAIL
    if not path.exists():
        return []
    box = mailbox.mbox(str(path), create=False)
    try:
        found = []
        for msg in box:
            # the debug file repeats the envelope as "TO:", which get_all also returns
            for address in sorted({address for _, address in getaddresses(msg.get_all("To", []))}):
                found.append(Reply(address.lower(), (msg.get("Message-Id") or "").strip().strip("<>"),
                                   (msg.get("In-Reply-To") or "").strip().strip("<>"),
                                   f"issue{msg.get('X-Roundup-issue-Id', '')}"))
        return found
    finally:
        box.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="feed mail to a fresh Roundup classic tracker")
    parser.add_argument("--fast", action="store_true", help=f"{VARIANTS['fast']} PBKDF2 rounds instead of "
                                                            f"{VARIANTS['shipped']}")
    parser.add_argument("--mbox", type=Path)
    parser.add_argument("--tracker", type=Path, default=WORK / "roundup-tracker")
    parser.add_argument("files", nargs="*", type=Path)
    args = parser.parse_args(argv)
    ensure_venv()
    tracker = fresh_tracker("fast" if args.fast else "shipped", args.tracker)
    if args.mbox:
        copy = tracker / "incoming.mbox"
        shutil.copyfile(args.mbox, copy)
        subprocess.run(mbox_command(tracker, copy), check=False)
    for path in args.files:
        subprocess.run(pipe_command(tracker), input=path.read_bytes(), check=False)
    stored = containers(tracker)
    print(f"{version()}: {len(stored)} messages stored in {len(set(stored.values()) - {''})} issues; "
          f"{len(replies(tracker))} mails sent; tracker {tracker}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
