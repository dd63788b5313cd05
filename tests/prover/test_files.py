"""Nothing private or half-made is left behind (prover/files.py): private scratch directories
(0700, removed on return, exception and SIGTERM/SIGINT/SIGHUP; swept after a SIGKILL), output
paths refused before any work, atomic writes that leave no temporary file, and ``zkmargin setup``
refusing to replace keys without --force."""

import json
import os
import signal
import stat
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from prover import files
from prover.files import OutputPathError, atomic_write_json, atomic_write_text, check_out_path, private_tempdir, sweep_stale_tempdirs
from public.errors import BundleError, ToolchainError
from tests.prover.cli.runner import assert_named_error, run
from tests.conftest import REPO, SNAPSHOT

TMP_ROOT = Path(tempfile.gettempdir())


def _mine(prefix):
    return sorted(TMP_ROOT.glob(f"{prefix}{os.getpid()}-*"))


# -- private_tempdir ---------------------------------------------------------------------------


def _umask() -> int:
    u = os.umask(0o022)
    os.umask(u)
    return u


def test_private_tempdir_is_0700_names_its_pid_makes_0600_files_and_is_removed():
    before, umask = signal.getsignal(signal.SIGTERM), _umask()
    with private_tempdir("zkmargin-test-") as d:
        assert d.name.startswith(f"zkmargin-test-{os.getpid()}-") and d.parent == TMP_ROOT
        assert stat.S_IMODE(d.stat().st_mode) == 0o700
        (d / "secret.json").write_text("{}")
        assert stat.S_IMODE((d / "secret.json").stat().st_mode) == 0o600
        (d / "sub").mkdir()
        assert stat.S_IMODE((d / "sub").stat().st_mode) == 0o700
        assert signal.getsignal(signal.SIGTERM) is files._handler
    assert not d.exists()
    assert signal.getsignal(signal.SIGTERM) is before and _umask() == umask  # handlers and umask restored


@pytest.mark.parametrize("exc", [ValueError, KeyboardInterrupt, SystemExit])
def test_private_tempdir_is_removed_on_an_exception(exc):
    with pytest.raises(exc):
        with private_tempdir("zkmargin-test-") as d:
            (d / "input.json").write_text("secret")
            raise exc()
    assert not d.exists()


def test_private_tempdir_from_another_thread_is_private_and_removed():
    import threading

    seen = {}

    def work():
        with private_tempdir("zkmargin-test-") as d:
            seen["d"], seen["mode"] = d, stat.S_IMODE(d.stat().st_mode)

    t = threading.Thread(target=work)
    t.start()
    t.join()
    assert seen["mode"] == 0o700 and not seen["d"].exists()


#: children start with the usual handlers even when the test run itself ignores SIGINT/SIGHUP (a background job, nohup)
_PRELUDE = "import signal\nfor _s in (signal.SIGTERM, signal.SIGHUP): signal.signal(_s, signal.SIG_DFL)\nsignal.signal(signal.SIGINT, signal.default_int_handler)\n"


def _spawn(code: str) -> subprocess.Popen:
    """A Python child running ``code`` that prints one path when ready, then waits to be signalled."""
    return subprocess.Popen([sys.executable, "-c", _PRELUDE + textwrap.dedent(code)], cwd=REPO, stdout=subprocess.PIPE, text=True)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_a_signal_inside_private_tempdir_leaves_nothing_and_still_ends_the_process(sig):
    child = _spawn("""
        import time
        from prover.files import private_tempdir
        with private_tempdir("zkmargin-test-") as d:
            (d / "input.json").write_text("secret")
            print(d, flush=True)
            time.sleep(60)
        print("not reached", flush=True)
    """)
    d = Path(child.stdout.readline().strip())
    assert d.is_dir() and (d / "input.json").exists()
    child.send_signal(sig)
    out = child.communicate(timeout=30)[0]
    assert child.returncode == -sig, (child.returncode, out)  # re-delivered: died of the signal itself
    assert "not reached" not in out
    assert not d.exists()


def test_sigterm_while_a_tool_runs_inside_private_tempdir_leaves_nothing():
    child = _spawn("""
        import subprocess
        from prover.files import private_tempdir
        with private_tempdir("zkmargin-test-") as d:
            (d / "witness.wtns").write_bytes(b"secret")
            print(d, flush=True)
            subprocess.run(["sleep", "60"])
    """)
    d = Path(child.stdout.readline().strip())
    time.sleep(0.3)  # the sleep child has started
    child.send_signal(signal.SIGTERM)
    child.communicate(timeout=30)
    assert child.returncode == -signal.SIGTERM and not d.exists()


def test_a_custom_previous_handler_gets_the_signal_after_the_cleanup():
    child = _spawn("""
        import signal, sys, time
        from prover.files import Terminated, private_tempdir
        signal.signal(signal.SIGTERM, lambda s, f: print("previous handler", flush=True))
        try:
            with private_tempdir("zkmargin-test-") as d:
                print(d, flush=True)
                time.sleep(60)
        except Terminated:
            print("terminated, dir exists:", d.exists(), flush=True)
        assert signal.getsignal(signal.SIGTERM).__name__ == "<lambda>"
    """)
    d = Path(child.stdout.readline().strip())
    child.send_signal(signal.SIGTERM)
    out = child.communicate(timeout=30)[0]
    assert child.returncode == 0, out
    assert out.splitlines() == ["previous handler", "terminated, dir exists: False"]
    assert not d.exists()


def test_sigkill_leaves_a_dir_that_the_next_sweep_removes():
    child = _spawn("""
        import time
        from prover.files import private_tempdir
        with private_tempdir("zkmargin-sweeptest-") as d:
            print(d, flush=True)
            time.sleep(60)
    """)
    d = Path(child.stdout.readline().strip())
    assert sweep_stale_tempdirs("zkmargin-sweeptest-") == [] and d.exists()  # its process is alive
    child.kill()
    child.wait(timeout=30)
    assert d.exists()  # SIGKILL cannot be caught
    assert sweep_stale_tempdirs("zkmargin-sweeptest-") == [d] and not d.exists()


def _dead_pid() -> int:
    p = subprocess.Popen(["true"])
    p.wait()
    return p.pid


def test_sweep_removes_dead_pids_only_and_only_its_own_prefix(tmp_path):
    prefix = f"zkmargin-sweep{os.getpid()}-"
    live = subprocess.Popen(["sleep", "60"])
    try:
        dead = TMP_ROOT / f"{prefix}{_dead_pid()}-abc"
        mine = TMP_ROOT / f"{prefix}{os.getpid()}-abc"
        other = TMP_ROOT / f"{prefix}{live.pid}-abc"
        unrelated = TMP_ROOT / f"{prefix}x{_dead_pid()}-abc"
        not_a_dir = TMP_ROOT / f"{prefix}{_dead_pid()}-file"
        for d in (dead, mine, other, unrelated):
            d.mkdir()
            (d / "input.json").write_text("x")
        not_a_dir.write_text("x")
        assert sweep_stale_tempdirs(prefix) == [dead]
        assert not dead.exists() and mine.exists() and other.exists() and unrelated.exists() and not_a_dir.exists()
    finally:
        live.kill()
        live.wait()
        for p in TMP_ROOT.glob(f"{prefix}*"):
            files.remove_path(p)


# -- prove.py: private inputs in a private dir, deleted as soon as used ------------------------


def test_prove_keeps_the_witness_private_and_deletes_it_as_soon_as_used(monkeypatch):
    from prover.proving import prove as pv
    from prover.toolchain import snarkjs

    stale = TMP_ROOT / f"{pv.TEMP_PREFIX}{_dead_pid()}-left"
    stale.mkdir()
    seen = {}

    def calculate_witness(params, inputs, wtns):
        seen["dir"], seen["dir_mode"] = inputs.parent, stat.S_IMODE(inputs.parent.stat().st_mode)
        seen["input_mode"] = stat.S_IMODE(inputs.stat().st_mode)
        seen["stale_swept"] = not stale.exists()
        wtns.write_bytes(b"wtns")

    def groth16_prove(zkey, wtns, proof, public):
        seen["input_gone_when_proving"] = not (wtns.parent / "input.json").exists()
        proof.write_text(json.dumps({"pi_a": []}))
        public.write_text(json.dumps(["7"]))
        seen["wtns_mode"] = stat.S_IMODE(wtns.stat().st_mode)

    monkeypatch.setattr(snarkjs, "calculate_witness", calculate_witness)
    monkeypatch.setattr(snarkjs, "groth16_prove", groth16_prove)
    setup = SimpleNamespace(proving_key="circuit_final.zkey", proving_key_path=Path("circuit_final.zkey"))
    witness = SimpleNamespace(write=lambda p: Path(p).write_text('{"secret": "1"}'), public={"x": 7})
    res = pv.prove(None, setup, witness, "snarkjs")
    assert res.public_signals == ["7"]
    assert seen["dir"].name.startswith(f"{pv.TEMP_PREFIX}{os.getpid()}-") and seen["dir_mode"] == 0o700
    assert seen["input_mode"] == 0o600 and seen["wtns_mode"] == 0o600
    assert seen["stale_swept"] and seen["input_gone_when_proving"]
    assert not seen["dir"].exists() and _mine(pv.TEMP_PREFIX) == []


def test_prove_failing_leaves_no_private_dir(monkeypatch):
    from prover.proving import prove as pv
    from prover.toolchain import snarkjs

    def calculate_witness(params, inputs, wtns):
        raise ToolchainError("witness generation failed (snarkjs exit 1)")

    monkeypatch.setattr(snarkjs, "calculate_witness", calculate_witness)
    setup = SimpleNamespace(proving_key="circuit_final.zkey", proving_key_path=Path("circuit_final.zkey"))
    witness = SimpleNamespace(write=lambda p: Path(p).write_text("{}"), public={})
    with pytest.raises(ToolchainError):
        pv.prove(None, setup, witness, "snarkjs")
    assert _mine(pv.TEMP_PREFIX) == []


# -- check_out_path ----------------------------------------------------------------------------


def test_check_out_path_accepts_a_writable_target_and_leaves_no_probe(tmp_path):
    assert check_out_path(tmp_path / "bundle.json", "proof bundle") == tmp_path / "bundle.json"
    (tmp_path / "old.json").write_text("{}")
    assert check_out_path(str(tmp_path / "old.json"), "proof bundle") == tmp_path / "old.json"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.json"]


def test_check_out_path_refuses_a_missing_parent_and_does_not_create_it(tmp_path):
    with pytest.raises(OutputPathError, match="directory of the proof bundle does not exist.*create it first"):
        check_out_path(tmp_path / "no" / "such" / "bundle.json", "proof bundle")
    assert not (tmp_path / "no").exists()


def test_check_out_path_refuses_a_parent_that_is_a_file(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputPathError, match="is not a directory"):
        check_out_path(tmp_path / "file" / "bundle.json", "proof bundle")


def test_check_out_path_refuses_a_target_that_is_a_directory(tmp_path):
    with pytest.raises(OutputPathError, match=r"risk table .* is a directory"):
        check_out_path(tmp_path, "risk table")


def test_check_out_path_raises_the_error_class_asked_for(tmp_path):
    with pytest.raises(BundleError, match="does not exist"):
        check_out_path(tmp_path / "no" / "b.json", "proof bundle", error=BundleError)


def test_check_out_path_refuses_a_parent_that_is_not_writable(tmp_path, monkeypatch):
    real = os.access
    monkeypatch.setattr(os, "access", lambda p, m: False if Path(p) == tmp_path else real(p, m))
    with pytest.raises(OutputPathError, match="cannot write proof bundle into .*permission denied"):
        check_out_path(tmp_path / "bundle.json", "proof bundle")


def test_check_out_path_refuses_an_existing_target_that_is_not_writable(tmp_path, monkeypatch):
    target = tmp_path / "bundle.json"
    target.write_text("{}")
    real = os.access
    monkeypatch.setattr(os, "access", lambda p, m: False if Path(p) == target else real(p, m))
    with pytest.raises(OutputPathError, match="exists and is not writable"):
        check_out_path(target, "proof bundle")


def test_check_out_path_refuses_when_a_file_cannot_be_created_there(tmp_path, monkeypatch):
    # what os.access cannot see (a read-only mount, an ACL; root passes every permission check)
    def mkstemp(*a, **k):
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    with pytest.raises(OutputPathError, match="cannot write proof bundle into .*Read-only file system"):
        check_out_path(tmp_path / "bundle.json", "proof bundle")


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into a 0500 directory")
def test_check_out_path_refuses_a_read_only_directory(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        with pytest.raises(OutputPathError, match="cannot write"):
            check_out_path(ro / "bundle.json", "proof bundle")
    finally:
        ro.chmod(0o700)


# -- atomic writes and staged_write ------------------------------------------------------------


def test_atomic_write_replaces_whole_and_keeps_the_mode(tmp_path):
    target = tmp_path / "table.json"
    atomic_write_json(target, {"a": 1})
    umask = _umask()
    assert json.loads(target.read_text()) == {"a": 1}
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask  # as open() would make it
    target.chmod(0o640)
    atomic_write_text(target, "new")
    assert target.read_text() == "new" and stat.S_IMODE(target.stat().st_mode) == 0o640
    atomic_write_text(target, "private", mode=0o600)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["table.json"]


@pytest.mark.parametrize("exc", [OSError(28, "No space left on device"), KeyboardInterrupt(), SystemExit(1)])
def test_atomic_write_leaves_no_temp_and_the_old_content_on_failure(tmp_path, monkeypatch, exc):
    target = tmp_path / "bundle.json"
    target.write_text("old")

    def fail(*a):
        raise exc

    monkeypatch.setattr(os, "replace", fail)
    expected = OutputPathError if isinstance(exc, OSError) else type(exc)
    with pytest.raises(expected):
        atomic_write_text(target, "new", "proof bundle")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["bundle.json"]


def test_atomic_write_failing_to_write_leaves_no_temp(tmp_path, monkeypatch):
    def fsync(fd):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", fsync)
    with pytest.raises(OutputPathError, match="cannot write proof bundle .*Input/output error"):
        atomic_write_text(tmp_path / "bundle.json", "x", "proof bundle")
    assert list(tmp_path.iterdir()) == []


def test_atomic_write_json_of_an_unserialisable_object_writes_nothing(tmp_path):
    with pytest.raises(TypeError):
        atomic_write_json(tmp_path / "x.json", {"a": object()})
    assert list(tmp_path.iterdir()) == []


def test_staged_write_no_longer_creates_a_missing_parent(tmp_path):
    from prover.proving.bundle import staged_write

    with pytest.raises(OutputPathError, match="does not exist"):
        with staged_write(tmp_path / "new" / "t.json", {}):
            pass
    assert not (tmp_path / "new").exists()


def test_staged_write_renames_on_success_and_deletes_on_exception(tmp_path):
    from prover.proving.bundle import staged_write

    with staged_write(tmp_path / "t.json", {"a": 1}) as tmp:
        assert tmp.parent == tmp_path and json.loads(tmp.read_text()) == {"a": 1}
    assert json.loads((tmp_path / "t.json").read_text()) == {"a": 1} and not tmp.exists()
    with pytest.raises(RuntimeError):
        with staged_write(tmp_path / "u.json", {"a": 2}) as tmp:
            raise RuntimeError("verification failed")
    assert [p.name for p in tmp_path.iterdir()] == ["t.json"]


def test_sigterm_inside_staged_write_leaves_neither_temp_nor_target(tmp_path):
    target = tmp_path / "bundle.json"
    child = _spawn(f"""
        import time
        from prover.proving.bundle import staged_write
        with staged_write({str(target)!r}, {{"a": 1}}) as tmp:
            print(tmp, flush=True)
            time.sleep(60)
    """)
    tmp = Path(child.stdout.readline().strip())
    assert tmp.exists()
    child.send_signal(signal.SIGTERM)
    child.communicate(timeout=30)
    assert child.returncode == -signal.SIGTERM
    assert list(tmp_path.iterdir()) == []


# -- CLI: table --out and setup --force ----------------------------------------------------------


def test_table_refuses_a_missing_directory_before_evaluating(tmp_path, monkeypatch):
    import public.methodology.risk_table

    def boom(*a, **k):
        raise AssertionError("evaluated the snapshot before checking --out")

    monkeypatch.setattr(public.methodology.risk_table, "build_risk_table", boom)
    monkeypatch.setattr("prover.cli.risk.load_market", boom)
    assert_named_error(run("table", "--market", SNAPSHOT, "--out", tmp_path / "missing" / "t.json"), "does not exist", "risk table")


SETUP_VARIANT = ("files_setup_1x1", 1, 1, 2, 2, 4, 1)


@pytest.fixture
def variant(monkeypatch):
    """A small circuit (about 8k constraints) that ``zkmargin setup --circuit`` resolves, keys removed."""
    import prover.cli.setup
    from prover.toolchain.variants import write_variant

    params = write_variant(*SETUP_VARIANT)
    real = prover.cli.setup.circuit_params
    monkeypatch.setattr(prover.cli.setup, "circuit_params", lambda name: params if name == params.name else real(name))
    files.remove_path(params.keys_dir)
    yield params
    files.remove_path(params.keys_dir)


def test_setup_refuses_to_replace_keys_without_force(variant):
    from prover.toolchain import setup as su

    variant.keys_dir.mkdir(parents=True)
    (variant.keys_dir / "verification_key.json").write_text(json.dumps({"protocol": "groth16", "old": True}))
    build_before = (variant.build_dir / "build.json").exists() and (variant.build_dir / "build.json").stat().st_mtime_ns
    for mode in ([], ["--dev-ptau"], ["--recompile"]):
        r = run("setup", "--circuit", variant.name, *mode)
        assert_named_error(r, "already exist", str(variant.keys_dir), "stop verifying", "--force")
        assert "compiling" not in r.output  # refused before any work
    assert ((variant.build_dir / "build.json").exists() and (variant.build_dir / "build.json").stat().st_mtime_ns) == build_before
    assert json.loads((variant.keys_dir / "verification_key.json").read_text())["old"]
    with pytest.raises(ToolchainError, match="stop verifying"):
        su.dev_setup(variant)
    with pytest.raises(ToolchainError, match="stop verifying"):
        su.snarkjs_setup(variant, Path("unused.ptau"), external=True)

    r = run("setup", "--circuit", variant.name, "--force")
    assert r.exit_code == 0, r.output
    vk = json.loads((variant.keys_dir / "verification_key.json").read_text())
    assert "old" not in vk and (variant.keys_dir / "setup.json").exists()
    assert_named_error(run("setup", "--circuit", variant.name), "already exist", "--force")  # the new keys are guarded too
    rec = su.dev_setup(variant, force=True)  # what tests/conftest.py and the demo do for missing or stale keys
    assert rec.verification_key_path.exists()


def test_setup_options_are_recompile_and_force():
    r = run("setup", "--help")
    assert "--recompile" in r.output and "Recompile even if the build is current" in r.output
    assert "--force" in r.output and "Replace existing keys" in r.output
