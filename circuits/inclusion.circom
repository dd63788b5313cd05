pragma circom 2.1.6;
include "circomlib/circuits/poseidon.circom";
include "circomlib/circuits/bitify.circom";

/*
QuadMerkleRoot(DEPTH)
Root of a quaternary Poseidon Merkle tree (node = circomlib Poseidon(4) of its 4 children) from a
leaf and its path, as prover/risk_table.py computes it. Arity 4 costs about 310 constraints per
level against 2 x 245 for two binary levels: the risk table of the real snapshot (1,996 records)
needs DEPTH 6 (4,096 leaves).

Inputs:  leaf
         path_index[DEPTH]        position of the running node among its 4 siblings, 0..3 (checked)
         path_elements[DEPTH][3]  the other 3 children in order, skipping the running node
Outputs: root
Functionality, per level l:
1. Decompose path_index[l] into 2 bits b0, b1 (Num2Bits(2): also shows path_index[l] < 4), and
   the one-hot e_j = [path_index[l] == j].
2. Insert the running node at position path_index[l] among its siblings:
   child[0] = e0 ? node : s0;  child[1] = e1 ? node : (j < 1 ? s0 : s1) ...
3. node = Poseidon(child[0..3]).
Cost: DEPTH x (300 Poseidon + 10) constraints.
*/
template QuadMerkleRoot(DEPTH) {
    signal input leaf;
    signal input path_index[DEPTH];
    signal input path_elements[DEPTH][3];
    signal output root;

    signal node[DEPTH + 1];
    signal b01[DEPTH];
    signal t0[DEPTH]; signal t1a[DEPTH]; signal t1b[DEPTH]; signal t1c[DEPTH];
    signal t2a[DEPTH]; signal t2b[DEPTH]; signal t2c[DEPTH]; signal t3[DEPTH];
    component bits[DEPTH];
    component h[DEPTH];
    node[0] <== leaf;
    for (var l = 0; l < DEPTH; l++) {
        // 1.
        bits[l] = Num2Bits(2);
        bits[l].in <== path_index[l];
        var b0 = bits[l].out[0];
        var b1 = bits[l].out[1];
        b01[l] <== b0 * b1;
        var e0 = 1 - b0 - b1 + b01[l];
        var e1 = b0 - b01[l];
        var e2 = b1 - b01[l];
        var e3 = b01[l];
        var s0 = path_elements[l][0];
        var s1 = path_elements[l][1];
        var s2 = path_elements[l][2];
        var cur = node[l];
        // 2. child[j] = e_j * cur + [index > j] * s_j + [index < j] * s_{j-1}
        t0[l] <== e0 * (cur - s0);                    // child0 = s0 + e0 (cur - s0)
        t1a[l] <== e1 * cur;
        t1b[l] <== e0 * s0;                           // index < 1: s0 sits at position 1
        t1c[l] <== (e2 + e3) * s1;                    // index > 1: s1 sits at position 1
        t2a[l] <== e2 * cur;
        t2b[l] <== (e0 + e1) * s1;                    // index < 2: s1 sits at position 2
        t2c[l] <== e3 * s2;                           // index > 2: s2 sits at position 2
        t3[l] <== e3 * (cur - s2);                    // child3 = s2 + e3 (cur - s2)
        // 3.
        h[l] = Poseidon(4);
        h[l].inputs[0] <== s0 + t0[l];
        h[l].inputs[1] <== t1a[l] + t1b[l] + t1c[l];
        h[l].inputs[2] <== t2a[l] + t2b[l] + t2c[l];
        h[l].inputs[3] <== s2 + t3[l];
        node[l + 1] <== h[l].out;
    }
    root <== node[DEPTH];
}
