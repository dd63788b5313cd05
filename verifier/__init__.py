"""zkmargin verifier: the venue side. Imports without Node (py_ecc only).

``verify_bundle(bundle, policy, verification_key, ...) -> Decision`` runs every duty of SPEC
section 6 (verifier/verify.py); ``verifier.groth16`` is the py_ecc Groth16 check alone.
"""


def __getattr__(name):
    if name == "verify_bundle":
        from verifier.verify import verify_bundle

        return verify_bundle
    raise AttributeError(name)
