"""``zkmargin``: one click group; each command parses, calls one library function, prints or --json.

Named errors (prover/errors.py) become one ``error: ...`` line on stderr and exit code 2, never a
traceback; ``verify`` exits 1 when the decision is a rejection.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from prover.circuit import DEFAULT_CIRCUIT, REPO, circuit_params
from prover.errors import ZkMarginError
from verifier.cli import parse_time

DEFAULT_SPEC = REPO / "fixtures" / "spec" / "deribit_pm_v1.json"


ERROR_SCHEMA = "zkmargin-error/1"


def exit_code_of(exc: ZkMarginError) -> int:
    """1 for a book that does not meet the policy (PolicyNotMet), 2 for bad input of any kind."""
    from prover.errors import PolicyNotMet

    return 1 if isinstance(exc, PolicyNotMet) else 2


class ZkMarginGroup(click.Group):
    """Click group: a ZkMarginError becomes ``error: ...`` on stderr and exit code 2 (1 for
    PolicyNotMet); under ``--json`` a JSON object with a schema version is printed on stdout too,
    for usage errors as well, so a machine always gets an object."""

    def parse_args(self, ctx, args):
        ctx.meta["zkmargin.json"] = "--json" in args
        return super().parse_args(ctx, args)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except ZkMarginError as exc:
            code = exit_code_of(exc)
            if ctx.meta.get("zkmargin.json"):
                emit_json({"schema": ERROR_SCHEMA, "ok": False, "exit_code": code, "error": type(exc).__name__, "message": str(exc),
                           **({"failed_checks": exc.failed} if getattr(exc, "failed", None) else {})})
            click.echo(f"error: {exc}", err=True)
            ctx.exit(code)
        except click.UsageError as exc:
            if ctx.meta.get("zkmargin.json"):
                emit_json({"schema": ERROR_SCHEMA, "ok": False, "exit_code": 2, "error": "UsageError", "message": exc.format_message()})
            raise


parse_at = parse_time  #: --at: ISO-8601 time (naive = UTC); None means now (verifier/cli.py)


def progress(msg: str) -> None:
    click.echo(f"... {msg}", err=True)


def emit_json(obj) -> None:
    click.echo(json.dumps(obj, indent=2, default=str))


market_opt = click.option("--market", "market", required=True, type=click.Path(dir_okay=False), help="Market snapshot CSV (Deribit option chain).")
spec_opt = click.option("--spec", "spec_path", type=click.Path(dir_okay=False), default=None, help="Scenario spec JSON (default: the policy's, else fixtures/spec/deribit_pm_v1.json).")
circuit_opt = click.option("--circuit", default=DEFAULT_CIRCUIT, show_default=True, help="Circuit name in circuits/main/.")
at_opt = click.option("--at", "at", default=None, help="Evaluate freshness at this ISO time instead of now (replaying a historical snapshot).")
json_opt = click.option("--json", "as_json", is_flag=True, help="Machine-readable JSON on stdout.")


def load_market(market, spec_path, policy=None):
    """(snapshot, spec) with the spec from --spec, else the policy's, else the default."""
    from prover.snapshot import load_snapshot
    from prover.spec import load_spec

    path = spec_path or (policy.spec_path if policy is not None and policy.spec_path else DEFAULT_SPEC)
    return load_snapshot(market), load_spec(path)


@click.group(cls=ZkMarginGroup)
@click.version_option(package_name="zkmargin")
def main():
    """zkmargin: zero-knowledge proof of margin solvency for crypto derivatives."""


def load_book(portfolio, statements, snapshot, spec, table):
    """The book from a portfolio file (unsigned, what-if) or from venue statements (signatures checked)."""
    from prover.attestation import check_statements, load_statement, portfolio_from_statements
    from prover.errors import PortfolioError
    from prover.portfolio import load_portfolio

    if bool(portfolio) == bool(statements):
        raise PortfolioError("give either --portfolio or one or more --statement")
    if portfolio:
        return load_portfolio(portfolio, snapshot, spec)
    sts = [load_statement(p) for p in statements]
    check_statements(sts, sts[0].capacity, spec.assets)
    return portfolio_from_statements(sts, table, 0)


@main.command()
@market_opt
@click.option("--portfolio", default=None, type=click.Path(dir_okay=False), help="Unsigned portfolio JSON (what-if).")
@click.option("--statement", "statements", multiple=True, type=click.Path(dir_okay=False), help="Signed venue statement (repeat per venue).")
@spec_opt
@click.option("--policy", "policy_path", type=click.Path(dir_okay=False), default=None, help="Also check a venue policy.")
@json_opt
def risk(market, portfolio, statements, spec_path, policy_path, as_json):
    """Margin breakdown of a portfolio or of venue statements, without proving."""
    from prover.pipeline import margin_report
    from prover.report import render_margin
    from prover.risk_table import cached_risk_table
    from verifier.policy import load_policy

    policy = load_policy(policy_path) if policy_path else None
    snapshot, spec = load_market(market, spec_path, policy)
    depth = circuit_params(DEFAULT_CIRCUIT).depth
    book = load_book(portfolio, statements, snapshot, spec, cached_risk_table(snapshot, spec, depth))
    report, table = margin_report(snapshot, spec, book, depth)
    checks = report.policy_checks(policy) if policy else []
    if as_json:
        emit_json({"schema": "zkmargin-risk/1", "snapshot": snapshot.source, "spec": spec.name, "risk_root": hex(table.root), "margin": report.to_json(),
                   "policy_checks": [{"name": n, "passed": ok, "reason": r} for n, ok, r in checks]})
    else:
        click.echo(render_margin(report, snapshot, spec, book, checks))


@main.command()
@market_opt
@spec_opt
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Where to write the published risk table (JSON).")
@circuit_opt
def table(market, spec_path, out, circuit):
    """Evaluate a snapshot and publish its risk table and root."""
    from prover.bundle import staged_write
    from prover.files import check_out_path
    from prover.risk_table import build_risk_table

    check_out_path(out, "risk table")
    snapshot, spec = load_market(market, spec_path)
    t = build_risk_table(snapshot, spec, circuit_params(circuit).depth)
    with staged_write(out, t.to_json()):
        pass
    click.echo(f"risk table: {len(t)} records, depth {t.depth}, risk_root {hex(t.root)} -> {out}")


@main.command()
@circuit_opt
@click.option("--dev", "mode", flag_value="dev", default=True, help="groth16py single-party setup from the R1CS (seconds; DEV ONLY).")
@click.option("--dev-ptau", "mode", flag_value="dev-ptau", help="snarkjs setup from a locally generated ptau (cached; slow; DEV ONLY).")
@click.option("--ptau", "ptau", type=click.Path(exists=True, dir_okay=False), default=None, help="snarkjs setup from an external ptau file.")
@click.option("--ceremony", "ceremony_dir", type=click.Path(exists=True, file_okay=False), default=None, help="Install the keys of a finalized `zkmargin ceremony` directory.")
@click.option("--recompile", is_flag=True, help="Recompile even if the build is current.")
@click.option("--force", is_flag=True, help="Replace existing keys: every bundle proved under them stops verifying.")
def setup(circuit, mode, ptau, ceremony_dir, recompile, force):
    """Compile a circuit and run its Groth16 setup (dev setups are labelled NOT FOR PRODUCTION).

    Refuses to replace the circuit's existing keys without --force."""
    from prover import setup as su
    from prover import snarkjs

    params = circuit_params(circuit)
    su.check_replace_keys(params, force, new_vk=Path(ceremony_dir) / "verification_key.json" if ceremony_dir else None)  # before any work
    progress(f"compiling {params.main_path.relative_to(REPO)} with circom2 --O2")
    build = snarkjs.compile_circuit(params, force=recompile)
    click.echo(f"circuit {params.name}: {build['constraints']:,} constraints, r1cs sha256 {build['r1cs_sha256'][:16]}...")
    if ceremony_dir:
        rec = su.ceremony_setup(params, Path(ceremony_dir), force=force)
    elif ptau:
        rec = su.snarkjs_setup(params, Path(ptau), external=True, progress=progress, force=force)
    elif mode == "dev-ptau":
        power = su.ptau_power(build["constraints"], params.n_public)
        rec = su.snarkjs_setup(params, su.dev_ptau(power, progress), external=False, progress=progress, force=force)
    else:
        rec = su.dev_setup(params, force=force)
    click.echo(f"setup: {rec.kind}: {rec.label}")
    click.echo(f"verification key: {rec.verification_key_path} (sha256 {rec.verification_key_sha256[:16]}...)")


@main.command()
@market_opt
@click.option("--statement", "statements", required=True, multiple=True, type=click.Path(dir_okay=False), help="Signed venue statement (repeat per venue).")
@click.option("--policy", "policy_path", required=True, type=click.Path(dir_okay=False), help="The venue's policy JSON.")
@click.option("--challenge", required=True, help="The venue's challenge (hex).")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Proof bundle to write.")
@click.option("--identity", "identity_path", required=True, type=click.Path(dir_okay=False), help="The trader's identity file (`zkmargin identity new`); the statements must carry its commitment.")
@click.option("--salt", default=None, help="Commitment salt ('0x' hex); random if omitted. Keep it to reproduce the commitment.")
@spec_opt
@circuit_opt
@click.option("--backend", type=click.Choice(["auto", "snarkjs", "groth16py"]), default="auto", show_default=True)
@at_opt
@json_opt
def prove(market, statements, policy_path, challenge, out, identity_path, salt, spec_path, circuit, backend, at, as_json):
    """Prove the attested book meets the policy; write a verified proof bundle (nothing on failure).

    Exit code 0 when the bundle is written, 1 when the book does not meet the policy (the failed
    checks are listed; under --json as ``failed_checks``), 2 on bad input."""
    from prover.attestation import load_statement
    from prover.files import check_out_path
    from prover.identity import load_identity
    from prover.pipeline import prove_bundle
    from prover.report import render_proved
    from verifier.policy import load_policy, parse_challenge

    check_out_path(out, "proof bundle")
    when = parse_at(at)
    nonce = parse_challenge(challenge)
    blinding = parse_challenge(salt, "salt") if salt else None
    policy = load_policy(policy_path)
    trader = load_identity(identity_path)
    snapshot, spec = load_market(market, spec_path, policy)
    sts = [load_statement(p) for p in statements]
    outcome = prove_bundle(circuit_params(circuit), snapshot, spec, sts, policy, nonce, out, identity=trader,
                           salt=blinding, backend=backend, at=when, progress=progress)
    if as_json:
        emit_json({"schema": "zkmargin-prove/1", "ok": True, "exit_code": 0, "bundle": str(out), "statement": outcome.bundle["statement"],
                   "margin": outcome.report.to_json(), "timings_s": outcome.timings})
    else:
        click.echo(render_proved(outcome, out))


@main.group()
def identity():
    """The trader's identity: a secret and its Poseidon commitment, which venues sign into statements."""


@identity.command("new")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Identity file to create (mode 0600; refuses to overwrite).")
@json_opt
def identity_new(out, as_json):
    """Create a trader identity; print the commitment to register with each venue."""
    from prover.files import check_out_path
    from prover.identity import new_identity, write_identity

    check_out_path(out, "trader identity")
    ident = new_identity()
    write_identity(ident, out)
    if as_json:
        emit_json({"schema": "zkmargin-identity/1", "identity_file": str(out), "commitment": hex(ident.commitment)})
    else:
        click.echo(f"trader identity written to {out} (mode 0600; keep it secret)")
        click.echo(f"identity commitment (register it with your venues): {hex(ident.commitment)}")


@identity.command("show")
@click.argument("path", type=click.Path(dir_okay=False))
def identity_show(path):
    """Print the commitment of an identity file (never its secret)."""
    from prover.identity import load_identity

    click.echo(hex(load_identity(path).commitment))


def _register() -> None:
    from prover.audit_cli import audit, fixture
    from prover.bench import bench
    from prover.ceremony_cli import ceremony
    from prover.demo import demo
    from prover.venue_cli import venue
    from verifier.cli import verify

    main.add_command(venue)
    main.add_command(ceremony)
    main.add_command(verify)
    main.add_command(demo)
    main.add_command(bench)
    main.add_command(audit)
    main.add_command(fixture)


_register()

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
