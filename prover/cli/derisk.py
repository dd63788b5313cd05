"""``zkmargin derisk``: the least-cost trades that make a book meet a venue's policy (prover/trader/derisk.py)."""

from __future__ import annotations

import click

from prover.cli.common import book_opts, emit_json, json_opt, load_book, load_market, market_opt, spec_opt
from public.circuit import DEFAULT_CIRCUIT, circuit_params

SCHEMA = "zkmargin-derisk/1"


def _portfolio_json(plan, spec) -> dict:
    """The traded book as a zkmargin-portfolio/1 what-if file (for ``zkmargin risk`` / ``prove``)."""
    from prover.trader.portfolio import FORMAT

    def dec(v_e8: int) -> str:
        sign = "-" if v_e8 < 0 else ""
        q, r = divmod(abs(v_e8), 10**8)
        return f"{sign}{q}.{r:08d}"

    return {
        "format": FORMAT,
        "account": plan.portfolio.account,
        "description": "book after zkmargin derisk: " + "; ".join(f"{'buy' if t.qty > 0 else 'sell'} {abs(t.qty):.8f} {t.instrument}" for t in plan.trades),
        "positions": [{"instrument": p.name, "quantity": dec(p.qty_e8)} for p in plan.portfolio.positions],
        "collateral": {a: dec(v) for a, v in plan.portfolio.collateral_e8.items() if v},
    }


@click.command()
@market_opt
@book_opts
@spec_opt
@click.option("--policy", "policy_path", type=click.Path(dir_okay=False), required=True, help="The venue policy the book must meet.")
@click.option("--margin", "margin", type=float, default=0.05, show_default=True, help="Safety margin: k x IM <= (1 - m) collateral, |greek| <= (1 - m) limit.")
@click.option("--out", default=None, type=click.Path(dir_okay=False), help="Write the traded book as a what-if portfolio JSON.")
@json_opt
def derisk(market, portfolio, statements, spec_path, policy_path, margin, out, as_json):
    """Least-cost trades (reduce positions at bid/ask, hedge with listed futures and perpetuals)
    that make the book meet the policy: a linear program (HiGHS), re-evaluated exactly, beside a
    greedy close-the-largest-contributor rule."""
    from prover.files import atomic_write_json, check_out_path
    from prover.trader.derisk import greedy, shortfall_usd, solve
    from public.methodology.margin import compute_margin, usd, usd_str
    from public.methodology.risk_table import cached_risk_table
    from public.methodology.spec import haircut_prices_e6
    from verifier.policy import load_policy

    if out:
        check_out_path(out, "traded portfolio")
    policy = load_policy(policy_path)
    snapshot, spec = load_market(market, spec_path, policy, usd_linear_only="derisk")
    table = cached_risk_table(snapshot, spec, circuit_params(DEFAULT_CIRCUIT).depth)
    book = load_book(portfolio, statements, snapshot, spec, table)
    prices = haircut_prices_e6(spec, snapshot.spot)
    before = compute_margin(book, table, spec, prices)
    checks_before = before.policy_checks(policy)
    plan = solve(book, table, spec, snapshot, prices, policy, margin)
    base = greedy(book, table, spec, snapshot, prices, policy, margin)
    if out:
        atomic_write_json(out, _portfolio_json(plan, spec), "traded portfolio", indent=2)
    if as_json:
        emit_json({
            "schema": SCHEMA, "snapshot": snapshot.source, "spec": spec.name, "safety_margin": margin,
            "before": {"passes": all(ok for _, ok, _ in checks_before), "shortfall_usd": shortfall_usd(before, policy),
                       "checks": [{"name": n, "passed": ok, "reason": r} for n, ok, r in checks_before]},
            "trades": [t.to_json() for t in plan.trades], "cost_usd": round(plan.cost_usd, 6),
            "after": {"passes": plan.passes, "initial_margin_usd": usd_str(plan.report.im_e14),
                      "collateral_usd": usd_str(plan.report.collateral_e14),
                      "checks": [{"name": n, "passed": ok, "reason": r} for n, ok, r in plan.checks]},
            "greedy": None if base is None else {"cost_usd": round(base.cost_usd, 6), "trades": [t.to_json() for t in base.trades]},
            "out": out,
        })  # fmt: skip
        return
    failed = [n for n, ok, _ in checks_before if not ok]
    click.echo(f"before: {'passes' if not failed else 'FAILS ' + ', '.join(failed)}; IM {usd(before.im_e14)}, collateral {usd(before.collateral_e14)}, shortfall ${shortfall_usd(before, policy):,.2f}")
    if not plan.trades:
        click.echo(f"nothing to trade: the book meets the policy with a {margin:.0%} safety margin")
    else:
        click.echo(f"least-cost trades (linear program, HiGHS; safety margin {margin:.0%}):")
        for t in plan.trades:
            click.echo(f"  {'buy ' if t.qty > 0 else 'sell'} {abs(t.qty):>16,.8f} {t.instrument:<24} at ${t.price_usd:>12,.2f}  cost ${t.cost_usd:>10,.2f}  ({t.kind})")
        click.echo(f"  total cost ${plan.cost_usd:,.2f}")
    click.echo(f"after (re-evaluated): {'passes' if plan.passes else 'FAILS'}; IM {usd(plan.report.im_e14)}, collateral {usd(plan.report.collateral_e14)}")
    for n, ok, r in plan.checks:
        click.echo(f"  {'PASS' if ok else 'FAIL'}  {n:<18} {r}")
    click.echo("greedy (close the largest contributor first): " + ("no plan" if base is None else f"cost ${base.cost_usd:,.2f} in {len(base.trades)} trades"))
    if out:
        click.echo(f"traded book -> {out} (zkmargin risk --portfolio {out} ...)")
