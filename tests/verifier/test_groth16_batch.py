"""verifier/groth16.py, many proofs at once: the batch (one multi-Miller loop, one final
exponentiation, random weights from the verifier's own source) accepts exactly what one-by-one
accepts, names the one tampered proof among valid ones, and does not let two forgeries cancel;
the native (groth16py) check agrees with py_ecc on valid, tampered and out-of-field inputs."""

from __future__ import annotations

import random

import pytest
from py_ecc import optimized_bn128 as bn

from prover.proving.prove import g1_json, rerandomize_proof
from verifier.bn254 import Q, R
from verifier.groth16 import _parse_g1, groth16_batch_checks, groth16_checks, groth16_native_check, load_verification_key


def rerandomize(proof: dict, vk_json: dict, r: int, s: int) -> dict:
    return rerandomize_proof(proof, vk_json, r, s)


@pytest.fixture(scope="module")
def batch(toy_build):
    rng = random.Random(11)
    proofs = [rerandomize(toy_build.proof, toy_build.vk, rng.randrange(1, R), rng.randrange(1, R)) for _ in range(5)]
    return load_verification_key(toy_build.vk), toy_build.vk, [(p, list(toy_build.public)) for p in proofs]


def pairing_ok(checks) -> list[bool]:
    return [c[2].passed for c in checks]


def test_distinct_valid_proofs_pass_as_one_batch(batch):
    vk, _, items = batch
    assert len({tuple(p["pi_a"]) for p, _ in items}) == len(items)  # really distinct proofs
    assert all(groth16_checks(vk, p, s)[2].passed for p, s in items)
    out = groth16_batch_checks(vk, items)
    assert pairing_ok(out) == [True] * 5 and "batched with 4 other proof(s)" in out[0][2].reason
    assert groth16_batch_checks(vk, []) == []


@pytest.mark.parametrize("where", ["pi_a", "pi_c", "signal", "swap"])
def test_one_tampered_proof_is_named_among_valid_ones(batch, where):
    vk, _, items = batch
    items = [(dict(p), list(s)) for p, s in items]
    p, s = items[2]
    if where == "pi_a":
        x, y = _parse_g1(p["pi_a"], "a")[:2]
        p["pi_a"] = [str(x.n), str(Q - y.n), "1"]  # -A: on the curve
    elif where == "pi_c":
        p["pi_c"] = g1_json(bn.add(_parse_g1(p["pi_c"], "c"), bn.G1))
    elif where == "signal":
        s[1] = str((int(s[1]) + 1) % R)
    else:  # A and C of another valid proof with this B
        p["pi_a"], p["pi_c"] = items[0][0]["pi_a"], items[0][0]["pi_c"]
    out = groth16_batch_checks(vk, items)
    assert pairing_ok(out) == [True, True, False, True, True]
    assert out[2][2].reason == groth16_checks(vk, p, s)[2].reason


def test_two_forgeries_that_cancel_in_an_unweighted_sum_are_rejected(batch):
    vk, _, items = batch
    (p0, s0), (p1, s1) = items[0], items[1]
    g = bn.G1
    # move +G into C of one proof and -G into C of the other: the plain sum of equations still holds
    f0, f1 = dict(p0), dict(p1)
    f0["pi_c"] = g1_json(bn.add(_parse_g1(p0["pi_c"], "c"), g))
    f1["pi_c"] = g1_json(bn.add(_parse_g1(p1["pi_c"], "c"), bn.neg(g)))
    assert pairing_ok(groth16_batch_checks(vk, [(f0, s0), (f1, s1)])) == [False, False]


def test_a_malformed_item_fails_alone(batch):
    vk, _, items = batch
    bad = dict(items[1][0])
    bad["pi_b"] = "nope"
    out = groth16_batch_checks(vk, [items[0], (bad, items[1][1]), items[2], (items[3][0], ["1"])])
    assert pairing_ok(out) == [True, False, True, False]
    assert not out[1][1].passed and not out[3][0].passed and out[1][2].reason.startswith("not evaluated")


def test_the_batch_weights_come_from_the_given_source(batch):
    vk, _, items = batch
    seen = []

    class Spy(random.Random):
        def randrange(self, lo, hi):
            v = super().randrange(lo, hi)
            seen.append(v)
            return v

    groth16_batch_checks(vk, items, rng=Spy(3))
    assert len(seen) == len(items) and all(0 < v < 2**128 for v in seen) and len(set(seen)) == len(seen)


def test_the_native_verifier_agrees(batch, toy_build):
    vk, vk_json, items = batch
    p, s = items[0]
    assert groth16_native_check(vk_json, p, s).passed
    neg = dict(p)
    x, y = _parse_g1(p["pi_a"], "a")[:2]
    neg["pi_a"] = [str(x.n), str(Q - y.n), "1"]
    assert not groth16_native_check(vk_json, neg, s).passed
    big = list(s)
    big[0] = str(int(big[0]) + R)
    c = groth16_native_check(vk_json, p, big)
    assert not c.passed and "native verifier refused" in c.reason
    assert not groth16_native_check(vk_json, {"pi_a": "x"}, s).passed
