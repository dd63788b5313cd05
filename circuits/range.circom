pragma circom 2.1.6;
include "circomlib/circuits/bitify.circom";

/*
UnsignedRange(BITS)
Range check: 0 <= in < 2^BITS, for BITS <= 252 (below the 254-bit field, so the bit
decomposition is unique and cannot alias: the Num2Bits(254) pitfall of SPEC section 5).

Inputs:  in   field element
Functionality:
1. Decompose in into BITS boolean-constrained bits whose weighted sum is in (circomlib Num2Bits).
Cost: BITS + 1 constraints.
*/
template UnsignedRange(BITS) {
    assert(BITS <= 252);
    signal input in;
    // 1.
    component bits = Num2Bits(BITS);
    bits.in <== in;
}

/*
SignedRange(BITS)
Range check for a signed value carried as a field element: -2^BITS <= in < 2^BITS,
with its sign and absolute value.

Inputs:  in        field element (a negative x is p - |x|)
Outputs: nonneg    1 if in >= 0 else 0
         abs       |in|, 0 <= abs <= 2^BITS
Functionality:
1. Decompose in + 2^BITS into BITS + 1 bits: shows 0 <= in + 2^BITS < 2^(BITS+1).
2. The top bit is 1 exactly when in >= 0.
3. abs = (2 * nonneg - 1) * in.
Cost: BITS + 3 constraints.
*/
template SignedRange(BITS) {
    assert(BITS <= 251);
    signal input in;
    signal output nonneg;
    signal output abs;
    // 1.
    component bits = Num2Bits(BITS + 1);
    bits.in <== in + (1 << BITS);
    // 2.
    nonneg <== bits.out[BITS];
    // 3.
    abs <== (2 * nonneg - 1) * in;
}
