"""``zkmargin identity new|show``: the trader's identity file and its commitment."""

from __future__ import annotations

import click

from prover.cli.common import emit_json, json_opt


@click.group()
def identity():
    """The trader's identity: a secret and its Poseidon commitment, which venues sign into statements."""


@identity.command("new")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Identity file to create (mode 0600; refuses to overwrite).")
@json_opt
def identity_new(out, as_json):
    """Create a trader identity; print the commitment to register with each venue."""
    from prover.files import check_out_path
    from prover.trader.identity import new_identity, write_identity

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
    from prover.trader.identity import load_identity

    click.echo(hex(load_identity(path).commitment))
