"""``zkmargin venue``: what a venue operator runs to issue signed account statements.

``venue keygen`` writes a BabyJubJub private key (file mode 0600) and prints the public key a
verifying venue lists in its policy; ``venue attest`` signs one account's positions and collateral
for one epoch (prover/attestation.py). Venue back ends call ``prover.attestation.attest`` directly.
"""

from __future__ import annotations

import csv
import json
from datetime import datetime, timezone
from pathlib import Path

import click

from prover.errors import PortfolioError


@click.group()
def venue():
    """Venue operator commands: keys and signed account statements."""


@venue.command()
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Private key file to create (refuses to overwrite).")
@click.option("--json", "as_json", is_flag=True, help="Print the public key as JSON only.")
def keygen(out, as_json):
    """Generate a venue key pair; the private key file is created with permissions 0600."""
    from prover.attestation import write_key
    from prover.eddsa import generate_key

    key = generate_key()
    try:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PortfolioError(f"cannot write venue key {out}: {exc.strerror}") from None
    try:
        write_key(key, out)
    except FileExistsError:
        raise PortfolioError(f"{out} exists: refusing to overwrite a venue key") from None
    except OSError as exc:
        raise PortfolioError(f"cannot write venue key {out}: {exc.strerror}") from None
    pub = key.public_key().to_json()
    if as_json:
        click.echo(json.dumps(pub))
    else:
        click.echo(f"venue key written to {out} (mode 0600)")
        click.echo(f"public key (list it in verifying venues' policies): {json.dumps(pub)}")


def read_positions(path) -> list[tuple[str, str]]:
    """Positions file: JSON [{"instrument", "quantity"}] or CSV with columns instrument,quantity."""
    path = Path(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise PortfolioError(f"positions file not found: {path}") from None
    if path.suffix == ".json":
        try:
            return [(str(p["instrument"]), str(p["quantity"])) for p in json.loads(text)]
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise PortfolioError(f"{path.name}: expected a JSON list of {{instrument, quantity}} ({exc})") from None
    rows = list(csv.DictReader(text.splitlines()))
    for n, r in enumerate(rows, start=2):
        if not r.get("instrument") or not r.get("quantity"):
            raise PortfolioError(f"{path.name} line {n}: needs instrument and quantity")
    return [(r["instrument"].strip(), r["quantity"].strip()) for r in rows]


def read_collateral(path) -> dict[str, str]:
    """Collateral file: JSON {"USDC": "250000", ...}."""
    try:
        obj = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise PortfolioError(f"collateral file not found: {path}") from None
    except json.JSONDecodeError as exc:
        raise PortfolioError(f"{Path(path).name}: not valid JSON ({exc})") from None
    if not isinstance(obj, dict):
        raise PortfolioError(f"{Path(path).name}: expected {{asset: amount}}")
    return {str(a): str(v) for a, v in obj.items()}


def parse_epoch(value: str) -> int:
    """Unix seconds or ISO-8601 time (naive = UTC)."""
    if value.isdigit():
        return int(value)
    try:
        t = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"{value!r} is neither unix seconds nor an ISO time") from None
    return int((t if t.tzinfo else t.replace(tzinfo=timezone.utc)).timestamp())


@venue.command()
@click.option("--key", "key_path", required=True, type=click.Path(dir_okay=False), help="Venue private key file.")
@click.option("--venue", "venue_name", required=True, help="Venue name (informational, not signed).")
@click.option("--account", required=True, help="Account identifier (signed).")
@click.option("--epoch", required=True, help="Statement epoch: unix seconds or ISO time (signed).")
@click.option("--positions", required=True, type=click.Path(dir_okay=False), help="Positions: JSON list or CSV instrument,quantity.")
@click.option("--collateral", required=True, type=click.Path(dir_okay=False), help="Collateral JSON {asset: amount}.")
@click.option("--capacity", default=None, type=int, help="Positions per statement (default: the demo circuit's).")
@click.option("--spec", "spec_path", default=None, type=click.Path(dir_okay=False), help="Spec naming the collateral assets.")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Statement file to write.")
def attest(key_path, venue_name, account, epoch, positions, collateral, capacity, spec_path, out):
    """Sign one account's complete position list and collateral for one epoch."""
    from prover.attestation import attest as sign_statement
    from prover.attestation import read_key
    from prover.bundle import staged_write
    from prover.circuit import DEFAULT_CIRCUIT, circuit_params
    from prover.cli import DEFAULT_SPEC
    from prover.spec import load_spec

    spec = load_spec(spec_path or DEFAULT_SPEC)
    capacity = capacity or circuit_params(DEFAULT_CIRCUIT).n_pos
    st = sign_statement(read_key(key_path), venue_name, account, parse_epoch(epoch), read_positions(positions), read_collateral(collateral), capacity, spec.assets)
    with staged_write(out, st.to_json()):
        pass
    click.echo(f"statement for {account} at {venue_name}: {len(st.positions)} positions, epoch {st.epoch}, signed -> {out}")
