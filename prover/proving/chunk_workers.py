"""Proving many chunks of one circuit (circuits/chunk.circom MarginChunk; issue 11) on Ray.

``KeyedProver`` holds one circuit's proving key in memory (loaded once) and proves input after
input: the circuit's wasm computes the witness (snarkjs), groth16py proves it. ``prove_all`` runs
the chunks either in this process (``workers=0``: one KeyedProver) or on Ray: by default a local
Ray instance started here with ``workers`` CPUs, or the cluster at ``ray_address``; each worker is
a Ray actor holding one KeyedProver, fed chunk after chunk (the next as soon as it is free). A
worker that dies (its process killed, its node lost) has its chunk retried on another one and is
replaced, up to ``max_retries`` times a chunk; ``progress(done, total)`` is called after every
chunk.

Private inputs only touch disk inside a private_tempdir on the worker's machine (prover/files.py),
as in prover/proving/prove.py.
"""

from __future__ import annotations

import json
import time

from public.circuit import CircuitParams
from public.errors import ToolchainError

TEMP_PREFIX = "zkmargin-chunk-"


class KeyedProver:
    """One circuit's groth16py proving key, loaded once (``key_load_s``); ``prove(inputs)`` ->
    (snarkjs-format proof, public signals as decimal strings, {"witness_s", "prove_s"}).

    ``proving_key_path``: a groth16py ``.g16`` key or a snarkjs ``.zkey``. ``public_names``: the
    main file's public input names, in order (CircuitParams.public_inputs split; arrays flattened):
    the proof's public signals are their values."""

    def __init__(self, params: CircuitParams, proving_key_path: str, public_names: list[str]):
        import groth16py

        t = time.perf_counter()
        if str(proving_key_path).endswith(".zkey"):
            self.pk, _ = groth16py.import_zkey(str(proving_key_path))
        else:
            self.pk = groth16py.ProvingKey.load(str(proving_key_path))
        self.key_load_s = time.perf_counter() - t
        self.params, self.public_names = params, list(public_names)

    def ready(self) -> float:
        """The key load time (s): a Ray caller waits on it before handing out work."""
        return self.key_load_s

    def prove(self, inputs: dict):
        import groth16py

        from prover.files import create_private, private_tempdir, sweep_stale_tempdirs
        from prover.proving.prove import proof_from_eth_bytes
        from prover.proving.witness import _as_strings
        from prover.toolchain import snarkjs

        sweep_stale_tempdirs(TEMP_PREFIX)
        with private_tempdir(TEMP_PREFIX) as tmp:
            path, wtns = tmp / "input.json", tmp / "witness.wtns"
            create_private(path).write_text(json.dumps(_as_strings(inputs)))
            t = time.perf_counter()
            snarkjs.calculate_witness(self.params, path, wtns)
            witness_s = time.perf_counter() - t
            path.unlink()
            t = time.perf_counter()
            blob = groth16py.prove_wtns(self.pk, str(wtns))
            prove_s = time.perf_counter() - t
        signals = _flat([_as_strings(inputs[n]) for n in self.public_names])
        return proof_from_eth_bytes(blob), signals, {"witness_s": witness_s, "prove_s": prove_s}

    def node_id(self) -> str | None:
        """The Ray node this actor runs on (hex id), or None outside Ray."""
        try:
            import ray

            return ray.get_runtime_context().get_node_id() if ray.is_initialized() else None
        except Exception:  # noqa: BLE001 (no Ray context: in-process proving)
            return None

    def peak_rss_mb(self) -> float:
        """This process's peak resident memory (MiB; getrusage ru_maxrss): a Ray worker's, key included."""
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _flat(values) -> list[str]:
    """Nested lists of decimal strings in order (snarkjs public.json order of array signals)."""
    out = []
    for v in values:
        out.extend(_flat(v) if isinstance(v, list) else [v])
    return out


def _ray():
    try:
        import ray
    except ImportError:  # pragma: no cover - a pinned dependency
        raise ToolchainError("Ray is not installed (pip install -r requirements.lock)") from None
    return ray


def prove_all(params: CircuitParams, proving_key_path, public_names, inputs_list: list[dict], *, workers: int | None = 2, ray_address: str | None = None,
              max_retries: int = 2, progress=lambda done, total: None, on_worker=lambda actor: None) -> tuple[list, dict]:  # fmt: skip
    """Prove every input of ``inputs_list`` under one circuit; returns ([(proof, public_signals)] in
    input order, figures: workers, key_load_s and peak_rss_mb per worker, witness_s and prove_s per
    chunk, retries, nodes: the Ray node ids the workers that proved chunks ran on).

    ``workers`` 0: in this process; n >= 1: n Ray actors (module docstring); None: 2 local actors,
    or, with ``ray_address``, one per CPU of the cluster. ``on_worker``: called
    with each Ray actor as it starts (tests kill one). Raises ToolchainError if a chunk fails
    (an unsatisfied constraint: a bug, never retried) or its worker dies more than ``max_retries``
    times, or Ray cannot start or join ``ray_address``.
    """
    total = len(inputs_list)
    figures = {"workers": workers, "key_load_s": [], "peak_rss_mb": [], "witness_s": [0.0] * total, "prove_s": [0.0] * total, "retries": 0, "nodes": []}
    results = [None] * total
    if workers == 0:
        prover = KeyedProver(params, str(proving_key_path), public_names)
        figures["key_load_s"].append(prover.key_load_s)
        for k, inputs in enumerate(inputs_list):
            proof, signals, t = prover.prove(inputs)
            results[k] = (proof, signals)
            figures["witness_s"][k], figures["prove_s"][k] = t["witness_s"], t["prove_s"]
            progress(k + 1, total)
        figures["peak_rss_mb"].append(prover.peak_rss_mb())
        return results, figures
    ray = _ray()
    started_here = not ray.is_initialized()
    if started_here:
        try:
            if ray_address:
                ray.init(address=ray_address, log_to_driver=False)
            else:
                ray.init(num_cpus=workers or 2, include_dashboard=False, log_to_driver=False)
        except Exception as exc:  # ConnectionError, RuntimeError: no cluster at the address
            raise ToolchainError(f"cannot start or join Ray{f' at {ray_address}' if ray_address else ''}: {exc}") from None
    if workers is None:  # the default: 2 local actors, or one per CPU of the cluster joined
        workers = max(1, int(ray.cluster_resources().get("CPU", 1))) if ray_address else 2
        figures["workers"] = workers
    try:
        return _prove_on_ray(ray, params, proving_key_path, public_names, inputs_list, workers, max_retries, progress, on_worker, results, figures)
    finally:
        if started_here:
            ray.shutdown()


def _prove_on_ray(ray, params, proving_key_path, public_names, inputs_list, workers, max_retries, progress, on_worker, results, figures):
    from ray.exceptions import RayActorError, RayTaskError

    actor_class = ray.remote(num_cpus=1, max_restarts=0)(KeyedProver)

    def start():
        actor = actor_class.remote(params, str(proving_key_path), list(public_names))
        on_worker(actor)
        return actor

    actors = [start() for _ in range(min(workers, len(inputs_list)) or 1)]
    pending = list(range(len(inputs_list)))[::-1]  # a stack: chunk 0 first
    attempts = [0] * len(inputs_list)
    running = {}  # object ref -> (chunk, actor)
    loaded = {}  # id -> actor that proved a chunk (its key load and peak memory are read once)
    done = 0

    def feed(actor):
        k = pending.pop()
        running[actor.prove.remote(inputs_list[k])] = (k, actor)

    for a in actors:
        if pending:
            feed(a)
    while running:
        ready, _ = ray.wait(list(running), num_returns=1)
        ref = ready[0]
        k, actor = running.pop(ref)
        try:
            proof, signals, t = ray.get(ref)
        except RayTaskError as exc:  # the circuit refused the chunk: a bug in the inputs, not the worker
            raise ToolchainError(f"chunk {k}: proving failed on a Ray worker: {str(exc).splitlines()[-1][:400]}") from None
        except RayActorError:
            attempts[k] += 1
            figures["retries"] += 1
            if attempts[k] > max_retries:
                raise ToolchainError(f"chunk {k}: its Ray worker died {attempts[k]} times; giving up") from None
            pending.append(k)
            actor = start()  # a replacement; the chunk goes to whichever worker is free first
            feed(actor)
            continue
        if id(actor) not in loaded:
            loaded[id(actor)] = actor
            figures["key_load_s"].append(ray.get(actor.ready.remote()))
            node = ray.get(actor.node_id.remote())
            if node not in figures["nodes"]:
                figures["nodes"].append(node)
        results[k] = (proof, signals)
        figures["witness_s"][k], figures["prove_s"][k] = t["witness_s"], t["prove_s"]
        done += 1
        progress(done, len(inputs_list))
        if pending:
            feed(actor)
    for actor in loaded.values():
        try:
            figures["peak_rss_mb"].append(ray.get(actor.peak_rss_mb.remote()))
        except RayActorError:  # died after its last chunk: its figure is lost, not its proofs
            pass
    return results, figures
