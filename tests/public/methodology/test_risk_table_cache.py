"""``display_root`` (the root ``zkmargin risk`` prints, cached on disk): it never changes the table,
so a poisoned cache file cannot reach the verifier's own root (found by the adversarial review of
the coin-margined change), and a warm cache answers without the Poseidon tree."""

import json

from public.methodology.risk_table import RiskTable, display_root
from tests.circuits.margin_cases import records


def test_a_poisoned_cache_changes_only_the_displayed_root(tmp_path):
    table = RiskTable(records(), depth=2)
    (tmp_path / f"{table.records_sha256()}.json").write_text(json.dumps({"root": hex(12345)}))
    assert display_root(table, tmp_path) == 12345  # what a report would print from the file
    assert "levels" not in table.__dict__  # nothing was built, nothing was stored in the table
    honest = RiskTable(records(), depth=2)
    assert table.root == honest.root != 12345  # the table itself, as the verifier reads it, computes its own


def test_the_cache_is_filled_once_and_keyed_by_the_records(tmp_path):
    table = RiskTable(records(), depth=2)
    root = display_root(table, tmp_path)
    assert root == table.root and json.loads((tmp_path / f"{table.records_sha256()}.json").read_text()) == {"root": hex(root)}
    other = RiskTable(records()[:-1], depth=2)
    assert other.records_sha256() != table.records_sha256() and display_root(other, tmp_path) == other.root
    assert display_root(RiskTable(records(), depth=2), tmp_path / "missing" / "dir") == root  # an unwritable or new dir is fine
