"""Proof bundle: proof, public signals, named statement, circuit/key identity, market identity.

Format ``zkmargin-proof-bundle/2`` (JSON, a few KB; public/bundle_format.py gives every field;
the risk table is published beside it, not in it). Every field is one the venue checks against its
own configuration: the circuit section is the trusted description of the prover's key directory
(verifier/trusted.py), the market section names the snapshot and spec by hash.
"""

from __future__ import annotations

import json
from contextlib import contextmanager

from public.bundle_format import FORMAT
from public.statement import named_signals, statement


def make_bundle(trusted, result, snapshot, spec) -> dict:
    """Assemble the bundle dict from a ProofResult under ``trusted`` (verifier.trusted.TrustedCircuit
    of the prover's own key directory), for ``snapshot`` and ``spec``."""
    named = named_signals(result.public_signals, trusted.public_signal_names())
    return {
        "format": FORMAT,
        "statement": statement(named, spec.underlyings, spec.assets),
        "public_signals": result.public_signals,
        "proof": result.proof,
        "circuit": trusted.bundle_section(),
        "market": {
            "snapshot_sha256": snapshot.sha256,
            "snapshot_epoch": snapshot.epoch,
            "spec": spec.name,
            "spec_sha256": spec.sha256,
            "underlyings": list(spec.underlyings),
            "assets": list(spec.assets),
        },
    }


@contextmanager
def staged_write(path, obj: dict):
    """Write ``obj`` as JSON to a temp file beside ``path`` and yield the temp path; on normal exit
    rename it to ``path``; on any exception, and on SIGTERM/SIGINT/SIGHUP, delete it (nothing
    half-written is ever left). ``path`` is checked first (prover.files.check_out_path): its
    directory must exist already, it is not created. Raises OutputPathError."""
    from prover.files import check_out_path, staged_text

    path = check_out_path(path, "output file")
    with staged_text(path, json.dumps(obj, indent=1), "output file") as tmp:
        yield tmp
