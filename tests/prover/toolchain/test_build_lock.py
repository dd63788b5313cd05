"""Concurrent compiles of one circuit (prover/toolchain/snarkjs.py compile_circuit, build_lock): two
processes on a cold build cache both succeed, the compiler runs once, both get the same R1CS,
and the build directory is always absent or complete (no temporary directory left)."""

import json
import subprocess
import sys
import textwrap
import time

from prover.files import remove_path
from prover.toolchain import snarkjs
from prover.toolchain.variants import write_variant
from public.circuit import file_sha256
from tests.conftest import REPO

VARIANT = ("lock_test_1x1", 1, 1, 2, 2, 4, 1)  #: about 8k constraints, ~10 s to compile

CHILD = """
import json, sys, time
from prover.toolchain import snarkjs
from prover.toolchain.variants import write_variant

real = snarkjs.run
def run(tool, args, what, *a, **k):
    if tool == "circom2" and "--version" not in args:
        print("COMPILER", flush=True)
    return real(tool, args, what, *a, **k)
snarkjs.run = run

params = write_variant(*{variant})
time.sleep(max(0.0, {start} - time.time()))  # both start together
rec = snarkjs.compile_circuit(params)
print("RECORD " + json.dumps(rec), flush=True)
"""


def _cold(params):
    remove_path(params.build_dir)
    for p in params.build_dir.parent.glob(f".{params.name}.*"):
        remove_path(p)


def test_two_concurrent_compiles_on_a_cold_cache_both_succeed_and_compile_once():
    params = write_variant(*VARIANT)
    _cold(params)
    code = textwrap.dedent(CHILD.format(variant=VARIANT, start=time.time() + 3))
    procs = [subprocess.Popen([sys.executable, "-c", code], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err
    records = [json.loads(next(line for line in out.splitlines() if line.startswith("RECORD "))[7:]) for out, _ in outs]
    assert records[0] == records[1]
    assert records[0]["r1cs_sha256"] == file_sha256(params.r1cs_path)
    assert sum(out.count("COMPILER") for out, _ in outs) == 1  # the second waited, then found the build current
    assert json.loads((params.build_dir / "build.json").read_text()) == records[0]
    assert list(params.build_dir.parent.glob(f".{params.name}.*")) == []


def test_a_forced_recompile_swaps_the_build_in_whole_and_leaves_no_temporary():
    params = write_variant(*VARIANT)
    first = snarkjs.compile_circuit(params)
    again = snarkjs.compile_circuit(params, force=True)
    assert again["r1cs_sha256"] == first["r1cs_sha256"] == file_sha256(params.r1cs_path)
    assert params.wasm_path.exists() and (params.build_dir / "build.json").exists()
    assert list(params.build_dir.parent.glob(f".{params.name}.*")) == []


def test_a_failed_compile_keeps_the_previous_build_and_leaves_no_temporary(monkeypatch):
    from public.errors import ToolchainError

    params = write_variant(*VARIANT)
    first = snarkjs.compile_circuit(params)
    stale = params.build_dir.parent / f".{params.name}.tmp-999999-dead"  # left by a SIGKILLed compile
    stale.mkdir()

    def failing(tool, args, what, *a, **k):
        raise ToolchainError(f"{what} failed (circom2 exit 1)")

    monkeypatch.setattr(snarkjs, "run", failing)
    try:
        snarkjs.compile_circuit(params, force=True)
    except ToolchainError:
        pass
    else:
        raise AssertionError("the compile should have failed")
    assert json.loads((params.build_dir / "build.json").read_text()) == first
    assert list(params.build_dir.parent.glob(f".{params.name}.*")) == []
