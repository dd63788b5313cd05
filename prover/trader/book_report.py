"""The trader's report of a book (``zkmargin report``): the numbers as one JSON object, the P&L grid
pictures, and a self-contained HTML page (tables + pictures embedded as data: URIs) for sharing.

Everything comes from the same evaluation the proof uses (``compute_margin`` on the risk table);
nothing here is proved. Sources: ``prover.trader.efficiency`` (capital efficiency, greeks per
venue, contributors) and ``prover.trader.pictures`` (PNG).
"""

from __future__ import annotations

import base64
import hashlib
import html

from prover.trader.efficiency import capital_efficiency, greeks, scenario_pnl_usd, worst_contributors
from prover.trader.pictures import pnl_grid_png
from public.fixed_point import AGG_SCALE, K_SCALE
from public.methodology.margin import compute_margin, underlying_details
from public.methodology.spec import haircut_prices_e6

SCHEMA = "zkmargin-report/1"


def build_report(book, table, spec, snapshot, policy=None) -> tuple[dict, dict[str, bytes]]:
    """(report JSON, {underlying: PNG bytes}) of ``book`` on ``snapshot`` under ``spec``.

    ``policy``: its k scales the collateral coverage in the pictures and its checks are reported
    (None: k = 1, no checks). The JSON keys: schema, snapshot, spec, risk_root, account, margin
    (``MarginReport.to_json``), per_underlying (``underlying_details``), capital_efficiency,
    greeks, worst_contributors, policy_checks, pictures ({underlying: {sha256, width, height,
    worst_scenario}}; the file names are the caller's).
    """
    prices = haircut_prices_e6(spec, snapshot.spot)
    report = compute_margin(book, table, spec, prices)
    details = underlying_details(report, book, table, spec, snapshot)
    k = policy.multiplier_k_e6 / K_SCALE if policy is not None else 1.0
    collateral = report.collateral_e14 / AGG_SCALE
    pngs, pictures = {}, {}
    for d, um, (u, pnl) in zip(details, report.underlyings, scenario_pnl_usd(report).items()):
        png, layout = pnl_grid_png(spec, u, d["scan_range"], pnl, collateral, k, worst=um.worst_scenario)  # the exact integers' worst
        pngs[u] = png
        pictures[u] = {"sha256": hashlib.sha256(png).hexdigest(), "width": layout["width"], "height": layout["height"],
                       "worst_scenario": layout["worst"], "cells": layout["cells"]}  # fmt: skip
    data = {
        "schema": SCHEMA, "snapshot": snapshot.source, "snapshot_sha256": snapshot.sha256, "spec": spec.name, "spec_sha256": spec.sha256,
        "risk_root": hex(table.root), "account": ",".join(dict.fromkeys(book.account.split(","))), "positions": len(book.positions), "multiplier_k": k,
        "margin": report.to_json(), "per_underlying": details,
        "capital_efficiency": capital_efficiency(book, table, spec, snapshot, prices),
        "greeks": greeks(book, table, spec, snapshot, prices),
        "worst_contributors": worst_contributors(book, table, spec, report),
        "policy_checks": [{"name": n, "passed": ok, "reason": r} for n, ok, r in (report.policy_checks(policy) if policy else [])],
        "pictures": pictures,
    }  # fmt: skip
    return data, pngs


def _usd(v) -> str:
    return f"{'-' if float(v) < 0 else ''}${abs(float(v)):,.2f}"


def _table(head: list[str], rows: list[list]) -> str:
    th = "".join(f"<th>{html.escape(str(h))}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def _pct(v) -> str:
    return "n/a" if v is None else f"{v:.2f} %"


def render_text(data: dict) -> str:
    """The report for a terminal: capital efficiency, greeks per venue, the worst scenario's contributors."""
    ce = data["capital_efficiency"]
    lines = [f"book {data['account']}: {data['positions']} positions; snapshot {data['snapshot']}; spec {data['spec']}", "",
             f"{'initial margin':<16}{'cross-venue (proved)':>22}{'per venue':>16}{'standard':>16}{'saving vs venues':>26}{'saving vs standard':>26}"]  # fmt: skip
    for name, r in [("total", ce["total"])] + [(x["underlying"], x) for x in ce["per_underlying"]]:
        lines.append(f"{name:<16}{_usd(r['cross_im_usd']):>22}{_usd(r['per_venue_im_usd']):>16}{_usd(r['standard_im_usd']):>16}"
                     f"{_usd(r['saving_vs_per_venue_usd']) + ' (' + _pct(r['saving_vs_per_venue_pct']) + ')':>26}"
                     f"{_usd(r['saving_vs_standard_usd']) + ' (' + _pct(r['saving_vs_standard_pct']) + ')':>26}")  # fmt: skip
    lines += ["", f"{'greeks':<24}{'underlying':<12}{'delta (USD)':>16}{'gamma (USD/1%)':>16}{'vega (USD/vol pt)':>20}"]
    for who, rows in [("book", data["greeks"]["book"])] + [(f"venue {v}", g) for v, g in data["greeks"]["per_venue"].items()]:
        for g in rows:
            lines.append(f"{who:<24}{g['underlying']:<12}{g['delta_usd']:>16,.2f}{g['gamma_usd_per_1pct']:>16,.2f}{g['vega_usd_per_vol_point']:>20,.2f}")
    for c in data["worst_contributors"]:
        lines += ["", f"{c['underlying']} worst scenario {c['label']}: P&L {_usd(c['scenario_pnl_usd'])}; largest contributors:"]
        for p in c["positions"]:
            lines.append(f"  {p['instrument']:<26}{p['quantity']:>14,.4f}{_usd(p['pnl_usd']):>16}  {_pct(p['share_pct'])}")
    for chk in data["policy_checks"]:
        lines.append(f"{'PASS' if chk['passed'] else 'FAIL'}  {chk['name']:<18} {chk['reason']}")
    return "\n".join(lines)


def render_html(data: dict, pngs: dict[str, bytes]) -> str:
    """A self-contained HTML page of ``build_report``'s output (no external file or script)."""
    ce = data["capital_efficiency"]
    eff_rows = [[name, _usd(r["cross_im_usd"]), _usd(r["per_venue_im_usd"]), _usd(r["standard_im_usd"]),
                 f"{_usd(r['saving_vs_per_venue_usd'])} ({_pct(r['saving_vs_per_venue_pct'])})",
                 f"{_usd(r['saving_vs_standard_usd'])} ({_pct(r['saving_vs_standard_pct'])})"]
                for name, r in [("total", ce["total"])] + [(x["underlying"], x) for x in ce["per_underlying"]]]  # fmt: skip
    und_rows = [[d["underlying"], f"{d['scan_range']:.2%}", _usd(d["worst_case_usd"]), d["worst_scenario_label"], _usd(d["add_on_usd"]),
                 _usd(d["initial_margin_usd"]), _usd(d["maintenance_margin_usd"])] for d in data["per_underlying"]]  # fmt: skip
    greek_rows = [[who, g["underlying"], f"{g['delta_usd']:,.2f}", f"{g['gamma_usd_per_1pct']:,.2f}", f"{g['vega_usd_per_vol_point']:,.2f}"]
                  for who, rows in [("book", data["greeks"]["book"])] + [(f"venue {v}", r) for v, r in data["greeks"]["per_venue"].items()]
                  for g in rows]  # fmt: skip
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>zkmargin report</title><style>"
        "body{font-family:sans-serif;margin:2em;max-width:1200px}table{border-collapse:collapse;margin:1em 0}"
        "td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}th{background:#eee}td:first-child{text-align:left}"
        ".fail{color:#b00}.pass{color:#070}</style></head><body>",
        f"<h1>zkmargin report: {html.escape(data['account'] or 'book')}</h1>",
        f"<p>{data['positions']} positions; snapshot <code>{html.escape(data['snapshot'])}</code> (sha256 {data['snapshot_sha256'][:16]}...); "
        f"spec <code>{html.escape(data['spec'])}</code>; risk root <code>{data['risk_root']}</code>; k = {data['multiplier_k']:g}.</p>",
        "<h2>Capital efficiency</h2><p>The cross-venue netted IM is what the proof states; per venue is each venue portfolio-margining "
        "only its own positions; standard is Deribit's per-position standard margin (option marks are in the collateral in every column).</p>",
        _table(["", "cross-venue IM (proved)", "per venue", "standard", "saving vs per venue", "saving vs standard"], eff_rows),
        "<h2>Margin per underlying</h2>",
        _table(["underlying", "scan range", "worst-case loss", "worst scenario", "add-on", "IM", "MM"], und_rows),
        f"<p>Collateral (haircut) {_usd(data['margin']['collateral_value_usd'])}; IM {_usd(data['margin']['initial_margin_usd'])}; "
        f"MM {_usd(data['margin']['maintenance_margin_usd'])}.</p>",
    ]  # fmt: skip
    if data["policy_checks"]:
        parts.append("<h2>Policy checks</h2><ul>" + "".join(
            f"<li class='{'pass' if c['passed'] else 'fail'}'>{'PASS' if c['passed'] else 'FAIL'} {html.escape(c['name'])}: {html.escape(c['reason'])}</li>"
            for c in data["policy_checks"]) + "</ul>")  # fmt: skip
    parts += ["<h2>Greeks</h2>", _table(["", "underlying", "delta (USD)", "gamma (USD per 1 %)", "vega (USD per vol point)"], greek_rows)]
    for c in data["worst_contributors"]:
        parts.append(f"<h3>{html.escape(c['underlying'])}: largest contributors to the worst scenario ({html.escape(c['label'])})</h3>")
        parts.append(_table(["instrument", "quantity", "P&L (USD)", "share"], [[p["instrument"], f"{p['quantity']:,.4f}", _usd(p["pnl_usd"]), _pct(p["share_pct"])] for p in c["positions"]]))
    parts.append("<h2>Scenario P&amp;L grids</h2>")
    for u, png in pngs.items():
        parts.append(f"<h3>{html.escape(u)}</h3><img alt='{html.escape(u)} scenario P&amp;L grid' src='data:image/png;base64,{base64.b64encode(png).decode()}'>")
    parts.append("</body></html>")
    return "\n".join(parts)
