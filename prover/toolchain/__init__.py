"""The circuit toolchain: circom2/snarkjs runner and compile, circuit variants, Groth16 setup, ceremony."""
