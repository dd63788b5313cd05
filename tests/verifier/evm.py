"""A real EVM for the on-chain tests: py-evm through eth-tester (pinned in requirements.lock), with
the contracts' ABI encoded by eth_abi. No mock: the BN254 precompiles (0x06-0x08) run in py-evm."""

from __future__ import annotations

import ast

from eth_abi import decode, encode
from eth_tester import EthereumTester, PyEVMBackend
from eth_tester.exceptions import TransactionFailed
from eth_utils import keccak


def _type(p: dict) -> str:
    if p["type"].startswith("tuple"):
        return "(" + ",".join(_type(c) for c in p["components"]) + ")" + p["type"][5:]
    return p["type"]


def selector(signature: str) -> bytes:
    return keccak(text=signature)[:4]


class Reverted(Exception):
    """A transaction or call reverted; ``error`` is the custom error's name when it is the contract's."""

    def __init__(self, error: str | None, raw):
        super().__init__(error or str(raw))
        self.error = error


class Chain:
    """One fresh chain; ``deploy`` returns a Contract; ``time_travel(ts)``; ``timestamp``."""

    def __init__(self):
        params = PyEVMBackend.generate_genesis_params(overrides={"gas_limit": 60_000_000})
        self.t = EthereumTester(backend=PyEVMBackend(genesis_parameters=params))
        self.accounts = self.t.get_accounts()

    @property
    def timestamp(self) -> int:
        return self.t.get_block_by_number("latest")["timestamp"]

    def time_travel(self, ts: int) -> None:
        self.t.time_travel(ts)

    def deploy(self, compiled: dict, *args, sender=None) -> Contract:
        abi = compiled["abi"]
        ctor = next((e for e in abi if e["type"] == "constructor"), {"inputs": []})
        data = bytes.fromhex(compiled["bytecode"]) + encode([_type(p) for p in ctor["inputs"]], list(args))
        try:
            tx = self.t.send_transaction({"from": sender or self.accounts[0], "data": "0x" + data.hex(), "gas": 30_000_000})
        except TransactionFailed as exc:
            raise Reverted(None, exc.args[0] if exc.args else "") from None
        receipt = self.t.get_transaction_receipt(tx)
        if receipt.get("status") == 0 or not receipt.get("contract_address"):
            raise Reverted(None, "constructor reverted")
        return Contract(self, abi, receipt["contract_address"], receipt["gas_used"])


class Contract:
    def __init__(self, chain: Chain, abi: list, address, deploy_gas: int):
        self.chain, self.abi, self.address, self.deploy_gas = chain, abi, address, deploy_gas
        self.errors = {selector(f"{e['name']}({','.join(_type(p) for p in e['inputs'])})"): e for e in abi if e["type"] == "error"}
        self.events = {keccak(text=f"{e['name']}({','.join(_type(p) for p in e['inputs'])})"): e for e in abi if e["type"] == "event"}

    def _fn(self, name):
        return next(e for e in self.abi if e.get("name") == name and e["type"] == "function")

    def _data(self, name, args) -> str:
        fn = self._fn(name)
        types = [_type(p) for p in fn["inputs"]]
        return "0x" + (selector(f"{name}({','.join(types)})") + encode(types, list(args))).hex()

    def _revert(self, exc: TransactionFailed) -> Reverted:
        raw = exc.args[0] if exc.args else b""
        if isinstance(raw, str) and raw.startswith(("b'", 'b"')):  # eth-tester gives the revert data as the repr of its bytes
            raw = ast.literal_eval(raw)
        data = bytes.fromhex(raw[2:]) if isinstance(raw, str) and raw.startswith("0x") else raw if isinstance(raw, bytes) else b""
        err = self.errors.get(data[:4])
        return Reverted(err["name"] if err else None, raw)

    def call(self, name, *args):
        fn = self._fn(name)
        try:
            out = self.chain.t.call({"from": self.chain.accounts[0], "to": self.address, "data": self._data(name, args), "gas": 30_000_000})
        except TransactionFailed as exc:
            raise self._revert(exc) from None
        res = decode([_type(p) for p in fn["outputs"]], bytes.fromhex(out[2:]) if isinstance(out, str) else out)
        return res[0] if len(res) == 1 else res

    def estimate_gas(self, name, *args) -> int:
        return self.chain.t.estimate_gas({"from": self.chain.accounts[0], "to": self.address, "data": self._data(name, args)})

    def transact(self, name, *args, sender=None) -> dict:
        """Send a transaction; returns the receipt with ``logs`` decoded as {event, args}. Reverted on failure."""
        try:
            self.call_check(name, args, sender)
            tx = self.chain.t.send_transaction({"from": sender or self.chain.accounts[0], "to": self.address, "data": self._data(name, args), "gas": 10_000_000})
        except TransactionFailed as exc:
            raise self._revert(exc) from None
        receipt = self.chain.t.get_transaction_receipt(tx)
        if receipt.get("status") == 0:
            raise Reverted(None, "status 0")
        receipt = dict(receipt)
        receipt["events"] = [self._event(log) for log in receipt["logs"]]
        return receipt

    def call_check(self, name, args, sender):
        """A call first, so a revert reports its custom error (a mined failing tx loses the data)."""
        self.chain.t.call({"from": sender or self.chain.accounts[0], "to": self.address, "data": self._data(name, args), "gas": 10_000_000})

    def _event(self, log) -> dict:
        topics = [bytes.fromhex(t[2:]) if isinstance(t, str) else bytes(t) for t in log["topics"]]
        ev = self.events[topics[0]]
        indexed = [p for p in ev["inputs"] if p["indexed"]]
        rest = [p for p in ev["inputs"] if not p["indexed"]]
        values = {p["name"]: decode([_type(p)], t)[0] for p, t in zip(indexed, topics[1:])}
        data = log["data"]
        values.update(zip([p["name"] for p in rest], decode([_type(p) for p in rest], bytes.fromhex(data[2:]) if isinstance(data, str) else data)))
        return {"event": ev["name"], "args": values}
