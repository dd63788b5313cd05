pragma circom 2.1.6;
include "circomlib/circuits/poseidon.circom";

/*
PoseidonChain(N)
Hash of a vector longer than one Poseidon call takes, with circomlib Poseidon of arity <= 12
(the arities light-poseidon reproduces in Python, prover/poseidon.py poseidon_chain).

Inputs:  in[N]   field elements
Outputs: out     h_1 = Poseidon(in[0..min(12,N))), h_{k+1} = Poseidon(h_k, next <= 11 inputs)
Cost: about 500 constraints per 11 inputs.
*/
function chain_blocks(N) {
    if (N <= 12) { return 1; }
    return 1 + (N - 12 + 10) \ 11;
}

template PoseidonChain(N) {
    assert(N >= 1);
    signal input in[N];
    signal output out;
    var NB = chain_blocks(N);
    component h[NB];
    var first = N < 12 ? N : 12;
    h[0] = Poseidon(first);
    for (var j = 0; j < first; j++) { h[0].inputs[j] <== in[j]; }
    var pos = first;
    for (var b = 1; b < NB; b++) {
        var take = N - pos < 11 ? N - pos : 11;
        h[b] = Poseidon(take + 1);
        h[b].inputs[0] <== h[b - 1].out;
        for (var j = 0; j < take; j++) { h[b].inputs[j + 1] <== in[pos + j]; }
        pos += take;
    }
    out <== h[NB - 1].out;
}

/*
RiskRecordHash(N_SCEN)
The Merkle leaf of one risk record (SPEC section 2), as prover/risk_table.py record_leaf computes it.

Inputs:  instrument_id, underlying (index into the spec's underlyings), pnl_e6[N_SCEN],
         delta_e6, vega_e6, add_on_e6, mark_e6   (USD x 1e6 per coin; signed as field elements)
Outputs: leaf
Functionality:
1. Hash pnl_e6 in chunks of 12: c_k = Poseidon(pnl_e6[12k .. 12k+11]) (last chunk shorter).
2. leaf = Poseidon(c_0, ..., c_last, instrument_id, underlying, delta_e6, vega_e6, add_on_e6, mark_e6).
NOTE: no range check on the record values here: they are bound to the public risk_root, and the
verifier rebuilds that root from the public snapshot and range-checks every record (docs/security.md).
*/
template RiskRecordHash(N_SCEN) {
    var NC = (N_SCEN + 11) \ 12;
    assert(NC + 6 <= 12);
    signal input instrument_id;
    signal input underlying;
    signal input pnl_e6[N_SCEN];
    signal input delta_e6;
    signal input vega_e6;
    signal input add_on_e6;
    signal input mark_e6;
    signal output leaf;
    // 1.
    component chunk[NC];
    for (var c = 0; c < NC; c++) {
        var len = N_SCEN - 12 * c < 12 ? N_SCEN - 12 * c : 12;
        chunk[c] = Poseidon(len);
        for (var j = 0; j < len; j++) { chunk[c].inputs[j] <== pnl_e6[12 * c + j]; }
    }
    // 2.
    component h = Poseidon(NC + 6);
    for (var c = 0; c < NC; c++) { h.inputs[c] <== chunk[c].out; }
    h.inputs[NC] <== instrument_id;
    h.inputs[NC + 1] <== underlying;
    h.inputs[NC + 2] <== delta_e6;
    h.inputs[NC + 3] <== vega_e6;
    h.inputs[NC + 4] <== add_on_e6;
    h.inputs[NC + 5] <== mark_e6;
    leaf <== h.out;
}
