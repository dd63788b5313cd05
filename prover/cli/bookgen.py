"""``zkmargin book generate``: a seeded market-maker book on a snapshot (prover/trader/bookgen.py)."""

from __future__ import annotations

import click

from prover.cli.common import emit_json, json_opt, market_opt


@click.group()
def book():
    """Books for benchmarks and tests."""


@book.command("generate")
@market_opt
@click.option("--positions", "n_positions", required=True, type=click.IntRange(2, 100_000), help="Number of position entries.")
@click.option("--venues", "n_venues", default=3, show_default=True, type=click.IntRange(1, 64), help="Number of venues (venue-1 ...).")
@click.option("--seed", default=0, show_default=True, type=click.IntRange(0, 2**32 - 1), help="Random seed: the same seed, the same book.")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Where to write the portfolio JSON (zkmargin-portfolio/1).")
@json_opt
def generate(market, n_positions, n_venues, seed, out, as_json):
    """Write a realistic market-maker book (options near the money, delta-hedged with perpetuals)."""
    import hashlib
    import json

    from prover.files import atomic_write_text, check_out_path
    from prover.trader.bookgen import market_maker_book
    from public.methodology.snapshot import load_snapshot

    check_out_path(out, "portfolio")
    obj = market_maker_book(load_snapshot(market), n_positions, n_venues, seed)
    text = json.dumps(obj, indent=1)
    atomic_write_text(out, text, "portfolio")
    digest = hashlib.sha256(text.encode()).hexdigest()
    if as_json:
        emit_json({"schema": "zkmargin-book/1", "out": out, "positions": n_positions, "venues": n_venues, "seed": seed, "sha256": digest})
    else:
        click.echo(f"{n_positions} positions over {n_venues} venues (seed {seed}) -> {out} (sha256 {digest[:16]}...)")
