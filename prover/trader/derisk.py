"""The least-cost trades that make a book meet a venue's policy (``zkmargin derisk``).

Margin is a maximum of linear functions of the quantities (SPEC section 3: W_u = max(0, -min_s
P_u[s]), P_u[s] linear in the quantities; the add-on is linear in |q|), so the cheapest trade list
that restores solvency and the delta/vega limits with a safety margin m is a linear program,
solved exactly with scipy's HiGHS (``scipy.optimize.linprog(method="highs")``). Variables, in coins:

- r_i in [0, |q_i|]: the reduction of existing position i toward zero (0 where the trade has no
  quote: an option without a bid to sell into, or an ask to buy back at);
- b_h, s_h >= 0: buys and sells of each listed future and perpetual of the book's underlyings
  (the hedges); W_u >= 0 per underlying.

Cost (USD, the objective): closing an option at the book's price, ``mark - bid x F`` for a long and
``ask x F - mark`` for a short per coin (mark = the risk record's Black-76 value, bid/ask from the
snapshot in coin per option, F its forward), and ``LINEAR_COST_RATE x F`` per coin for futures and
perpetuals (Deribit's taker fee; the chain snapshot has no futures book). The cash spent comes out of
the collateral. Constraints, with the policy's k and limits (USD x 1e-14 aggregates as floats):

- W_u + P_u'[s] >= 0 for every scenario s, P' the traded book's scenario P&L;
- k x (sum W_u + add-on') <= (1 - m) x collateral', add-on' = sum add_i (|q_i| - r_i) + sum add_h (b_h + s_h),
  collateral' = collateral - cost (a position's mark value is swapped for the cash it trades at);
  (an upper bound where a hedge trades an instrument the book holds: the re-evaluation is exact);
- |net delta_u'| <= (1 - m) delta_limit_u and the same for vega.

The solution is rounded to 1e-8 coin (reductions toward the held quantity's sign, hedges to the
nearest), turned into a what-if portfolio (USDC pays each option's price or receives it, and each
future's fee; its change in collateral value is minus the cost) and re-evaluated by
``public.methodology.margin.compute_margin``; ``greedy`` (close the largest contributor to the
failing check first) is the baseline whose cost the LP never exceeds: every greedy plan is a
feasible point of the LP.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from public.errors import PolicyNotMet, PortfolioError
from public.fixed_point import AGG_SCALE, K_SCALE, QTY_SCALE, USD_SCALE

LINEAR_COST_RATE = 0.0005  #: futures/perpetual trade cost, fraction of notional (Deribit taker fee 0.05 %)
CASH_ASSET = "USDC"  #: the cash a trade is paid from


class DeriskInfeasible(PolicyNotMet):
    """No trade list of the allowed kinds restores the policy (exit code 1); names the binding check."""


@dataclass(frozen=True)
class Trade:
    """One trade: instrument (canonical name), signed quantity in coins (+ buy), USD cost (>= 0 usually)."""

    instrument: str
    qty: float
    price_usd: float
    cost_usd: float
    kind: str  #: "reduce" an existing position or "hedge" with a future/perpetual

    def to_json(self) -> dict:
        return {"instrument": self.instrument, "side": "buy" if self.qty > 0 else "sell", "quantity": f"{abs(self.qty):.8f}",
                "price_usd": round(float(self.price_usd), 6), "cost_usd": round(float(self.cost_usd), 6), "kind": self.kind}  # fmt: skip


@dataclass(frozen=True)
class Plan:
    """A trade list, its cost (USD), the traded portfolio and its exact re-evaluation."""

    trades: tuple[Trade, ...]
    cost_usd: float
    portfolio: object
    report: object
    checks: list

    @property
    def passes(self) -> bool:
        return all(ok for _, ok, _ in self.checks)


@dataclass
class _Market:
    """Per instrument of the book and per hedge: record values as floats (USD per coin) and costs."""

    names: list
    ids: list
    und: np.ndarray
    pnl: np.ndarray  # (n, S)
    delta: np.ndarray
    vega: np.ndarray
    add_on: np.ndarray
    mark: np.ndarray
    price: np.ndarray  # forward (USD)
    kind: list


def _snapshot_row(iid: int, table, snapshot) -> int | None:
    """The snapshot row of a table instrument; None for a spot record (they follow the snapshot's)."""
    return table.index_of(iid) if table.index_of(iid) < len(snapshot) else None


def _market(ids, table, spec, snapshot) -> _Market:
    recs = [table.records[table.index_of(i)] for i in ids]
    rows = [_snapshot_row(i, table, snapshot) for i in ids]
    f = lambda vals: np.array(vals, dtype=float) / USD_SCALE  # noqa: E731
    return _Market(
        names=[r.name for r in recs], ids=list(ids), und=np.array([r.underlying for r in recs], dtype=int),
        pnl=np.array([r.pnl_e6 for r in recs], dtype=float).reshape(len(recs), table.n_scenarios) / USD_SCALE,
        delta=f([r.delta_e6 for r in recs]), vega=f([r.vega_e6 for r in recs]), add_on=f([r.add_on_e6 for r in recs]),
        mark=f([r.mark_e6 for r in recs]),
        price=np.array([snapshot.forward[j] if j is not None else snapshot.spot[spec.underlyings[r.underlying]] for j, r in zip(rows, recs)]),
        kind=[str(snapshot.kind[j]) if j is not None else "spot" for j in rows],
    )  # fmt: skip


def _close_cost(i_row, qty_sign: int, mark_usd: float, snapshot) -> float:
    """USD cost per coin of reducing a position of sign ``qty_sign`` toward zero; NaN if no quote."""
    if i_row is None:  # a spot holding: sold at the index, a liquidation haircut is its add-on
        return 0.0
    kind = snapshot.kind[i_row]
    f = snapshot.forward[i_row]
    if kind != "option":
        return LINEAR_COST_RATE * f
    quote = snapshot.bid_coin[i_row] if qty_sign > 0 else snapshot.ask_coin[i_row]
    if quote is None or not math.isfinite(quote) or (qty_sign > 0 and quote <= 0):
        return math.nan
    return (mark_usd - quote * f) if qty_sign > 0 else (quote * f - mark_usd)


def _trade_price(i_row, qty_sign: int, mark_usd: float, cost: float, spot: float, snapshot) -> float:
    """USD per coin the reduction trades at: an option's bid x F (long) or ask x F (short), a
    future's or perpetual's forward, a spot holding's index."""
    if i_row is None:
        return spot
    if snapshot.kind[i_row] != "option":
        return float(snapshot.forward[i_row])
    return mark_usd - qty_sign * cost


def _netted(portfolio) -> dict[int, int]:
    out: dict[int, int] = {}
    for p in portfolio.positions:
        out[p.instrument_id] = out.get(p.instrument_id, 0) + p.qty_e8
    return {i: q for i, q in out.items() if q}


def solve(portfolio, table, spec, snapshot, prices_e6: dict, policy, margin: float = 0.05):
    """The least-cost Plan making ``portfolio`` meet ``policy`` with safety margin ``margin``.

    Raises PortfolioError (margin outside [0, 0.5)), DeriskInfeasible (no trade list of reductions
    and listed futures/perpetual hedges restores the policy: the message names the checks it fails).
    """
    from scipy.optimize import linprog

    if not 0 <= margin < 0.5:
        raise PortfolioError(f"safety margin {margin} must be in [0, 0.5)")
    held = _netted(portfolio)
    und_names = list(spec.underlyings)
    book_unds = {table.records[table.index_of(i)].underlying for i in held}
    hedges = [int(snapshot.instrument_ids[j]) for j in range(len(snapshot))
              if snapshot.kind[j] in ("future", "perpetual") and und_names.index(str(snapshot.underlying[j])) in book_unds]  # fmt: skip
    ids = list(held)
    mk = _market(ids, table, spec, snapshot)
    hk = _market(hedges, table, spec, snapshot)
    q = np.array([held[i] for i in ids], dtype=float) / QTY_SCALE
    sign = np.sign(q)
    rows = [_snapshot_row(i, table, snapshot) for i in ids]
    close_cost = np.array([_close_cost(r, int(s), m, snapshot) for r, s, m in zip(rows, sign, mk.mark)])
    can_close = np.isfinite(close_cost)
    close_cost = np.where(can_close, close_cost, 0.0)
    hedge_cost = LINEAR_COST_RATE * hk.price
    n, nh, nu, n_scen = len(ids), len(hedges), len(und_names), table.n_scenarios
    # variable layout: r (n), b (nh), s (nh), W (nu)
    nv = n + 2 * nh + nu
    c = np.concatenate([close_cost, hedge_cost, hedge_cost, np.zeros(nu)])
    bounds = [(0.0, abs(q[i]) if can_close[i] else 0.0) for i in range(n)] + [(0.0, None)] * (2 * nh) + [(0.0, None)] * nu
    a_ub, b_ub = [], []

    def row():
        return np.zeros(nv)

    # W_u + sum (q - sign r) pnl + sum (b - s) pnl_h >= 0  ->  sign r pnl - (b - s) pnl_h - W_u <= q pnl
    for u in range(nu):
        for s_ in range(n_scen):
            a = row()
            a[:n] = np.where(mk.und == u, sign * mk.pnl[:, s_], 0.0)
            a[n:n + nh] = np.where(hk.und == u, -hk.pnl[:, s_], 0.0)
            a[n + nh:n + 2 * nh] = np.where(hk.und == u, hk.pnl[:, s_], 0.0)
            a[n + 2 * nh + u] = -1.0
            a_ub.append(a), b_ub.append(float(np.sum(np.where(mk.und == u, q * mk.pnl[:, s_], 0.0))))
    # k (sum W + add-on') <= (1 - m) collateral'
    k = policy.multiplier_k_e6 / K_SCALE
    assets = sum(portfolio.collateral_e8.get(a, 0) * prices_e6[a] for a in spec.assets) / AGG_SCALE
    a = row()
    # a trade changes the collateral by minus its cost only: the position's mark value leaves or
    # enters, and the cash paid or received for it at the book's price is that value plus the cost
    a[:n] = -k * mk.add_on + (1 - margin) * close_cost
    a[n:n + nh] = k * hk.add_on + (1 - margin) * hedge_cost
    a[n + nh:n + 2 * nh] = k * hk.add_on + (1 - margin) * hedge_cost
    a[n + 2 * nh:] = k
    a_ub.append(a), b_ub.append((1 - margin) * (assets + float(np.sum(q * mk.mark))) - k * float(np.sum(np.abs(q) * mk.add_on)))
    # |net greek'| <= (1 - m) limit
    for greek, limits in (("delta", policy.delta_limit_e6), ("vega", policy.vega_limit_e6)):
        for u, name in enumerate(und_names):
            g, gh = getattr(mk, greek), getattr(hk, greek)
            lim = (1 - margin) * limits[name] / USD_SCALE
            now = float(np.sum(np.where(mk.und == u, q * g, 0.0)))
            for direction in (1.0, -1.0):
                a = row()
                a[:n] = np.where(mk.und == u, -direction * sign * g, 0.0)
                a[n:n + nh] = np.where(hk.und == u, direction * gh, 0.0)
                a[n + nh:n + 2 * nh] = np.where(hk.und == u, -direction * gh, 0.0)
                a_ub.append(a), b_ub.append(lim - direction * now)
    res = linprog(c, A_ub=np.array(a_ub), b_ub=np.array(b_ub), bounds=bounds, method="highs")
    if res.status == 2:
        raise DeriskInfeasible(_infeasible_reason(portfolio, table, spec, prices_e6, policy, can_close, mk), [])
    if res.status != 0:
        raise PolicyNotMet(f"the derisk linear program did not solve: {res.message}")
    x = res.x
    trades = []
    for i in range(n):
        r_i = math.floor(x[i] * QTY_SCALE + 0.5) / QTY_SCALE
        if r_i > 0:
            price = _trade_price(rows[i], int(sign[i]), mk.mark[i], close_cost[i], mk.price[i], snapshot)
            trades.append(Trade(mk.names[i], float(-sign[i] * r_i), price, float(r_i * close_cost[i]), "reduce"))
    for h in range(nh):
        net = round((x[n + h] - x[n + nh + h]) * QTY_SCALE) / QTY_SCALE
        if net:
            trades.append(Trade(hk.names[h], float(net), float(hk.price[h]), float(abs(net) * hedge_cost[h]), "hedge"))
    return _apply(portfolio, trades, table, spec, snapshot, prices_e6, policy)


def _infeasible_reason(portfolio, table, spec, prices_e6, policy, can_close, mk) -> str:
    from public.methodology.margin import compute_margin

    failed = [f"{n}: {r}" for n, ok, r in compute_margin(portfolio, table, spec, prices_e6).policy_checks(policy) if not ok]
    stuck = [name for name, ok in zip(mk.names, can_close) if not ok]
    extra = f"; positions without a quote to trade at: {', '.join(stuck)}" if stuck else ""
    return ("no trade list restores the policy (reductions at the book's bid/ask and listed future/perpetual hedges; "
            f"futures carry no vega): {'; '.join(failed) or 'the safety margin'}{extra}")  # fmt: skip


def _apply(portfolio, trades, table, spec, snapshot, prices_e6, policy) -> Plan:
    """The Plan of ``trades``: the traded portfolio (cash out of USDC) and its exact margin."""
    from prover.trader.portfolio import Portfolio, Position
    from public.methodology.margin import compute_margin

    held = _netted(portfolio)
    names = {p.instrument_id: p.name for p in portfolio.positions}
    cash = 0.0  # USD paid out: an option's or a coin's whole price, a future's fee only (no premium)
    for t in trades:
        iid = next((i for i, n in names.items() if n == t.instrument), None)
        if iid is None:
            iid = int(snapshot.instrument_ids[snapshot.index(t.instrument)])
            names[iid] = t.instrument
        held[iid] = held.get(iid, 0) + round(t.qty * QTY_SCALE)
        row = _snapshot_row(iid, table, snapshot)
        cash += t.qty * t.price_usd if row is None or snapshot.kind[row] == "option" else t.cost_usd
    cost = sum(t.cost_usd for t in trades)
    collateral = dict(portfolio.collateral_e8)
    if CASH_ASSET not in collateral:
        raise PortfolioError(f"spec has no {CASH_ASSET} asset to pay the trades from")
    collateral[CASH_ASSET] -= math.ceil(cash * QTY_SCALE)  # USDC units x 1e8, rounded against the trader
    positions = tuple(Position(table.index_of(i), i, names[i], q, ("derisk",)) for i, q in sorted(held.items(), key=lambda kv: table.index_of(kv[0])) if q)
    traded = Portfolio(portfolio.account, positions, collateral, portfolio.salt, portfolio.source)
    report = compute_margin(traded, table, spec, prices_e6)
    return Plan(tuple(trades), cost, traded, report, report.policy_checks(policy))


def greedy(portfolio, table, spec, snapshot, prices_e6: dict, policy, margin: float = 0.05) -> Plan | None:
    """Close whole positions, the largest contributor to the first failing check first (the loss in
    the worst scenario of the underlying with the largest worst case, or the net delta/vega of the
    failing limit), until every check passes with ``margin``; None if closing all it can does not."""

    trades: list[Trade] = []
    plan = _apply(portfolio, trades, table, spec, snapshot, prices_e6, policy)
    for _ in range(len(portfolio.positions) + 1):
        if _passes_with(plan.report, policy, margin):
            return plan
        held = _netted(plan.portfolio)
        candidates = []
        for iid, qe8 in held.items():
            rec = table.records[table.index_of(iid)]
            cost = _close_cost(_snapshot_row(iid, table, snapshot), int(np.sign(qe8)), rec.mark_e6 / USD_SCALE, snapshot)
            if math.isfinite(cost):
                candidates.append((iid, qe8, rec, cost))
        check = _first_failing(plan.report, policy, margin)
        if not candidates or check is None:
            return None
        kind, u = check
        um = plan.report.underlyings[u]

        def contribution(c):
            _, qe8, rec, _ = c
            if rec.underlying != u:
                return -math.inf
            if kind == "solvency":
                s = um.worst_scenario if um.worst_scenario is not None else 0
                return -qe8 * rec.pnl_e6[s]
            g = rec.delta_e6 if kind == "delta" else rec.vega_e6
            net = um.net_delta_e14 if kind == "delta" else um.net_vega_e14
            return qe8 * g * (1 if net > 0 else -1)

        best = max(candidates, key=contribution)
        if contribution(best) <= 0 and kind != "solvency":
            return None
        iid, qe8, rec, cost = best
        row, sgn = _snapshot_row(iid, table, snapshot), int(np.sign(qe8))
        price = _trade_price(row, sgn, rec.mark_e6 / USD_SCALE, cost, snapshot.spot[spec.underlyings[rec.underlying]], snapshot)
        trades.append(Trade(rec.name, -qe8 / QTY_SCALE, price, abs(qe8) / QTY_SCALE * cost, "reduce"))
        plan = _apply(portfolio, trades, table, spec, snapshot, prices_e6, policy)
    return plan if _passes_with(plan.report, policy, margin) else None


def _first_failing(report, policy, margin) -> tuple[str, int] | None:
    """("solvency", u of the largest worst case) or ("delta"/"vega", u) of the first failing check."""
    k = policy.multiplier_k_e6
    if not k * report.im_e14 <= (1 - margin) * report.collateral_e14 * K_SCALE:
        return "solvency", max(range(len(report.underlyings)), key=lambda u: report.underlyings[u].worst_loss_e14)
    for greek, limits in (("delta", policy.delta_limit_e6), ("vega", policy.vega_limit_e6)):
        for u, um in enumerate(report.underlyings):
            net = um.net_delta_e14 if greek == "delta" else um.net_vega_e14
            if abs(net) > (1 - margin) * limits[um.underlying] * QTY_SCALE:
                return greek, u
    return None


def _passes_with(report, policy, margin) -> bool:
    return _first_failing(report, policy, margin) is None


def shortfall_usd(report, policy) -> float:
    """USD of extra collateral that would make ``report`` solvent under ``policy`` (0 if it is)."""
    need = policy.multiplier_k_e6 * report.im_e14 / K_SCALE - report.collateral_e14
    return max(0.0, need / AGG_SCALE)
