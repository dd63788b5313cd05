"""``zkmargin pm-simulate``: Deribit S:PM (coin-margined) margins of a ``private/pme/simulate``-style
input, beside the exchange's own numbers when the file carries them (public/methodology/deribit_pm.py)."""

from __future__ import annotations

from datetime import datetime, timezone

import click

from prover.cli.common import emit_json, json_opt

SCHEMA = "zkmargin-pm-simulate/1"


def _find_result(obj) -> dict:
    """The object holding ``model_params``: the file itself, its ``result``, or one level below."""
    from public.errors import SpecError

    for cand in (obj, obj.get("result") if isinstance(obj, dict) else None, *(v.get("result") for v in (obj.values() if isinstance(obj, dict) else ()) if isinstance(v, dict))):
        if isinstance(cand, dict) and isinstance(cand.get("model_params"), dict):
            return cand
    raise SpecError("no object with model_params (a private/pme/simulate result) in the file")


def _obj(v) -> dict:
    return v if isinstance(v, dict) else {}


def _number(v, name: str) -> float:
    from public.errors import PortfolioError

    if isinstance(v, bool) or not isinstance(v, (int, float)) or not abs(v) < 1e12:
        raise PortfolioError(f"initial_margin_details.{name}: {v!r} is not a finite number")
    return float(v)


@click.command("pm-simulate")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--currency", default="btc", show_default=True, help="Settlement currency (Deribit's model_params.currency key).")
@click.option("--market", default=None, type=click.Path(dir_okay=False), help="With --portfolio: margin this book on this snapshot; PATH then only supplies model_params.")
@click.option("--portfolio", default=None, type=click.Path(dir_okay=False), help="Unsigned portfolio JSON (with --market).")
@json_opt
def pm_simulate(path, currency, market, portfolio, as_json):
    """Deribit S:PM margins (worst case and its bucket, roll and delta shock, IM, MM) in coin.

    PATH: JSON with Deribit's model_params, portfolio.position, index_price and, optionally,
    margins and initial_margin_details (then shown as the exchange's figures beside ours).
    With --market and --portfolio: the book's margins per settlement currency on the snapshot,
    options included (e.g. PATH = fixtures/deribit/deribit_pm_model_params_btc_eth.json)."""
    from public.errors import PortfolioError, SpecError
    from public.json_input import read_json_file
    from public.methodology.deribit_pm import simulate

    res = _find_result(read_json_file(path, SpecError, "pme/simulate input"))
    if bool(market) != bool(portfolio):
        raise PortfolioError("give --market and --portfolio together")
    if market:
        return _book(res["model_params"], market, portfolio, as_json)
    ccy = currency.lower()
    try:
        positions = res["portfolio"]["position"]
        index = float(res["index_price"][f"{ccy}_usd"])
        stamp = res["model_params"]["general"]["timestamp"]
        at = datetime.fromtimestamp(int(stamp) / 1000, timezone.utc)
    except (KeyError, TypeError, ValueError, OverflowError, OSError):
        raise PortfolioError(f"{path}: needs portfolio.position, index_price.{ccy}_usd and model_params.general.timestamp") from None
    theirs = _obj(_obj(res.get("margins")).get(ccy))
    det = _obj(theirs.get("initial_margin_details"))
    extras = {k: _number(det.get(k, 0), k) for k in ("mmp_margin", "open_orders_margin", "spot_margin")}
    r = simulate(res["model_params"], ccy, positions, index, at, **extras)
    rows = [("worst_case", r.worst_case, _obj(det.get("risk_matrix_margin_details")).get("worst_case")),
            ("roll_shock", r.roll_shock, _obj(det.get("risk_matrix_margin_details")).get("roll_shock")),
            ("delta_shock", r.delta_shock, _obj(det.get("risk_matrix_margin_details")).get("delta_shock")),
            ("risk_matrix_margin", r.risk_matrix_margin, det.get("risk_matrix_margin")),
            ("initial_margin", r.initial_margin, theirs.get("initial_margin")),
            ("maintenance_margin", r.maintenance_margin, theirs.get("maintenance_margin"))]
    if as_json:
        emit_json({"schema": SCHEMA, "input": str(path), "margins": r.to_json(), "extras_from_input": extras,
                   "exchange": {n: want for n, _, want in rows if want is not None}})
        return
    b = r.worst_case_bucket
    click.echo(f"Deribit S:PM, {ccy.upper()} settlement, {len(positions)} positions, index {index:,.2f} USD, at {at.isoformat()}")
    click.echo(f"worst-case bucket: {b.source} {b.side} bucket {b.bucket} index {b.index}" if b else "worst-case bucket: none (no loss)")
    click.echo(f"{'':<20}{'zkmargin (coin)':>20}{'exchange':>20}{'rel. diff':>12}")
    for name, got, want in rows:
        known = isinstance(want, (int, float)) and not isinstance(want, bool)
        diff = f"{abs(got - want) / abs(want):.1e}" if known and want else ""
        click.echo(f"{name:<20}{got:>20.12f}{f'{float(want):.12f}' if known else '':>20}{diff:>12}")


def _book(model_params: dict, market, portfolio, as_json) -> None:
    """``pm-simulate --market --portfolio``: S:PM margins of a book per settlement currency."""
    from prover.cli.common import load_market
    from prover.trader.portfolio import load_portfolio
    from public.methodology.deribit_pm import simulate_book

    snapshot, spec = load_market(market, None)
    book = load_portfolio(portfolio, snapshot, spec)
    results = simulate_book(model_params, snapshot, book)
    usd = {c: r.initial_margin * snapshot.spot[c.upper()] for c, r in results.items()}
    if as_json:
        emit_json({"schema": SCHEMA, "snapshot": snapshot.source, "portfolio": str(portfolio), "margins": {c: r.to_json() for c, r in results.items()},
                   "index_price": {c: snapshot.spot[c.upper()] for c in results}, "initial_margin_usd": usd, "initial_margin_usd_total": sum(usd.values())})  # fmt: skip
        return
    click.echo(f"Deribit S:PM (coin-margined) of {book.account or portfolio}: {len(book.positions)} positions on {snapshot.source}")
    click.echo(f"{'currency':<9}{'worst case':>14}  {'bucket (source side bucket index)':<34}{'roll shock':>12}{'delta shock':>12}{'IM (coin)':>14}{'MM (coin)':>14}{'IM (USD)':>16}")
    for c, r in results.items():
        b = r.worst_case_bucket
        where = f"{b.source} {b.side} {b.bucket} {b.index}" if b else "none"
        click.echo(f"{c.upper():<9}{r.worst_case:>14.6f}  {where:<34}{r.roll_shock:>12.6f}{r.delta_shock:>12.6f}{r.initial_margin:>14.6f}{r.maintenance_margin:>14.6f}{usd[c]:>16,.2f}")
    click.echo(f"total IM at the index: ${sum(usd.values()):,.2f} (mmp, open-orders and spot margin not modelled: 0)")
