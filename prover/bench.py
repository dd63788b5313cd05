"""``zkmargin bench``: the SPEC section 8 figures, measured side by side in one run.

Prints (and with --json emits) medians over ``--repeat`` runs of: the risk-array evaluation of the
whole real snapshot (vectorised numpy/scipy) and its Poseidon commitment; constraints of the demo
circuit and per position slot (marginal cost from a 1-slot build); witness generation; proving
with groth16py (the demo's dev key) and, with ``--zkey``, snarkjs vs groth16py from one zkey of a
1-slot variant (a 2^14 dev ptau: minutes the first time, cached); verification with py_ecc (ours), the snarkjs CLI
and groth16py on the same proof; the bundle size; dev setup time. ``--slots N`` also builds,
sets up (dev) and proves an N-slot circuit (e.g. 32, the SPEC target) filled with the demo book
plus inert slots. Machines here are shared and noisy: read the ratios, not only the seconds.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path

import click

from prover.circuit import DEFAULT_CIRCUIT, CircuitParams, circuit_params, write_variant


def _median(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def _bench_params(n_slots: int, like: CircuitParams) -> CircuitParams:
    """An N-slot variant of ``like`` (main file under build/variants/, never in circuits/)."""
    return write_variant(f"bench_margin_{n_slots}", n_slots, like.n_scen, like.n_und, like.n_assets, like.depth)


def _prove_all(params, witness, setup, repeat, out: dict, label: str) -> dict:
    from prover.prove import prove

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


def _zkey_compare(params, table, book, spec, prices, policy, snapshot, repeat, fig, progress) -> None:
    """1-slot variant with a real snarkjs setup (dev ptau, cached): snarkjs vs groth16py proving
    from the same zkey, and the ptau / setup times."""
    from dataclasses import replace

    from prover import setup as su
    from prover import snarkjs
    from prover.witness import build_witness

    p1 = _bench_params(1, params)
    power = su.ptau_power(snarkjs.compile_circuit(p1)["constraints"], p1.n_public)
    fig["zkey_ptau_power"] = power
    progress(f"snarkjs path: dev ptau 2^{power} (cached after the first run), groth16 setup, provers side by side")
    t = time.perf_counter()
    ptau = su.dev_ptau(power, progress)
    fig["zkey_ptau_s"] = time.perf_counter() - t
    t = time.perf_counter()
    rec = su.snarkjs_setup(p1, ptau, external=False, progress=progress)
    fig["zkey_groth16_setup_s"] = time.perf_counter() - t
    one = replace(book, positions=book.positions[:1])
    w = build_witness(p1, table, one, spec, prices, policy, policy.challenge, snapshot.epoch, spec.spec_hash)
    _prove_all(p1, w, rec, repeat, fig, "zkey_slots1_")
    fig["ratio_snarkjs_over_groth16py_prove"] = fig["zkey_slots1_prove_snarkjs_s"] / fig["zkey_slots1_prove_groth16py_s"]


def run_bench(repeat: int = 3, slots: tuple[int, ...] = (), progress=print, zkey: bool = False) -> dict:
    """Measure everything; returns a flat dict of figures (seconds, counts, bytes, ratios)."""
    import groth16py

    from prover import setup as su
    from prover import snarkjs
    from prover.demo import DEMO_POLICY, DEMO_PORTFOLIO, DEMO_SNAPSHOT
    from prover.portfolio import load_portfolio
    from prover.risk_array import risk_arrays
    from prover.risk_table import build_risk_table
    from prover.snapshot import load_snapshot
    from prover.spec import haircut_prices_e6, load_spec
    from prover.witness import build_witness
    from verifier.groth16 import load_verification_key, verify
    from verifier.policy import load_policy

    fig: dict = {}
    policy = load_policy(DEMO_POLICY)
    snapshot, spec = load_snapshot(DEMO_SNAPSHOT), load_spec(policy.spec_path)
    book = load_portfolio(DEMO_PORTFOLIO, snapshot, spec)
    progress("risk arrays and risk table")
    risk_arrays(snapshot, spec)
    fig["instruments"] = len(snapshot)
    fig["scenarios"] = spec.n_scenarios
    fig["risk_array_s"] = _median(lambda: risk_arrays(snapshot, spec), max(repeat, 10))
    params = circuit_params(DEFAULT_CIRCUIT)
    fig["risk_table_commit_s"] = _median(lambda: build_risk_table(snapshot, spec, params.depth), 1)
    table = build_risk_table(snapshot, spec, params.depth)

    progress("constraints")
    params = _bench_params(params.n_slots, params)  # same circuit, own keys: the demo's are left alone
    build = snarkjs.compile_circuit(params)
    one = _bench_params(1, params)
    c1 = snarkjs.compile_circuit(one)["constraints"]
    fig["constraints"] = build["constraints"]
    fig["constraints_1_slot"] = c1
    fig["constraints_per_slot"] = (build["constraints"] - c1) / (params.n_slots - 1)
    fig["constraints_fixed"] = c1 - fig["constraints_per_slot"]

    progress("dev setup (groth16py)")
    t = time.perf_counter()
    setup = su.dev_setup(params)
    fig["dev_setup_s"] = time.perf_counter() - t
    prices = haircut_prices_e6(spec, snapshot.spot)
    witness = build_witness(params, table, book, spec, prices, policy, policy.challenge, snapshot.epoch, spec.spec_hash)
    progress("proving")
    res = _prove_all(params, witness, setup, repeat, fig, "")

    progress("verifying: py_ecc vs snarkjs CLI vs groth16py")
    vk_json = json.loads(setup.verification_key_path.read_text())
    vk = load_verification_key(vk_json)
    verify(vk, res.proof, res.public_signals)  # first call fills the key's cache
    fig["verify_py_ecc_s"] = _median(lambda: verify(vk, res.proof, res.public_signals), repeat)
    from verifier.bn254 import pairing_check_reference
    from verifier.groth16 import _parse_g1, _parse_g2

    a, b2, c = _parse_g1(res.proof["pi_a"], "pi_a"), _parse_g2(res.proof["pi_b"], "pi_b"), _parse_g1(res.proof["pi_c"], "pi_c")
    signals = [int(x) for x in res.public_signals]
    fig["verify_py_ecc_plain_4_pairings_s"] = _median(lambda: pairing_check_reference(vk, a, b2, c, signals), 1)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "proof.json").write_text(json.dumps(res.proof))
        (tmp / "public.json").write_text(json.dumps(res.public_signals))
        fig["verify_snarkjs_cli_s"] = _median(lambda: snarkjs.groth16_verify(setup.verification_key_path, tmp / "public.json", tmp / "proof.json"), repeat)
        g16 = groth16py.Verifier(groth16py.VerifyingKey.from_snarkjs(json.dumps(vk_json)))
        fig["verify_groth16py_s"] = _median(lambda: g16.verify_snarkjs(json.dumps(res.proof), json.dumps(res.public_signals)), repeat)
    fig["ratio_py_ecc_over_snarkjs_cli"] = fig["verify_py_ecc_s"] / fig["verify_snarkjs_cli_s"]
    fig["ratio_plain_py_ecc_over_ours"] = fig["verify_py_ecc_plain_4_pairings_s"] / fig["verify_py_ecc_s"]
    if zkey:
        _zkey_compare(params, table, book, spec, prices, policy, snapshot, repeat, fig, progress)

    from prover.bundle import make_bundle

    bundle = make_bundle(params, build, setup, res, snapshot, spec)
    fig["bundle_bytes"] = len(json.dumps(bundle, indent=1).encode())

    for n in slots:
        progress(f"{n}-slot circuit: compile, dev setup, prove")
        p = _bench_params(n, params)
        t = time.perf_counter()
        fig[f"slots{n}_constraints"] = snarkjs.compile_circuit(p)["constraints"]
        fig[f"slots{n}_compile_s"] = time.perf_counter() - t
        t = time.perf_counter()
        s = su.dev_setup(p)
        fig[f"slots{n}_dev_setup_s"] = time.perf_counter() - t
        w = build_witness(p, table, book, spec, prices, policy, policy.challenge, snapshot.epoch, spec.spec_hash)
        t = time.perf_counter()
        _prove_all(p, w, s, 1, fig, f"slots{n}_")
        fig[f"slots{n}_end_to_end_s"] = time.perf_counter() - t  # witness + key load + proof
    return fig


TARGETS = [
    ("risk_array_s", "risk table for the whole snapshot (vectorised)", "< 0.050 s"),
    ("constraints_per_slot", "constraints per position slot", "<= 4,000"),
    ("slots32_end_to_end_s", "prove, 32 positions, end to end", "<= 10 s"),
    ("verify_py_ecc_s", "verify in pure Python (py_ecc)", "<= 0.6 s"),
    ("bundle_bytes", "proof bundle without the risk table", "<= 10 KB"),
]


@click.command()
@click.option("--repeat", default=3, show_default=True, help="Runs per timing (median reported).")
@click.option("--slots", "slots", multiple=True, type=int, help="Also build and prove an N-slot circuit (e.g. --slots 32).")
@click.option("--zkey", is_flag=True, help="Also run the snarkjs path (dev ptau, zkey) on a 1-slot variant: snarkjs vs groth16py proving.")
@click.option("--json", "as_json", is_flag=True, help="Figures as JSON on stdout.")
def bench(repeat, slots, zkey, as_json):
    """Measure the SPEC section 8 figures (a benchmark, not a test)."""
    from prover.cli import progress

    fig = run_bench(repeat, tuple(slots), progress, zkey)
    if as_json:
        click.echo(json.dumps(fig, indent=2))
        return
    for key, value in fig.items():
        click.echo(f"{key:<36} {value:,.4f}" if isinstance(value, float) else f"{key:<36} {value:,}")
    click.echo("\nagainst SPEC section 8:")
    for key, what, target in TARGETS:
        if key in fig:
            click.echo(f"  {what:<48} {fig[key]:>12,.3f}   target {target}")
