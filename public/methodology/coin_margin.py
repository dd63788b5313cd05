"""The coin-margined statement (spec ``"valuation": "coin_margined"``): Deribit S:PM per settlement
currency in the circuit's integers (circuits/margin.circom step 13; docs/statement.md).

Every underlying u is its own settlement currency (BTC options, futures and perpetuals settle in
BTC). Amounts are coin x 1e14 (qty x 1e8 times a record value at coin x 1e6 per coin); the USD
net delta is USD x 1e14 as in the USD-linear statement. With the risk records valued in coin
(``risk_array.risk_arrays`` in coin mode) and the spec's ``coin_margined`` parameters (Deribit's
names), per u:

- P_u[s] = sum q pnl_e6[s]; the first ``n_std`` scenarios are the standard table, the rest extended;
- worst case W_u = max(0, -min(min_std(P + pnl_offset, max_offsetable_pnl), min_ext(P + dampener, 0))),
  with max_offsetable_pnl >= 0 (the spec refuses less), so W_u = max(0, -(P_s + offset_s)) over s:
  the circuit's ``W + P + offset >= 0``; dampener = floor(extended_dampener x 1e14 / index) coin x 1e14
  (rounded down: never more relief than the float rule);
- roll shock_u = sum |q| add_on_e6 (the record's roll rate per coin: futures max(min_annualised_move,
  annualised_move_risk T), perpetuals min_annualised_move, options 0);
- delta shock_u = ceil(|D| r / S): D the USD net delta (sum q delta_e6, delta_e6 = coin delta x index),
  S the index (USD x 1e6), r = max_delta_shock_e6 if m_inc_e6 x excess >= max_delta_shock_e6 x 1e20,
  else max(0, ceil(m_inc_e6 x excess / 1e20)), excess = |D| - delta_total_liq_shock_threshold x 1e14;
- IM_u = W_u + roll_u + delta shock_u; MM_u = ceil(mm_factor x IM_u);
- collateral_u = sum_a amount_a x coin_price_e6[u][a] + sum q mark_e6 (an option's coin value);
  coin_price_e6[u][a] = (1 - haircut) x 1e6 if asset a is u's coin, else 0 (a stablecoin is not
  collateral of a coin-margined account);
- statement: k x IM_u <= collateral_u for every u, and the USD delta/vega limits as always.

``public/methodology/deribit_pm.py`` (floats, the code that reproduces Deribit's documented
example) computes the same margins; tests/public/methodology/test_coin_margin.py checks the two agree
to the fixed-point rounding.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from public.circuit import COIN_PARAM_SIGNALS
from public.errors import SpecError
from public.fixed_point import AGG_SCALE, K_SCALE, OFFSET_BITS, QTY_SCALE, RATE_DIVISOR, USD_SCALE, to_fixed
from public.methodology.money import usd, usd_str
from public.methodology.spec import deribit_worst_scenario

COIN_SCALE = USD_SCALE  #: coin-mode record values: coin x 1e6 per coin (amounts: coin x 1e14)


@dataclass(frozen=True)
class CoinParams:
    """The coin statement's public parameters of one snapshot under one coin spec, per underlying
    in spec order (the circuit's public inputs of step 13; the verifier recomputes them)."""

    underlyings: tuple[str, ...]
    assets: tuple[str, ...]
    n_std: int
    pnl_offset_e14: tuple[int, ...]
    dampener_e14: tuple[int, ...]
    index_e6: tuple[int, ...]
    delta_threshold_e6: tuple[int, ...]
    max_delta_shock_e6: tuple[int, ...]
    m_inc_e6: tuple[int, ...]
    coin_price_e6: tuple[tuple[int, ...], ...]  #: [u][a], coin x 1e6 per asset unit

    def inputs(self) -> dict[str, list]:
        """The step 13 public inputs as circuits/margin.circom declares them (input.json form)."""
        return {"coin_price_e6": [list(row) for row in self.coin_price_e6], **{n: list(getattr(self, n)) for n in COIN_PARAM_SIGNALS}}

    def public_values(self) -> dict[str, int]:
        """Signal name -> value, as ``CircuitParams.public_signal_names`` names them."""
        out = {f"coin_price_e6[{u}][{a}]": p for u, row in enumerate(self.coin_price_e6) for a, p in enumerate(row)}
        for name in COIN_PARAM_SIGNALS:
            out.update({f"{name}[{u}]": v for u, v in enumerate(getattr(self, name))})
        return out

    @classmethod
    def from_json(cls, obj: dict) -> "CoinParams":
        """Inverse of ``to_json``; raises KeyError/TypeError/ValueError on a malformed object."""
        ints = {k: tuple(int(x) for x in obj[k]) for k in COIN_PARAM_SIGNALS}
        return cls(tuple(map(str, obj["underlyings"])), tuple(map(str, obj["assets"])), int(obj["n_std"]), **ints,
                   coin_price_e6=tuple(tuple(int(x) for x in row) for row in obj["coin_price_e6"]))  # fmt: skip

    def to_json(self) -> dict:
        return {"n_std": self.n_std, **{k: list(v) if k != "coin_price_e6" else [list(r) for r in v]
                for k, v in self.__dict__.items() if k not in ("underlyings", "assets", "n_std")},
                "underlyings": list(self.underlyings), "assets": list(self.assets)}  # fmt: skip


def coin_params(spec, snapshot) -> CoinParams:
    """The CoinParams of ``snapshot`` under coin spec ``spec``; SpecError if the spec is not
    coin-margined or the snapshot lacks an underlying's index."""
    if spec.valuation != "coin_margined":
        raise SpecError(f"spec {spec.name} is not coin-margined")
    rows = {k: [] for k in COIN_PARAM_SIGNALS}
    prices = []
    for u in spec.underlyings:
        if u not in snapshot.spot or not snapshot.spot[u] > 0:
            raise SpecError(f"spec {spec.name} margins {u} in coin, but snapshot {snapshot.source} has no {u} index")
        p = spec.coin_margined[u]
        index = int(to_fixed(snapshot.spot[u], USD_SCALE))
        rows["index_e6"].append(index)
        rows["pnl_offset_e14"].append(p["pnl_offset_e14"])
        damp = p["extended_dampener_e6"] * AGG_SCALE // index
        if damp >= 2**OFFSET_BITS:
            raise SpecError(f"spec {spec.name}: {u}'s extended_dampener is {damp / AGG_SCALE:.6g} {u} at the index, beyond the circuit's {OFFSET_BITS}-bit range")
        rows["dampener_e14"].append(damp)
        rows["delta_threshold_e6"].append(p["delta_threshold_e6"])
        rows["max_delta_shock_e6"].append(p["max_delta_shock_e6"])
        rows["m_inc_e6"].append(p["m_inc_e6"])
        prices.append(tuple(int(to_fixed(1.0 - spec.collateral[a][0], COIN_SCALE)) if a == u else 0 for a in spec.assets))
    return CoinParams(tuple(spec.underlyings), tuple(spec.assets), spec.n_standard, **{k: tuple(v) for k, v in rows.items()},
                      coin_price_e6=tuple(prices))  # fmt: skip


@dataclass(frozen=True)
class CoinUnderlyingMargin:
    """One settlement currency's coin margin; amounts coin x 1e14, greeks USD x 1e14."""

    underlying: str
    pnl_total_e14: tuple[int, ...]
    worst_loss_e14: int
    worst_scenario: int | None
    worst_label: str
    net_delta_e14: int
    net_vega_e14: int
    roll_shock_e14: int
    delta_rate_e6: int
    delta_rate_cap: int  #: 1 when the rate is max_delta_shock (the circuit's selector)
    delta_shock_e14: int
    im_e14: int
    mm_e14: int
    collateral_e14: int
    asset_value_e14: dict
    mark_value_e14: int


def coin_str(v_e14: int) -> str:
    """coin x 1e14 -> exact decimal string with 8 places, truncated toward zero."""
    q, r = divmod(abs(v_e14), AGG_SCALE)
    return f"{'-' if v_e14 < 0 else ''}{q}.{r * 10**8 // AGG_SCALE:08d}"


@dataclass(frozen=True)
class CoinMarginReport:
    """Coin-margined breakdown of a portfolio: one CoinUnderlyingMargin per settlement currency."""

    underlyings: tuple[CoinUnderlyingMargin, ...]
    params: CoinParams
    coin_margined = True

    def policy_checks(self, policy) -> list[tuple[str, bool, str]]:
        """(name, passed, reason): solvency per currency (k x IM_c <= collateral_c, in coin), then
        each delta/vega limit (USD)."""
        k = policy.multiplier_k_e6
        out = []
        for um in self.underlyings:
            lhs, rhs = k * um.im_e14, um.collateral_e14 * K_SCALE
            c = um.underlying
            out.append((f"solvency.{c}", lhs <= rhs, f"k x IM = {k / K_SCALE:g} x {coin_str(um.im_e14)} {c} = {coin_str(lhs // K_SCALE)} {c} "
                        f"{'<=' if lhs <= rhs else '>'} collateral {coin_str(um.collateral_e14)} {c}"))  # fmt: skip
        for um in self.underlyings:
            for greek, net, limits in (("delta", um.net_delta_e14, policy.delta_limit_e6), ("vega", um.net_vega_e14, policy.vega_limit_e6)):
                limit = limits[um.underlying] * QTY_SCALE
                ok = abs(net) <= limit
                out.append((f"{greek}_limit.{um.underlying}", ok, f"|net {greek}| {usd(abs(net))} {'<=' if ok else '>'} limit {usd(limit)}"))
        return out

    def shortfall(self, policy) -> str:
        """The coin each currency lacks for solvency under ``policy`` ('' if none)."""
        parts = []
        for um in self.underlyings:
            need = -(-policy.multiplier_k_e6 * um.im_e14 // K_SCALE) - um.collateral_e14
            if need > 0:
                parts.append(f"{coin_str(need)} {um.underlying}")
        return ", ".join(parts)

    def details(self, spec) -> list[dict]:
        """Per currency, as Deribit's ``risk_matrix_margin_details``: the worst-case bucket (source
        standard/extended, side, bucket, index), roll shock, delta shock, IM and MM, in coin."""
        from public.methodology.spec import scenario_bucket

        return [
            {
                "currency": um.underlying,
                "worst_case": coin_str(um.worst_loss_e14),
                "worst_case_bucket": scenario_bucket(spec, um.worst_scenario).to_json() if um.worst_scenario is not None else None,
                "roll_shock": coin_str(um.roll_shock_e14),
                "delta_shock": coin_str(um.delta_shock_e14),
                "risk_matrix_margin": coin_str(um.im_e14),
                "initial_margin": coin_str(um.im_e14),
                "maintenance_margin": coin_str(um.mm_e14),
                "collateral": coin_str(um.collateral_e14),
                "net_delta_usd": str(Fraction(um.net_delta_e14, AGG_SCALE)),
            }
            for um in self.underlyings
        ]

    def render(self, spec, checks) -> str:
        """The text ``zkmargin risk`` prints for a coin-margined spec."""
        lines = [f"coin-margined (Deribit S:PM) under spec {spec.name}, per settlement currency:"]
        for um, d in zip(self.underlyings, self.details(spec)):
            c = um.underlying
            b = d["worst_case_bucket"]
            where = f"{b['source']} {b['side']} bucket {b['bucket']} index {b['index']} ({um.worst_label})" if b else "no loss"
            lines += [
                f"  {c}: worst case {d['worst_case']} {c} at {where}",
                f"       roll shock {d['roll_shock']} {c}, delta shock {d['delta_shock']} {c} (net delta ${um.net_delta_e14 / AGG_SCALE:,.0f})",
                f"       IM {d['initial_margin']} {c}, MM {d['maintenance_margin']} {c}, collateral {d['collateral']} {c}",
            ]
        lines += [f"  {'PASS' if ok else 'FAIL'} {name}: {reason}" for name, ok, reason in checks]
        return "\n".join(lines)

    def to_json(self) -> dict:
        """Machine-readable breakdown: per currency, coin amounts as 8-decimal strings and raw ints."""
        return {
            "valuation": "coin_margined",
            "currencies": [
                {
                    "currency": um.underlying,
                    "worst_case_coin": coin_str(um.worst_loss_e14),
                    "worst_scenario": um.worst_scenario,
                    "worst_scenario_label": um.worst_label,
                    "roll_shock_coin": coin_str(um.roll_shock_e14),
                    "delta_shock_coin": coin_str(um.delta_shock_e14),
                    "delta_shock_rate": str(Fraction(um.delta_rate_e6, 10**6)),
                    "initial_margin_coin": coin_str(um.im_e14),
                    "maintenance_margin_coin": coin_str(um.mm_e14),
                    "collateral_coin": coin_str(um.collateral_e14),
                    "mark_value_coin": coin_str(um.mark_value_e14),
                    "net_delta_usd": usd_str(um.net_delta_e14),
                    "net_vega_usd_per_vol_point": usd_str(um.net_vega_e14),
                    "worst_loss_e14": um.worst_loss_e14,
                    "im_e14": um.im_e14,
                    "collateral_e14": um.collateral_e14,
                }
                for um in self.underlyings
            ],
        }


def delta_shock(net_delta_e14: int, params: CoinParams, u: int) -> tuple[int, int, int]:
    """(rate_e6, cap selector, shock coin x 1e14) of a USD net delta (module docstring): the
    least values the circuit's step 13d accepts."""
    d = abs(net_delta_e14)
    cap, m_inc = params.max_delta_shock_e6[u], params.m_inc_e6[u]
    excess = d - params.delta_threshold_e6[u] * QTY_SCALE
    if m_inc * excess >= cap * RATE_DIVISOR:
        rate, sel = cap, 1
    else:
        rate, sel = max(0, -(-m_inc * excess // RATE_DIVISOR)), 0
    return rate, sel, -(-d * rate // params.index_e6[u])


def compute_coin_margin(portfolio, table, spec, haircut_price_e6=None) -> CoinMarginReport:
    """Coin margin of ``portfolio`` (prover/trader/portfolio.py) under coin-valued ``table``
    (its ``coin`` holds the CoinParams); raises SpecError if the table is not coin-valued."""
    params = getattr(table, "coin", None)
    if params is None:
        raise SpecError(f"risk table of spec {spec.name} is not coin-valued")
    n_scen, n_std = table.n_scenarios, params.n_std
    acc = {u: {"p": [0] * n_scen, "d": 0, "v": 0, "roll": 0, "mark": 0} for u in range(len(spec.underlyings))}
    for pos in portfolio.positions:
        rec = table.records[table.index_of(pos.instrument_id)]
        a = acc[rec.underlying]
        for s in range(n_scen):
            a["p"][s] += pos.qty_e8 * rec.pnl_e6[s]
        a["d"] += pos.qty_e8 * rec.delta_e6
        a["v"] += pos.qty_e8 * rec.vega_e6
        a["roll"] += abs(pos.qty_e8) * rec.add_on_e6
        a["mark"] += pos.qty_e8 * rec.mark_e6
    mm = Fraction(str(spec.mm_factor))
    out = []
    for u, name in enumerate(spec.underlyings):
        a = acc[u]
        offset_totals = [p + (params.pnl_offset_e14[u] if s < n_std else params.dampener_e14[u]) for s, p in enumerate(a["p"])]
        worst = max(0, -min(offset_totals))
        arg = deribit_worst_scenario(spec, offset_totals) if worst > 0 else None  # where, as Deribit reports it
        label = table.labels.get(name, [""] * n_scen)[arg] if arg is not None else "no loss in any scenario"
        rate, sel, shock = delta_shock(a["d"], params, u)
        im = worst + a["roll"] + shock
        assets = {asset: portfolio.collateral_e8.get(asset, 0) * params.coin_price_e6[u][i] for i, asset in enumerate(spec.assets)}
        coll = sum(assets.values()) + a["mark"]
        out.append(CoinUnderlyingMargin(name, tuple(a["p"]), worst, arg, label, a["d"], a["v"], a["roll"], rate, sel, shock, im,
                                        math.ceil(mm * im), coll, assets, a["mark"]))  # fmt: skip
    return CoinMarginReport(tuple(out), params)


def deribit_model_params(spec, snapshot) -> dict:
    """Deribit's ``model_params`` object equivalent to coin spec ``spec`` on ``snapshot`` (scan
    ranges resolved), for ``deribit_pm.simulate``: the float rules that reproduce Deribit's
    documented example, against which the circuit's integers are cross-checked. Raises SpecError if
    the spec's extended moves are not Deribit's (deribit_pm.EXTENDED_MOVES)."""
    from public.methodology.deribit_pm import EXTENDED_MOVES

    if tuple(spec.extended_moves) != EXTENDED_MOVES:
        raise SpecError(f"spec {spec.name}: extended moves {list(spec.extended_moves)} are not Deribit's {list(EXTENDED_MOVES)}")
    vs = spec.vol_shock
    pairs, currencies = {}, {}
    for u in spec.underlyings:
        p = spec.coin_margined[u]
        pairs[f"{u.lower()}_usd"] = {
            "price_range": spec.scan_range(u, snapshot.reference_vol), "extended_table_factor": spec.extended_factor,
            "volatility_range_up": vs["a_up"][u], "volatility_range_down": vs["a_down"], "min_volatility_for_shock_up": vs["sigma_min_up"],
            "short_term_vega_power": vs["p_short"], "long_term_vega_power": vs["p_long"],
            "max_delta_shock": p["max_delta_shock"], "delta_total_liq_shock_threshold": p["delta_total_liq_shock_threshold"], "m_inc": p["m_inc"],
        }  # fmt: skip
        currencies[u.lower()] = {k: p[k] for k in ("pnl_offset", "max_offsetable_pnl", "extended_dampener", "annualised_move_risk", "min_annualised_move")}
        currencies[u.lower()]["correlation_set"] = False
    general = {"mm_factor": spec.mm_factor, "buckets_count": spec.price_buckets, "vol_scenarios_count": len(spec.vol_states)}
    return {"currency_pair": pairs, "currency": currencies, "general": general}
