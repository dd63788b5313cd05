"""A seeded generator of realistic market-maker books on a real snapshot (``zkmargin book generate``).

For benchmarks and large-book tests (issue 11): the same (snapshot, n, venues, seed) always gives
the same file. The book, in the snapshot's own instruments:

- options: ``n - hedges`` positions, 70 % BTC / 30 % ETH, drawn from the snapshot's options with
  |ln(K / F)| <= 0.35 and 2 days to 1 year to expiry (one instrument may recur at several venues,
  netting across them as real books do); short with probability 0.6 (a market maker sells
  premium on balance); size log-normal with median 5 BTC (75 ETH), at most 50 BTC (750 ETH),
  rounded to 0.1 coin;
- hedges: one perpetual position per underlying at the first venue, sized to cancel 90 % of the
  options' net delta (the snapshot's own deltas, coin per coin);
- venues ``venue-1`` .. ``venue-V``, assigned uniformly;
- collateral: USDC of 25 % of the gross notional (sum |q| F), at least 1,000,000.

Raises PortfolioError for n < 2, no venue, or a snapshot without the options or perpetuals needed.
"""

from __future__ import annotations

import math

import numpy as np

from public.errors import PortfolioError

UNDERLYING_SHARE = {"BTC": 0.7, "ETH": 0.3}
SIZE_MEDIAN = {"BTC": 5.0, "ETH": 75.0}  #: coins
SIZE_MAX = {"BTC": 50.0, "ETH": 750.0}
SHORT_PROBABILITY = 0.6
HEDGE_RATIO = 0.9
MONEYNESS = 0.35
TTM_YEARS = (2 / 365, 1.0)
COLLATERAL_SHARE, COLLATERAL_MIN = 0.25, 1_000_000


def market_maker_book(snapshot, n_positions: int, n_venues: int = 3, seed: int = 0) -> dict:
    """A ``zkmargin-portfolio/1`` object (module docstring) of exactly ``n_positions`` entries."""
    if n_positions < 2 or n_venues < 1:
        raise PortfolioError("a generated book needs at least 2 positions and 1 venue")
    rng = np.random.default_rng(seed)
    unds = [u for u in UNDERLYING_SHARE if any(snapshot.keys[i].underlying == u and snapshot.kind[i] == "perpetual" for i in range(len(snapshot)))]
    if not unds:
        raise PortfolioError(f"snapshot {snapshot.source} lists no perpetual to hedge with")
    pools = {}
    for u in unds:
        pools[u] = [i for i in range(len(snapshot)) if snapshot.keys[i].underlying == u and snapshot.kind[i] == "option"
                    and abs(math.log(snapshot.strike[i] / snapshot.forward[i])) <= MONEYNESS and TTM_YEARS[0] <= snapshot.ttm_years[i] <= TTM_YEARS[1]]  # fmt: skip
        if not pools[u]:
            raise PortfolioError(f"snapshot {snapshot.source} has no {u} option near the money to draw from")
    share = np.array([UNDERLYING_SHARE[u] for u in unds])
    n_options = n_positions - len(unds)
    venues = [f"venue-{v + 1}" for v in range(n_venues)]
    positions, delta, gross = [], {u: 0.0 for u in unds}, 0.0
    for u_idx in rng.choice(len(unds), size=n_options, p=share / share.sum()):
        u = unds[u_idx]
        i = pools[u][rng.integers(len(pools[u]))]
        size = min(SIZE_MAX[u], SIZE_MEDIAN[u] * math.exp(rng.normal(0.0, 0.8)))
        qty = round(size, 1) or 0.1
        qty = -qty if rng.random() < SHORT_PROBABILITY else qty
        positions.append({"instrument": snapshot.names[i], "quantity": f"{qty:.1f}", "venue": venues[rng.integers(n_venues)]})
        delta[u] += qty * float(snapshot.exchange_delta[i])
        gross += abs(qty) * float(snapshot.forward[i])
    for u in unds:
        perp = next(i for i in range(len(snapshot)) if snapshot.keys[i].underlying == u and snapshot.kind[i] == "perpetual")
        qty = round(-HEDGE_RATIO * delta[u], 1)
        positions.append({"instrument": snapshot.names[perp], "quantity": f"{qty if qty else 0.1:.1f}", "venue": venues[0]})
        gross += abs(qty) * float(snapshot.forward[perp])
    collateral = max(COLLATERAL_MIN, round(COLLATERAL_SHARE * gross))
    return {
        "format": "zkmargin-portfolio/1",
        "account": f"mm-book-{n_positions}-seed{seed}",
        "description": f"generated market-maker book: {n_positions} positions over {n_venues} venues, seed {seed}, on {snapshot.source} (prover/trader/bookgen.py)",
        "positions": positions,
        "collateral": {"USDC": str(collateral)},
    }
