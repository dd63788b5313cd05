pragma circom 2.1.6;
include "../chunk.circom";
component main {public [risk_root, acc_in, acc_out]} = MarginChunk(28, 35, 2, 8, 6);
