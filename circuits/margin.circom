pragma circom 2.1.6;
include "circomlib/circuits/comparators.circom";
include "widths.circom";
include "range.circom";
include "hash.circom";
include "inclusion.circom";
include "attest.circom";

/*
MarginSolvency(N_VENUES, N_POS, N_SCEN, N_UND, N_ASSETS, DEPTH, N_STD_COIN)
The zkmargin statement (docs/statement.md): across the committed positions, under the published
scenario grid, k x (worst-case loss + add-on) is covered by the haircut collateral plus the mark
value of the positions, and |net delta| and |net vega| of every underlying are inside the limits.
With N_STD_COIN > 0 the coin-margined statement instead (step 13): per settlement currency, in coin.

Parameters: N_VENUES statements of N_POS positions (N_SLOTS = N_VENUES x N_POS slots), N_SCEN
scenarios, N_UND underlyings, N_ASSETS collateral assets, DEPTH of the quaternary risk-table tree
(4^DEPTH leaves), N_STD_COIN: 0 for the USD-linear statement, else the number of standard
scenarios of the coin-margined one (the rest are extended).
Inputs (public; the verifier checks each against its own copy, docs/security.md):
- risk_root                     Poseidon Merkle root of the risk table of the snapshot under the spec
- spec_hash                     sha256 of the scenario spec file, first 248 bits (binding only)
- snapshot_epoch                unix seconds of the snapshot (binding only; range-checked 64 bits)
- challenge                     the verifier's nonce (binding only, like Semaphore's message)
- trader_identity               the trader's identity commitment Poseidon(IDENTITY_TAG, identity_secret):
                                every venue statement is signed over it (step 11), the prover knows its secret
- portfolio_commitment          PoseidonChain(salt, (instrument_id, qty_e8) per slot, collateral_amount_e8)
- multiplier_k_e6               IM multiplier k x 1e6, 1e6 <= k < 2^32
- delta_limit_e6[N_UND]         |net delta| limit per underlying, USD x 1e6, < 2^64
- vega_limit_e6[N_UND]          |net vega| limit per underlying, USD per vol point x 1e6, < 2^64
- collateral_price_e6[N_ASSETS] haircut price per asset unit, USD x 1e6, < 2^42
Inputs (private):
- qty_e8[N_SLOTS]               signed quantity, coins x 1e8, -2^44 <= qty < 2^44 (step 1)
- instrument_id, underlying, pnl_e6[N_SCEN], delta_e6, vega_e6, add_on_e6, mark_e6 per slot: the
  slot's risk record (USD x 1e6 per coin), bound to risk_root in step 2
- path_index[N_SLOTS][DEPTH], path_elements[N_SLOTS][DEPTH][3]: Merkle path of each record
- collateral_amount_e8[N_ASSETS] units x 1e8, < 2^64
- worst_loss_e14[N_UND]         prover's hint W_u, USD x 1e14 (step 6 makes any accepted W_u an upper bound)
- salt                          commitment blinding
- identity_secret               the trader's secret behind trader_identity (step 11)
Functionality:
1. Range-check every quantity, amount, price, limit, k (k >= 1) and the epoch.
2. Every slot's record hashes to a leaf whose Merkle path ends at risk_root.
3. One-hot underlying selectors (this also shows underlying < N_UND); q_u = qty * [underlying == u].
4. pnl_total[u][s] = sum_i q_u[i] * pnl_e6[i][s]  (USD x 1e14).
5. Gain-offset rule: with gain offset g in [0, 1] (spec-validated), a scenario's counted loss is
   -min(P, g P) = max(0, -P) when capped below at 0, so W_u >= max(0, -P_eff[u][s]) for all s is
   exactly W_u >= 0 and W_u + pnl_total[u][s] >= 0 for all s: both checked as ranges (step 6).
6. worst_loss_e14[u] in [0, 2^AGG_BITS), worst_loss_e14[u] + pnl_total[u][s] in [0, 2^(AGG_BITS+1)).
7. add_on = sum_i |qty_i| * add_on_e6[i];  im = sum_u worst_loss_e14[u] + add_on.
8. collateral = sum_a amount[a] * price[a] + sum_i qty_i * mark_e6[i].
9. collateral * 1e6 - k * im in [0, 2^SOLVENCY_BITS): k x IM <= collateral.
10. net_delta[u] = sum_i q_u[i] * delta_e6[i]; limit * 1e8 - net and limit * 1e8 + net both in
    [0, 2^LIMIT_SLACK_BITS): |net delta_u| <= limit_u. Same for vega.
11. Every statement's signed message carries trader_identity; TraderIdentity(identity_secret) == trader_identity;
    PoseidonChain(salt, M_0, ..., M_{V-1}) == portfolio_commitment over the signed statement messages.
12. challenge and spec_hash squared (binding public inputs used in no other constraint).
13. Coin-margined (N_STD_COIN > 0; steps 7-9 and the collateral_price_e6 inputs are then absent),
    per underlying u in coin x 1e14, with the public coin_price_e6[u][a], pnl_offset_e14,
    dampener_e14, index_e6, delta_threshold_e6, max_delta_shock_e6, m_inc_e6 and the private hints
    delta_rate_e6, delta_rate_cap, delta_shock_e14: (13a) W_u + P_u[s] + pnl_offset (standard) or
    + dampener (extended) >= 0; (13b) parameter ranges, index >= 1; (13c) roll_u = sum |q| add_on;
    (13d) delta rate >= min(max_delta_shock, m_inc x excess / 1e20) by a boolean branch selector,
    shock x index >= |net delta| x rate; (13e) collateral_u = sum_a amount x coin_price[u][a] +
    sum q_u mark; (13f) k x (W_u + roll_u + shock_u) <= collateral_u.
Unused slots carry qty_e8 = 0 and any record of the table (the witness builder uses leaf 0): every
contribution of a slot is a product with its quantity, so such a slot adds exactly 0 (inert).
Bounds: docs/bounds.md; prover/fixed_point.check_bounds fails at import if any slack could reach p/2.
*/
template MarginSolvency(N_VENUES, N_POS, N_SCEN, N_UND, N_ASSETS, DEPTH, N_STD_COIN) {
    var N_SLOTS = N_VENUES * N_POS;
    var C = N_STD_COIN > 0 ? 1 : 0;   // 1: the coin-margined statement (step 13) replaces steps 7-9
    var NC = C * N_UND;
    var NU = (1 - C) * N_ASSETS;
    var AB = AGG_BITS(N_SLOTS);
    var LSB = LIMIT_SLACK_BITS(N_SLOTS);
    var SB = SOLVENCY_BITS(N_SLOTS, N_UND, N_ASSETS, N_VENUES);

    signal input risk_root;
    signal input spec_hash;
    signal input snapshot_epoch;
    signal input attestation_epoch;
    signal input challenge;
    signal input trader_identity;
    signal input portfolio_commitment;
    signal input multiplier_k_e6;
    signal input delta_limit_e6[N_UND];
    signal input vega_limit_e6[N_UND];
    signal input collateral_price_e6[NU];
    signal input venue_key_x[N_VENUES];
    signal input venue_key_y[N_VENUES];
    signal input coin_price_e6[NC][N_ASSETS];
    signal input pnl_offset_e14[NC];
    signal input dampener_e14[NC];
    signal input index_e6[NC];
    signal input delta_threshold_e6[NC];
    signal input max_delta_shock_e6[NC];
    signal input m_inc_e6[NC];

    signal input account[N_VENUES];
    signal input n_positions[N_VENUES];
    signal input qty_e8[N_SLOTS];
    signal input instrument_id[N_SLOTS];
    signal input collateral_amount_e8[N_VENUES][N_ASSETS];
    signal input sig_r8x[N_VENUES];
    signal input sig_r8y[N_VENUES];
    signal input sig_s[N_VENUES];
    signal input record_id[N_SLOTS];
    signal input underlying[N_SLOTS];
    signal input pnl_e6[N_SLOTS][N_SCEN];
    signal input delta_e6[N_SLOTS];
    signal input vega_e6[N_SLOTS];
    signal input add_on_e6[N_SLOTS];
    signal input mark_e6[N_SLOTS];
    signal input path_index[N_SLOTS][DEPTH];
    signal input path_elements[N_SLOTS][DEPTH][3];
    signal input worst_loss_e14[N_UND];
    signal input salt;
    signal input identity_secret;
    signal input delta_rate_e6[NC];
    signal input delta_rate_cap[NC];
    signal input delta_shock_e14[NC];

    // 1.
    component qty_range[N_SLOTS];
    for (var i = 0; i < N_SLOTS; i++) {
        qty_range[i] = SignedRange(QTY_BITS());
        qty_range[i].in <== qty_e8[i];
    }
    component price_range[N_ASSETS];
    component amount_range[N_VENUES][N_ASSETS];
    for (var v = 0; v < N_VENUES; v++) {
        for (var a = 0; a < N_ASSETS; a++) {
            amount_range[v][a] = UnsignedRange(AMOUNT_BITS());
            amount_range[v][a].in <== collateral_amount_e8[v][a];
        }
    }
    for (var a = 0; a < NU; a++) {
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
    k_range.in <== multiplier_k_e6 - K_SCALE();   // k >= 1 and k < 2^32 + 1e6
    component epoch_range = UnsignedRange(EPOCH_BITS());
    epoch_range.in <== snapshot_epoch;
    component attestation_epoch_range = UnsignedRange(EPOCH_BITS());
    attestation_epoch_range.in <== attestation_epoch;

    // 2.
    component record[N_SLOTS];
    component inclusion[N_SLOTS];
    for (var i = 0; i < N_SLOTS; i++) {
        record[i] = RiskRecordHash(N_SCEN);
        record[i].instrument_id <== record_id[i];
        record[i].underlying <== underlying[i];
        record[i].pnl_e6 <== pnl_e6[i];
        record[i].delta_e6 <== delta_e6[i];
        record[i].vega_e6 <== vega_e6[i];
        record[i].add_on_e6 <== add_on_e6[i];
        record[i].mark_e6 <== mark_e6[i];
        inclusion[i] = QuadMerkleRoot(DEPTH);
        inclusion[i].leaf <== record[i].leaf;
        inclusion[i].path_index <== path_index[i];
        inclusion[i].path_elements <== path_elements[i];
        inclusion[i].root === risk_root;
    }

    // 2b. The slot's record is the attested instrument, or the slot is an unused statement entry
    //     (instrument_id 0, qty 0), whose record may be any leaf: it contributes nothing.
    component is_pad[N_SLOTS];
    for (var i = 0; i < N_SLOTS; i++) {
        is_pad[i] = IsZero();
        is_pad[i].in <== instrument_id[i];
        (record_id[i] - instrument_id[i]) * (1 - is_pad[i].out) === 0;
        qty_e8[i] * is_pad[i].out === 0;
    }

    // 3.
    component is_und[N_SLOTS][N_UND];
    signal q_u[N_SLOTS][N_UND];
    for (var i = 0; i < N_SLOTS; i++) {
        var one_hot = 0;
        for (var u = 0; u < N_UND; u++) {
            is_und[i][u] = IsEqual();
            is_und[i][u].in[0] <== underlying[i];
            is_und[i][u].in[1] <== u;
            one_hot += is_und[i][u].out;
            q_u[i][u] <== qty_e8[i] * is_und[i][u].out;
        }
        one_hot === 1;
    }

    // 4.
    signal term[N_UND][N_SCEN][N_SLOTS];
    signal pnl_total[N_UND][N_SCEN];
    for (var u = 0; u < N_UND; u++) {
        for (var s = 0; s < N_SCEN; s++) {
            var acc = 0;
            for (var i = 0; i < N_SLOTS; i++) {
                term[u][s][i] <== q_u[i][u] * pnl_e6[i][s];
                acc += term[u][s][i];
            }
            pnl_total[u][s] <== acc;
        }
    }

    // 5. and 6.
    component worst_range[N_UND];
    component loss_cover[N_UND][N_SCEN];
    for (var u = 0; u < N_UND; u++) {
        worst_range[u] = UnsignedRange(AB);
        worst_range[u].in <== worst_loss_e14[u];
        for (var s = 0; s < N_SCEN; s++) {
            if (C == 0) {
                loss_cover[u][s] = UnsignedRange(AB + 1);
                loss_cover[u][s].in <== worst_loss_e14[u] + pnl_total[u][s];
            } else {   // 13a.
                loss_cover[u][s] = UnsignedRange(AB + 2);
                if (s < N_STD_COIN) {
                    loss_cover[u][s].in <== worst_loss_e14[u] + pnl_total[u][s] + pnl_offset_e14[u];
                } else {
                    loss_cover[u][s].in <== worst_loss_e14[u] + pnl_total[u][s] + dampener_e14[u];
                }
            }
        }
    }

    if (C == 0) {
        // 7.
        signal add_on_term[N_SLOTS];
        var add_on_acc = 0;
        for (var i = 0; i < N_SLOTS; i++) {
            add_on_term[i] <== qty_range[i].abs * add_on_e6[i];
            add_on_acc += add_on_term[i];
        }
        signal add_on <== add_on_acc;
        var im_acc = add_on;
        for (var u = 0; u < N_UND; u++) { im_acc += worst_loss_e14[u]; }
        signal im <== im_acc;

        // 8.
        signal asset_value[N_ASSETS];
        signal mark_value[N_SLOTS];
        var coll_acc = 0;
        for (var a = 0; a < N_ASSETS; a++) {
            var amount = 0;
            for (var v = 0; v < N_VENUES; v++) { amount += collateral_amount_e8[v][a]; }
            asset_value[a] <== amount * collateral_price_e6[a];
            coll_acc += asset_value[a];
        }
        for (var i = 0; i < N_SLOTS; i++) {
            mark_value[i] <== qty_e8[i] * mark_e6[i];
            coll_acc += mark_value[i];
        }
        signal collateral <== coll_acc;

        // 9.
        signal k_im <== multiplier_k_e6 * im;
        component solvency = UnsignedRange(SB);
        solvency.in <== collateral * K_SCALE() - k_im;
    }

    // 10.
    signal delta_term[N_UND][N_SLOTS];
    signal vega_term[N_UND][N_SLOTS];
    signal net_delta[N_UND];
    signal net_vega[N_UND];
    component delta_upper[N_UND]; component delta_lower[N_UND];
    component vega_upper[N_UND]; component vega_lower[N_UND];
    for (var u = 0; u < N_UND; u++) {
        var d_acc = 0;
        var v_acc = 0;
        for (var i = 0; i < N_SLOTS; i++) {
            delta_term[u][i] <== q_u[i][u] * delta_e6[i];
            vega_term[u][i] <== q_u[i][u] * vega_e6[i];
            d_acc += delta_term[u][i];
            v_acc += vega_term[u][i];
        }
        net_delta[u] <== d_acc;
        net_vega[u] <== v_acc;
        delta_upper[u] = UnsignedRange(LSB);
        delta_upper[u].in <== delta_limit_e6[u] * QTY_SCALE() - net_delta[u];
        delta_lower[u] = UnsignedRange(LSB);
        delta_lower[u].in <== delta_limit_e6[u] * QTY_SCALE() + net_delta[u];
        vega_upper[u] = UnsignedRange(LSB);
        vega_upper[u].in <== vega_limit_e6[u] * QTY_SCALE() - net_vega[u];
        vega_lower[u] = UnsignedRange(LSB);
        vega_lower[u].in <== vega_limit_e6[u] * QTY_SCALE() + net_vega[u];
    }

    // 11. Every venue statement is signed by its (public) venue key, for the public attestation
    //     epoch; at most one statement per (venue key, account), so no statement, nor a second
    //     statement of the same account and epoch, is counted twice; the commitment opens to the
    //     statements used.
    component message[N_VENUES];
    component signature[N_VENUES];
    for (var v = 0; v < N_VENUES; v++) {
        message[v] = StatementMessage(N_POS, N_ASSETS);
        message[v].account <== account[v];
        message[v].identity <== trader_identity;
        message[v].epoch <== attestation_epoch;
        message[v].n_positions <== n_positions[v];
        for (var j = 0; j < N_POS; j++) {
            message[v].instrument_id[j] <== instrument_id[v * N_POS + j];
            message[v].qty_e8[j] <== qty_e8[v * N_POS + j];
        }
        message[v].collateral_amount_e8 <== collateral_amount_e8[v];
        signature[v] = VenueSignature();
        signature[v].key_x <== venue_key_x[v];
        signature[v].key_y <== venue_key_y[v];
        signature[v].sig_r8x <== sig_r8x[v];
        signature[v].sig_r8y <== sig_r8y[v];
        signature[v].sig_s <== sig_s[v];
        signature[v].message <== message[v].message;
    }
    component same_key[N_VENUES * N_VENUES];
    component same_account[N_VENUES * N_VENUES];
    for (var v = 0; v < N_VENUES; v++) {
        for (var w = v + 1; w < N_VENUES; w++) {
            same_key[v * N_VENUES + w] = IsZero();
            same_key[v * N_VENUES + w].in <== venue_key_x[v] - venue_key_x[w];
            same_account[v * N_VENUES + w] = IsZero();
            same_account[v * N_VENUES + w].in <== account[v] - account[w];
            same_key[v * N_VENUES + w].out * same_account[v * N_VENUES + w].out === 0;   // one statement per (venue, account)
        }
    }
    component identity = TraderIdentity();   // the prover holds the secret of the identity the venues signed
    identity.secret <== identity_secret;
    identity.commitment === trader_identity;
    component commitment = PoseidonChain(1 + N_VENUES);
    commitment.in[0] <== salt;
    for (var v = 0; v < N_VENUES; v++) { commitment.in[1 + v] <== message[v].message; }
    commitment.out === portfolio_commitment;

    // 12.
    signal challenge_square <== challenge * challenge;
    signal spec_hash_square <== spec_hash * spec_hash;

    // 13. Coin-margined statement (N_STD_COIN > 0; docs/statement.md "Coin-margined"), per
    //     settlement currency u, every amount in coin x 1e14: 13a (above) W_u + P_u[s] + offset >= 0
    //     with pnl_offset on the N_STD_COIN standard scenarios and the dampener on the extended ones.
    if (C == 1) {
        var CSB = COIN_SOLVENCY_BITS(N_SLOTS, N_ASSETS, N_VENUES);
        var RB = RATE_BITS();
        // 13b. ranges of the public coin parameters; the index is at least 1e-6 USD
        component offset_range[N_UND]; component damp_range[N_UND]; component index_range[N_UND];
        component threshold_range[N_UND]; component max_shock_range[N_UND]; component m_inc_range[N_UND];
        component coin_price_range[N_UND][N_ASSETS];
        for (var u = 0; u < N_UND; u++) {
            offset_range[u] = UnsignedRange(OFFSET_BITS());
            offset_range[u].in <== pnl_offset_e14[u];
            damp_range[u] = UnsignedRange(OFFSET_BITS());
            damp_range[u].in <== dampener_e14[u];
            index_range[u] = UnsignedRange(PRICE_BITS());
            index_range[u].in <== index_e6[u] - 1;
            threshold_range[u] = UnsignedRange(LIMIT_BITS());
            threshold_range[u].in <== delta_threshold_e6[u];
            max_shock_range[u] = UnsignedRange(RB);
            max_shock_range[u].in <== max_delta_shock_e6[u];
            m_inc_range[u] = UnsignedRange(RB);
            m_inc_range[u].in <== m_inc_e6[u];
            for (var a = 0; a < N_ASSETS; a++) {
                coin_price_range[u][a] = UnsignedRange(PRICE_BITS());
                coin_price_range[u][a].in <== coin_price_e6[u][a];
            }
        }
        // 13c. roll shock_u = sum_i |q_i| [underlying_i == u] add_on_e6[i]
        signal roll_rate[N_SLOTS];
        signal roll_term[N_SLOTS][N_UND];
        for (var i = 0; i < N_SLOTS; i++) { roll_rate[i] <== qty_range[i].abs * add_on_e6[i]; }
        // 13d. delta shock_u >= |D_u| / S_u x min(max_delta_shock, m_inc x excess_u / 1e6 USD),
        //      D_u the USD net delta (step 10), excess_u = |D_u| - threshold_u: the prover's rate
        //      r_u >= 0 passes either r_u >= max_delta_shock (cap = 1) or r_u x 1e20 >= m_inc x excess
        //      (cap = 0), so any accepted r_u bounds the rate from above; shock x S >= |D| x r.
        component net_delta_abs[N_UND];
        component rate_range[N_UND];
        component rate_check[N_UND];
        component shock_range[N_UND];
        component shock_check[N_UND];
        signal linear_slack[N_UND];
        signal capped_slack[N_UND];
        signal rate_slack[N_UND];
        signal shock_value[N_UND];
        signal shock_need[N_UND];
        // 13e. collateral_u = sum_a (sum_v amount) x coin_price[u][a] + sum_i q_u[i] x mark_e6[i]
        signal coin_asset[N_UND][N_ASSETS];
        signal coin_mark[N_SLOTS][N_UND];
        signal coin_im[N_UND];
        signal coin_collateral[N_UND];
        signal coin_k_im[N_UND];
        component coin_solvency[N_UND];
        for (var u = 0; u < N_UND; u++) {
            var roll = 0;
            for (var i = 0; i < N_SLOTS; i++) {
                roll_term[i][u] <== roll_rate[i] * is_und[i][u].out;
                roll += roll_term[i][u];
            }
            net_delta_abs[u] = SignedRange(AB);
            net_delta_abs[u].in <== net_delta[u];
            rate_range[u] = UnsignedRange(RB + 1);
            rate_range[u].in <== delta_rate_e6[u];
            delta_rate_cap[u] * (delta_rate_cap[u] - 1) === 0;
            linear_slack[u] <== delta_rate_e6[u] * RATE_DIVISOR() - m_inc_e6[u] * (net_delta_abs[u].abs - delta_threshold_e6[u] * QTY_SCALE());
            capped_slack[u] <== delta_rate_cap[u] * (delta_rate_e6[u] - max_delta_shock_e6[u] - linear_slack[u]);
            rate_slack[u] <== capped_slack[u] + linear_slack[u];
            rate_check[u] = UnsignedRange(AB + RB + 2);
            rate_check[u].in <== rate_slack[u];
            shock_range[u] = UnsignedRange(AB + RB + 1);
            shock_range[u].in <== delta_shock_e14[u];
            shock_value[u] <== delta_shock_e14[u] * index_e6[u];
            shock_need[u] <== net_delta_abs[u].abs * delta_rate_e6[u];
            shock_check[u] = UnsignedRange(AB + RB + PRICE_BITS() + 2);
            shock_check[u].in <== shock_value[u] - shock_need[u];
            // 13f. k x (W_u + roll_u + shock_u) <= collateral_u, in coin, for every u
            coin_im[u] <== worst_loss_e14[u] + roll + delta_shock_e14[u];
            var coll = 0;
            for (var a = 0; a < N_ASSETS; a++) {
                var amount = 0;
                for (var v = 0; v < N_VENUES; v++) { amount += collateral_amount_e8[v][a]; }
                coin_asset[u][a] <== amount * coin_price_e6[u][a];
                coll += coin_asset[u][a];
            }
            for (var i = 0; i < N_SLOTS; i++) {
                coin_mark[i][u] <== q_u[i][u] * mark_e6[i];
                coll += coin_mark[i][u];
            }
            coin_collateral[u] <== coll;
            coin_k_im[u] <== multiplier_k_e6 * coin_im[u];
            coin_solvency[u] = UnsignedRange(CSB);
            coin_solvency[u].in <== coin_collateral[u] * K_SCALE() - coin_k_im[u];
        }
    }
}
