"""The ``matchmaker`` command line (API.md): init, seed, users, import, export, reindex, serve.

Every command exits 0 on success and otherwise prints one line saying what went wrong
and what to do, and exits non-zero.
"""
from __future__ import annotations

import dataclasses
import functools
import os
import sys
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from .errors import MatchmakerError
from .storage import get_backend


def fail_cleanly(command):
    """Turn our errors (and a few predictable OS ones) into one line and exit status 1;
    a full disk, an unwritable folder or a damaged database say so, naming the path."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except click.ClickException:
            raise
        except MatchmakerError as exc:
            details = ""
            if exc.fields:
                details = " (" + "; ".join(f"{k}: {', '.join(map(str, v)) if isinstance(v, list) else v}" for k, v in exc.fields.items()) + ")"
            raise click.ClickException(exc.message + details) from None
        except Exception as exc:
            from .faults import storage_fault

            written = getattr(exc, "where", None)
            fault = storage_fault(exc, written or current_app.config.get("DATA_DIR"))
            if fault is not None:
                folder = current_app.config.get("DATA_DIR")
                if fault.kind == "damaged":  # name the damaged file itself
                    from .faults import check_data_folder

                    raise click.ClickException(next(iter(check_data_folder(folder)), fault.line(folder))) from None
                raise click.ClickException(fault.line(written or folder)) from None
            if isinstance(exc, OSError):
                raise click.ClickException(f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": ")) from None
            raise

    return wrapper


@contextmanager
def writing(file: Path):
    """Writing ``file`` (through ``file.partial``): on any failure the partial file goes,
    and a full disk is reported against ``file``."""
    try:
        yield
    except BaseException as exc:
        file.with_name(file.name + ".partial").unlink(missing_ok=True)
        if not isinstance(exc, click.ClickException):
            try:
                exc.where = file
            except AttributeError:
                pass
        raise


class Progress:
    """Progress of long work on stderr: a line every few seconds and one at the end."""

    def __init__(self, label: str, every: float = 2.0):
        self.label, self.every = label, every
        self.started = self.last = time.monotonic()

    def __call__(self, done: int, total: int | None) -> None:
        now = time.monotonic()
        if now - self.last < self.every and (total is None or done < total):
            return
        self.last = now
        rate = done / max(now - self.started, 1e-9)
        of = f"/{total} ({100 * done // max(total, 1)}%)" if total else ""
        click.echo(f"{self.label}: {done}{of}, {rate:,.0f}/s", err=True)


@click.command("init")
@with_appcontext
@fail_cleanly
def init_command():
    """Create the database or indices (safe to run again)."""
    backend = get_backend()
    backend.init()
    for notice in backend.notices:
        click.echo(notice)
    click.echo(f"ready: {current_app.config['SEARCH_BACKEND']} storage, data folder {current_app.config['DATA_DIR']}")


@click.command("seed")
@click.option("--demo", is_flag=True, help="Load the demo data set of the zone's 2012 plan.")
@with_appcontext
@fail_cleanly
def seed_command(demo: bool):
    """Load the demo data (running it twice leaves one copy) and print the demo accounts."""
    if not demo:
        raise click.UsageError("say what to seed: --demo")
    from .demo.seeding import seed_demo

    backend = get_backend()
    backend.init()
    day = demo_today(current_app)
    report, accounts = seed_demo(backend, progress=Progress("seeding"), day=day)
    click.echo(report.summary())
    click.echo(f"demo date: {day.isoformat()} (today for this data folder; MATCHMAKER_TODAY overrides it)")
    click.echo("demo accounts (username / password / role / bound to):")
    for account in accounts:
        bound = account.get("enterprise_id") or account.get("institution_id") or "-"
        click.echo(f"  {account['username']:<14} {account['password']:<24} {account['role']:<12} {bound}")


def demo_today(app: Flask):
    """The demo is the zone as of its reference date (2012-06-30), or of ``MATCHMAKER_TODAY``
    when that is set: the day is kept in the data folder, so the served demo reads today as
    that date, and the demo is seeded on it."""
    from . import clock
    from .demo.dataset import REFERENCE_DATE

    day = clock.parse_today(os.environ.get("MATCHMAKER_TODAY")) or REFERENCE_DATE
    clock.store_today(app.config["DATA_DIR"], day)
    app.config[clock.SETTING] = day.isoformat()
    return day


@click.group("users")
def users_group():
    """Manage accounts."""


@users_group.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(["enterprise", "institution", "staff", "admin"]))
@click.option("--enterprise", "enterprise_id", help="Enterprise id, for the enterprise role.")
@click.option("--institution", "institution_id", help="Institution id, for the institution role.")
@click.option("--password-stdin", is_flag=True, required=True, help="Read the password from standard input.")
@click.option("--display-name", help="Name shown in the interface.")
@with_appcontext
@fail_cleanly
def users_create(username, role, enterprise_id, institution_id, password_stdin, display_name):
    """Create a user; the password is read from standard input."""
    from .accounts.service import create_user

    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise click.ClickException("no password on standard input: pipe it in, e.g. `echo \"$PW\" | matchmaker users create ...`")
    data = {"username": username, "role": role, "password": password}
    if enterprise_id:
        data["enterprise_id"] = enterprise_id
    if institution_id:
        data["institution_id"] = institution_id
    if display_name:
        data["display_name"] = display_name
    backend = get_backend()
    backend.init()
    from .audit.service import audit_observer

    user = create_user(backend, data, observers=[audit_observer(backend, None, via="cli")])
    click.echo(f"created {user['username']} ({user['role']})")


@click.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--kind", type=click.Choice(["institution", "enterprise", "need"]), default=None,
              help="what the rows of a spreadsheet without a kind column are")
@with_appcontext
@fail_cleanly
def import_command(file: Path, kind: str | None):
    """Import institutions, enterprises and needs from JSON Lines, or a .csv / .xlsx spreadsheet."""
    from .core import settings
    from .importexport import import_file

    if not file.exists():
        raise click.ClickException(f"{file}: no such file")
    backend = get_backend()
    backend.init()
    try:
        report = import_file(backend, file, progress=Progress("importing"), kind=kind,
                             working_days=settings.working_days(current_app.config))
    except UnicodeDecodeError:
        raise click.ClickException(f"{file}: not UTF-8 text (JSON Lines are UTF-8; a GBK spreadsheet is read as .csv)") from None
    for rejection in report.rejected[:200]:
        click.echo(f"{file}:{rejection.line}: {rejection.message}", err=True)
    for note in report.notes[:200]:
        click.echo(f"{file}:{note.line}: imported; {note.message}", err=True)
    if report.rejected:
        raise click.ClickException(report.summary())
    click.echo(report.summary())


@click.command("export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
@fail_cleanly
def export_command(file: Path):
    """Write every institution, enterprise and need to a JSON Lines file."""
    from .importexport import export_documents, write_jsonl

    tmp = file.with_name(file.name + ".partial")
    with writing(file), tmp.open("w", encoding="utf-8") as out:
        count = write_jsonl(export_documents(get_backend()), out)
    tmp.replace(file)  # a file that exists is a whole export
    click.echo(f"exported {count} documents to {file}")


@click.command("reindex")
@with_appcontext
@fail_cleanly
def reindex_command():
    """Rebuild the search indices from the stored documents."""
    backend = get_backend()
    backend.init()
    counts = backend.reindex(progress=Progress("reindexing"))
    click.echo("reindexed " + ", ".join(f"{n} {index}" for index, n in counts.items()))


@click.command("readiness-snapshot")
@with_appcontext
@fail_cleanly
def readiness_snapshot_command():
    """Record listing-readiness snapshots where an enterprise's readiness moved (run after changing board rules)."""
    from .readiness.service import ReadinessTracker
    from .scoring.settings import get_settings

    backend = get_backend()
    backend.init()
    seen, added = ReadinessTracker(backend, get_settings()).record_all(progress=Progress("readiness"))
    click.echo(f"looked at {seen} enterprises; recorded {added} readiness snapshots")


@click.command("evaluate")
@click.option("--cases", "cases_dir", type=click.Path(path_type=Path), help="Folder of labelled case files (default: the packaged cases, matchmaker/scoring/cases).")
@click.option("--demo/--no-demo", "with_demo", default=True,
              help="Also check every open need of the demo data (mandates, guarantors, loss-making borrowers).")
@with_appcontext
@fail_cleanly
def evaluate_command(cases_dir: Path | None, with_demo: bool):
    """Print precision@1, precision@3, NDCG@5 and ineligible accuracy on labelled cases, and the demo audit."""
    from .scoring.evaluate import DEFAULT_CASES_DIR, audit_demo, evaluate, format_audit, format_report, load_cases
    from .scoring.settings import get_settings

    cases_dir = cases_dir or DEFAULT_CASES_DIR
    if not cases_dir.is_dir():
        raise click.ClickException(f"{cases_dir}: no such folder of labelled cases")
    try:
        cases = load_cases(cases_dir)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:  # a case file that is not what evaluate reads
        raise click.ClickException(f"{cases_dir}: cannot read the cases: {exc}") from None
    if not cases:
        raise click.ClickException(f"{cases_dir}: no case files (*.json) in it")
    click.echo(format_report(evaluate(cases, get_settings().config)))
    if with_demo:
        from .demo import dataset

        click.echo(format_audit(audit_demo(get_settings().config, dataset.generate(), dataset.REFERENCE_DATE)))


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int, help="Threads per worker process.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Worker processes sharing the port (each with its own connections).")
@with_appcontext
@fail_cleanly
def serve_command(host: str, port: int, threads: int, workers: int):
    """Serve the application with waitress, a production WSGI server."""
    from . import create_app
    from .brokering.scheduler import start_deadline_sweeper
    from .serving import run

    from .faults import check_data_folder, storage_fault

    app = current_app._get_current_object()
    for problem in check_data_folder(app.config["DATA_DIR"]):  # warn, and serve what can be served
        click.echo(f"warning: {problem}", err=True)
    backend = get_backend()
    try:
        backend.init()
    except Exception as exc:  # a disk that filled while the service was stopped: serve the reads
        fault = storage_fault(exc, app.config["DATA_DIR"])
        if fault is None or fault.kind != "full":
            raise
        click.echo(f"warning: {fault.line(app.config['DATA_DIR'])}; serving reads only until there is room", err=True)
    for notice in backend.notices:
        click.echo(notice)
    backend.close()  # no connection may cross into the worker processes
    click.echo(
        f"serving on http://{host}:{port}/ with {workers} worker(s) × {threads} threads "
        f"(data: {app.config['DATA_DIR']}, storage: {app.config['SEARCH_BACKEND']})"
    )
    run(lambda: app if workers == 1 else create_app(), host, port, threads=threads, workers=workers,
        background=start_deadline_sweeper)


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
@fail_cleanly
def backup_command(file: Path):
    """Copy every document to FILE while the service runs (SQLite: a database file;
    Elasticsearch: gzipped JSON Lines)."""
    backend = get_backend()
    backend.init()
    with writing(file):
        counts = backend.backup(file, progress=Progress("backing up"))
    click.echo(f"backed up {sum(counts.values())} documents to {file}")


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask before replacing the current data.")
@with_appcontext
@fail_cleanly
def restore_command(file: Path, yes: bool):
    """Replace all data with a backup made by `matchmaker backup`."""
    if not yes and not click.confirm("This replaces every document with the backup's. Go on?", default=False):
        raise click.ClickException("nothing restored")
    backend = get_backend()
    backend.init()
    backend.verify_backup(file)  # a damaged file is refused before anything is touched
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    safety = Path(current_app.config["DATA_DIR"]) / "safety" / f"before-restore-{stamp}{backend.backup_suffix}"
    safety.parent.mkdir(parents=True, exist_ok=True)
    backend.backup(safety, progress=Progress("keeping a safety copy"))
    counts = backend.restore(file, progress=Progress("restoring"))
    click.echo(f"restored {sum(counts.values())} documents from {file}; the data it replaced is kept in {safety}")


@click.command("check")
@with_appcontext
@fail_cleanly
def check_command():
    """Check the data folder: permissions, free space, and every database file's integrity."""
    from .faults import check_data_folder

    folder = current_app.config["DATA_DIR"]
    problems = check_data_folder(folder, thorough=True)
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        raise click.ClickException(f"{len(problems)} problem(s) in the data folder {folder}")
    click.echo(f"{folder}: all well")


@click.command("notify-deadlines")
@with_appcontext
@fail_cleanly
def notify_deadlines_command():
    """Tell staff and enterprises of open needs no institution answered by their deadline, and remind
    both parties of confirmed meetings due by the end of tomorrow (for cron, once a day or more;
    `serve` sweeps late needs every DEADLINE_SWEEP_SECONDS too)."""
    from .core import settings
    from .brokering.deadlines import sweep

    backend = get_backend()
    backend.init()
    from .meetings.reminders import remind

    count = sweep(backend, settings.working_days(current_app.config))
    click.echo(f"notified {count} late need(s)")
    click.echo(f"reminded the parties of {remind(backend)} meeting(s) due by the end of tomorrow")
    from .brokering.owners import escalate

    config = current_app.config
    escalated = escalate(backend, settings.working_days(config), settings.escalate_after(config), config.get("BROKERING_LEAD"))
    click.echo(f"escalated {escalated} long-late need(s) to the lead")
    from .brokering.claims import lapse

    click.echo(f"lapsed {lapse(backend)} claim(s) whose progress report was overdue")


COMMANDS = (init_command, seed_command, users_group, import_command, export_command, reindex_command, serve_command,
            readiness_snapshot_command, evaluate_command, notify_deadlines_command, backup_command, restore_command,
            check_command)


def register(app: Flask) -> None:
    for command in COMMANDS:
        app.cli.add_command(command)


def _create_app(*args, **kwargs):
    from . import create_app

    try:
        return create_app()
    except MatchmakerError as exc:
        click.echo(f"Error: {exc.message}", err=True)
        sys.exit(1)
    except OSError as exc:  # the data folder cannot be made or written (full, read-only, not ours)
        from .config import default_data_dir
        from .faults import storage_fault

        folder = os.environ.get("MATCHMAKER_DATA_DIR") or default_data_dir()
        fault = storage_fault(exc, folder)
        line = dataclasses.replace(fault, path=None).line(folder) if fault else f"{folder}: {exc.strerror or exc}"
        click.echo(f"Error: {line}", err=True)
        sys.exit(1)


class _UsageError(click.ClickException):
    exit_code = 2  # click's status for usage mistakes


class MatchmakerGroup(FlaskGroup):
    """Usage mistakes (a bad --role, an unknown command) are reported in one line too."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except getattr(click.exceptions, "NoArgsIsHelpError", ()):
            raise  # `matchmaker users` alone: show the help
        except click.UsageError as exc:
            where = exc.ctx.command_path if exc.ctx else ctx.command_path
            raise _UsageError(f"{exc.format_message()} (see '{where} --help')") from None


@click.group(cls=MatchmakerGroup, create_app=_create_app, add_default_commands=False, add_version_option=False, load_dotenv=False)
def main():
    """Matchmaker: technology SMEs and the institutions that fund them."""
    from .guards import private_umask

    private_umask()  # the database, its journal and backups: the owner's only


if __name__ == "__main__":
    main()
