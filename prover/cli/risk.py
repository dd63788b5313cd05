"""``zkmargin risk`` (margin breakdown without proving) and ``zkmargin table`` (publish a risk table)."""

from __future__ import annotations

import click

from prover.cli.common import book_opts, circuit_opt, emit_json, json_opt, load_book, load_market, market_opt, spec_opt
from public.circuit import DEFAULT_CIRCUIT, circuit_params


@click.command()
@market_opt
@book_opts
@spec_opt
@click.option("--policy", "policy_path", type=click.Path(dir_okay=False), default=None, help="Also check a venue policy.")
@json_opt
def risk(market, portfolio, statements, spec_path, policy_path, as_json):
    """Margin breakdown of a portfolio or of venue statements, without proving."""
    from prover.cli.report import render_margin
    from prover.proving.pipeline import margin_report
    from public.methodology.margin import underlying_details
    from public.methodology.risk_table import cached_risk_table
    from verifier.policy import load_policy

    policy = load_policy(policy_path) if policy_path else None
    snapshot, spec = load_market(market, spec_path, policy)
    depth = circuit_params(DEFAULT_CIRCUIT).depth
    book = load_book(portfolio, statements, snapshot, spec, cached_risk_table(snapshot, spec, depth))
    report, table = margin_report(snapshot, spec, book, depth)
    checks = report.policy_checks(policy) if policy else []
    coin = report.coin_margined
    details = report.details(spec) if coin else underlying_details(report, book, table, spec, snapshot)
    from public.circuit import BUILD_DIR
    from public.methodology.risk_table import display_root

    root = display_root(table, BUILD_DIR / "cache" / "risk-roots")  # the root costs seconds, the margin milliseconds
    if as_json:
        emit_json({"schema": "zkmargin-risk/1", "snapshot": snapshot.source, "spec": spec.name, "risk_root": hex(root), "margin": report.to_json(),
                   "per_underlying": details, "policy_checks": [{"name": n, "passed": ok, "reason": r} for n, ok, r in checks]})  # fmt: skip
    elif coin:
        click.echo(report.render(spec, checks))
    else:
        click.echo(render_margin(report, snapshot, spec, book, checks, details))


@click.command()
@market_opt
@spec_opt
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Where to write the published risk table (JSON).")
@circuit_opt
def table(market, spec_path, out, circuit):
    """Evaluate a snapshot and publish its risk table and root."""
    from prover.files import check_out_path
    from prover.proving.bundle import staged_write
    from public.methodology.risk_table import build_risk_table

    check_out_path(out, "risk table")
    snapshot, spec = load_market(market, spec_path)
    t = build_risk_table(snapshot, spec, circuit_params(circuit).depth)
    with staged_write(out, t.to_json()):
        pass
    click.echo(f"risk table: {len(t)} records, depth {t.depth}, risk_root {hex(t.root)} -> {out}")
