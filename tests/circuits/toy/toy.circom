pragma circom 2.1.6;
include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/poseidon.circom";

/*
Toy templates for the witness-test harness's own tests (tests/circuits/test_harness.py).
Not part of the zkmargin statement.
*/

/*
ToyMulAdd()
Inputs:  a, b, c   field elements
Outputs: prod = a * b;  sum = a * b + c;  sq[2] = [a^2, b^2]
*/
template ToyMulAdd() {
    signal input a;
    signal input b;
    signal input c;
    signal output prod;
    signal output sum;
    signal output sq[2];
    prod <== a * b;
    sum <== prod + c;
    sq[0] <== a * a;
    sq[1] <== b * b;
}

/*
ToyRange(BITS)
Inputs:  x   0 <= x < 2^BITS, checked (circomlib Num2Bits)
Outputs: bits[BITS]  little-endian bits of x
*/
template ToyRange(BITS) {
    signal input x;
    signal output bits[BITS];
    component n2b = Num2Bits(BITS);
    n2b.in <== x;
    bits <== n2b.out;
}

/*
ToyInverse()
Inputs:  x   nonzero field element (x = 0 is refused by the generator's assert and by the R1CS)
Outputs: inv = 1 / x
The hint inv <-- 1 / x is pinned by x * inv === 1.
*/
template ToyInverse() {
    signal input x;
    signal output inv;
    assert(x != 0);
    inv <-- 1 / x;
    // pinned by:
    x * inv === 1;
}

/*
ToyIsZeroSound()
Inputs:  x
Outputs: out = 1 if x == 0 else 0
The hint inv <-- 1 / x (or 0) is pinned by out = 1 - x * inv and x * out === 0 (circomlib IsZero).
*/
template ToyIsZeroSound() {
    signal input x;
    signal output out;
    signal inv;
    inv <-- x != 0 ? 1 / x : 0;
    // pinned by the next two constraints:
    out <== 1 - x * inv;
    x * out === 0;
}

/*
ToyIsZeroBroken()
The same, with the second constraint left out ON PURPOSE: out is then not pinned, since a prover may
set inv = 0 for any x and get out = 1. The harness test shows the R1CS accepts that forged witness.
*/
template ToyIsZeroBroken() {
    signal input x;
    signal output out;
    signal inv;
    inv <-- x != 0 ? 1 / x : 0;
    // NOT pinned: x * out === 0 is missing (deliberate under-constraint bug).
    out <== 1 - x * inv;
}

/*
ToyHalf()
Inputs:  x  even, 0 <= x < 2^16
Outputs: half = x / 2 (integer)
The hint half <-- x \ 2 is pinned by 2 * half === x and a range check on half.
*/
template ToyHalf() {
    signal input x;
    signal output half;
    half <-- x \ 2;
    // pinned by:
    2 * half === x;
    component r = Num2Bits(15);
    r.in <== half;
}

/*
ToyWide(N_HASH, N_RANGE)
A chain of N_HASH Poseidon(2) hashes and N_RANGE 250-bit range checks: a circuit of realistic density
for timing the harness's R1CS check (about 240 * N_HASH + 251 * N_RANGE constraints at --O1).
Inputs:  seed; x[N_RANGE], each 0 <= x < 2^250
Outputs: digest = Poseidon(...Poseidon(Poseidon(seed, 0), 1)..., N_HASH - 1)
*/
template ToyWide(N_HASH, N_RANGE) {
    signal input seed;
    signal input x[N_RANGE];
    signal output digest;
    signal acc[N_HASH + 1];
    acc[0] <== seed;
    component h[N_HASH];
    for (var i = 0; i < N_HASH; i++) {
        h[i] = Poseidon(2);
        h[i].inputs[0] <== acc[i];
        h[i].inputs[1] <== i;
        acc[i + 1] <== h[i].out;
    }
    digest <== acc[N_HASH];
    component r[N_RANGE];
    for (var j = 0; j < N_RANGE; j++) {
        r[j] = Num2Bits(250);
        r[j].in <== x[j];
    }
}

/*
ToyOuter(N)
Inputs:  a[N], b[N]
Outputs: m[N][N] with m[i][j] = a[i] * b[j]  (a two-dimensional output, for outputs() nesting)
*/
template ToyOuter(N) {
    signal input a[N];
    signal input b[N];
    signal output m[N][N];
    for (var i = 0; i < N; i++) {
        for (var j = 0; j < N; j++) {
            m[i][j] <== a[i] * b[j];
        }
    }
}
