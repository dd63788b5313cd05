"""The scenario P&L grid of one underlying as a PNG (matplotlib, Agg backend; ``zkmargin report``).

Top panel: the standard scenarios, price move (columns, ascending) x vol state (rows: up, same,
down); bottom panel: the extended (Deribit) or extreme (SPAN) moves at their counted weight. Each
cell shows the underlying's total P&L in that scenario (USD, thousands), coloured red for a loss
and green for a gain on one scale centred at 0 for both panels; cells whose loss exceeds what the
collateral covers (collateral / k) are hatched; the worst cell has a blue frame
(``WORST_RGB``). The title gives the worst-case loss, its scenario and the collateral coverage.

``pnl_grid_png`` returns the PNG bytes and the layout a test needs to check the picture against
the numbers: each scenario's cell in pixels (x0, y0, x1, y1, origin top-left).
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import TwoSlopeNorm  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

from public.methodology.spec import VOL_STATES, scenario_bucket, scenario_grid  # noqa: E402

DPI = 100
FIGSIZE = (11.0, 6.0)  #: inches: the PNG is 1100 x 600 pixels
WORST_RGB = (0, 0, 255)  #: the worst cell's frame


def _cell_px(ax, fig, x0, y0, x1, y1) -> tuple[int, int, int, int]:
    (ax0, ay0), (ax1, ay1) = ax.transData.transform([(x0, y0), (x1, y1)])
    h = fig.get_figheight() * fig.dpi
    return int(round(min(ax0, ax1))), int(round(h - max(ay0, ay1))), int(round(max(ax0, ax1))), int(round(h - min(ay0, ay1)))


def pnl_grid_png(spec, underlying: str, scan_range: float, pnl_usd, collateral_usd: float | None = None, k: float = 1.0,
                 worst: int | None = -1) -> tuple[bytes, dict]:
    """PNG of the P&L grid (module docstring) and its layout.

    ``pnl_usd``: the underlying's total P&L per scenario, USD, shape (n_scenarios,) in the spec's
    order (``prover.trader.efficiency.scenario_pnl_usd``); ``collateral_usd`` / ``k``: the coverage
    line (None: not shown); ``worst``: the scenario to frame (the MarginReport's exact
    ``worst_scenario``, None: nothing lost; default: the lowest ``pnl_usd``). Layout: {"width", "height", "cells": {scenario: [x0, y0, x1, y1]},
    "worst": scenario of the lowest P&L or None when nothing loses}.
    Raises ValueError when ``pnl_usd`` does not have one value per scenario.
    """
    pnl = np.asarray(pnl_usd, dtype=float)
    if pnl.shape != (spec.n_scenarios,):
        raise ValueError(f"pnl_usd has shape {pnl.shape}, the spec has {spec.n_scenarios} scenarios")
    grid = scenario_grid(spec, underlying, scan_range)
    standard = [s for s in range(spec.n_scenarios) if scenario_bucket(spec, s).source == "standard"]
    extended = [s for s in range(spec.n_scenarios) if s not in standard]
    moves = sorted({float(grid.moves[s]) for s in standard})
    states = sorted({int(grid.vol_state[s]) for s in standard})
    if worst == -1:
        worst = int(np.argmin(pnl)) if pnl.min() < 0 else None
    covered = None if collateral_usd is None else collateral_usd / k
    span = max(float(np.abs(pnl).max()), 1e-9)
    norm = TwoSlopeNorm(vcenter=0.0, vmin=-span, vmax=span)
    cmap = plt.get_cmap("RdYlGn")

    fig = plt.figure(figsize=FIGSIZE, dpi=DPI)
    top = fig.add_axes((0.08, 0.36, 0.84, 0.50))
    bottom = fig.add_axes((0.08, 0.08, 0.84, 0.16))

    def draw(ax, s, x, y, text_size=8):
        v = pnl[s]
        ax.add_patch(Rectangle((x, y), 1, 1, facecolor=cmap(norm(v)), edgecolor="white", linewidth=1,
                               hatch="///" if covered is not None and -v > covered else None))  # fmt: skip
        ax.text(x + 0.5, y + 0.5, f"{v / 1000:,.1f}k", ha="center", va="center", fontsize=text_size, color="black")

    def place(s) -> tuple:
        """(axes, x, y) of scenario s's cell."""
        if s in standard:
            return top, moves.index(float(grid.moves[s])), len(states) - 1 - states.index(int(grid.vol_state[s]))
        return bottom, extended.index(s), 0

    for s in range(spec.n_scenarios):
        ax, x, y = place(s)
        draw(ax, s, x, y, 8 if ax is top else 9)
    top.set_xlim(0, len(moves)), top.set_ylim(0, len(states))
    top.set_xticks([i + 0.5 for i in range(len(moves))], [f"{m:+.1%}" for m in moves], fontsize=8)
    top.set_yticks([len(states) - 1 - i + 0.5 for i in range(len(states))], [f"vol {VOL_STATES[v]}" for v in states], fontsize=9)
    top.set_xlabel(f"price move (scan range {scan_range:.2%})", fontsize=9)
    bottom.set_xlim(0, max(len(extended), 1)), bottom.set_ylim(0, 1)
    bottom.set_xticks([i + 0.5 for i in range(len(extended))], [f"{grid.moves[s]:+.1%} x{grid.weight[s]:.3g}" for s in extended], fontsize=8)
    bottom.set_yticks([0.5], ["extended" if spec.grid != "span" else "extreme"], fontsize=9)
    for ax in (top, bottom):
        ax.tick_params(length=0)
        for side in ax.spines.values():
            side.set_visible(False)
    fig.canvas.draw()  # the transforms are final before any pixel is read
    cells = {s: list(_cell_px(ax, fig, x, y, x + 1, y + 1)) for s in range(spec.n_scenarios) for ax, x, y in [place(s)]}
    if worst is not None:
        ax, x, y = place(worst)
        ax.add_patch(Rectangle((x + 0.04, y + 0.06), 0.92, 0.88, fill=False, edgecolor=np.array(WORST_RGB) / 255, linewidth=4, zorder=5))
    title = f"{underlying}: scenario P&L (USD), {spec.name}"
    if worst is None:
        sub = "no scenario loses"
    else:
        sub = f"worst-case loss ${-pnl[worst]:,.0f} at {grid.labels[worst]}"
        if covered is not None:
            sub += f"; collateral / k ${covered:,.0f} covers {covered / -pnl[worst]:.2f}x (hatched: loss beyond it)"
    fig.suptitle(f"{title}\n{sub}", fontsize=11, parse_math=False)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    plt.close(fig)
    w, h = int(FIGSIZE[0] * DPI), int(FIGSIZE[1] * DPI)
    return buf.getvalue(), {"width": w, "height": h, "cells": cells, "worst": worst}
