"""Tests of the test-circuit compiler (tests/circuits/compiler.py): the build cache, concurrent
compiles, compiler errors, on the toy templates of tests/circuits/toy/toy.circom."""

import shutil
import subprocess
import sys
import time
import uuid

import pytest

from tests.circuits import compiler
from tests.circuits.compiler import compile_main, compile_template

TOY = "tests/circuits/toy/toy.circom"


# --------------------------------------------------------------------------- cache


def test_second_compile_reads_cache(monkeypatch):
    first = compile_template(TOY, "ToyMulAdd", public=["a"])

    def no_compiler(*args, **kwargs):
        raise AssertionError("the compiler ran although the build was cached")

    monkeypatch.setattr(compiler, "_run_compiler", no_compiler)
    t = time.perf_counter()
    second = compile_template(TOY, "ToyMulAdd", public=["a"])
    assert time.perf_counter() - t < 2
    assert second.build_dir == first.build_dir


def test_changed_source_or_params_recompile(monkeypatch):
    calls = []
    real = compiler._run_compiler
    monkeypatch.setattr(compiler, "_run_compiler", lambda *a: calls.append(a) or real(*a))
    # a main file no earlier run has seen: under build/ (ignored), inside circom2's visible tree
    src = compiler.CACHE_DIR / "src" / f"fresh_{uuid.uuid4().hex[:12]}.circom"
    src.parent.mkdir(parents=True, exist_ok=True)
    k = int(uuid.uuid4().hex[:8], 16)
    src.write_text(
        f'pragma circom 2.1.6;\ninclude "{TOY}";\n'
        f"template Fresh() {{ signal input a; signal output o; o <== a * {k}; }}\n"
        "component main = Fresh();\n"
    )
    built = []
    try:
        c = compile_main(str(src.relative_to(compiler.REPO)))
        built.append(c.build_dir)
        assert len(calls) == 1
        assert c.outputs(c.witness({"a": 2})) == {"o": 2 * k}
        compile_main(str(src.relative_to(compiler.REPO)))
        assert len(calls) == 1
        src.write_text(src.read_text().replace(f"a * {k}", f"a * {k + 1}"))
        built.append(compile_main(str(src.relative_to(compiler.REPO))).build_dir)
        assert built[1] != built[0]
        assert len(calls) == 2
    finally:
        src.unlink()
        for d in built:
            shutil.rmtree(d, ignore_errors=True)
    a = compile_template(TOY, "ToyRange", params=[8])
    b = compile_template(TOY, "ToyRange", params=[9])
    assert a.build_dir != b.build_dir and b.n_constraints == a.n_constraints + 1


def test_concurrent_compiles_of_one_key_are_safe():
    """Two processes compiling the same fresh circuit at once both succeed on one build folder."""
    tag = uuid.uuid4().hex[:12]
    code = (
        "import sys; from tests.circuits.compiler import compile_template as ct; "
        f"c = ct('{TOY}', 'ToyRange', params=[5], main_name='race_{tag}'); "
        "w = c.witness({'x': 17}); c.check_constraints(w); print(c.build_dir)"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code], cwd=compiler.REPO, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    assert outs[0][0] == outs[1][0]
    assert not list(compiler.CACHE_DIR.glob(f".tmp-race_{tag}-*"))
    shutil.rmtree(outs[0][0].strip(), ignore_errors=True)


# --------------------------------------------------------------------------- errors


def test_compile_error_carries_compiler_text():
    with pytest.raises(compiler.CompileError, match="NoSuchTemplate"):
        compile_template(TOY, "NoSuchTemplate")
