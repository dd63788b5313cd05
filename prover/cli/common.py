"""What every ``zkmargin`` command shares: the error handling of the group, progress lines,
--json output, the common options and the market loader.

Named errors (public/errors.py) become one ``error: ...`` line on stderr and exit code 2 (1 for a
book that does not meet the policy), never a traceback; under ``--json`` an object
(``zkmargin-error/1``) is printed on stdout too. Command modules import this one; it imports none
of them.
"""

from __future__ import annotations

import json

import click

from public.circuit import DEFAULT_CIRCUIT, REPO
from public.errors import ZkMarginError
from verifier.cli import parse_time

DEFAULT_SPEC = REPO / "fixtures" / "spec" / "deribit_pm_v1.json"


ERROR_SCHEMA = "zkmargin-error/1"


def exit_code_of(exc: ZkMarginError) -> int:
    """1 for a book that does not meet the policy (PolicyNotMet), 2 for bad input of any kind."""
    from public.errors import PolicyNotMet

    return 1 if isinstance(exc, PolicyNotMet) else 2


class ZkMarginGroup(click.Group):
    """Click group: a ZkMarginError becomes ``error: ...`` on stderr and exit code 2 (1 for
    PolicyNotMet); under ``--json`` a JSON object with a schema version is printed on stdout too,
    for usage errors as well, so a machine always gets an object."""

    def parse_args(self, ctx, args):
        ctx.meta["zkmargin.json"] = "--json" in args
        return super().parse_args(ctx, args)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except ZkMarginError as exc:
            code = exit_code_of(exc)
            if ctx.meta.get("zkmargin.json"):
                emit_json({"schema": ERROR_SCHEMA, "ok": False, "exit_code": code, "error": type(exc).__name__, "message": str(exc),
                           **({"failed_checks": exc.failed} if getattr(exc, "failed", None) else {})})
            click.echo(f"error: {exc}", err=True)
            ctx.exit(code)
        except click.UsageError as exc:
            if ctx.meta.get("zkmargin.json"):
                emit_json({"schema": ERROR_SCHEMA, "ok": False, "exit_code": 2, "error": "UsageError", "message": exc.format_message()})
            raise


parse_at = parse_time  #: --at: ISO-8601 time (naive = UTC); None means now (verifier/cli.py)


def progress(msg: str) -> None:
    click.echo(f"... {msg}", err=True)


class ChunkProgress:
    """The ``chunk_progress(done, total)`` callback of the chunked commands, as a context manager: a
    progress bar (click) on a terminal, else one "... chunks proved: k/N" line per chunk (logs, CI)."""

    def __init__(self):
        self.bar = None

    def __call__(self, done: int, total: int) -> None:
        import sys

        if not sys.stderr.isatty():
            click.echo(f"... chunks proved: {done}/{total}", err=True)
            return
        if self.bar is None:
            self.bar = click.progressbar(length=total, label="chunks proved", file=sys.stderr, show_pos=True, show_eta=True)
            self.bar.__enter__()
        self.bar.update(done - self.bar.pos)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
        return False


def emit_json(obj) -> None:
    click.echo(json.dumps(obj, indent=2, default=str))


market_opt = click.option("--market", "market", required=True, type=click.Path(dir_okay=False), help="Market snapshot CSV (Deribit option chain).")
spec_opt = click.option("--spec", "spec_path", type=click.Path(dir_okay=False), default=None, help="Scenario spec JSON (default: the policy's, else fixtures/spec/deribit_pm_v1.json).")
circuit_opt = click.option("--circuit", default=DEFAULT_CIRCUIT, show_default=True, help="Circuit name in circuits/main/.")
at_opt = click.option("--at", "at", default=None, help="Evaluate freshness at this ISO time instead of now (replaying a historical snapshot).")
json_opt = click.option("--json", "as_json", is_flag=True, help="Machine-readable JSON on stdout.")


def load_market(market, spec_path, policy=None, usd_linear_only: str | None = None):
    """(snapshot, spec) with the spec from --spec, else the policy's, else the default.

    ``usd_linear_only``: the command's name, for commands whose numbers are USD-linear (report,
    derisk): a coin-margined spec is then a SpecError pointing at ``zkmargin risk``."""
    from public.errors import SpecError
    from public.methodology.snapshot import load_snapshot
    from public.methodology.spec import load_spec

    path = spec_path or (policy.spec_path if policy is not None and policy.spec_path else DEFAULT_SPEC)
    spec = load_spec(path)
    if usd_linear_only and spec.valuation == "coin_margined":
        raise SpecError(f"spec {spec.name} is coin-margined: `zkmargin {usd_linear_only}` works on USD-linear specs; "
                        "`zkmargin risk` gives the per-currency coin margin")  # fmt: skip
    return load_snapshot(market), spec


def load_book(portfolio, statements, snapshot, spec, table):
    """The book from a portfolio file (unsigned, what-if) or from venue statements (signatures checked)."""
    from prover.trader.portfolio import load_portfolio
    from prover.venue.attestation import check_statements, load_statement, portfolio_from_statements
    from public.errors import PortfolioError

    if bool(portfolio) == bool(statements):
        raise PortfolioError("give either --portfolio or one or more --statement")
    if portfolio:
        return load_portfolio(portfolio, snapshot, spec)
    sts = [load_statement(p) for p in statements]
    check_statements(sts, sts[0].capacity, spec.assets)
    return portfolio_from_statements(sts, table, 0)


def book_opts(f):
    """--portfolio / --statement: the book of ``load_book``."""
    f = click.option("--statement", "statements", multiple=True, type=click.Path(dir_okay=False), help="Signed venue statement (repeat per venue).")(f)
    return click.option("--portfolio", default=None, type=click.Path(dir_okay=False), help="Unsigned portfolio JSON (what-if).")(f)
