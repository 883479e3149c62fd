"""``register-desktop upload FILE --env E``: send the valid rows to Register, each exactly once.

Running the same command again resumes the file's unfinished batch; a trainee already sent to the
environment (from any file, batch or edit) is never sent again; Ctrl-C stops cleanly between
requests (run again to resume). Exit status: 0 every row of the file is in Register as it stands,
1 some rows were rejected, already registered, changed since they were sent, or not sent because
of errors, 2 the upload could not run (another upload to the same environment is running, no
token, …) or stopped part-way (nothing is lost: run it again), 130 cancelled.
"""

from __future__ import annotations

import argparse
import getpass
import signal
import sys
from pathlib import Path
from typing import Any, TextIO

from desktop.api.environments import Environment, resolve_environment
from desktop.api.errors import ApiError, AuthenticationError, MissingTokenError
from desktop.base.writer import check_target
from desktop.cli.check import add_mapping_options, open_session
from desktop.cli.common import add_today
from desktop.core.config import load_config
from desktop.core.connect import make_client, start_practice
from desktop.core.errors import UsageError
from desktop.core.journal import ItemState, Journal
from desktop.core.ledger import UploadRunningError
from desktop.core.progress import Cancelled, CancelToken, format_duration
from desktop.core.retention import expire
from desktop.core.secrets import CredentialStore, default_store, ignored_env_token
from desktop.core.upload import UploadResult, upload_valid_rows
from desktop.core.upload_plan import TimeLeft, UploadPlan, describe_plan, file_sha256, plan_upload
from desktop.core.upload_receipts import write_batch_receipt


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "upload", help="send the valid rows to Register through its API (resumes an unfinished upload)")
    p.add_argument("file", help="CSV, XLSX, XLSM, XLS or ODS file")
    p.add_argument("--env", required=True, metavar="ENV",
                   help="production, sandbox, practice (a local rehearsal) or an API address ending /api/v2026.1")
    p.add_argument("--sheet", help="sheet name (default: the first sheet with data)")
    p.add_argument("--yes", action="store_true", help="send without asking for confirmation")
    p.add_argument("--rate-limit", type=int, metavar="N",
                   help="requests per rate window (default from settings: 100, Register's limit per 60 s)")
    p.add_argument("--rate-window", type=float, metavar="SECONDS", help=argparse.SUPPRESS)  # tests, benchmarks
    p.add_argument("--receipt", metavar="PATH", help="also write the receipt here (.csv or .xlsx)")
    p.add_argument("--new-batch", action="store_true",
                   help="start a new batch (receipt) even if this file was uploaded before; trainees already sent are "
                        "still never sent again")
    p.add_argument("--token-env", metavar="NAME",
                   help="read the API token from this environment variable (needed for a custom address: "
                        "REGISTER_API_TOKEN alone is only used for production and sandbox)")
    p.add_argument("--register-again", metavar="ROW", type=int, action="append", default=[],
                   help="spreadsheet row of a trainee already sent to register a second time on purpose (a withdrawal "
                        "and a new course in the same cycle); recorded in the ledger and the receipt. Repeat per row")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_mapping_options(p)  # the same mapping behaviour as check and export
    add_today(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace, *, store: CredentialStore | None = None) -> int:
    err = sys.stderr
    environment = resolve_environment(args.env)
    if args.rate_limit is not None and args.rate_limit < 1:
        raise UsageError("--rate-limit must be at least 1 request.")
    if args.rate_window is not None and args.rate_window <= 0:
        raise UsageError("--rate-window must be a positive number of seconds.")
    if args.receipt:
        check_target(args.receipt)  # a folder or a link is said now, not after the upload
    config = load_config()
    expire()  # finished batches, receipts, autosaves and logs past their retention period (retention.py)
    session = open_session(args)
    summary = session.summary()
    valid = summary["valid_rows"]
    invalid = session.n_rows - valid
    err.write(f"{args.file}: {session.n_rows} rows, {valid} ready to send"
              + (f", {invalid} with errors (not sent; 'register-desktop check' lists them)" if invalid else "") + ".\n")
    if valid == 0:
        err.write("Nothing to send.\n")
        return 1 if invalid else 0

    simulator = None
    if environment.name == "practice":
        simulator, environment = start_practice(
            rate_limit=args.rate_limit or config.rate_limit, window=args.rate_window or config.rate_window,
            today=getattr(session, "today", None))
        token: str | None = simulator.token
    else:
        token = _token(environment, store or default_store(), err, args.token_env or config.token_env)
    again = set(args.register_again)
    try:
        with Journal() as journal, make_client(environment, token, config, rate_limit=args.rate_limit,
                                               rate_window=args.rate_window) as client:
            file_hash = file_sha256(args.file)
            plan = plan_upload(session, journal, environment, limiter=client.limiter, file_hash=file_hash,
                               new_batch=args.new_batch, again=again)
            if plan.running is not None:
                raise UploadRunningError(plan.running, environment.label)
            if plan.nothing_to_send:
                return _nothing_to_send(plan, journal, invalid, err)
            _describe_plan(plan, client.limiter.rate, client.limiter.per, err)
            if not args.yes and not _confirm(environment, plan.to_send, err):
                err.write("Nothing was sent.\n")
                return 1
            client.info()  # connection and token test before the batch starts (401 stops here)
            token_ = CancelToken()
            printer = _ProgressPrinter(err, enabled=not args.no_progress, estimate=plan.estimated_seconds)
            previous = _on_interrupt(token_, err)
            try:
                result = upload_valid_rows(session, client, journal, progress=printer, token=token_,
                                           file_hash=file_hash, new_batch=args.new_batch, account=config.account_name,
                                           settle=config.settle_margin, again=again)
            except Cancelled:
                printer.end()
                batch = journal.batch_for_file(environment.origin, Path(args.file).name, session.raw.sheet, file_hash)
                left = batch.outstanding if batch else "some"
                err.write(f"Stopped: {left} rows not sent yet. Run the same command again to resume; nothing will be "
                          "sent twice.\n")
                return 130
            except ApiError:
                printer.end()
                raise
            finally:
                signal.signal(signal.SIGINT, previous)
            printer.end()
            if args.receipt:
                batch = journal.batch(result.batch_id)
                assert batch is not None
                ids = {int(session.source_rows[p]): session.row(int(p))["provider_trainee_id"]
                       for p in session.valid_positions()}
                path = write_batch_receipt(journal, batch, path=Path(args.receipt), provider_ids=ids,
                                           reconciliation=result.reconciliation)
                err.write(f"Receipt also written to {path}\n")
            _report(result, session, err)
            if not result.complete:
                return 2
            return 1 if (invalid or result.rejected or result.already_registered or result.differing) else 0
    except AuthenticationError:
        if environment.name != "practice":
            err.write(f"Save a new token with: register-desktop token set --env {args.env}\n")
        raise
    finally:
        if simulator is not None:
            simulator.stop()


def _nothing_to_send(plan: UploadPlan, journal: Journal, invalid: int, err: TextIO) -> int:
    batch = journal.batch(plan.batch_id) if plan.batch_id else None
    where = f" in batch {plan.batch_id} (see 'register-desktop history {plan.batch_id}')" if plan.batch_id else ""
    err.write(f"Every valid row of this file already has an outcome{where}.\n")
    for line in describe_plan(plan):
        err.write(line + "\n")
    if batch is not None and batch.receipt_path:
        err.write(f"Receipt: {batch.receipt_path}\n")
    rejected = batch.counts.get(ItemState.REJECTED, 0) + batch.counts.get(ItemState.ALREADY, 0) if batch else 0
    return 1 if (invalid or rejected or plan.differing) else 0


def _token(environment: Environment, store: CredentialStore, err: TextIO, token_env: str | None = None) -> str:
    token, _source = store.get(environment.key, token_env=token_env, custom=environment.name == "custom")
    if token:
        return token
    where = environment.name if environment.name != "custom" else environment.base_url
    ignored = ignored_env_token(custom=environment.name == "custom", token_env=token_env)
    if ignored:
        err.write(f"{ignored}\n")
    if not sys.stdin.isatty():
        raise MissingTokenError(
            f"No API token is saved for {environment.label}. Save one with 'register-desktop token set --env "
            f"{where}'" + (", or set REGISTER_API_TOKEN." if environment.name != "custom" else
                           ", or name the environment variable that holds it with --token-env."))
    token = getpass.getpass(f"Paste your Register API token for {environment.label} (it is not shown): ").strip()
    if not token:
        raise MissingTokenError("No token was given, so nothing was sent.")
    saved = store.set(environment.key, token)
    err.write(f"Token {saved.description}.\n")
    return token


def _describe_plan(plan: UploadPlan, rate: int, per: float, err: TextIO) -> None:
    for line in describe_plan(plan):
        err.write(line + "\n")
    # the plan counts the rate limit only: under a minute of waiting is not "about 0 s" (each request
    # also takes as long as Register takes to answer)
    eta = ("under a minute of waiting" if plan.estimated_seconds < 60
           else f"about {format_duration(plan.estimated_seconds)}")
    err.write(f"{plan.to_send} rows to send to {plan.environment.label} ({plan.environment.base_url}); "
              f"{eta} at {rate} requests per {per:g} s, plus Register's time to answer each.\n")


def _confirm(environment: Environment, n: int, err: TextIO) -> bool:
    if not sys.stdin.isatty():
        raise UsageError("Add --yes to send without being asked (there is no one to answer the question).")
    warning = ("These become real trainee records, submitted for TRN at once; the API cannot delete them.\n"
               if environment.is_live else "")
    err.write(warning)
    err.flush()
    answer = input(f"Send {n} trainees to {environment.label}? Type 'yes' to send: ")
    return answer.strip().lower() == "yes"  # the word asked for: a stray 'y' sends nothing


def _on_interrupt(token: CancelToken, err: TextIO) -> Any:
    """First Ctrl-C: stop after the request in flight. A second one: stop at once (still safe to resume)."""
    def handler(signum: int, frame: Any) -> None:
        if token.cancelled:
            raise KeyboardInterrupt
        err.write("\nStopping after the current request (Ctrl-C again to stop at once)...\n")
        token.cancel()

    try:
        return signal.signal(signal.SIGINT, handler)
    except ValueError:  # not the main thread (tests calling main() from a worker)
        return signal.getsignal(signal.SIGINT)


class _ProgressPrinter:
    """A bar with the time remaining on a terminal; a line every 10 % otherwise."""

    def __init__(self, out: TextIO, *, enabled: bool, estimate: float) -> None:
        self.out = out
        self.enabled = enabled
        self.tty = bool(getattr(out, "isatty", lambda: False)())
        self.time_left = TimeLeft(estimate)
        self.last_decile = -1
        self.drawn = False

    def __call__(self, done: int, total: int, /) -> None:
        if not self.enabled or total <= 0:
            return
        pct = int(100 * done / total)
        text = f"{done}/{total} rows ({pct}%), {self.time_left.words(done, total)}"
        if self.tty:
            width = 30
            filled = int(width * done / total)
            self.out.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {text}   ")
            self.out.flush()
            self.drawn = True
        elif pct // 10 != self.last_decile or done == total:
            self.last_decile = pct // 10
            self.out.write(text + "\n")

    def end(self) -> None:
        if self.drawn:
            self.out.write("\n")
            self.drawn = False


def _report(result: UploadResult, session: Any, err: TextIO) -> None:
    err.write(f"Batch {result.batch_id} ({result.environment.label}): {result.created} created, "
              f"{result.already_registered} already registered, {result.rejected} rejected, "
              f"{result.outstanding} outstanding"
              + (f"; {result.already_sent} already sent in earlier uploads (not sent again"
                 + (f", {result.differing} changed since" if result.differing else "") + ")"
                 if result.already_sent else "") + ".\n")
    if result.closed_batches:
        err.write(f"Earlier unfinished batch(es) {', '.join(map(str, result.closed_batches))}: every trainee is now "
                  "settled, so they are closed.\n")
    if result.rate_limited:
        err.write(f"Register asked us to slow down {result.rate_limited} time(s); the upload waited as asked.\n")
    if result.failed_requests:
        err.write(f"{result.failed_requests} request(s) got no usable answer (Register's errors, timeouts or dropped "
                  "connections); each was retried, or looked up in Register first where it may have arrived.\n")
    if result.looked_up:
        err.write(f"{result.looked_up} row(s) whose answer had been lost were confirmed in Register, not created "
                  "twice.\n")
    frame = result.findings.frame
    if len(frame):
        err.write("\nRow  Field                           Register's answer\n")
        source = session.source_rows
        for shown, rec in enumerate(frame.sort_values("row", kind="stable").itertuples(index=False)):
            if shown == 30:
                err.write(f"... and {len(frame) - shown} more (see the receipt)\n")
                break
            text = str(rec.register_message if rec.code == "api.rejected" else rec.message)
            field = str(rec.field or "-")
            err.write(f"{int(source[rec.row]):<4} {field:<31} {text}\n")
    if result.reconciliation is not None:
        err.write(f"Checked against Register: {result.reconciliation.describe()}\n")
    if result.receipt_path is not None:
        err.write(f"Receipt: {result.receipt_path}\n")
