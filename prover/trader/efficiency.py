"""What the proof earns a trader: capital efficiency, greeks per venue, the worst scenario's contributors.

Three initial margins for the same book, all on the same risk table (SPEC section 3) and the same
collateral, so the difference is the netting alone (``zkmargin report``, issue 13):

- ``cross``: the cross-venue netted IM the proof states (``compute_margin`` on the whole book);
- ``per_venue``: each venue portfolio-margining only its own part (the sum over venues of
  ``compute_margin`` on that venue's positions; no offset between venues);
- ``standard``: a per-position (non-portfolio) margin, Deribit's standard-margin rules (Deribit
  knowledge base, "Margin requirements: options" and the futures contract specifications):
  short option ``max(0.15 - OTM / F, 0.10) x F`` per coin (the put rule's floor
  ``max(0.075, 0.075 x mark) x F`` never binds above 0.10 F), long option its mark (Deribit:
  "reference price of the option"; no credit for its value), future or perpetual
  ``(2 % + 0.5 % x |q| / 100) x F x |q|``, a spot holding of ``collateral_in_scenarios`` its
  liquidation haircut (its add-on). The option mark is left out of the standard figure because
  every column carries the positions' marks in the collateral (SPEC section 3), not in the IM.
  Each venue's positions are netted per instrument first, as a venue margins them (two accounts
  at one venue count as one book). Deribit's futures step is per 100 BTC; the same step per 100
  coins for ETH is this project's choice.

Amounts are floats in USD (a report, not proved); the IMs come from the exact integers of
``compute_margin``. Greeks: net delta (USD) and vega (USD per vol point) from the risk records,
gamma (USD of delta per 1 % move) from Black-76 (``public.methodology.margin.underlying_details``).
"""

from __future__ import annotations

from dataclasses import replace

from public.fixed_point import AGG_SCALE, QTY_SCALE
from public.methodology.margin import compute_margin, underlying_details

STANDARD_OPTION_IM = (0.15, 0.10)  #: short option: max(first - OTM/F, second) x F per coin
STANDARD_FUTURE_IM = (0.02, 0.005, 100.0)  #: future: base + step per ``size`` coins of |q|
NO_VENUE = "(no venue)"


def venue_books(portfolio) -> dict[str, object]:
    """{venue: Portfolio of that venue's positions, netted per instrument}, in first-seen order.

    Uses each position's ``venue_qty_e8`` (per venue entry); a position without them counts for
    its first venue. Collateral is left empty (the per-venue figure compares IM only).
    """
    per: dict[str, dict[int, list]] = {}
    for p in portfolio.positions:
        pairs = zip(p.venues, p.venue_qty_e8) if p.venue_qty_e8 else [((p.venues or ("",))[0], p.qty_e8)]
        for venue, q in pairs:
            slot = per.setdefault(venue or NO_VENUE, {}).setdefault(p.row, [p, 0])
            slot[1] += q
    return {
        v: replace(portfolio, positions=tuple(replace(p, qty_e8=q, venues=(v,), venue_qty_e8=(q,)) for _, (p, q) in sorted(rows.items()) if q),
                   collateral_e8={}, account=f"{portfolio.account}@{v}")
        for v, rows in per.items()
    }  # fmt: skip


def standard_margin(position, table, spec, snapshot) -> float:
    """Deribit standard (per-position) IM of one position, USD (module docstring), mark excluded."""
    q = abs(position.qty_e8) / QTY_SCALE
    i = position.row
    if i >= len(snapshot):  # a spot holding of collateral_in_scenarios: its liquidation haircut
        return abs(position.qty_e8) * table.records[table.index_of(position.instrument_id)].add_on_e6 / AGG_SCALE
    f = float(snapshot.forward[i])
    if snapshot.kind[i] != "option":
        base, step, size = STANDARD_FUTURE_IM
        return (base + step * q / size) * f * q
    if position.qty_e8 > 0:  # the premium: it cancels the long option's value in the collateral
        return position.qty_e8 * table.records[table.index_of(position.instrument_id)].mark_e6 / AGG_SCALE
    k = float(snapshot.strike[i])
    otm = max(k - f, 0.0) if snapshot.is_call[i] else max(f - k, 0.0)
    first, floor = STANDARD_OPTION_IM
    return max(first - otm / f, floor) * f * q


def _per_underlying_im(portfolio, table, spec, snapshot, prices) -> dict[str, float]:
    report = compute_margin(portfolio, table, spec, prices)
    return {d["underlying"]: float(d["initial_margin_usd"]) for d in underlying_details(report, portfolio, table, spec, snapshot)}


def capital_efficiency(portfolio, table, spec, snapshot, prices_e6) -> dict:
    """The three IMs (module docstring), total and per underlying, with the savings of ``cross``.

    Returns {"total": {...}, "per_underlying": [{...}], "per_venue_im_usd": {venue: IM}} where each
    row has ``cross_im_usd``, ``per_venue_im_usd``, ``standard_im_usd`` and
    ``saving_vs_{per_venue,standard}_usd`` / ``_pct`` (percent of that column; None when it is 0).
    """
    books = venue_books(portfolio)
    cross = _per_underlying_im(portfolio, table, spec, snapshot, prices_e6)
    venue_ims = {v: _per_underlying_im(b, table, spec, snapshot, prices_e6) for v, b in books.items()}
    standard = {u: 0.0 for u in spec.underlyings}
    for b in books.values():
        for p in b.positions:
            standard[spec.underlyings[table.records[table.index_of(p.instrument_id)].underlying]] += standard_margin(p, table, spec, snapshot)

    def row(name, c, pv, st):
        out = {"cross_im_usd": round(c, 6), "per_venue_im_usd": round(pv, 6), "standard_im_usd": round(st, 6)}
        for col, ref in (("per_venue", pv), ("standard", st)):
            out[f"saving_vs_{col}_usd"] = round(ref - c, 6)
            out[f"saving_vs_{col}_pct"] = round(100 * (ref - c) / ref, 4) if ref else None
        return {"underlying": name, **out} if name else out

    per_und = [row(u, cross[u], sum(v[u] for v in venue_ims.values()), standard[u]) for u in spec.underlyings]
    total = row(None, sum(cross.values()), sum(sum(v.values()) for v in venue_ims.values()), sum(standard.values()))
    return {"total": total, "per_underlying": per_und, "per_venue_im_usd": {v: round(sum(m.values()), 6) for v, m in venue_ims.items()}}


def greeks(portfolio, table, spec, snapshot, prices_e6) -> dict:
    """Net delta (USD), gamma (USD per 1 % move) and vega (USD per vol point) per underlying, for
    the whole book and per venue: {"book": [...], "per_venue": {venue: [...]}}."""

    def of(book):
        report = compute_margin(book, table, spec, prices_e6)
        return [{"underlying": d["underlying"], "delta_usd": float(d["net_delta_usd"]), "gamma_usd_per_1pct": d["net_gamma_usd_per_1pct"],
                 "vega_usd_per_vol_point": float(d["net_vega_usd_per_vol_point"])} for d in underlying_details(report, book, table, spec, snapshot)]  # fmt: skip

    return {"book": of(portfolio), "per_venue": {v: of(b) for v, b in venue_books(portfolio).items()}}


def worst_contributors(portfolio, table, spec, report, top: int = 5) -> list[dict]:
    """Per underlying with a loss, the ``top`` positions losing most in its worst scenario:
    [{"underlying", "scenario", "label", "worst_loss_usd", "positions": [{"instrument", "quantity",
    "pnl_usd", "share_pct"}]}], share = the position's P&L / the underlying's total P&L there
    (a hedge's share is negative)."""
    out = []
    for u, um in enumerate(report.underlyings):
        s = um.worst_scenario
        if s is None:
            continue
        total = um.pnl_total_e14[s]
        rows = []
        for p in portfolio.positions:
            rec = table.records[table.index_of(p.instrument_id)]
            if rec.underlying == u:
                v = p.qty_e8 * rec.pnl_e6[s]
                rows.append({"instrument": p.name, "quantity": p.qty_e8 / QTY_SCALE, "pnl_usd": v / AGG_SCALE,
                             "share_pct": round(100 * v / total, 4) if total else None})  # fmt: skip
        rows.sort(key=lambda r: r["pnl_usd"])
        out.append({"underlying": um.underlying, "scenario": s, "label": um.worst_label, "worst_loss_usd": um.worst_loss_e14 / AGG_SCALE,
                    "scenario_pnl_usd": total / AGG_SCALE, "positions": rows[:top]})  # fmt: skip
    return out


def scenario_pnl_usd(report) -> dict[str, list[float]]:
    """{underlying: total P&L per scenario, USD} of a MarginReport (for the pictures)."""
    return {um.underlying: [v / AGG_SCALE for v in um.pnl_total_e14] for um in report.underlyings}

