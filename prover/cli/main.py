"""``zkmargin``: the one entry point; a click group with one module per command (prover/cli/).

Each command parses, calls one library function, prints or --json. This module imports the command
modules and registers them; they import prover/cli/common.py, never this module.
"""

from __future__ import annotations

import sys

import click

from prover.cli.audit import audit, fixture
from prover.cli.bench import bench
from prover.cli.book import report
from prover.cli.bookgen import book
from prover.cli.ceremony import ceremony
from prover.cli.common import ZkMarginGroup
from prover.cli.demo import demo
from prover.cli.derisk import derisk
from prover.cli.export import export
from prover.cli.identity import identity
from prover.cli.market import calibrate, snapshot
from prover.cli.pm import pm_simulate
from prover.cli.prove import prove
from prover.cli.risk import risk, table
from prover.cli.setup import setup
from prover.cli.venue import venue
from verifier.cli import verify
from verifier.service.cli import serve


@click.group(cls=ZkMarginGroup)
@click.version_option(package_name="zkmargin")
def main():
    """zkmargin: zero-knowledge proof of margin solvency for crypto derivatives."""


for _command in (risk, report, book, derisk, table, snapshot, calibrate, setup, prove, identity, venue, ceremony, verify, serve, export, demo, bench, audit, fixture, pm_simulate):
    main.add_command(_command)

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
