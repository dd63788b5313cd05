pragma circom 2.1.6;
include "../margin.circom";
component main {public [risk_root, spec_hash, snapshot_epoch, attestation_epoch, challenge, trader_identity, portfolio_commitment, multiplier_k_e6, delta_limit_e6, vega_limit_e6, collateral_price_e6, venue_key_x, venue_key_y]} = MarginSolvency(3, 4, 35, 2, 4, 6, 0);
