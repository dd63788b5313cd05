"""The checks a chunked bundle (``zkmargin-proof-bundle/3``, circuits/chunk.circom; issue 11) adds
to verifier/verify.py's duties.

A chunked bundle carries the aggregate proof (its ``public_signals``/``proof``/``circuit``) and one
proof per chunk (``chunks``, under ``chunk_circuit``). The verifier:

- looks the chunk key up among its own accepted circuits, by the bundle's sha256 only, and requires
  it to be a chunk circuit of the aggregate's shape (statements, scenarios, underlyings);
- checks every proof, chunks and aggregate, as ONE Groth16 batch (verifier.groth16
  .groth16_multi_batch_checks; weights from its own randomness) or natively one by one;
- checks the links (``link_problems``): acc_in of chunk 0 is the aggregate's acc_initial, each
  chunk's acc_in is the previous one's acc_out, the last acc_out is acc_final, and every chunk has
  the same risk_root, which verify.py then compares with the venue's own evaluation.

A chunk proof reused, dropped, reordered or taken from another book breaks a link (the accumulators
are commitments with fresh blindings; the aggregate's totals are what acc_final opens to and its
signed position chains are what the chunks extended).
"""

from __future__ import annotations

from verifier.decision import Check
from verifier.sections import differs
from verifier.groth16 import CHECK_PAIRING, CHECK_POINTS, CHECK_SIGNALS, groth16_checks, groth16_checks_native, groth16_multi_batch_checks

CHECK_CHUNK_CIRCUIT = "chunk_circuit"
CHECK_LINKS = "chunk_links"


def link_problems(acc_initial: int, acc_final: int, chunk_signals, risk_root: int) -> list[str]:
    """What the verifier checks of a chunked bundle's linking values (empty if all hold):
    ``chunk_signals`` is each chunk proof's (risk_root, acc_in, acc_out) in bundle order. The links
    fold from acc_initial through every chunk to acc_final; there must be at least one chunk (with
    none, acc_initial and acc_final would be unrelated and the aggregate's totals arbitrary: found
    by the adversarial review of the chunk circuits); every chunk's risk_root is ``risk_root``."""
    problems = [] if chunk_signals else ["the bundle has no chunk proof"]
    prev = acc_initial
    for k, (root, acc_in, acc_out) in enumerate(chunk_signals):
        if root != risk_root:
            problems.append(f"chunk {k}: risk_root is not the venue's")
        if acc_in != prev:
            problems.append(f"chunk {k}: acc_in is not {'acc_initial' if k == 0 else f'chunk {k - 1} acc_out'}")
        prev = acc_out
    if chunk_signals and prev != acc_final:
        problems.append("the last chunk's acc_out is not acc_final")
    return problems


def find_chunk_circuit(bundle: dict, aggregate, circuits) -> tuple[object | None, Check]:
    """(the trusted chunk circuit, check ``chunk_circuit``): the venue's accepted chunk circuit the
    bundle names by verification-key sha256, of the aggregate's shape, its section exactly the
    trusted one."""
    claimed = bundle["chunk_circuit"]["verification_key_sha256"]
    tc = next((c for c in circuits if c.vk_sha256 == claimed and c.params.kind == "chunk"), None)
    if tc is None:
        return None, Check(CHECK_CHUNK_CIRCUIT, False, f"the bundle names chunk key {claimed[:16]}..., not a chunk circuit the venue accepts")
    a, c = aggregate.params, tc.params
    if (c.n_venues, c.n_scen, c.n_und) != (a.n_venues, a.n_scen, a.n_und):
        return None, Check(CHECK_CHUNK_CIRCUIT, False, f"chunk circuit {tc.name} is not of aggregate {aggregate.name}'s shape (statements, scenarios, underlyings)")
    bad = differs(bundle["chunk_circuit"], tc.bundle_section(), "chunk_circuit.")
    if bad:
        return None, Check(CHECK_CHUNK_CIRCUIT, False, f"the bundle's chunk_circuit section differs from the trusted circuit's: {', '.join(bad[:8])}")
    return tc, Check(CHECK_CHUNK_CIRCUIT, True, f"chunk circuit {tc.name} ({c.n_pos} slots, key sha256 {tc.vk_sha256[:16]}...) as the venue's key directory records it")


def chunked_groth16_checks(aggregate, chunk, bundle: dict, engine: str = "py_ecc") -> list[Check]:
    """The three groth16.* checks over every proof of the bundle (aggregate first, then chunks):
    each passes only if it passes for every proof, and a failed one names the proofs that fail.
    ``chunk``: the trusted chunk circuit, or None (then every chunk proof counts as failed)."""
    items = [(bundle["proof"], bundle["public_signals"])]
    chunk_items = [(c["proof"], c["public_signals"]) for c in bundle["chunks"]]
    if chunk is None:
        per_proof = [_one(aggregate, *items[0], engine)] + [[Check(n, False, "no trusted chunk circuit") for n in (CHECK_SIGNALS, CHECK_POINTS, CHECK_PAIRING)]] * len(chunk_items)
    elif engine == "native":
        per_proof = [_one(aggregate, *items[0], engine)] + [_one(chunk, p, s, engine) for p, s in chunk_items]
    else:
        agg_checks, chunk_checks = groth16_multi_batch_checks([(aggregate.vk, items), (chunk.vk, chunk_items)])
        per_proof = agg_checks + chunk_checks
    labels = ["aggregate"] + [f"chunk {k}" for k in range(len(chunk_items))]
    out = []
    for i, name in enumerate((CHECK_SIGNALS, CHECK_POINTS, CHECK_PAIRING)):
        failed = [f"{label}: {checks[i].reason}" for label, checks in zip(labels, per_proof) if not checks[i].passed]
        n = len(per_proof)
        out.append(Check(name, not failed, f"all {n} proofs (aggregate + {n - 1} chunks): {per_proof[0][i].reason}" if not failed else "; ".join(failed[:4]) + (f"; and {len(failed) - 4} more" if len(failed) > 4 else "")))
    return out


def _one(tc, proof, signals, engine: str) -> list[Check]:
    if engine == "native":
        return groth16_checks_native(tc.vk, tc.verification_key, proof, signals)
    return groth16_checks(tc.vk, proof, signals)


def chunk_signals(bundle: dict) -> list[tuple[int, int, int]] | None:
    """Each chunk's (risk_root, acc_in, acc_out) as integers; None if any is not 3 integers."""
    out = []
    for c in bundle["chunks"]:
        sig = c["public_signals"]
        try:
            vals = tuple(int(str(v)) for v in sig)
        except ValueError:
            return None
        if len(vals) != 3:
            return None
        out.append(vals)
    return out
