"""``zkmargin report``: what the proof earns the trader, where the book breaks (prover/trader/book_report.py)."""

from __future__ import annotations

from pathlib import Path

import click

from prover.cli.common import book_opts, emit_json, json_opt, load_book, load_market, market_opt, spec_opt
from public.circuit import DEFAULT_CIRCUIT, circuit_params


@click.command()
@market_opt
@book_opts
@spec_opt
@click.option("--policy", "policy_path", type=click.Path(dir_okay=False), default=None, help="A venue policy: its k for the coverage, its checks.")
@click.option("--png-dir", default=None, type=click.Path(file_okay=False), help="Write pnl_grid_<UNDERLYING>.png per underlying into this (existing) directory.")
@click.option("--html", "html_path", default=None, type=click.Path(dir_okay=False), help="Write a self-contained HTML report (tables and pictures).")
@json_opt
def report(market, portfolio, statements, spec_path, policy_path, png_dir, html_path, as_json):
    """Capital efficiency (cross-venue vs per venue vs standard margin), the scenario P&L grid per
    underlying as a picture, greeks per underlying and venue, and the positions that lose most in
    the worst scenario."""
    from prover.files import atomic_write_text, check_out_path
    from prover.trader.book_report import build_report, render_html, render_text
    from public.methodology.risk_table import cached_risk_table
    from verifier.policy import load_policy

    policy = load_policy(policy_path) if policy_path else None
    snapshot, spec = load_market(market, spec_path, policy, usd_linear_only="report")
    names = {u: Path(png_dir) / f"pnl_grid_{u}.png" for u in spec.underlyings} if png_dir else {}
    for p in names.values():
        check_out_path(p, "P&L picture")
    if html_path:
        check_out_path(html_path, "HTML report")
    table = cached_risk_table(snapshot, spec, circuit_params(DEFAULT_CIRCUIT).depth)
    book = load_book(portfolio, statements, snapshot, spec, table)
    data, pngs = build_report(book, table, spec, snapshot, policy)
    for u, p in names.items():
        atomic_write_text(p, pngs[u], "P&L picture")
        data["pictures"][u]["file"] = str(p)
    if html_path:
        atomic_write_text(html_path, render_html(data, pngs), "HTML report")
    data["html"] = html_path
    if as_json:
        emit_json(data)
        return
    click.echo(render_text(data))
    for u, p in names.items():
        click.echo(f"P&L grid {u} -> {p}")
    if html_path:
        click.echo(f"HTML report -> {html_path}")
