"""Margin of a portfolio under a risk table: worst-case loss, add-on, IM, MM, collateral, greeks.

Exact integer arithmetic on the same integers the circuit sees (USD x 1e14 for aggregates: qty
x 1e8 times per-unit USD x 1e6), so the report, the witness hint ``worst_loss_e14`` and the
circuit agree bit for bit. Method (SPEC section 3):

- P_u[s] = sum over positions of underlying u of qty_e8 * pnl_e6[s]
- counted loss: gains count at the gain offset g (P_eff = P if P < 0 else g P), losses in full;
  W_u = max(0, -min_s P_eff[s])
- add-on = sum |qty_e8| * add_on_e6;  IM = sum_u W_u + add-on;  MM = mm_factor x IM (rounded up)
- collateral = sum_a amount_e8 * haircut_price_e6 + sum qty_e8 * mark_e6
- net delta_u = sum qty_e8 * delta_e6 (USD x 1e14), net vega_u likewise (USD per vol point x 1e14)
No offset across underlyings (SPEC section 3 default).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from public.fixed_point import K_SCALE, QTY_SCALE
from public.methodology.money import usd, usd_str  # noqa: F401  (re-exported: the reports format with them)


@dataclass(frozen=True)
class UnderlyingMargin:
    """One underlying's aggregates: P&L per scenario, worst-case loss and its scenario, greeks."""

    underlying: str
    pnl_total_e14: tuple[int, ...]
    worst_loss_e14: int
    worst_scenario: int | None  #: index of the scenario giving W (None when nothing is lost)
    worst_label: str
    net_delta_e14: int
    net_vega_e14: int


@dataclass(frozen=True)
class MarginReport:
    """Margin breakdown of a portfolio; every amount an int, USD x 1e14 unless named otherwise."""

    underlyings: tuple[UnderlyingMargin, ...]
    add_on_e14: int
    im_e14: int
    mm_e14: int
    asset_value_e14: dict[str, int]
    mark_value_e14: int
    haircut_price_e6: dict[str, int]
    collateral_e14: int
    coin_margined = False  #: a CoinMarginReport (public/methodology/coin_margin.py) says True

    def policy_checks(self, policy) -> list[tuple[str, bool, str]]:
        """(name, passed, reason) for solvency and each delta/vega limit of ``policy``."""
        out = []
        k = policy.multiplier_k_e6
        lhs, rhs = k * self.im_e14, self.collateral_e14 * K_SCALE
        out.append(
            (
                "solvency",
                lhs <= rhs,
                f"k x IM = {k / K_SCALE:g} x {usd(self.im_e14)} = {usd(lhs // K_SCALE)} "
                f"{'<=' if lhs <= rhs else '>'} collateral {usd(self.collateral_e14)}",
            )
        )
        for um in self.underlyings:
            for greek, net, limits in (
                ("delta", um.net_delta_e14, policy.delta_limit_e6),
                ("vega", um.net_vega_e14, policy.vega_limit_e6),
            ):
                limit = limits[um.underlying] * QTY_SCALE
                ok = abs(net) <= limit
                out.append(
                    (f"{greek}_limit.{um.underlying}", ok, f"|net {greek}| {usd(abs(net))} {'<=' if ok else '>'} limit {usd(limit)}")
                )
        return out

    def to_json(self) -> dict:
        """Machine-readable breakdown; amounts as USD strings with 6 decimals and as raw ints."""
        return {
            "underlyings": [
                {
                    "underlying": um.underlying,
                    "worst_loss_usd": usd_str(um.worst_loss_e14),
                    "worst_scenario": um.worst_scenario,
                    "worst_scenario_label": um.worst_label,
                    "net_delta_usd": usd_str(um.net_delta_e14),
                    "net_vega_usd_per_vol_point": usd_str(um.net_vega_e14),
                    "worst_loss_e14": um.worst_loss_e14,
                }
                for um in self.underlyings
            ],
            "add_on_usd": usd_str(self.add_on_e14),
            "initial_margin_usd": usd_str(self.im_e14),
            "maintenance_margin_usd": usd_str(self.mm_e14),
            "collateral_value_usd": usd_str(self.collateral_e14),
            "collateral_assets_usd": {a: usd_str(v) for a, v in self.asset_value_e14.items()},
            "mark_value_usd": usd_str(self.mark_value_e14),
            "haircut_price_usd": {a: str(Fraction(v, 10**6)) for a, v in self.haircut_price_e6.items()},
            "im_e14": self.im_e14,
            "collateral_e14": self.collateral_e14,
        }


def worst_case(pnl_total: list[int], gain_offset) -> tuple[int, int | None]:
    """(W, argmax) with W = max(0, -min_s P_eff[s]), P_eff = P if P < 0 else g P (SPEC section 3).

    For 0 <= g <= 1 this equals max(0, -min_s P[s]): the circuit's check W >= 0 and W + P[s] >= 0.
    """
    g = Fraction(str(gain_offset))
    best, arg = Fraction(0), None
    for s, p in enumerate(pnl_total):
        loss = -(p if p < 0 else g * p)
        if loss > best:
            best, arg = loss, s
    return math.ceil(best), arg


def compute_margin(portfolio, table, spec, haircut_price_e6: dict[str, int]) -> MarginReport:
    """Margin of ``portfolio`` (prover/trader/portfolio.py) under ``table`` (public/methodology/risk_table.py).

    ``haircut_price_e6``: asset -> price x (1 - haircut), USD x 1e6 (spec.haircut_prices_e6).
    Under a coin-margined spec the result is public/methodology/coin_margin.py's CoinMarginReport.
    """
    if spec.valuation == "coin_margined":
        from public.methodology.coin_margin import compute_coin_margin

        return compute_coin_margin(portfolio, table, spec)
    n_scen = table.n_scenarios
    per_und = []
    add_on = mark_value = 0
    by_und = {u: ([0] * n_scen, [0, 0]) for u in range(len(spec.underlyings))}
    for pos in portfolio.positions:
        rec = table.records[table.index_of(pos.instrument_id)]
        totals, greeks = by_und[rec.underlying]
        for s in range(n_scen):
            totals[s] += pos.qty_e8 * rec.pnl_e6[s]
        greeks[0] += pos.qty_e8 * rec.delta_e6
        greeks[1] += pos.qty_e8 * rec.vega_e6
        add_on += abs(pos.qty_e8) * rec.add_on_e6
        mark_value += pos.qty_e8 * rec.mark_e6
    for u, name in enumerate(spec.underlyings):
        totals, (delta, vega) = by_und[u]
        w, arg = worst_case(totals, spec.gain_offset)
        label = table.labels.get(name, [""] * n_scen)[arg] if arg is not None else "no loss in any scenario"
        per_und.append(UnderlyingMargin(name, tuple(totals), w, arg, label, delta, vega))
    im = sum(um.worst_loss_e14 for um in per_und) + add_on
    mm = math.ceil(Fraction(str(spec.mm_factor)) * im)
    assets = {a: portfolio.collateral_e8.get(a, 0) * haircut_price_e6[a] for a in spec.assets}
    return MarginReport(
        tuple(per_und), add_on, im, mm, assets, mark_value, dict(haircut_price_e6), sum(assets.values()) + mark_value
    )


def underlying_details(report: MarginReport, portfolio, table, spec, snapshot) -> list[dict]:
    """Per underlying, what ``zkmargin risk`` reports beside the margin (issue 10, item 6).

    Keys: ``scan_range`` (R, fraction; from ``spec.scan_range`` and the snapshot's reference vol),
    ``reference_vol``, ``worst_case_bucket`` (``deribit_worst_bucket``: source standard/extended,
    side, bucket, index, with Deribit's tie rule; None when nothing is lost), ``add_on_usd``,
    ``initial_margin_usd`` (worst-case loss + add-on of the underlying's positions) and
    ``maintenance_margin_usd`` (mm_factor x that, rounded up), ``net_gamma_usd_per_1pct`` (the
    change of the net cash delta for a 1 % move, Black-76, float, not proved), ``roll_shock`` and
    ``delta_shock``: None, since this spec's USD-linear method has neither (Deribit's coin-margined
    S:PM has both: ``public/methodology/deribit_pm.py``, ``zkmargin pm-simulate``).
    """
    from public.methodology import black76

    add_on = {u: 0 for u in range(len(spec.underlyings))}
    gamma = {u: 0.0 for u in spec.underlyings}
    mm = Fraction(str(spec.mm_factor))
    for pos in portfolio.positions:
        rec = table.records[table.index_of(pos.instrument_id)]
        add_on[rec.underlying] += abs(pos.qty_e8) * rec.add_on_e6
        i = pos.row if pos.row < len(snapshot) else None  # spot collateral rows follow the snapshot's
        if i is not None and snapshot.kind[i] == "option":
            f = snapshot.forward[i]
            t = snapshot.ttm_years[i] * 365.25 / spec.days_per_year
            g = float(black76.gamma(f, snapshot.strike[i], t, snapshot.mark_iv[i])) * f * f / 100.0
            gamma[snapshot.underlying[i]] += g * pos.qty_e8 / QTY_SCALE
    out = []
    for u, um in enumerate(report.underlyings):
        im = um.worst_loss_e14 + add_on[u]
        bucket = deribit_worst_bucket(spec, um.pnl_total_e14) if um.worst_scenario is not None else None
        out.append({
            "underlying": um.underlying,
            "scan_range": spec.scan_range(um.underlying, snapshot.reference_vol),
            "reference_vol": snapshot.reference_vol.get(um.underlying),
            "worst_case_usd": usd_str(um.worst_loss_e14),
            "worst_case_bucket": bucket.to_json() if bucket else None,
            "worst_scenario_label": um.worst_label,
            "roll_shock": None,
            "delta_shock": None,
            "add_on_usd": usd_str(add_on[u]),
            "initial_margin_usd": usd_str(im),
            "maintenance_margin_usd": usd_str(math.ceil(mm * im)),
            "net_delta_usd": usd_str(um.net_delta_e14),
            "net_gamma_usd_per_1pct": round(gamma[um.underlying], 6),
            "net_vega_usd_per_vol_point": usd_str(um.net_vega_e14),
        })  # fmt: skip
    return out


def deribit_worst_bucket(spec, pnl_total):
    """The WorstCaseBucket of the scenario with the lowest total P&L, ties broken as Deribit
    reports them (``public/methodology/spec.py`` ``deribit_worst_scenario``).
    ``pnl_total``: one total per scenario (any unit)."""
    from public.methodology.spec import deribit_worst_scenario, scenario_bucket

    return scenario_bucket(spec, deribit_worst_scenario(spec, pnl_total))
