"""Circuit variants: other instantiations of MarginSolvency for benchmarks and small test circuits,
their 3-line main written under build/variants/ so that circuits/main/ holds only shipped circuits."""

from __future__ import annotations

import os

from public.circuit import BUILD_DIR, CIRCUITS_DIR, CircuitParams


def write_variant(name: str, n_venues: int, n_pos: int, n_scen: int, n_und: int = 2, n_assets: int = 4, depth: int = 6, n_std_coin: int = 0) -> CircuitParams:
    """Another instantiation of MarginSolvency (benchmarks, small test circuits), its 3-line main
    written under build/variants/ so that circuits/main/ holds only shipped circuits."""
    params = CircuitParams(name, n_venues, n_pos, n_scen, n_und, n_assets, depth, BUILD_DIR / "variants" / f"{name}.circom", n_std_coin)
    write_main(params.main_path, "margin.circom", "MarginSolvency", [n_venues, n_pos, n_scen, n_und, n_assets, depth, n_std_coin], params.public_inputs)
    return params


def write_main(path, circuit_file: str, template: str, args, public: str) -> None:
    """Write the 3-line main ``component main {public [public]} = template(args);`` including
    circuits/``circuit_file``, unless ``path`` already holds exactly that (its mtime then stays)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rel = os.path.relpath(CIRCUITS_DIR / circuit_file, path.parent)
    src = f'pragma circom 2.1.6;\ninclude "{rel}";\ncomponent main {{public [{public}]}} = {template}({", ".join(map(str, args))});\n'
    if not path.exists() or path.read_text() != src:
        path.write_text(src)


def write_chunked_variant(params: CircuitParams) -> CircuitParams:
    """Write the main file of a chunk or aggregate CircuitParams (``CircuitParams.chunk`` /
    ``.aggregate``) under build/variants/<name>.circom; returns the params with that main."""
    import dataclasses

    params = dataclasses.replace(params, main=BUILD_DIR / "variants" / f"{params.name}.circom")
    circuit_file, template, args = params.template_args
    write_main(params.main_path, circuit_file, template, args, params.public_inputs)
    return params
