pragma circom 2.1.6;
include "circomlib/circuits/eddsaposeidon.circom";
include "hash.circom";

/*
STATEMENT_TAG(): domain separator of venue statements, int.from_bytes(b"zkmargin-statement/2"),
prover/attestation.py STATEMENT_TAG (tests/circuits/test_attest.py checks they are equal).
*/
function STATEMENT_TAG() { return 698892582175376288308585471153603622562535059250; }

/*
StatementMessage(N_POS, N_ASSETS)
The field element a venue signs for one account statement (prover/attestation.py statement_message).

Inputs:  account (sha256 of the account name, 248 bits), identity (the trader's identity commitment,
         TraderIdentity below), epoch (the public attestation epoch),
         n_positions, instrument_id[N_POS], qty_e8[N_POS] (unused entries 0, 0),
         collateral_amount_e8[N_ASSETS]
Outputs: message = PoseidonChain(STATEMENT_TAG, account, identity, epoch, n_positions, (id, qty) x N_POS, amounts)
NOTE: no range checks here; MarginSolvency range-checks quantities and amounts, and the rest is
signed data that only has to hash as the venue hashed it.
*/
template StatementMessage(N_POS, N_ASSETS) {
    signal input account;
    signal input identity;
    signal input epoch;
    signal input n_positions;
    signal input instrument_id[N_POS];
    signal input qty_e8[N_POS];
    signal input collateral_amount_e8[N_ASSETS];
    signal output message;
    component h = PoseidonChain(5 + 2 * N_POS + N_ASSETS);
    h.in[0] <== STATEMENT_TAG();
    h.in[1] <== account;
    h.in[2] <== identity;
    h.in[3] <== epoch;
    h.in[4] <== n_positions;
    for (var j = 0; j < N_POS; j++) {
        h.in[5 + 2 * j] <== instrument_id[j];
        h.in[6 + 2 * j] <== qty_e8[j];
    }
    for (var a = 0; a < N_ASSETS; a++) { h.in[5 + 2 * N_POS + a] <== collateral_amount_e8[a]; }
    message <== h.out;
}

/*
IDENTITY_TAG(): domain separator of trader identity commitments, int.from_bytes(b"zkmargin-identity/1"),
prover/identity.py IDENTITY_TAG (tests/circuits/test_attest.py checks they are equal).
*/
function IDENTITY_TAG() { return 2730049149122563626205364478167588276868296497; }

/*
TraderIdentity()
Semaphore-style identity: commitment = Poseidon(IDENTITY_TAG, secret), where the secret is known to
the trader alone (prover/identity.py). Proving this shows knowledge of the secret behind the public
commitment that every venue statement of the proof carries.
Inputs:  secret (private)
Outputs: commitment
Cost: one Poseidon of arity 2 (about 240 constraints).
*/
template TraderIdentity() {
    signal input secret;
    signal output commitment;
    component h = Poseidon(2);
    h.inputs[0] <== IDENTITY_TAG();
    h.inputs[1] <== secret;
    commitment <== h.out;
}

/*
VenueSignature()
circomlib EdDSAPoseidonVerifier with enabled fixed to 1: S * Base8 == R8 + 8 * Poseidon(R8, A, M) * A,
S < l. The venue key (key_x, key_y) is public; the verifier checks it against its accepted venues
and the prover's Python side refuses keys outside the prime-order subgroup (the circuit only
rejects 8A = identity: prover/eddsa.py PublicKey.is_valid, docs/threat-model.md).
Cost: about 4,200 constraints (--O2).
*/
template VenueSignature() {
    signal input key_x;
    signal input key_y;
    signal input sig_r8x;
    signal input sig_r8y;
    signal input sig_s;
    signal input message;
    component v = EdDSAPoseidonVerifier();
    v.enabled <== 1;
    v.Ax <== key_x;
    v.Ay <== key_y;
    v.R8x <== sig_r8x;
    v.R8y <== sig_r8y;
    v.S <== sig_s;
    v.M <== message;
}

/*
VenueSignatureIf()
VenueSignature with the check switched by enabled (boolean, constrained by the caller): the
aggregate's empty statement slots (circuits/chunk.circom MarginAggregate step 6) sign nothing.
*/
template VenueSignatureIf() {
    signal input enabled;
    signal input key_x;
    signal input key_y;
    signal input sig_r8x;
    signal input sig_r8y;
    signal input sig_s;
    signal input message;
    component v = EdDSAPoseidonVerifier();
    v.enabled <== enabled;
    v.Ax <== key_x;
    v.Ay <== key_y;
    v.R8x <== sig_r8x;
    v.R8y <== sig_r8y;
    v.S <== sig_s;
    v.M <== message;
}
