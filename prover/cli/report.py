"""Plain-text reports for people: the margin breakdown and a proved bundle (the venue's decision: verifier/report.py)."""

from __future__ import annotations

from public.methodology.margin import MarginReport, usd


def render_margin(report: MarginReport, snapshot, spec, portfolio, checks=(), details=()) -> str:
    """Margin breakdown table (``zkmargin risk``), with the policy checks and the per-underlying
    details (public.methodology.margin.underlying_details) when given."""
    lines = [
        f"snapshot   {snapshot.source}  {snapshot.timestamp.isoformat(timespec='seconds')}  ({len(snapshot):,} instruments)",
        f"spec       {spec.name} v{spec.version}  sha256 {spec.sha256[:16]}...",
        f"portfolio  {portfolio.account or portfolio.source}: {len(portfolio.positions)} positions",
        "",
        f"{'underlying':<11}{'worst-case loss':>18}  {'worst scenario':<26}{'net delta (USD)':>18}{'net vega (USD/vol pt)':>24}",
    ]
    for um in report.underlyings:
        lines.append(f"{um.underlying:<11}{usd(um.worst_loss_e14):>18}  {um.worst_label:<26}{usd(um.net_delta_e14):>18}{usd(um.net_vega_e14):>24}")
    if details:
        lines += ["", f"{'underlying':<11}{'scan range':>11}{'ref vol':>9}  {'worst bucket (source side bucket index)':<40}{'IM':>16}{'MM':>16}{'gamma (USD/1%)':>16}"]
        for d in details:
            b = d["worst_case_bucket"]
            where = f"{b['source']} {b['side']} {b['bucket']} {b['index']}" if b else "none"
            ref = f"{d['reference_vol']:.1%}" if d["reference_vol"] == d["reference_vol"] and d["reference_vol"] is not None else "n/a"
            lines.append(f"{d['underlying']:<11}{d['scan_range']:>11.2%}{ref:>9}  {where:<40}{'$' + format(float(d['initial_margin_usd']), ',.2f'):>16}"
                         f"{'$' + format(float(d['maintenance_margin_usd']), ',.2f'):>16}{d['net_gamma_usd_per_1pct']:>16,.2f}")  # fmt: skip
        lines.append("  roll shock and delta shock: not part of this spec's USD-linear method (Deribit S:PM: zkmargin pm-simulate)")
    lines += [
        "",
        f"{'add-on':<28}{usd(report.add_on_e14):>18}",
        f"{'initial margin (IM)':<28}{usd(report.im_e14):>18}",
        f"{'maintenance margin (MM)':<28}{usd(report.mm_e14):>18}   ({spec.mm_factor:g} x IM)",
        f"{'collateral value':<28}{usd(report.collateral_e14):>18}   (haircut assets {usd(sum(report.asset_value_e14.values()))}, position mark value {usd(report.mark_value_e14)})",
    ]
    if checks:
        lines.append("")
        for name, ok, reason in checks:
            lines.append(f"  {'PASS' if ok else 'FAIL'}  {name:<18} {reason}")
    return "\n".join(lines)


def _proved_margin(report, st) -> str:
    if report.coin_margined:
        from public.methodology.coin_margin import coin_str

        return "  " + "; ".join(f"{um.underlying}: IM {coin_str(um.im_e14)}, collateral {coin_str(um.collateral_e14)}" for um in report.underlyings) + f" (coin), k = {st['multiplier_k']}"
    return f"  IM {usd(report.im_e14)}, collateral {usd(report.collateral_e14)}, k = {st['multiplier_k']}"


def render_chunked_proved(outcome, out) -> str:
    """Summary of a written chunked bundle (``zkmargin prove`` over format-3 statements)."""
    st = outcome.bundle["statement"]["public"]
    c, cc = outcome.bundle["circuit"], outcome.bundle["chunk_circuit"]
    t = outcome.timings
    return "\n".join(
        [
            f"proof bundle written: {out} ({outcome.n_chunks} chunk proofs + 1 aggregate proof)",
            f"  chunk circuit {cc['name']}, aggregate circuit {c['name']}, setup: {c['setup']['label']}",
            f"  risk_root {st['risk_root']}",
            f"  portfolio_commitment {st['portfolio_commitment']}",
            _proved_margin(outcome.report, st),
            f"  timings: risk table {t['risk_table_s']:.2f} s, chunks {t['chunks_s']:.2f} s on {t['chunk_workers'] or 'no'} Ray worker(s)"
            f"{f' on {len(nodes)} node(s)' if (nodes := t.get('chunk_nodes')) else ''} "
            f"(key load {max(t['chunk_key_load_s']):.2f} s; witness {sum(t['chunk_witness_s']):.2f} s and prove {sum(t['chunk_prove_s']):.2f} s "
            f"summed over chunks; {t['chunk_retries']} retried), aggregate {t['aggregate_s']:.2f} s, verify {t['verify_s']:.2f} s",
            "  verified before writing: " + ("ACCEPTED" if outcome.decision.accepted else "REJECTED"),
        ]
    )


def render_proved(outcome, out) -> str:
    """Summary of a written bundle (``zkmargin prove``)."""
    st = outcome.bundle["statement"]["public"]
    c = outcome.bundle["circuit"]
    t = outcome.timings
    return "\n".join(
        [
            f"proof bundle written: {out}",
            f"  circuit {c['name']}, setup: {c['setup']['label']}",
            f"  risk_root {st['risk_root']}",
            f"  portfolio_commitment {st['portfolio_commitment']}",
            _proved_margin(outcome.report, st),
            f"  timings: risk table {t.get('risk_table_s', 0):.2f} s, witness {t.get('witness_s', 0):.2f} s, "
            f"prove ({outcome.result.backend}) {t.get('prove_s', 0):.2f} s, verify {t.get('verify_s', 0):.2f} s",
            "  verified after writing: " + ("ACCEPTED" if outcome.decision.accepted else "REJECTED"),
        ]
    )
