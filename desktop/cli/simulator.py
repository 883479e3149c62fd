"""``register-desktop simulator``: a local Register (v2026.1) on this computer, for rehearsals and tests."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from desktop.cli.common import parse_today
from desktop.core.errors import UsageError


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser("simulator", help="run a local Register for rehearsals (this computer only)")
    p.add_argument("--port", type=int, default=8080, help="port to listen on (default 8080; 0 picks a free one)")
    p.add_argument("--host", default="127.0.0.1", help="loopback address: 127.0.0.1 (default), localhost or ::1")
    p.add_argument("--token", help="the token to accept (default: a new one, printed)")
    p.add_argument("--rate-limit", type=int, default=100, metavar="N", help="requests per window (default 100)")
    p.add_argument("--rate-window", type=float, default=60.0, metavar="SECONDS",
                   help="length of the rate-limit window (default 60; smaller for quick tests)")
    p.add_argument("--state", metavar="FILE", help="keep the trainees in this file across restarts")
    p.add_argument("--faults", metavar="SPEC",
                   help="e.g. 5xx=0.1,5xx-after=0.05,drop=0.05,drop-after=0.05,slow=0.1,slow-create=1,slow-seconds=3,"
                        "429=0.1,revoke-after=N,seed=1")
    p.add_argument("--today", metavar="YYYY-MM-DD", help="the date Register's date rules use (default: today, UTC)")
    p.add_argument("--trn-after", type=float, default=5.0, metavar="SECONDS",
                   help="grant each new trainee its TRN this long after creation (default 5; negative: never)")
    p.add_argument("--award-after", type=float, metavar="SECONDS",
                   help="award QTS/EYTS this long after a recommendation (default: --trn-after)")
    p.add_argument("--no-duplicate-rule", action="store_true",
                   help="switch off Register's duplicate rule (409, SPEC 5.12), so only the app's own ledger prevents "
                        "a trainee being created twice (default: on, as in Register)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from desktop.api.simulator import Faults, RegisterSimulator

    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port must be a port number from 0 to 65535 (0 picks a free one), not {args.port}.")
    if args.rate_limit < 1 or args.rate_window <= 0:
        raise UsageError("--rate-limit must be at least 1 and --rate-window positive.")
    try:
        faults = Faults.parse(args.faults)
    except ValueError as exc:
        raise UsageError(f"--faults: {exc}.") from None
    try:
        sim = RegisterSimulator(host=args.host, port=args.port, token=args.token, rate_limit=args.rate_limit,
                                window=args.rate_window, state_file=args.state, faults=faults,
                                today=parse_today(args.today), duplicate_rule=not args.no_duplicate_rule,
                                trn_after=None if args.trn_after < 0 else args.trn_after,
                                award_after=args.award_after)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    except OSError as exc:
        raise UsageError(f"The state file {args.state} cannot be read ({exc.strerror or exc}).") from None
    try:
        sim.start()
    except (OSError, OverflowError) as exc:
        reason = getattr(exc, "strerror", None) or exc
        raise UsageError(f"Cannot listen on {args.host}:{args.port} ({reason}); try another --port.") from None
    out = sys.stdout
    out.write(f"Register simulator (API v2026.1) listening on {sim.base_url}\n")
    out.write(f"Token: {sim.token}\n")
    out.write(f"Rate limit: {sim.rate_limit} requests per {sim.window:g} s; faults: {faults.describe()}"
              + ("; duplicate rule OFF" if args.no_duplicate_rule else "")
              + (f"; state: {args.state}" if args.state else "") + "\n")
    out.write("Press Ctrl-C to stop.\n")
    out.flush()
    try:
        while sim.running:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()
        out.write(f"Stopped. {sim.stats.created} trainees created, {sim.stats.requests} requests, "
                  f"{sim.stats.rate_limited} rate-limited.\n")
    return 0
