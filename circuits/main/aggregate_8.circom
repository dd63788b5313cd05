pragma circom 2.1.6;
include "../chunk.circom";
component main {public [spec_hash, snapshot_epoch, attestation_epoch, challenge, trader_identity, portfolio_commitment, multiplier_k_e6, delta_limit_e6, vega_limit_e6, collateral_price_e6, venue_key_x, venue_key_y, acc_initial, acc_final]} = MarginAggregate(8, 35, 2, 4, 14);
