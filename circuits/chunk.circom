pragma circom 2.1.6;
include "circomlib/circuits/comparators.circom";
include "widths.circom";
include "range.circom";
include "hash.circom";
include "inclusion.circom";
include "attest.circom";

/*
Chunked proving of large books (issue 11; docs/statement.md "Chunked books"): MarginChunk proves C
position slots at a time and carries the book's running totals in a blinded accumulator;
MarginAggregate opens the first and the last accumulator and proves the statement of
MarginSolvency (USD-linear) on the totals, with venue statements signed over a hash chain of
their whole position lists. The verifier links the proofs: chunk k's acc_out is chunk k+1's acc_in,
the first acc_in is the aggregate's acc_initial, the last acc_out its acc_final, every chunk's
risk_root the venue's own.

ACC_TAG(), CHAIN_TAG(), STATEMENT_V3_TAG(): domain separators int.from_bytes(b"zkmargin-accumulator/1"),
(b"zkmargin-positions/1"), (b"zkmargin-statement/3"), prover/proving/chunks.py's (tests check equal).
*/
function ACC_TAG() { return 45802624265445460430590026071774865445396947768848177; }
function CHAIN_TAG() { return 698892582175376288308581821095565341888693350193; }
function STATEMENT_V3_TAG() { return 698892582175376288308585471153603622562535059251; }

/*
Accumulator layout, L = ACC_LEN values: pnl[u][s] (N_UND x N_SCEN, USD x 1e14), add-on, mark value,
net delta[u], net vega[u], then per statement v its position chain state and its position count.
*/
function ACC_LEN(N_SCEN, N_UND, N_VENUES) { return N_UND * N_SCEN + 2 + 2 * N_UND + 2 * N_VENUES; }

/*
AccumulatorCommitment(L)
Inputs:  blinding (a fresh random field element per accumulator), values[L]
Outputs: commitment = PoseidonChain(ACC_TAG, blinding, values...): hiding (the blinding) and binding.
*/
template AccumulatorCommitment(L) {
    signal input blinding;
    signal input values[L];
    signal output commitment;
    component h = PoseidonChain(2 + L);
    h.in[0] <== ACC_TAG();
    h.in[1] <== blinding;
    for (var i = 0; i < L; i++) { h.in[2 + i] <== values[i]; }
    commitment <== h.out;
}

/*
MarginChunk(C, N_SCEN, N_UND, N_VENUES, DEPTH)
Public:  risk_root, acc_in, acc_out.
Private: blinding_in, totals_in[L], blinding_out; venue (the statement these positions belong to);
         per slot used, instrument_id, qty_e8 and the slot's risk record with its Merkle path.
Functionality:
1. acc_in opens to (blinding_in, totals_in).
2. Per slot: qty range-checked (signed 44 bits); used boolean, and qty = 0 on an unused slot; a used
   slot's record is the instrument's (record_id = instrument_id) and every record hashes to a leaf
   of risk_root; one-hot underlying selectors.
3. totals_out = totals_in + the slots' contributions: P_u[s] += q_u pnl[s], add-on += |q| add_on,
   mark += q mark, delta_u += q_u delta, vega_u += q_u vega (unused slots add exactly 0).
4. venue one-hot; the selected statement's chain h <- Poseidon(h, instrument_id, qty) for every used
   slot in slot order, its count += the used slots; the other statements' chain and count unchanged.
5. acc_out opens to (blinding_out, totals_out).
No sum is range-checked here: MarginAggregate bounds the final totals (docs/bounds.md).
*/
template MarginChunk(C, N_SCEN, N_UND, N_VENUES, DEPTH) {
    var L = ACC_LEN(N_SCEN, N_UND, N_VENUES);
    var I_ADD = N_UND * N_SCEN;
    var I_MARK = I_ADD + 1;
    var I_DELTA = I_ADD + 2;
    var I_VEGA = I_DELTA + N_UND;
    var I_CHAIN = I_VEGA + N_UND;
    var I_COUNT = I_CHAIN + N_VENUES;

    signal input risk_root;
    signal input acc_in;
    signal input acc_out;

    signal input blinding_in;
    signal input totals_in[L];
    signal input blinding_out;
    signal input venue;
    signal input used[C];
    signal input instrument_id[C];
    signal input qty_e8[C];
    signal input record_id[C];
    signal input underlying[C];
    signal input pnl_e6[C][N_SCEN];
    signal input delta_e6[C];
    signal input vega_e6[C];
    signal input add_on_e6[C];
    signal input mark_e6[C];
    signal input path_index[C][DEPTH];
    signal input path_elements[C][DEPTH][3];

    // 1.
    component open_in = AccumulatorCommitment(L);
    open_in.blinding <== blinding_in;
    open_in.values <== totals_in;
    open_in.commitment === acc_in;

    // 2.
    component qty_range[C];
    component record[C];
    component inclusion[C];
    component is_und[C][N_UND];
    signal q_u[C][N_UND];
    for (var j = 0; j < C; j++) {
        qty_range[j] = SignedRange(QTY_BITS());
        qty_range[j].in <== qty_e8[j];
        used[j] * (used[j] - 1) === 0;
        qty_e8[j] * (1 - used[j]) === 0;
        (record_id[j] - instrument_id[j]) * used[j] === 0;
        record[j] = RiskRecordHash(N_SCEN);
        record[j].instrument_id <== record_id[j];
        record[j].underlying <== underlying[j];
        record[j].pnl_e6 <== pnl_e6[j];
        record[j].delta_e6 <== delta_e6[j];
        record[j].vega_e6 <== vega_e6[j];
        record[j].add_on_e6 <== add_on_e6[j];
        record[j].mark_e6 <== mark_e6[j];
        inclusion[j] = QuadMerkleRoot(DEPTH);
        inclusion[j].leaf <== record[j].leaf;
        inclusion[j].path_index <== path_index[j];
        inclusion[j].path_elements <== path_elements[j];
        inclusion[j].root === risk_root;
        var one_hot = 0;
        for (var u = 0; u < N_UND; u++) {
            is_und[j][u] = IsEqual();
            is_und[j][u].in[0] <== underlying[j];
            is_und[j][u].in[1] <== u;
            one_hot += is_und[j][u].out;
            q_u[j][u] <== qty_e8[j] * is_und[j][u].out;
        }
        one_hot === 1;
    }

    // 3.
    signal totals_out[L];
    signal pnl_term[N_UND][N_SCEN][C];
    signal add_on_term[C];
    signal mark_term[C];
    signal delta_term[N_UND][C];
    signal vega_term[N_UND][C];
    for (var u = 0; u < N_UND; u++) {
        for (var s = 0; s < N_SCEN; s++) {
            var acc = totals_in[u * N_SCEN + s];
            for (var j = 0; j < C; j++) {
                pnl_term[u][s][j] <== q_u[j][u] * pnl_e6[j][s];
                acc += pnl_term[u][s][j];
            }
            totals_out[u * N_SCEN + s] <== acc;
        }
        var d_acc = totals_in[I_DELTA + u];
        var v_acc = totals_in[I_VEGA + u];
        for (var j = 0; j < C; j++) {
            delta_term[u][j] <== q_u[j][u] * delta_e6[j];
            vega_term[u][j] <== q_u[j][u] * vega_e6[j];
            d_acc += delta_term[u][j];
            v_acc += vega_term[u][j];
        }
        totals_out[I_DELTA + u] <== d_acc;
        totals_out[I_VEGA + u] <== v_acc;
    }
    var add_acc = totals_in[I_ADD];
    var mark_acc = totals_in[I_MARK];
    for (var j = 0; j < C; j++) {
        add_on_term[j] <== qty_range[j].abs * add_on_e6[j];
        mark_term[j] <== qty_e8[j] * mark_e6[j];
        add_acc += add_on_term[j];
        mark_acc += mark_term[j];
    }
    totals_out[I_ADD] <== add_acc;
    totals_out[I_MARK] <== mark_acc;

    // 4.
    component is_venue[N_VENUES];
    signal chain_of[N_VENUES];
    var venue_hot = 0;
    var chain_start = 0;
    for (var v = 0; v < N_VENUES; v++) {
        is_venue[v] = IsEqual();
        is_venue[v].in[0] <== venue;
        is_venue[v].in[1] <== v;
        venue_hot += is_venue[v].out;
        chain_of[v] <== is_venue[v].out * totals_in[I_CHAIN + v];
        chain_start += chain_of[v];
    }
    venue_hot === 1;
    signal chain[C + 1];
    signal chain_step[C];
    component link[C];
    chain[0] <== chain_start;
    var n_used = 0;
    for (var j = 0; j < C; j++) {
        link[j] = Poseidon(3);
        link[j].inputs[0] <== chain[j];
        link[j].inputs[1] <== instrument_id[j];
        link[j].inputs[2] <== qty_e8[j];
        chain_step[j] <== used[j] * (link[j].out - chain[j]);
        chain[j + 1] <== chain[j] + chain_step[j];
        n_used += used[j];
    }
    signal chain_delta[N_VENUES];
    signal count_delta[N_VENUES];
    for (var v = 0; v < N_VENUES; v++) {
        chain_delta[v] <== is_venue[v].out * (chain[C] - chain_start);
        totals_out[I_CHAIN + v] <== totals_in[I_CHAIN + v] + chain_delta[v];
        count_delta[v] <== is_venue[v].out * n_used;
        totals_out[I_COUNT + v] <== totals_in[I_COUNT + v] + count_delta[v];
    }

    // 5.
    component open_out = AccumulatorCommitment(L);
    open_out.blinding <== blinding_out;
    open_out.values <== totals_out;
    open_out.commitment === acc_out;
}

/*
StatementRootMessage(N_ASSETS)
The field element a venue signs for a large account statement (prover/proving/chunks.py
statement_message_v3): PoseidonChain(STATEMENT_V3_TAG, account, identity, epoch, n_positions,
positions_root, collateral amounts), positions_root the chain h_0 = Poseidon(CHAIN_TAG),
h_{j+1} = Poseidon(h_j, instrument_id_j, qty_j) over the statement's whole position list.
*/
template StatementRootMessage(N_ASSETS) {
    signal input account;
    signal input identity;
    signal input epoch;
    signal input n_positions;
    signal input positions_root;
    signal input collateral_amount_e8[N_ASSETS];
    signal output message;
    component h = PoseidonChain(6 + N_ASSETS);
    h.in[0] <== STATEMENT_V3_TAG();
    h.in[1] <== account;
    h.in[2] <== identity;
    h.in[3] <== epoch;
    h.in[4] <== n_positions;
    h.in[5] <== positions_root;
    for (var a = 0; a < N_ASSETS; a++) { h.in[6 + a] <== collateral_amount_e8[a]; }
    message <== h.out;
}

/*
MarginAggregate(N_VENUES, N_SCEN, N_UND, N_ASSETS, SLOT_BITS)
The statement of MarginSolvency (USD-linear, docs/statement.md) on the totals the chunks accumulated.
Public:  spec_hash, snapshot_epoch, attestation_epoch, challenge, trader_identity, portfolio_commitment,
         multiplier_k_e6, delta_limit_e6[N_UND], vega_limit_e6[N_UND], collateral_price_e6[N_ASSETS],
         venue_key_x[N_VENUES], venue_key_y[N_VENUES], acc_initial, acc_final.
Private: blinding_initial, blinding_final, totals[L], per statement account, n_positions, amounts,
         signature; worst_loss_e14[N_UND]; salt; identity_secret.
Functionality:
1. Range checks as MarginSolvency step 1; n_positions[v] < 2^(SLOT_BITS - ceil_log2 N_VENUES), so
   the book has at most 2^SLOT_BITS positions and |every total| < 2^AGG_BITS(2^SLOT_BITS).
2. acc_initial opens to zero totals with every chain at Poseidon(CHAIN_TAG); acc_final to totals.
3. count[v] = n_positions[v]: the chunks counted exactly the signed number of positions.
4. W_u >= 0 and W_u + P_u[s] >= 0 (ranges); IM = sum W + add-on; collateral = sum_a (sum_v amount)
   price + mark; k IM <= collateral; |delta_u|, |vega_u| within the limits (MarginSolvency 5-10).
5. Statement v is signed by its venue key over StatementRootMessage with positions_root = chain[v];
   one statement per (venue key, account); TraderIdentity; PoseidonChain(salt, messages) =
   portfolio_commitment; challenge and spec_hash squared (binding).
6. Empty statement slots (a book of fewer than N_VENUES statements): slot v is empty iff its public
   venue key is (0, 0), which is no BabyJubJub point, so no venue can sign under it. An empty slot
   has no signature check and is inert: account 0, n_positions 0 (so no chunk may add a position
   to it), its chain still Poseidon(CHAIN_TAG), every collateral amount 0. Its message (of those
   zeros) still enters portfolio_commitment; the verifier accepts (0, 0) as "empty" and every other
   key only if the venue's policy lists it, and requires at least one non-empty slot.
*/
template MarginAggregate(N_VENUES, N_SCEN, N_UND, N_ASSETS, SLOT_BITS) {
    var L = ACC_LEN(N_SCEN, N_UND, N_VENUES);
    var I_ADD = N_UND * N_SCEN;
    var I_MARK = I_ADD + 1;
    var I_DELTA = I_ADD + 2;
    var I_VEGA = I_DELTA + N_UND;
    var I_CHAIN = I_VEGA + N_UND;
    var I_COUNT = I_CHAIN + N_VENUES;
    var MAX_SLOTS = 1 << SLOT_BITS;
    var AB = AGG_BITS(MAX_SLOTS);
    var LSB = LIMIT_SLACK_BITS(MAX_SLOTS);
    var SB = SOLVENCY_BITS(MAX_SLOTS, N_UND, N_ASSETS, N_VENUES);

    signal input spec_hash;
    signal input snapshot_epoch;
    signal input attestation_epoch;
    signal input challenge;
    signal input trader_identity;
    signal input portfolio_commitment;
    signal input multiplier_k_e6;
    signal input delta_limit_e6[N_UND];
    signal input vega_limit_e6[N_UND];
    signal input collateral_price_e6[N_ASSETS];
    signal input venue_key_x[N_VENUES];
    signal input venue_key_y[N_VENUES];
    signal input acc_initial;
    signal input acc_final;

    signal input blinding_initial;
    signal input blinding_final;
    signal input totals[L];
    signal input account[N_VENUES];
    signal input n_positions[N_VENUES];
    signal input collateral_amount_e8[N_VENUES][N_ASSETS];
    signal input sig_r8x[N_VENUES];
    signal input sig_r8y[N_VENUES];
    signal input sig_s[N_VENUES];
    signal input worst_loss_e14[N_UND];
    signal input salt;
    signal input identity_secret;

    // 1.
    component amount_range[N_VENUES][N_ASSETS];
    component count_range[N_VENUES];
    for (var v = 0; v < N_VENUES; v++) {
        for (var a = 0; a < N_ASSETS; a++) {
            amount_range[v][a] = UnsignedRange(AMOUNT_BITS());
            amount_range[v][a].in <== collateral_amount_e8[v][a];
        }
        count_range[v] = UnsignedRange(SLOT_BITS - ceil_log2(N_VENUES < 2 ? 2 : N_VENUES));
        count_range[v].in <== n_positions[v];
    }
    component price_range[N_ASSETS];
    for (var a = 0; a < N_ASSETS; a++) {
        price_range[a] = UnsignedRange(PRICE_BITS());
        price_range[a].in <== collateral_price_e6[a];
    }
    component delta_limit_range[N_UND];
    component vega_limit_range[N_UND];
    for (var u = 0; u < N_UND; u++) {
        delta_limit_range[u] = UnsignedRange(LIMIT_BITS());
        delta_limit_range[u].in <== delta_limit_e6[u];
        vega_limit_range[u] = UnsignedRange(LIMIT_BITS());
        vega_limit_range[u].in <== vega_limit_e6[u];
    }
    component k_range = UnsignedRange(K_BITS());
    k_range.in <== multiplier_k_e6 - K_SCALE();
    component epoch_range = UnsignedRange(EPOCH_BITS());
    epoch_range.in <== snapshot_epoch;
    component attestation_epoch_range = UnsignedRange(EPOCH_BITS());
    attestation_epoch_range.in <== attestation_epoch;

    // 2.
    component chain_start = Poseidon(1);
    chain_start.inputs[0] <== CHAIN_TAG();
    component open_initial = AccumulatorCommitment(L);
    open_initial.blinding <== blinding_initial;
    for (var i = 0; i < L; i++) {
        if (i >= I_CHAIN && i < I_COUNT) {
            open_initial.values[i] <== chain_start.out;
        } else {
            open_initial.values[i] <== 0;
        }
    }
    open_initial.commitment === acc_initial;
    component open_final = AccumulatorCommitment(L);
    open_final.blinding <== blinding_final;
    open_final.values <== totals;
    open_final.commitment === acc_final;

    // 3.
    for (var v = 0; v < N_VENUES; v++) { totals[I_COUNT + v] === n_positions[v]; }

    // 4.
    component worst_range[N_UND];
    component loss_cover[N_UND][N_SCEN];
    var im_acc = totals[I_ADD];
    for (var u = 0; u < N_UND; u++) {
        worst_range[u] = UnsignedRange(AB);
        worst_range[u].in <== worst_loss_e14[u];
        for (var s = 0; s < N_SCEN; s++) {
            loss_cover[u][s] = UnsignedRange(AB + 1);
            loss_cover[u][s].in <== worst_loss_e14[u] + totals[u * N_SCEN + s];
        }
        im_acc += worst_loss_e14[u];
    }
    signal im <== im_acc;
    signal asset_value[N_ASSETS];
    var coll_acc = totals[I_MARK];
    for (var a = 0; a < N_ASSETS; a++) {
        var amount = 0;
        for (var v = 0; v < N_VENUES; v++) { amount += collateral_amount_e8[v][a]; }
        asset_value[a] <== amount * collateral_price_e6[a];
        coll_acc += asset_value[a];
    }
    signal collateral <== coll_acc;
    signal k_im <== multiplier_k_e6 * im;
    component solvency = UnsignedRange(SB);
    solvency.in <== collateral * K_SCALE() - k_im;
    component delta_upper[N_UND]; component delta_lower[N_UND];
    component vega_upper[N_UND]; component vega_lower[N_UND];
    for (var u = 0; u < N_UND; u++) {
        delta_upper[u] = UnsignedRange(LSB);
        delta_upper[u].in <== delta_limit_e6[u] * QTY_SCALE() - totals[I_DELTA + u];
        delta_lower[u] = UnsignedRange(LSB);
        delta_lower[u].in <== delta_limit_e6[u] * QTY_SCALE() + totals[I_DELTA + u];
        vega_upper[u] = UnsignedRange(LSB);
        vega_upper[u].in <== vega_limit_e6[u] * QTY_SCALE() - totals[I_VEGA + u];
        vega_lower[u] = UnsignedRange(LSB);
        vega_lower[u].in <== vega_limit_e6[u] * QTY_SCALE() + totals[I_VEGA + u];
    }

    // 6. (first: step 5 needs the slot flags)
    component key_x_zero[N_VENUES];
    component key_y_zero[N_VENUES];
    signal empty[N_VENUES];
    for (var v = 0; v < N_VENUES; v++) {
        key_x_zero[v] = IsZero();
        key_x_zero[v].in <== venue_key_x[v];
        key_y_zero[v] = IsZero();
        key_y_zero[v].in <== venue_key_y[v];
        empty[v] <== key_x_zero[v].out * key_y_zero[v].out;
        account[v] * empty[v] === 0;
        n_positions[v] * empty[v] === 0;
        (totals[I_CHAIN + v] - chain_start.out) * empty[v] === 0;
        for (var a = 0; a < N_ASSETS; a++) { collateral_amount_e8[v][a] * empty[v] === 0; }
    }

    // 5.
    component message[N_VENUES];
    component signature[N_VENUES];
    for (var v = 0; v < N_VENUES; v++) {
        message[v] = StatementRootMessage(N_ASSETS);
        message[v].account <== account[v];
        message[v].identity <== trader_identity;
        message[v].epoch <== attestation_epoch;
        message[v].n_positions <== n_positions[v];
        message[v].positions_root <== totals[I_CHAIN + v];
        message[v].collateral_amount_e8 <== collateral_amount_e8[v];
        signature[v] = VenueSignatureIf();
        signature[v].enabled <== 1 - empty[v];
        signature[v].key_x <== venue_key_x[v];
        signature[v].key_y <== venue_key_y[v];
        signature[v].sig_r8x <== sig_r8x[v];
        signature[v].sig_r8y <== sig_r8y[v];
        signature[v].sig_s <== sig_s[v];
        signature[v].message <== message[v].message;
    }
    component same_key[N_VENUES * N_VENUES];
    component same_account[N_VENUES * N_VENUES];
    signal same_statement[N_VENUES * N_VENUES];
    for (var v = 0; v < N_VENUES; v++) {
        for (var w = v + 1; w < N_VENUES; w++) {
            same_key[v * N_VENUES + w] = IsZero();
            same_key[v * N_VENUES + w].in <== venue_key_x[v] - venue_key_x[w];
            same_account[v * N_VENUES + w] = IsZero();
            same_account[v * N_VENUES + w].in <== account[v] - account[w];
            same_statement[v * N_VENUES + w] <== same_key[v * N_VENUES + w].out * same_account[v * N_VENUES + w].out;
            same_statement[v * N_VENUES + w] * (1 - empty[v]) === 0;  // two empty slots are alike
        }
    }
    component identity = TraderIdentity();
    identity.secret <== identity_secret;
    identity.commitment === trader_identity;
    component commitment = PoseidonChain(1 + N_VENUES);
    commitment.in[0] <== salt;
    for (var v = 0; v < N_VENUES; v++) { commitment.in[1 + v] <== message[v].message; }
    commitment.out === portfolio_commitment;
    signal challenge_square <== challenge * challenge;
    signal spec_hash_square <== spec_hash * spec_hash;
}
