"""Benchmark of chunked proving (circuits/chunk.circom; issue 11): constraint counts, key sizes and
load times, witness and proof time per chunk, the aggregate's, and py_ecc / native verification,
on a seeded market-maker book (prover/trader/bookgen.py) on the real snapshot.

    .venv/bin/python -m prover.proving.chunk_bench --positions 1000 [--chunk 28] [--prove 3] [--seed 7]

Prints one line per figure and a JSON summary (docs/benchmarks.md "Chunked proving"). It proves
``--prove`` chunks of the book (the first ones; every chunk has the same circuit, so the time per
chunk is the figure) and the aggregate over the whole book's totals, so the summary's
``book_prove_s_1_worker`` is an extrapolation: chunks x time per chunk + aggregate. Keys are a
groth16py DEV single-party setup (NOT FOR PRODUCTION), under build/keys/<variant>/.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path

from public.circuit import BUILD_DIR, CircuitParams

VENUE_KEYS = ("deribit", "okx", "bybit")


def _main_file(name: str, template: str, params: list[int], public: str) -> CircuitParams:
    from prover.toolchain.variants import write_main

    path = BUILD_DIR / "variants" / f"{name}.circom"
    write_main(path, "chunk.circom", template, params, public)
    return CircuitParams(name, 1, 1, 1, 1, 1, 1, path)  # shape fields unused: only the build paths


def _setup(params: CircuitParams):
    import groth16py

    from prover.toolchain import snarkjs

    t = time.perf_counter()
    rec = snarkjs.compile_circuit(params)
    compile_s = time.perf_counter() - t
    pk_path = params.keys_dir / "proving_key.g16"
    vk_path = params.keys_dir / "verification_key.json"
    stamp = params.keys_dir / "r1cs.sha256"
    setup_s = None
    if not (pk_path.exists() and vk_path.exists() and stamp.exists() and stamp.read_text() == rec["r1cs_sha256"]):
        params.keys_dir.mkdir(parents=True, exist_ok=True)
        t = time.perf_counter()
        pk, vk = groth16py.setup(str(params.r1cs_path))
        pk.save(str(pk_path))
        vk_path.write_text(vk.to_json())
        stamp.write_text(rec["r1cs_sha256"])
        setup_s = time.perf_counter() - t
    t = time.perf_counter()
    pk = groth16py.ProvingKey.load(str(pk_path))
    load_s = time.perf_counter() - t
    return rec, pk, json.loads(vk_path.read_text()), {"compile_s": compile_s, "setup_s": setup_s, "key_load_s": load_s,
                                                     "proving_key_bytes": pk_path.stat().st_size}  # fmt: skip


def _prove(params: CircuitParams, pk, inputs: dict, tmp: Path):
    import groth16py

    from prover.proving.prove import proof_from_eth_bytes
    from prover.proving.witness import _as_strings
    from prover.toolchain import snarkjs

    (tmp / "input.json").write_text(json.dumps(_as_strings(inputs)))
    t = time.perf_counter()
    snarkjs.calculate_witness(params, tmp / "input.json", tmp / "w.wtns")
    witness_s = time.perf_counter() - t
    t = time.perf_counter()
    blob = groth16py.prove_wtns(pk, str(tmp / "w.wtns"))
    return proof_from_eth_bytes(blob), witness_s, time.perf_counter() - t


def main(argv=None) -> dict:
    from prover.proving import chunks as ch
    from prover.trader.bookgen import market_maker_book
    from prover.trader.identity import load_identity
    from prover.venue.attestation import attest, read_key
    from public.methodology.risk_table import cached_risk_table
    from public.methodology.snapshot import load_snapshot
    from public.methodology.spec import haircut_prices_e6, load_spec
    from public.circuit import REPO
    from verifier.groth16 import groth16_batch_checks, groth16_checks, groth16_native_check, load_verification_key
    from verifier.policy import load_policy

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--positions", type=int, default=1000)
    ap.add_argument("--chunk", type=int, default=28, help="position slots per chunk")
    ap.add_argument("--prove", type=int, default=3, help="chunks actually proved (the time per chunk)")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)
    fx = REPO / "fixtures"
    snapshot = load_snapshot(fx / "snapshots/deribit_btc_eth_snapshot_2026-08-22T1533Z.csv")
    spec, policy = load_spec(fx / "spec/deribit_pm_v1.json"), load_policy(fx / "policies/demo_venue.json")
    # a market maker's book is far outside the demo trader's greek limits: the bench times proving, not the policy
    wide = {u: 10**18 for u in spec.underlyings}  # USD 1e12, within LIMIT_BITS
    policy = dataclasses.replace(policy, delta_limit_e6=wide, vega_limit_e6=wide)
    trader = load_identity(fx / "traders/demo_trader.identity.json")
    table = cached_risk_table(snapshot, spec)
    book = market_maker_book(snapshot, args.positions, n_venues=3, seed=args.seed)
    per_venue = {}
    for p in book["positions"]:
        per_venue.setdefault(p["venue"], []).append((p["instrument"], p["quantity"]))
    usdc = str(int(int(book["collateral"]["USDC"]) / len(per_venue)) + 1)
    statements, keys = [], []
    for (venue, positions), key_name in zip(sorted(per_venue.items()), VENUE_KEYS):
        key = read_key(fx / f"venues/{key_name}.key.json")
        statements.append(attest(key, key_name, f"mm-{venue}", trader.commitment, 1787412600, positions, {"USDC": usdc}, len(positions), spec.assets))
        keys.append(key)
    signatures = [k.sign(ch.statement_root_message(st)) for k, st in zip(keys, statements)]
    n_venues = len(statements)
    layout = ch.AccLayout(spec.n_scenarios, len(spec.underlyings), n_venues)
    chunk_params = _main_file(f"bench_chunk_{args.chunk}_{n_venues}", "MarginChunk", [args.chunk, spec.n_scenarios, len(spec.underlyings), n_venues, table.depth],
                              "risk_root, acc_in, acc_out")  # fmt: skip
    agg_params = _main_file(f"bench_aggregate_{n_venues}", "MarginAggregate", [n_venues, spec.n_scenarios, len(spec.underlyings), len(spec.assets), 14],
                            "spec_hash, snapshot_epoch, attestation_epoch, challenge, trader_identity, portfolio_commitment, multiplier_k_e6, "
                            "delta_limit_e6, vega_limit_e6, collateral_price_e6, venue_key_x, venue_key_y, acc_initial, acc_final")  # fmt: skip
    out = {"positions": args.positions, "chunk_slots": args.chunk, "venues": n_venues}
    rec_c, pk_c, vk_c, t_c = _setup(chunk_params)
    rec_a, pk_a, vk_a, t_a = _setup(agg_params)
    out.update(chunk_constraints=rec_c["constraints"], aggregate_constraints=rec_a["constraints"], chunk_keys=t_c, aggregate_keys=t_a)
    print(f"chunk circuit: {rec_c['constraints']:,} constraints; aggregate: {rec_a['constraints']:,}")
    plan = ch.plan_chunks(statements, args.chunk)
    out["chunks"] = len(plan)
    tmp = BUILD_DIR / "bench-chunks"
    tmp.mkdir(parents=True, exist_ok=True)
    totals, blinding, proofs, witness_times, prove_times = layout.initial(), ch.fresh_blinding(), [], [], []
    initial_blinding = blinding
    for k, chunk in enumerate(plan):
        nxt = ch.fresh_blinding()
        inputs, totals_next = ch.chunk_inputs(layout, args.chunk, table, chunk, totals, blinding, nxt)
        if k < args.prove:
            proof, ws, ps = _prove(chunk_params, pk_c, inputs, tmp)
            proofs.append((proof, [str(inputs["risk_root"]), str(inputs["acc_in"]), str(inputs["acc_out"])]))
            witness_times.append(ws)
            prove_times.append(ps)
            print(f"chunk {k + 1}/{len(plan)}: witness {ws:.2f} s, prove {ps:.2f} s")
        totals, blinding = totals_next, nxt
    worst = ch.worst_from_totals(layout, totals)
    agg = ch.aggregate_inputs(layout, statements, signatures, totals, initial_blinding, blinding, spec, haircut_prices_e6(spec, snapshot.spot),
                              policy, policy.challenge, snapshot.epoch, spec.spec_hash, 12345, trader, worst)  # fmt: skip
    agg_proof, aws, aps = _prove(agg_params, pk_a, agg, tmp)
    print(f"aggregate: witness {aws:.2f} s, prove {aps:.2f} s")
    per_chunk = sum(w + p for w, p in zip(witness_times, prove_times)) / len(prove_times)
    out.update(chunk_witness_s=sum(witness_times) / len(witness_times), chunk_prove_s=sum(prove_times) / len(prove_times), aggregate_witness_s=aws,
               aggregate_prove_s=aps, book_prove_s_1_worker=len(plan) * per_chunk + aws + aps)  # fmt: skip
    vkc = load_verification_key(vk_c)
    t = time.perf_counter()
    one = [groth16_checks(vkc, p, s) for p, s in proofs]
    out["verify_chunk_py_ecc_each_s"] = (time.perf_counter() - t) / len(proofs)
    t = time.perf_counter()
    batch = groth16_batch_checks(vkc, proofs)
    out["verify_chunks_py_ecc_batch_s"] = time.perf_counter() - t
    t = time.perf_counter()
    native = [groth16_native_check(vk_c, p, s) for p, s in proofs]
    out["verify_chunk_native_each_s"] = (time.perf_counter() - t) / len(proofs)
    assert all(c.passed for cs in one + batch for c in cs) and all(c.passed for c in native)
    print(json.dumps(out, indent=1))
    return out


if __name__ == "__main__":
    main()
