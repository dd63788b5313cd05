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
2. Insert the running node at position path_index[l] among its siblings, 6 products:
   child0 = e0 ? node : s0;  child1 = e1 ? node : (e0 ? s0 : s1);
   child2 = e2 ? node : (e3 ? s2 : s1);  child3 = e3 ? node : s2.
3. node = Poseidon(child[0..3]).
Cost: DEPTH x (300 Poseidon + 9) constraints (2 bits, b0 b1, 6 selections).
*/
template QuadMerkleRoot(DEPTH) {
    signal input leaf;
    signal input path_index[DEPTH];
    signal input path_elements[DEPTH][3];
    signal output root;

    signal node[DEPTH + 1];
    signal b01[DEPTH];
    signal t0[DEPTH]; signal a1[DEPTH]; signal t1[DEPTH];
    signal a2[DEPTH]; signal t2[DEPTH]; signal t3[DEPTH];
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
        // 2. child0 = e0 ? cur : s0
        t0[l] <== e0 * (cur - s0);
        //    child1 = e1 ? cur : (index 0 ? s0 : s1):  a1 = s1 + e0 (s0 - s1), then a1 + e1 (cur - a1)
        a1[l] <== s1 + e0 * (s0 - s1);
        t1[l] <== e1 * (cur - a1[l]);
        //    child2 = e2 ? cur : (index 3 ? s2 : s1):  a2 = s1 + e3 (s2 - s1), then a2 + e2 (cur - a2)
        a2[l] <== s1 + e3 * (s2 - s1);
        t2[l] <== e2 * (cur - a2[l]);
        //    child3 = e3 ? cur : s2
        t3[l] <== e3 * (cur - s2);
        // 3.
        h[l] = Poseidon(4);
        h[l].inputs[0] <== s0 + t0[l];
        h[l].inputs[1] <== a1[l] + t1[l];
        h[l].inputs[2] <== a2[l] + t2[l];
        h[l].inputs[3] <== s2 + t3[l];
        node[l + 1] <== h[l].out;
    }
    root <== node[DEPTH];
}
