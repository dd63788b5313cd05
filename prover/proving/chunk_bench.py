"""Benchmark of large books proved in chunks (issue 11; docs/benchmarks.md "Large books"): for each
book size and worker count, the whole job of ``zkmargin demo --positions N`` (prover/proving/
large_book.py: a seeded market-maker book on the real snapshot, --statements chunked statements, chunks on
Ray, the aggregate, verified before writing), then the bundle's verification three ways on the same
proofs: py_ecc as one batch, py_ecc one proof at a time, and native (groth16py).

    .venv/bin/python -m prover.proving.chunk_bench --positions 100 500 1000 2000 --workers 1 2 [--statements 3] [--seed 7] [--out out/bench_chunks.json]

Prints one line per run and writes the JSON rows (prove time, speed-up, key load vs proof time, peak
memory per worker, bundle size, verify times, chunks per worker-second). Keys: the chunk_28x8 and
aggregate_8 circuits' (a DEV setup is run once if none exists, NOT FOR PRODUCTION).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path


def verify_three_ways(bundle: dict, trusted) -> dict:
    """Seconds for the Groth16 equations of every proof of ``bundle`` (aggregate + chunks): one py_ecc
    batch (the verifier's path), py_ecc one by one, native one by one; AssertionError if any fails."""
    from verifier.groth16 import groth16_checks, groth16_checks_native, groth16_multi_batch_checks

    kinds = {tc.params.kind: tc for tc in trusted}
    agg, chunk = kinds["aggregate"], kinds["chunk"]
    items = [(agg, bundle["proof"], bundle["public_signals"])] + [(chunk, c["proof"], c["public_signals"]) for c in bundle["chunks"]]
    t = time.perf_counter()
    a, c = groth16_multi_batch_checks([(agg.vk, [items[0][1:]]), (chunk.vk, [i[1:] for i in items[1:]])])
    batch_s = time.perf_counter() - t
    t = time.perf_counter()
    each = [groth16_checks(tc.vk, p, s) for tc, p, s in items]
    each_s = time.perf_counter() - t
    t = time.perf_counter()
    native = [groth16_checks_native(tc.vk, tc.verification_key, p, s) for tc, p, s in items]
    native_s = time.perf_counter() - t
    assert all(x.passed for checks in a + c + each + native for x in checks), "a proof of the bundle failed"
    return {"verify_py_ecc_batch_s": batch_s, "verify_py_ecc_each_s": each_s, "verify_native_s": native_s}


def main(argv=None) -> list[dict]:
    from prover.proving.large_book import MM_POLICY, run_large_book
    from verifier.policy import load_policy
    from verifier.trusted import policy_circuits

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--positions", type=int, nargs="+", default=[100, 500, 1000, 2000])
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--statements", type=int, default=3, help="venue statements the book is split over (1 to 8)")
    ap.add_argument("--ray-address", default=None, help="prove on this Ray cluster (--workers then counts its actors)")
    ap.add_argument("--out", type=Path, default=Path("out/bench_chunks.json"))
    args = ap.parse_args(argv)
    rows = []
    for n in args.positions:
        for w in args.workers:
            t = time.perf_counter()
            s = run_large_book(n, Path(f"out/bench_chunks/{n}_{w}"), seed=args.seed, workers=w, ray_address=args.ray_address, n_statements=args.statements)
            wall = time.perf_counter() - t
            s.pop("_outcome")
            assert s.pop("_decision").accepted
            tm = s["timings_s"]
            trusted = policy_circuits(load_policy(MM_POLICY))
            row = {"positions": n, "statements": args.statements, "workers": w, "chunks": s["chunks"], "job_wall_s": wall,
                   "prove_s": tm["risk_table_s"] + tm["chunks_s"] + tm["aggregate_s"], "chunks_s": tm["chunks_s"],
                   "chunk_key_load_s": max(tm["chunk_key_load_s"]), "chunk_witness_s_mean": sum(tm["chunk_witness_s"]) / s["chunks"],
                   "chunk_prove_s_mean": sum(tm["chunk_prove_s"]) / s["chunks"], "aggregate_s": tm["aggregate_s"],
                   "peak_rss_mb_per_worker": max(tm["chunk_peak_rss_mb"] or [0]), "bundle_bytes": s["bundle_bytes"],
                   "chunks_per_worker_s": s["chunks"] / (w * max(tm["chunks_s"] - max(tm["chunk_key_load_s"]), 1e-9)),
                   **verify_three_ways(json.loads(Path(s["bundle"]).read_text()), trusted)}  # fmt: skip
            base = next((r for r in rows if r["positions"] == n and r["workers"] == 1), None)
            if base and w != 1:
                row["speedup_vs_1_worker"] = base["chunks_s"] / row["chunks_s"]
            rows.append(row)
            print(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in row.items()}), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(rows, indent=1))
    return rows


if __name__ == "__main__":
    main()
