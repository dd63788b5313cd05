pragma circom 2.1.6;

/*
Fixed-point scales and bit widths, the circuit's copy of prover/fixed_point.py.
tests/circuits/test_widths.py checks that every function here returns the Python constant of the
same name, so the witness builder and the circuit cannot drift apart. docs/bounds.md works out
why no sum the circuit forms can reach p/2 at these widths.
*/

function QTY_BITS() { return 44; }       // signed qty_e8: -2^44 <= qty < 2^44
function RECORD_BITS() { return 42; }    // signed record values, USD x 1e6 per coin (checked by the verifier)
function AMOUNT_BITS() { return 64; }    // unsigned collateral amounts x 1e8
function PRICE_BITS() { return 42; }     // unsigned haircut prices, USD x 1e6 per unit
function LIMIT_BITS() { return 64; }     // unsigned delta / vega limits, USD x 1e6
function K_BITS() { return 32; }         // unsigned multiplier k x 1e6
function EPOCH_BITS() { return 64; }     // unsigned snapshot epoch, unix seconds
function K_SCALE() { return 1000000; }   // k = 1.0
function OFFSET_BITS() { return 64; }    // coin mode: unsigned pnl_offset / dampener, coin x 1e14
function RATE_BITS() { return 21; }      // coin mode: unsigned max_delta_shock, m_inc (x 1e6); the rate hint < 2^(RATE_BITS+1)
function RATE_DIVISOR() { return 100000000000000000000; }   // coin mode: rate_e6 = m_inc_e6 x excess_e14 / 1e20
function QTY_SCALE() { return 100000000; }

function ceil_log2(n) {
    var r = 0;
    while ((1 << r) < n) { r++; }
    return r;
}

// |sum_i q_i * v_i| over N_SLOTS slots < 2^AGG_BITS, at USD x 1e14 (prover/fixed_point.agg_bits)
function AGG_BITS(N_SLOTS) {
    var l = ceil_log2(N_SLOTS);
    if (l < 1) { l = 1; }
    return QTY_BITS() + RECORD_BITS() + l;
}

// limit * 1e8 +- net < 2^LIMIT_SLACK_BITS (fixed_point.check_bounds "limit_slack")
function LIMIT_SLACK_BITS(N_SLOTS) {
    var a = LIMIT_BITS() + ceil_log2(QTY_SCALE());
    var b = AGG_BITS(N_SLOTS);
    if (b > a) { a = b; }
    return a + 1;
}

// collateral * 1e6 - k * IM in [0, 2^SOLVENCY_BITS) (prover/fixed_point.solvency_bits): each asset's
// amount is a sum over N_VENUES statements of amounts < 2^AMOUNT_BITS
function SOLVENCY_BITS(N_SLOTS, N_UND, N_ASSETS, N_VENUES) {
    var assets = AMOUNT_BITS() + ceil_log2(N_VENUES < 2 ? 2 : N_VENUES) + PRICE_BITS() + ceil_log2(N_ASSETS < 2 ? 2 : N_ASSETS);
    var coll = AGG_BITS(N_SLOTS);
    if (assets > coll) { coll = assets; }
    coll = coll + 1;
    var lhs = coll + ceil_log2(K_SCALE());
    var rhs = K_BITS() + 1 + AGG_BITS(N_SLOTS) + ceil_log2(N_UND + 1);   // k - 1e6 < 2^K_BITS
    if (rhs > lhs) { lhs = rhs; }
    return lhs + 1;
}

// coin mode (MarginSolvency N_STD_COIN > 0): collateral_u * 1e6 - k * IM_u in [0, 2^COIN_SOLVENCY_BITS),
// IM_u = W_u (< 2^AGG) + roll_u (< 2^AGG) + shock_u (< 2^(AGG + RATE_BITS + 1)) < 2^(AGG + RATE_BITS + 2)
// (prover/fixed_point.coin_solvency_bits)
function COIN_SOLVENCY_BITS(N_SLOTS, N_ASSETS, N_VENUES) {
    var assets = AMOUNT_BITS() + ceil_log2(N_VENUES < 2 ? 2 : N_VENUES) + PRICE_BITS() + ceil_log2(N_ASSETS < 2 ? 2 : N_ASSETS);
    var coll = AGG_BITS(N_SLOTS);
    if (assets > coll) { coll = assets; }
    coll = coll + 1;
    var lhs = coll + ceil_log2(K_SCALE());
    var rhs = K_BITS() + 1 + AGG_BITS(N_SLOTS) + RATE_BITS() + 2;
    if (rhs > lhs) { lhs = rhs; }
    return lhs + 1;
}
