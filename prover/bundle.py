"""Proof bundle: proof, public signals, named statement, circuit/key identity, market identity.

Format ``zkmargin-proof-bundle/1`` (JSON, a few KB; the risk table is published beside it, not in
it). ``write_bundle`` is atomic: it writes a temporary file in the target directory, lets the
caller verify it, and only then renames it into place, so a failed run leaves nothing behind.
"""

from __future__ import annotations

import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

from prover import __version__
from prover.errors import BundleError, read_json_file
from verifier.statement import named_signals, statement

FORMAT = "zkmargin-proof-bundle/1"


def make_bundle(params, build, setup, result, snapshot, spec) -> dict:
    """Assemble the bundle dict from a ProofResult and the identities of what produced it."""
    named = named_signals(result.public_signals, params.public_signal_names())
    return {
        "format": FORMAT,
        "statement": statement(named, spec.underlyings, spec.assets),
        "public_signals": result.public_signals,
        "proof": result.proof,
        "circuit": {
            "name": params.name,
            "params": {"n_venues": params.n_venues, "n_pos": params.n_pos, "n_scen": params.n_scen, "n_und": params.n_und, "n_assets": params.n_assets, "depth": params.depth},
            "compiler": build.get("compiler"),
            "flags": build.get("flags"),
            "source_sha256": build.get("source_sha256"),
            "r1cs_sha256": build.get("r1cs_sha256"),
            "verification_key_sha256": setup.verification_key_sha256,
            "setup": {"kind": setup.kind, "dev": setup.dev, "label": setup.label},
        },
        "market": {
            "snapshot": snapshot.source,
            "snapshot_sha256": snapshot.sha256,
            "snapshot_epoch": snapshot.epoch,
            "spec": spec.name,
            "spec_sha256": spec.sha256,
            "underlyings": list(spec.underlyings),
            "assets": list(spec.assets),
        },
        "prover": {"zkmargin": __version__, "backend": result.backend},
    }


@contextmanager
def staged_write(path, obj: dict):
    """Write ``obj`` as JSON to a temp file beside ``path`` and yield the temp path; on normal exit
    rename it to ``path``; on any exception delete it (nothing half-written is ever left)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(obj, f, indent=1)
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_bundle(path) -> dict:
    """Load a bundle; BundleError if unreadable, not JSON, or missing a section."""
    path = Path(path)
    obj = read_json_file(path, BundleError, "bundle")
    if not isinstance(obj, dict) or obj.get("format") != FORMAT:
        raise BundleError(f"{path.name}: not a {FORMAT} file")
    missing = [k for k in ("statement", "public_signals", "proof", "circuit", "market") if k not in obj]
    if missing:
        raise BundleError(f"{path.name}: missing section(s) {', '.join(missing)}")
    return obj
