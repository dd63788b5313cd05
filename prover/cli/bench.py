"""``zkmargin bench``: the SPEC section 8 figures, measured side by side in one run.

Prints (and with --json emits) medians over ``--repeat`` runs of: the risk-array evaluation of the
whole real snapshot (vectorised numpy/scipy) and its Poseidon commitment; constraints per position
slot and per venue statement (differences of 1x1, 1x8 and 2x1 builds); for the demo shape (3 venues
x 4 positions, in its own build so the demo's keys are left alone): dev setup, witness, key load
and proof with groth16py, and verification with py_ecc (ours), plain py_ecc (4 pairings), the
snarkjs CLI and groth16py on the same proof; the bundle size. ``--shape 4x8`` also builds, sets up
and proves that shape (32 positions, the SPEC target) from bench statements signed on the fly;
``--zkey`` runs the snarkjs path on a 1x1 shape (a real 2^15 dev ptau: about 11 minutes the first
time, cached): snarkjs vs groth16py proving from one zkey. Machines here are shared and noisy: read
the ratios, not only the seconds.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path

import click

from prover.toolchain.variants import write_variant
from public.circuit import DEFAULT_CIRCUIT, CircuitParams, circuit_params


def _median(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def _bench_params(n_venues: int, n_pos: int, like: CircuitParams) -> CircuitParams:
    """A variant of ``like`` with other statement counts (main file under build/variants/)."""
    return write_variant(f"bench_margin_{n_venues}x{n_pos}", n_venues, n_pos, like.n_scen, like.n_und, like.n_assets, like.depth)


def _prove_all(params, witness, setup, repeat, out: dict, label: str) -> dict:
    from prover.proving.prove import prove

    res = None
    for backend in ("groth16py", "snarkjs"):
        if backend == "snarkjs" and not setup.proving_key.endswith(".zkey"):
            continue
        runs = [prove(params, setup, witness, backend) for _ in range(repeat)]
        res = res or runs[0]
        out[f"{label}witness_s"] = statistics.median(r.timings["witness_s"] for r in runs)
        out[f"{label}prove_{backend}_s"] = statistics.median(r.timings["prove_s"] for r in runs)
        if backend == "groth16py":
            out[f"{label}key_load_groth16py_s"] = statistics.median(r.timings["key_load_s"] for r in runs)
    return res


BENCH_POLICY = {
    "format": "zkmargin-policy/1", "multiplier_k": "1", "delta_limit_usd": {"BTC": "1e12", "ETH": "1e12"},
    "vega_limit_usd": {"BTC": "1e12", "ETH": "1e12"}, "max_snapshot_age_s": 900, "challenge": "0xbe4c4",
}


BENCH_IDENTITY_SECRET = 0xBE4C4  #: a public bench trader identity (DEV ONLY)


def _bench_identity():
    from prover.trader.identity import TraderIdentity
    from public.crypto.identity import identity_commitment

    return TraderIdentity(BENCH_IDENTITY_SECRET, identity_commitment(BENCH_IDENTITY_SECRET))


def _bench_statements(n_venues: int, n_pos: int, entries, spec, epoch: int):
    """n_venues statements of n_pos positions each, round-robin over ``entries`` (name, qty), signed
    with deterministic bench keys; 1e9 USDC collateral so that any book is solvent."""
    import hashlib

    from prover.venue.attestation import attest
    from public.crypto.eddsa import PrivateKey

    out = []
    for v in range(n_venues):
        pos = [entries[(v * n_pos + j) % len(entries)] for j in range(n_pos)]
        key = PrivateKey(hashlib.sha256(f"zkmargin bench venue {v}".encode()).digest())
        out.append(attest(key, f"bench{v}", f"bench-{v}", _bench_identity().commitment, epoch, pos, {"USDC": "1000000000"} if v == 0 else {}, n_pos, spec.assets))
    return out


def _variant_proof(n_venues, n_pos, like, table, entries, spec, prices, snapshot, fig, label, progress, zkey=False, repeat=1):
    """Compile, set up (dev, or snarkjs from a dev ptau with ``zkey``) and prove one variant."""
    from prover.proving.witness import build_witness
    from prover.toolchain import setup as su
    from prover.toolchain import snarkjs
    from verifier.policy import parse_policy

    p = _bench_params(n_venues, n_pos, like)
    progress(f"{n_venues} venues x {n_pos} positions: compile, {'snarkjs' if zkey else 'dev'} setup, prove")
    t = time.perf_counter()
    build = snarkjs.compile_circuit(p)
    fig[f"{label}constraints"] = build["constraints"]
    fig[f"{label}compile_s"] = time.perf_counter() - t
    t = time.perf_counter()
    if zkey:
        power = su.ptau_power(build["constraints"], p.n_public)
        fig[f"{label}ptau_power"] = power
        ptau = su.dev_ptau(power, progress)
        fig[f"{label}ptau_s"] = time.perf_counter() - t
        t = time.perf_counter()
        rec = su.snarkjs_setup(p, ptau, external=False, progress=progress, force=True)
    else:
        rec = su.dev_setup(p, force=True)
    fig[f"{label}setup_s"] = time.perf_counter() - t
    policy = parse_policy(BENCH_POLICY)
    sts = _bench_statements(n_venues, n_pos, entries, spec, snapshot.epoch)
    w = build_witness(p, table, sts, spec, prices, policy, policy.challenge, snapshot.epoch, spec.spec_hash, 1, identity=_bench_identity())
    t = time.perf_counter()
    res = _prove_all(p, w, rec, repeat, fig, label)
    fig[f"{label}end_to_end_s"] = (time.perf_counter() - t) / repeat  # witness + key load + proof
    return p, rec, res, build


BATCH_SIZES = (1, 8, 32)


def _bench_batch(vk, vk_json: dict, res, fig: dict, repeat: int) -> None:
    """Seconds to check K distinct valid proofs (re-randomised copies of one) three ways:
    ``verify_batch_K_s`` (groth16_batch_checks: one multi-Miller loop, one final exponentiation),
    ``verify_one_by_one_K_s`` (groth16_checks K times) and ``verify_native_K_s`` (groth16py)."""
    import random

    from prover.proving.prove import rerandomize_proof
    from verifier.bn254 import R
    from verifier.groth16 import groth16_batch_checks, groth16_checks, groth16_native_check

    rng = random.Random(1)
    proofs = [rerandomize_proof(res.proof, vk_json, rng.randrange(1, R), rng.randrange(R)) for _ in range(max(BATCH_SIZES))]
    for k in BATCH_SIZES:
        items = [(p, res.public_signals) for p in proofs[:k]]
        fig[f"verify_batch_{k}_s"] = _median(lambda: groth16_batch_checks(vk, items), repeat)
        fig[f"verify_one_by_one_{k}_s"] = _median(lambda: [groth16_checks(vk, p, s) for p, s in items], repeat)
        fig[f"verify_native_{k}_s"] = _median(lambda: [groth16_native_check(vk_json, p, s) for p, s in items], repeat)
        fig[f"ratio_one_by_one_over_batch_{k}"] = fig[f"verify_one_by_one_{k}_s"] / fig[f"verify_batch_{k}_s"]


def run_bench(repeat: int = 3, shapes: tuple[tuple[int, int], ...] = (), progress=print, zkey: bool = False) -> dict:
    """Measure everything; returns a flat dict of figures (seconds, counts, bytes, ratios)."""
    import groth16py

    from prover.cli.demo import DEMO_POLICY, DEMO_SNAPSHOT, DEMO_STATEMENTS
    from prover.proving.bundle import make_bundle
    from verifier.trusted import load_trusted_circuit
    from prover.toolchain import snarkjs
    from prover.venue.attestation import load_statement
    from public.methodology.risk_array import risk_arrays
    from public.methodology.risk_table import build_risk_table
    from public.methodology.snapshot import load_snapshot
    from public.methodology.spec import haircut_prices_e6, load_spec
    from verifier.bn254 import pairing_check_reference
    from verifier.groth16 import _parse_g1, _parse_g2, load_verification_key, verify
    from verifier.policy import load_policy

    fig: dict = {}
    policy = load_policy(DEMO_POLICY)
    snapshot, spec = load_snapshot(DEMO_SNAPSHOT), load_spec(policy.spec_path)
    statements = [load_statement(p) for p in DEMO_STATEMENTS]
    entries = [(e.name, f"{e.qty_e8 / 1e8:.8f}") for st in statements for e in st.positions]
    progress("risk arrays and risk table")
    risk_arrays(snapshot, spec)
    fig["instruments"] = len(snapshot)
    fig["scenarios"] = spec.n_scenarios
    fig["risk_array_s"] = _median(lambda: risk_arrays(snapshot, spec), max(repeat, 10))
    like = circuit_params(DEFAULT_CIRCUIT)
    fig["risk_table_commit_s"] = _median(lambda: build_risk_table(snapshot, spec, like.depth).root, 1)  # the root forces the (lazy) Poseidon tree
    table = build_risk_table(snapshot, spec, like.depth)
    prices = haircut_prices_e6(spec, snapshot.spot)

    progress("constraints: per position slot and per venue statement")
    c = {shape: snarkjs.compile_circuit(_bench_params(*shape, like))["constraints"] for shape in ((1, 1), (1, 8), (2, 1))}
    fig["constraints_per_slot"] = (c[(1, 8)] - c[(1, 1)]) / 7
    fig["constraints_per_statement"] = c[(2, 1)] - c[(1, 1)] - fig["constraints_per_slot"]
    fig["constraints_fixed"] = c[(1, 1)] - fig["constraints_per_slot"] - fig["constraints_per_statement"]

    params, setup, res, build = _variant_proof(like.n_venues, like.n_pos, like, table, entries, spec, prices, snapshot, fig, "", progress, repeat=repeat)
    progress("verifying: py_ecc vs snarkjs CLI vs groth16py vs plain py_ecc")
    vk_json = json.loads(setup.verification_key_path.read_text())
    vk = load_verification_key(vk_json)
    verify(vk, res.proof, res.public_signals)  # first call fills the key's cache
    fig["verify_py_ecc_s"] = _median(lambda: verify(vk, res.proof, res.public_signals), repeat)
    a, b2, cc = _parse_g1(res.proof["pi_a"], "pi_a"), _parse_g2(res.proof["pi_b"], "pi_b"), _parse_g1(res.proof["pi_c"], "pi_c")
    signals = [int(x) for x in res.public_signals]
    fig["verify_py_ecc_plain_4_pairings_s"] = _median(lambda: pairing_check_reference(vk, a, b2, cc, signals), 1)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "proof.json").write_text(json.dumps(res.proof))
        (tmp / "public.json").write_text(json.dumps(res.public_signals))
        fig["verify_snarkjs_cli_s"] = _median(lambda: snarkjs.groth16_verify(setup.verification_key_path, tmp / "public.json", tmp / "proof.json"), repeat)
        g16 = groth16py.Verifier(groth16py.VerifyingKey.from_snarkjs(json.dumps(vk_json)))
        fig["verify_groth16py_s"] = _median(lambda: g16.verify_snarkjs(json.dumps(res.proof), json.dumps(res.public_signals)), repeat)
    progress("verifying many proofs: py_ecc batch vs one by one vs native")
    _bench_batch(vk, vk_json, res, fig, repeat)
    fig["ratio_py_ecc_over_snarkjs_cli"] = fig["verify_py_ecc_s"] / fig["verify_snarkjs_cli_s"]
    fig["ratio_plain_py_ecc_over_ours"] = fig["verify_py_ecc_plain_4_pairings_s"] / fig["verify_py_ecc_s"]
    fig["bundle_bytes"] = len(json.dumps(make_bundle(load_trusted_circuit(params.keys_dir), res, snapshot, spec), indent=1).encode())

    for v, n in shapes:
        _variant_proof(v, n, like, table, entries, spec, prices, snapshot, fig, f"v{v}x{n}_", progress)
    if zkey:
        _variant_proof(1, 1, like, table, entries, spec, prices, snapshot, fig, "zkey_v1x1_", progress, zkey=True, repeat=repeat)
        fig["ratio_snarkjs_over_groth16py_prove"] = fig["zkey_v1x1_prove_snarkjs_s"] / fig["zkey_v1x1_prove_groth16py_s"]
    return fig


TARGETS = [
    ("risk_array_s", "risk table for the whole snapshot (vectorised)", "< 0.050 s"),
    ("constraints_per_slot", "constraints per position slot", "<= 4,000"),
    ("v4x8_end_to_end_s", "prove, 32 positions (4 venues x 8), end to end", "<= 10 s"),
    ("verify_py_ecc_s", "verify in pure Python (py_ecc)", "<= 0.6 s"),
    ("bundle_bytes", "proof bundle without the risk table", "<= 10 KB"),
]


@click.command()
@click.option("--repeat", default=3, show_default=True, type=click.IntRange(1, 1000), help="Runs per timing, 1-1000 (median reported).")
@click.option("--shape", "shapes", multiple=True, help="Also build and prove VENUESxPOSITIONS, e.g. --shape 4x8 (32 positions).")
@click.option("--zkey", is_flag=True, help="Also run the snarkjs path (dev ptau, zkey) on a 1-slot variant: snarkjs vs groth16py proving.")
@click.option("--json", "as_json", is_flag=True, help="Figures as JSON on stdout.")
def bench(repeat, shapes, zkey, as_json):
    """Measure the SPEC section 8 figures (a benchmark, not a test)."""
    from prover.cli.common import progress

    try:
        parsed = tuple(tuple(int(x) for x in sh.lower().split("x")) for sh in shapes)
    except ValueError:
        raise click.BadParameter("--shape takes VENUESxPOSITIONS, e.g. 4x8") from None
    fig = run_bench(repeat, parsed, progress, zkey)
    if as_json:
        click.echo(json.dumps(fig, indent=2))
        return
    for key, value in fig.items():
        click.echo(f"{key:<36} {value:,.4f}" if isinstance(value, float) else f"{key:<36} {value:,}")
    click.echo("\nagainst SPEC section 8:")
    for key, what, target in TARGETS:
        if key in fig:
            click.echo(f"  {what:<48} {fig[key]:>12,.3f}   target {target}")
