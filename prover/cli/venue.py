"""``zkmargin venue``: what a venue operator runs to issue signed account statements.

``venue keygen`` writes a BabyJubJub private key (file mode 0600) and prints the public key a
verifying venue lists in its policy; ``venue attest`` signs one account's positions and collateral
for one epoch (prover/venue/attestation.py). Venue back ends call ``prover.venue.attestation.attest`` directly.
"""

from __future__ import annotations

import csv
import json
from datetime import datetime, timezone
from pathlib import Path

import click

from public.errors import PortfolioError


@click.group()
def venue():
    """Venue operator commands: keys and signed account statements."""


@venue.command()
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Private key file to create (refuses to overwrite).")
@click.option("--json", "as_json", is_flag=True, help="Print the public key as JSON only.")
def keygen(out, as_json):
    """Generate a venue key pair; the private key file is created with permissions 0600."""
    from prover.venue.attestation import write_key
    from public.crypto.eddsa import generate_key

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


def parse_epoch(value: str | int) -> int:
    """Statement epoch in unix seconds from ``--epoch``: an integer of unix seconds (ASCII digits
    only: no sign, fraction or exponent such as "1e80" or "1.5") or an ISO-8601 time (naive = UTC).

    Raises click.BadParameter when it is neither, or when the time is outside 2009-01-01 ..
    2100-12-31 UTC (and so always within 0 <= epoch < 2**EPOCH_BITS, what every statement reader
    accepts). An int (already parsed) is only range-checked.
    """
    from public.fixed_point import EPOCH_BITS

    lo, hi = 1230768000, 4133980800  # [2009-01-01T00:00Z, 2101-01-01T00:00Z): a plausible statement time
    if isinstance(value, int):
        epoch = value
    else:
        text = value.strip()
        if text.isascii() and text.isdigit():
            if len(text) > 20:  # never int() a huge digit string (2**64 has 20 digits)
                raise click.BadParameter(f"{value[:24]!r}...: {len(text)}-digit unix seconds are beyond year 2100")
            epoch = int(text)
        else:
            try:
                t = datetime.fromisoformat(text.replace("Z", "+00:00"))
                epoch = int((t if t.tzinfo else t.replace(tzinfo=timezone.utc)).timestamp())
            except (ValueError, OverflowError):
                raise click.BadParameter(
                    f"{value!r} is neither unix seconds (an integer) nor an ISO time (e.g. 2026-08-22T15:30:00Z)") from None
    if not (lo <= epoch < hi and 0 <= epoch < 2**EPOCH_BITS):
        raise click.BadParameter(f"{value!r}: epoch {epoch} is outside 2009-01-01 .. 2100-12-31 UTC ({lo} <= unix seconds < {hi})")
    return epoch


@venue.command()
@click.option("--key", "key_path", required=True, type=click.Path(dir_okay=False), help="Venue private key file.")
@click.option("--venue", "venue_name", required=True, help="Venue name (informational, not signed).")
@click.option("--account", required=True, help="Account identifier (signed).")
@click.option("--identity", "identity", required=True, help="The account holder's trader identity commitment, '0x' hex (signed; `zkmargin identity new`).")
@click.option("--epoch", required=True, callback=lambda ctx, param, v: parse_epoch(v), help="Statement epoch: unix seconds or ISO time, years 2009-2100 (signed).")
@click.option("--positions", required=True, type=click.Path(dir_okay=False), help="Positions: JSON list or CSV instrument,quantity.")
@click.option("--collateral", required=True, type=click.Path(dir_okay=False), help="Collateral JSON {asset: amount}.")
@click.option("--capacity", default=None, type=click.IntRange(1, 64), help="Positions per statement, 1-64 (default: the demo circuit's).")
@click.option("--chunked", is_flag=True, help="Sign over the whole position list's commitment (statement format 3, up to 2,047 positions; proved in chunks).")
@click.option("--spec", "spec_path", default=None, type=click.Path(dir_okay=False), help="Spec naming the collateral assets.")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Statement file to write.")
def attest(key_path, venue_name, account, identity, epoch, positions, collateral, capacity, chunked, spec_path, out):
    """Sign one account's complete position list and collateral for one epoch.

    Format 2 (default): every entry in the message, up to --capacity positions (a MarginSolvency
    circuit's). --chunked: format 3, signed over the positions root (prover/venue/attestation.py)."""
    from prover.cli.common import DEFAULT_SPEC
    from prover.proving.bundle import staged_write
    from prover.venue.attestation import attest as sign_statement
    from prover.venue.attestation import read_key
    from public.circuit import DEFAULT_CIRCUIT, circuit_params
    from public.methodology.spec import load_spec

    if chunked and capacity is not None:
        raise click.UsageError("--chunked statements have no capacity: give one of --capacity and --chunked")
    spec = load_spec(spec_path or DEFAULT_SPEC)
    capacity = None if chunked else capacity or circuit_params(DEFAULT_CIRCUIT).n_pos
    from public.crypto.identity import parse_commitment

    trader = parse_commitment(identity)
    st = sign_statement(read_key(key_path), venue_name, account, trader, epoch if isinstance(epoch, int) else parse_epoch(epoch), read_positions(positions), read_collateral(collateral), capacity, spec.assets)
    doc = st.to_json()
    kind = f", signed over positions root {doc['positions_root'][:18]}..." if chunked else ""
    with staged_write(out, doc):
        pass
    click.echo(f"statement for {account} at {venue_name}: {len(st.positions)} positions, epoch {st.epoch}{kind}, signed -> {out}")
