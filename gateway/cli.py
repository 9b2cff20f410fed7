"""The `gateway` command. Contracts (ARCHITECTURE.md) other tools rely on:

    gateway [--config PATH] run
    gateway [--config PATH] web
    gateway [--config PATH] ingest [--now ISO8601] [FILE ...]
    gateway [--config PATH] import [--now ISO8601] [--notify] PATH
    gateway [--config PATH] deliver [--config PATH]   (MTA pipe: spool stdin, exit 0 or 75, or 65 when far too large)
    gateway [--config PATH] tick [--now ISO8601]
    gateway [--config PATH] show TRACKING --json
    gateway [--config PATH] list [--status S] [--overdue] --json
    gateway [--config PATH] check
    gateway [--config PATH] migrate
    gateway [--config PATH] quarantine list | retry ID|--all
    gateway [--config PATH] outbox list [--failed|--queued] [--json] | retry ID|--failed [--now ISO8601]
    gateway [--config PATH] status [--json]
    gateway [--config PATH] report [--since --until] [--format text|csv|html] [--output FILE]
    gateway [--config PATH] export --customer ADDRESS [--output FILE]
    gateway [--config PATH] purge [--now ISO8601] [--days N]

Exit codes: 0 success, 1 a problem with the data or the work, 2 bad config or usage;
`ingest` and `deliver` exit 75 (EX_TEMPFAIL) whenever a message was not stored, so an MTA retries it.
"""
from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from gateway import config as config_module
from gateway.config import Config, ConfigError
from gateway.service import logs

if TYPE_CHECKING:
    from gateway.mail.language import LanguageDetector

EX_TEMPFAIL = 75  # sysexits.h: an MTA retries the delivery later
INGEST_BATCH = 50  # files per transaction for `gateway ingest FILE...`


def parse_now(value: str | None) -> datetime:
    if not value:
        return datetime.now(timezone.utc)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--now must be ISO 8601, e.g. 2026-11-23T09:00:00+04:00, not {value!r}")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gateway", description="Customer-care mailbox -> complaint desk")
    parser.add_argument("--config", help=f"config file (default: ${config_module.ENV_VAR} or ./gateway.toml)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="run the daemon until SIGTERM")
    sub.add_parser("web", help="serve the customer portal ([web] listen) until SIGTERM")
    ingest = sub.add_parser("ingest", help="process raw messages from files or stdin (MTA pipe)")
    ingest.add_argument("files", nargs="*", type=Path)
    ingest.add_argument("--now", type=parse_now, default=None)
    sub.add_parser("deliver", help="MTA pipe: write stdin durably into the spool for the daemon (fast)")
    history = sub.add_parser("import", help="store an mbox file or a Maildir of old mail, oldest first, sending nothing")
    history.add_argument("path", type=Path)
    history.add_argument("--now", type=parse_now, default=None, help="the latest date a message may carry")
    history.add_argument("--notify", action="store_true", help="queue acknowledgements and notices as for new mail")
    tick = sub.add_parser("tick", help="run every scheduled job once")
    tick.add_argument("--now", type=parse_now, default=None)
    show = sub.add_parser("show", help="one complaint")
    show.add_argument("tracking")
    show.add_argument("--json", action="store_true")
    listing = sub.add_parser("list", help="complaints (and quarantined mail)")
    listing.add_argument("--status")
    listing.add_argument("--overdue", action="store_true")
    listing.add_argument("--now", type=parse_now, default=None)
    listing.add_argument("--json", action="store_true")
    sub.add_parser("check", help="validate config, rules and templates")
    sub.add_parser("migrate", help="create or upgrade the database schema (also done on start)")
    quarantine = sub.add_parser("quarantine", help="mail that could not be processed")
    qsub = quarantine.add_subparsers(dest="action", required=True)
    qsub.add_parser("list")
    retry = qsub.add_parser("retry")
    retry.add_argument("id", nargs="?", type=int)
    retry.add_argument("--all", action="store_true")
    retry.add_argument("--now", type=parse_now, default=None)
    outbox = sub.add_parser("outbox", help="outgoing mail not sent yet; queue failed mail again after a fix")
    osub = outbox.add_subparsers(dest="action", required=True)
    olist = osub.add_parser("list", help="queued, held and failed mail (default), or one kind of it")
    which = olist.add_mutually_exclusive_group()
    which.add_argument("--failed", dest="view", action="store_const", const="failed")
    which.add_argument("--queued", dest="view", action="store_const", const="queued")
    olist.add_argument("--json", action="store_true")
    oretry = osub.add_parser("retry", help="render again from the stored inputs and queue: one ID, or --failed")
    oretry.add_argument("id", nargs="?", type=int)
    oretry.add_argument("--failed", action="store_true", help="every failed mail")
    oretry.add_argument("--now", type=parse_now, default=None)
    preview = sub.add_parser("preview", help="render a template with sample or real data")
    preview.add_argument("kind")
    preview.add_argument("--lang", default="")
    preview.add_argument("--complaint", default="")
    status = sub.add_parser("status", help="sources, outbox, quarantine, overdue; exit 1 when a source is down")
    status.add_argument("--json", action="store_true")
    status.add_argument("--now", type=parse_now, default=None)
    report = sub.add_parser("report", help="ISO 10002 figures (default: the last 30 days)")
    report.add_argument("--since", help="ISO date or time; without a zone, the business time zone")
    report.add_argument("--until", help="ISO date or time (exclusive); default: now")
    report.add_argument("--format", choices=("text", "csv", "html"), default="text")
    report.add_argument("--output", type=Path)
    export = sub.add_parser("export", help="all data held about one customer as JSON (subject access request)")
    export.add_argument("--customer", required=True, metavar="ADDRESS")
    export.add_argument("--output", type=Path)
    purge = sub.add_parser("purge", help="remove personal data of complaints closed longer ago than [retention]")
    purge.add_argument("--now", type=parse_now, default=None)
    purge.add_argument("--days", type=int, help="override [retention] purge_closed_after_days")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "deliver":  # normally dispatched by gateway.entry before this module loads
        from gateway.service.spool import deliver
        return deliver(args.config)
    from gateway.store.private import narrow_umask
    narrow_umask()  # before anything is written: database, raw mail, outgoing mail, exports
    # The MTA pipe: nothing it hands us may bounce because of a problem on our side (an MTA reads
    # any status but EX_TEMPFAIL as permanent and returns the mail to the customer); it retries.
    cannot_start = EX_TEMPFAIL if args.command == "ingest" else 2
    try:
        config = config_module.load(args.config)
    except ConfigError as exc:
        print(f"gateway: config error: {exc}", file=sys.stderr)
        return cannot_start
    logs.setup(config.logging)
    if args.command == "check":
        from gateway.checks import run_checks
        return run_checks(config)
    if args.command == "migrate":  # needs the database only, not rules or templates
        return cmd_migrate(config, args)
    detector = None
    if args.command in ("run", "web"):
        detector = _warm_detector(config)
    from gateway.service.runtime import Runtime
    try:
        runtime = Runtime.open(config, detector=detector)
    except Exception as exc:  # rules or templates broken, database away: say so, start nothing
        print(f"gateway: cannot start: {type(exc).__name__}: {exc}", file=sys.stderr)
        return cannot_start
    try:
        return COMMANDS[args.command](runtime, args)
    except BrokenPipeError:  # `gateway list --json | head`: the reader has what it wanted
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:  # Ctrl-C: what was committed stays, the rest rolled back; no traceback
        print(f"gateway {args.command}: interrupted", file=sys.stderr)
        return EX_TEMPFAIL if args.command == "ingest" else 130  # ingest's contract: 75 when not stored
    except ConfigError as exc:  # found at start: a listener that cannot bind
        print(f"gateway: config error: {exc}", file=sys.stderr)
        return cannot_start
    except Exception as exc:
        if args.command != "ingest":
            raise
        print(f"gateway: error not stored, retry later: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EX_TEMPFAIL
    finally:
        runtime.close()


def _warm_detector(config: Config) -> LanguageDetector:
    """The daemon's language detector, its models loaded before the rest of the daemon is
    imported: loading them needs ~45 MB of scratch for a moment, and this way that moment
    does not stack on top of everything else (the daemon's peak RSS drops by about as much)."""
    from gateway.mail.language import LanguageDetector
    detector = LanguageDetector.configured(config.gateway.languages, config.gateway.language_detection)
    detector.warm()
    return detector


def cmd_run(runtime, args) -> int:
    from gateway.service.daemon import Daemon
    return Daemon(runtime).run()


def cmd_web(runtime, args) -> int:
    """The portal in this process: waitress's threads, the database shared with `gateway run`."""
    import logging
    import signal

    from waitress import serve

    from gateway.service.web.app import create_app
    app = create_app(runtime)
    runtime.pipeline  # noqa: B018 (the property loads them): parse, rules and language models loaded before the first customer waits for them
    host, port = runtime.config.web.listen.rsplit(":", 1)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    logging.getLogger("gateway.web").info("portal listening", extra={"listen": f"{host}:{port}"})
    serve(app, host=host.strip("[]"), port=int(port), threads=runtime.config.web.threads, ident="")
    return 0


def cmd_migrate(config, args) -> int:
    from gateway.store import migrate
    from gateway.store.migrate import open_database
    try:
        database = open_database(config.database_url, migrate=False)
        applied = migrate.upgrade(database)
        state = migrate.state(database)
    except Exception as exc:
        print(f"gateway: migrate failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    for step in applied:
        print(f"applied {step.version}: {step.name}")
    print(f"schema version {state.version} (latest {state.latest})")
    database.close()
    return 0


def cmd_ingest(runtime, args) -> int:
    """One line per message. Files go INGEST_BATCH to a transaction (a directory of mail is
    stored at batch speed); a database error fails only the messages of its batch.

    Exit 0 when every message was stored (processed, quarantined or a duplicate); 75
    (EX_TEMPFAIL) when one could not be stored (database unreachable or locked, disk full):
    the MTA keeps it and retries; 1 when a FILE named on the command line cannot be read."""
    sources = [(str(p), p.read_bytes) for p in args.files] or [("-", _read_stdin)]
    unreadable = not_stored = 0
    for start in range(0, len(sources), INGEST_BATCH):
        failed = _ingest_batch(runtime, sources[start:start + INGEST_BATCH], args.now)
        unreadable, not_stored = unreadable + failed[0], not_stored + failed[1]
    return EX_TEMPFAIL if not_stored else 1 if unreadable else 0


def _read_stdin() -> bytes:
    try:
        return sys.stdin.buffer.read()
    except OSError as exc:  # the pipe broke: nothing is ours yet, the MTA must try again
        raise _NotStored(exc) from exc


class _NotStored(Exception):
    """Reading the mail failed in a way the sender must retry."""


def _ingest_batch(runtime, sources: list[tuple[str, Callable[[], bytes]]],
                  now: datetime | None) -> tuple[int, int]:
    """Ingest what could be read in one transaction; print a line each;
    return (unreadable files, messages not stored)."""
    names, raws, unreadable, not_stored = [], [], 0, 0
    for name, read in sources:
        try:
            raws.append(read())
            names.append(name)
        except _NotStored as exc:
            not_stored += 1
            print(f"{name}: error not stored, retry later: {exc}", file=sys.stderr)
        except Exception as exc:
            unreadable += 1
            print(f"{name}: error not stored: {type(exc).__name__}: {exc}", file=sys.stderr)
    if not raws:
        return unreadable, not_stored
    try:
        outcomes = runtime.pipeline.ingest_batch(raws, "pipe", now or datetime.now(timezone.utc))
    except Exception as exc:  # database away or locked, disk full, a bug before the commit: nothing kept
        for name in names:
            print(f"{name}: error not stored, retry later: {type(exc).__name__}: {exc}", file=sys.stderr)
        return unreadable, not_stored + len(names)
    for name, outcome in zip(names, outcomes):
        print(f"{name}: {outcome.line()}")
    return unreadable, not_stored


def cmd_import(runtime, args) -> int:
    """Exit 0 when every message was stored; 1 when the source cannot be read; 130 on Ctrl-C
    (SIGINT), after the batch in hand, with one line saying how far it got. An interrupted or
    failed import keeps its committed batches, and running it again adds only the rest."""
    import signal

    from gateway.jobs.importer import run_import
    asked: list[int] = []

    def interrupted(signum, frame) -> None:
        asked.append(signum)
        signal.signal(signal.SIGINT, signal.default_int_handler)  # a second Ctrl-C stops at once
    previous = signal.signal(signal.SIGINT, interrupted)
    try:
        summary = run_import(runtime.pipeline, args.path, args.now or datetime.now(timezone.utc), args.notify,
                             stop=lambda: bool(asked))
    except (ValueError, OSError) as exc:
        print(f"gateway import: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # the second Ctrl-C: the batch in hand was rolled back
        print(f"gateway import: {args.path}: interrupted; what is stored stays: run the same command again "
              "to import the rest", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGINT, previous)
    if summary.stopped:
        print(f"gateway import: {summary.line(args.path)}", file=sys.stderr)
        return 130
    print(summary.line(args.path))
    return 0


def cmd_tick(runtime, args) -> int:
    from gateway.jobs.sweep import sweep
    now = args.now or datetime.now(timezone.utc)
    swept = sweep(runtime.policy, runtime.database, now)
    delivered = runtime.outbox.deliver_due(now)
    print(f"sweep: complaints={swept.complaints} actions={swept.actions}; "
          f"outbox: sent={delivered.sent} retried={delivered.retried} failed={delivered.failed} held={delivered.held}")
    return 0


def cmd_show(runtime, args) -> int:
    from gateway.store.query import complaint_json
    data = complaint_json(args.tracking, runtime.config)
    if data is None:
        print(f"gateway: no complaint {args.tracking}", file=sys.stderr)
        return 1
    print(json.dumps(data, ensure_ascii=False, indent=None if args.json else 2))
    return 0


def cmd_list(runtime, args) -> int:
    from gateway.store.query import list_json
    rows = list_json(status=args.status, overdue=args.overdue, now=args.now or datetime.now(timezone.utc))
    if args.json:
        print(json.dumps(rows, ensure_ascii=False))
    else:
        for row in rows:
            print(f"{row['tracking'] or '-':20} {row['status']:16} {row.get('priority') or '-':7} "
                  f"{(row.get('customer') or {}).get('email', '-')}")
    return 0


def cmd_quarantine(runtime, args) -> int:
    from gateway.store.models import Message
    if args.action == "list":
        for m in Message.select().where(Message.state == "quarantined").order_by(Message.id):
            print(f"{m.id}\t{m.received_at:%Y-%m-%d %H:%M}\t{m.sender or '-'}\t{m.reason}")
        return 0
    if not args.all and args.id is None:
        print("gateway: quarantine retry needs an ID or --all", file=sys.stderr)
        return 2
    query = Message.select().where(Message.state == "quarantined")
    if not args.all:
        query = query.where(Message.id == args.id)
    now = args.now or datetime.now(timezone.utc)
    for message in list(query):
        outcome = runtime.pipeline.retry(message, now)
        print(f"{message.id}: {outcome.line()}")
    return 0


def cmd_outbox(runtime, args) -> int:
    """list: 0. retry: 0 when every row asked for is queued again; 1 when one is not (unknown,
    already sent, its template still broken: each said on stderr); 2 for ID and --failed both or neither.
    --failed takes only rows that failed for a retryable reason (outbox.REQUEUE_RULES); it names the others."""
    from gateway.outbound.outbox import requeue_refusal
    from gateway.store.models import OutgoingMail
    from gateway.store.query import outgoing_json
    if args.action == "list":
        rows = outgoing_json(args.view or "unsent")
        if args.json:
            print(json.dumps(rows, ensure_ascii=False))
            return 0
        for row in rows:  # id, state, template, recipient, complaint, attempts, the error's first line
            print("\t".join([str(row["id"]), row["state"], f"{row['kind']}.{row['language']}", row["recipient"],
                             row["tracking"] or "-", str(row["attempts"]), *(row["error"] or "").splitlines()[:1]]))
        return 0
    if args.failed == (args.id is not None):
        print("gateway: outbox retry needs an ID or --failed", file=sys.stderr)
        return 2
    if args.failed:
        chosen = list(OutgoingMail.select().where(OutgoingMail.state == "failed").order_by(OutgoingMail.id))
    else:
        chosen = list(OutgoingMail.select().where(OutgoingMail.id == args.id))
        if not chosen:
            print(f"gateway: no outgoing mail {args.id}", file=sys.stderr)
            return 1
    now, refused = args.now or datetime.now(timezone.utc), 0
    for mail in chosen:
        left = requeue_refusal(mail, one_by_one=False) if args.failed else ""
        if left:  # not a retryable reason (outbox.REQUEUE_RULES): said, and not an error of this command
            print(f"{mail.id}: left {mail.state}: {left}", file=sys.stderr)
            continue
        problem = runtime.outbox.requeue(mail, now)
        if problem:
            refused += 1
            print(f"{mail.id}: not queued: {problem}", file=sys.stderr)
        else:
            print(f"{mail.id}: queued {mail.kind}.{mail.language} to {mail.recipient}")
    return 1 if refused else 0


def cmd_preview(runtime, args) -> int:
    from gateway.outbound.preview import NoSuchComplaint, preview
    try:
        text = preview(runtime.policy, runtime.templates, args.kind,
                       args.lang or runtime.config.gateway.default_language, args.complaint)
    except NoSuchComplaint as exc:
        raise SystemExit(f"gateway: {exc}") from None
    print(text)
    return 0


def cmd_status(runtime, args) -> int:
    from gateway.service.health import read_health, render_text
    health = read_health(args.now or datetime.now(timezone.utc), runtime.config.metrics.heartbeat_seconds)
    sys.stdout.write(json.dumps(health.as_json(), ensure_ascii=False) + "\n" if args.json else render_text(health))
    return 0 if health.ok else 1


def cmd_report(runtime, args) -> int:
    from gateway.jobs.report import build, last_days
    from gateway.jobs.report_formats import FORMATS
    now = datetime.now(timezone.utc)
    since, until = last_days(now)
    try:
        since = business_time(args.since, runtime.policy.tz) if args.since else since
        until = business_time(args.until, runtime.policy.tz) if args.until else until
    except ValueError as exc:
        print(f"gateway: {exc}", file=sys.stderr)
        return 2
    text = FORMATS[args.format](build(since, until, now, runtime.policy.calendar))
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def business_time(value: str, tz) -> datetime:
    """--since/--until: an ISO date or time; without an offset it is read in the business time zone."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"not an ISO date or time: {value!r} (e.g. 2026-11-01 or 2026-11-01T09:00+04:00)")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)


def cmd_export(runtime, args) -> int:
    from gateway.jobs.retention import export_customer
    data = export_customer(runtime.database, runtime.archive, args.customer, datetime.now(timezone.utc))
    if data is None:
        print(f"gateway: no data held about {args.customer}", file=sys.stderr)
        return 1
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def cmd_purge(runtime, args) -> int:
    from gateway.jobs.retention import purge
    days = runtime.config.retention.purge_closed_after_days if args.days is None else args.days
    if days <= 0:
        print("purge: retention is off ([retention] purge_closed_after_days = 0); nothing purged")
        return 0
    done = purge(runtime.database, runtime.archive, args.now or datetime.now(timezone.utc), days)
    print(f"purge: complaints={done.complaints} messages={done.messages} files={done.files} "
          f"customers={done.customers}")
    return 0


COMMANDS: dict[str, Callable[..., int]] = {
    "run": cmd_run, "web": cmd_web, "ingest": cmd_ingest, "import": cmd_import, "tick": cmd_tick, "show": cmd_show, "list": cmd_list,
    "quarantine": cmd_quarantine, "outbox": cmd_outbox, "preview": cmd_preview,
    "status": cmd_status, "report": cmd_report, "export": cmd_export, "purge": cmd_purge,
}

if __name__ == "__main__":
    sys.exit(main())
