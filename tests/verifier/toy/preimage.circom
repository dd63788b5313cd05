pragma circom 2.1.6;
include "circomlib/circuits/poseidon.circom";

/*
ToyPreimage()
Test circuit for the Groth16 verifier's tests (tests/verifier/test_groth16.py); not part of the
zkmargin statement. Proves knowledge of a Poseidon preimage, bound to a challenge and an epoch.

Inputs (private):
- preimage[2]   field elements
Inputs (public):
- challenge     field element; only binds (squared below, as Semaphore's dummySquare binds message)
- epoch         field element; only binds (same)
Outputs (public):
- digest        circomlib Poseidon(2) of preimage
Public signals, in snarkjs order (outputs first): [digest, challenge, epoch]  (nPublic = 3).
Functionality:
1. digest = Poseidon(preimage[0], preimage[1]).
2. Square challenge and epoch so each appears in a constraint (binding does not rest on it: Groth16
   binds every public input through IC, but an unused input is a circuit smell).
Cost: about 240 constraints (Poseidon(2), --O2) + 2.
*/
template ToyPreimage() {
    signal input preimage[2];
    signal input challenge;
    signal input epoch;
    signal output digest;
    // 1.
    component h = Poseidon(2);
    h.inputs[0] <== preimage[0];
    h.inputs[1] <== preimage[1];
    digest <== h.out;
    // 2.
    signal challenge_sq;
    signal epoch_sq;
    challenge_sq <== challenge * challenge;
    epoch_sq <== epoch * epoch;
}

component main {public [challenge, epoch]} = ToyPreimage();
