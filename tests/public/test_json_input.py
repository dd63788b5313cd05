"""The one JSON input reader (public/json_input.py read_json_file / parse_json_text): bounded and strict.

Every refusal raises the named error class the caller passes, with a message naming the file and
what was wrong: larger than max_bytes (4 MiB by default), nested deeper than max_depth (64), NaN or
Infinity, a float beyond the float range, a number of more than 100 digits, a key twice in one
object. Depth is found by a linear scan before json.loads, so input nested 200,000 deep costs
milliseconds and never reaches the recursive parser (which, with py_ecc's raised recursion limit,
used to overflow the C stack). Ordinary inputs parse exactly as json.loads parses them.
"""

import json
import random
import subprocess
import sys
import time

import pytest

from public.errors import BundleError, PolicyError, PortfolioError
from public.json_input import json_depth, parse_json_text, read_json_file
from tests.conftest import POLICY, REPO, STATEMENTS

MiB = 2**20
DEEP = 200_000


def write(tmp_path, text, name="input.json"):
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def nested(depth, open_="[", close="]", inner=""):
    return open_ * depth + inner + close * depth


def refuses(tmp_path, text, *words, error=PolicyError, **limits):
    """read_json_file of ``text`` raises ``error`` (exactly that class) whose message has every word."""
    path = write(tmp_path, text)
    with pytest.raises(error) as exc:
        read_json_file(path, error, "policy file", **limits)
    assert type(exc.value) is error
    for w in ("input.json", *words):
        assert w in str(exc.value), str(exc.value)
    return str(exc.value)


# --- ordinary inputs ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [POLICY, STATEMENTS[0]], ids=["demo policy", "deribit statement"])
def test_fixture_files_parse_exactly_as_json_loads(path):
    assert read_json_file(path, PolicyError, "fixture") == json.loads(path.read_text())


def test_text_and_bytes_in_memory_parse_alike():
    text = POLICY.read_text()
    assert parse_json_text(text, PolicyError, "policy") == json.loads(text)
    assert parse_json_text(text.encode(), PolicyError, "policy") == json.loads(text)


def test_unicode_and_field_elements_are_kept():
    obj = {"name": "déribit ✓ [x]", "p": 21888242871839275222246405745257275088548364400416034343698204186575808495617,
           "neg": -(10**99), "x": 1.5e300, "small": 1e-400, "list": [[], {}, [1, [2, [3]]]]}
    text = json.dumps(obj, ensure_ascii=False)
    assert parse_json_text(text, PolicyError, "t") == json.loads(text)
    assert parse_json_text(text.encode(), PolicyError, "t") == json.loads(text)


# --- size -----------------------------------------------------------------------------------------


def test_a_file_over_4_mib_is_refused_before_it_is_read(tmp_path, monkeypatch):
    big = '["' + "x" * (4 * MiB) + '"]'
    path = write(tmp_path, big)
    opened = []
    real_open = type(path).open
    monkeypatch.setattr(type(path), "open", lambda self, *a, **k: opened.append(self) or real_open(self, *a, **k))
    with pytest.raises(BundleError, match=r"input\.json: larger than 4 MiB \(4,194,308 bytes\)"):
        read_json_file(path, BundleError, "bundle")
    assert opened == []


def test_exactly_max_bytes_is_accepted_and_one_more_refused(tmp_path):
    text = '["' + "x" * 96 + '"]'  # 100 bytes
    assert read_json_file(write(tmp_path, text), PolicyError, "policy file", max_bytes=100) == ["x" * 96]
    refuses(tmp_path, text + " ", "larger than 100 bytes", max_bytes=100)


def test_a_caller_may_allow_larger_files(tmp_path):
    big = '["' + "x" * (5 * MiB) + '"]'
    assert len(read_json_file(write(tmp_path, big), BundleError, "published risk table", max_bytes=64 * MiB)[0]) == 5 * MiB


def test_a_file_growing_after_stat_is_read_at_most_max_bytes_plus_one(tmp_path, monkeypatch):
    path = write(tmp_path, "[" + " " * 1000 + "]")
    real_stat = type(path).stat
    monkeypatch.setattr(type(path), "stat", lambda self, **k: type("S", (), {"st_size": 10, "st_mode": real_stat(self).st_mode})())
    with pytest.raises(PolicyError, match=r"larger than 100 bytes \(101 bytes\)"):
        read_json_file(path, PolicyError, "policy file", max_bytes=100)


def test_in_memory_text_is_bounded_too():
    with pytest.raises(BundleError, match="request body: larger than 1 KiB"):
        parse_json_text(b"[" + b" " * 1024 + b"]", BundleError, "request body", max_bytes=1024)


# --- depth ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("open_, close", [("[", "]"), ('{"a":', "}")], ids=["arrays", "objects"])
def test_nesting_200000_deep_is_refused_fast(tmp_path, open_, close):
    text = nested(DEEP, open_, close, "1")
    t = time.perf_counter()
    msg = refuses(tmp_path, text, "nested deeper than 64 levels")
    assert time.perf_counter() - t < 1.0
    assert "Traceback" not in msg


def test_deep_input_never_reaches_the_parser_even_with_py_ecc_recursion_limit(tmp_path):
    """py_ecc raises sys.setrecursionlimit; json.loads of 200,000 levels then overflowed the C stack."""
    path = write(tmp_path, nested(DEEP) + nested(DEEP, '{"k":', "}", "0"))
    code = (
        "import sys, py_ecc.optimized_bn128\n"
        "assert sys.getrecursionlimit() >= 100000\n"
        "from public.errors import BundleError\n"
        "from public.json_input import read_json_file\n"
        "try:\n"
        f"    read_json_file({str(path)!r}, BundleError, 'bundle')\n"
        "except BundleError as exc:\n"
        "    print('refused:', exc)\n"
    )
    r = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "refused: input.json: nested deeper than 64 levels" in r.stdout


def test_depth_exactly_at_the_limit_is_accepted(tmp_path):
    assert read_json_file(write(tmp_path, nested(64, inner="7")), PolicyError, "policy file") == json.loads(nested(64, inner="7"))
    mixed = nested(32, '{"a": [', "]}", "null")  # 64 levels, objects and arrays
    assert json_depth(mixed) == 64
    assert read_json_file(write(tmp_path, mixed), PolicyError, "policy file") == json.loads(mixed)
    refuses(tmp_path, nested(65), "nested deeper than 64 levels")
    refuses(tmp_path, nested(9), "nested deeper than 8 levels", max_depth=8)


def test_brackets_inside_strings_do_not_count(tmp_path):
    text = json.dumps(["[" * 10_000, {"{{{{": "]]]]" + "{" * 500}])
    assert json_depth(text) == 2
    assert read_json_file(write(tmp_path, text), PolicyError, "policy file") == json.loads(text)


def test_escaped_quotes_keep_the_string_open(tmp_path):
    text = r'["a \" [[[[[[[[[[[[[[[[[[[[ still inside \\\" [[[[", 1]'
    assert json_depth(text) == 1
    assert read_json_file(write(tmp_path, text), PolicyError, "policy file", max_depth=1) == json.loads(text)


def test_an_escaped_backslash_before_a_quote_closes_the_string(tmp_path):
    text = '["ends in a backslash \\\\", ' + nested(70) + "]"
    assert json.loads(text)[0].endswith("\\")
    assert json_depth(text) == 71
    refuses(tmp_path, text, "nested deeper than 64 levels")


def _depth(v) -> int:
    if isinstance(v, list):
        return 1 + max(map(_depth, v), default=0)
    if isinstance(v, dict):
        return 1 + max(map(_depth, v.values()), default=0)
    return 0


def _random_value(rng, level):
    tricky = ['"', "\\", "[", "]", "{", "}", "\\\"", "\\\\", "x", "é", "\n", "\u2028"]
    r = rng.random()
    if level > 12 or r < 0.3:
        return rng.choice([1, -2.5, None, True, "".join(rng.choices(tricky, k=rng.randrange(8)))])
    if r < 0.65:
        return [_random_value(rng, level + 1) for _ in range(rng.randrange(4))]
    return {"".join(rng.choices(tricky, k=rng.randrange(6))): _random_value(rng, level + 1) for _ in range(rng.randrange(4))}


@pytest.mark.parametrize("ensure_ascii", [True, False])
def test_depth_scanner_agrees_with_the_parsed_structure(ensure_ascii):
    rng = random.Random(8)
    for _ in range(400):
        v = _random_value(rng, 0)
        text = json.dumps(v, ensure_ascii=ensure_ascii)
        assert json_depth(text) == _depth(json.loads(text)), text
        assert json_depth(text.encode()) == _depth(json.loads(text)), text


@pytest.mark.parametrize(
    "text",
    ["[" * (4 * MiB), '["' + "[{" * (2 * MiB - 2) + '"]', '["' + '\\\\\\"' * (MiB - 1) + '"]', "[" + "1," * (2 * MiB - 1) + "1]"],
    ids=["all brackets", "brackets in a string", "escapes", "many numbers"],
)
def test_depth_scanner_is_linear_on_4_mib(text):
    data = text.encode()
    json_depth(data)
    best = min(_timed(json_depth, data) for _ in range(3))
    assert best < 0.25, f"{best:.3f} s for {len(data):,} bytes"  # about 0.02-0.04 s on one idle core


def _timed(fn, arg) -> float:
    t = time.perf_counter()
    fn(arg)
    return time.perf_counter() - t


# --- numbers and keys -----------------------------------------------------------------------------


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_constants_are_refused(tmp_path, constant):
    refuses(tmp_path, f'{{"multiplier_k": {constant}}}', "non-finite number", constant)


@pytest.mark.parametrize("literal", ["1e400", "-1e400", "1.7976931348623159e308"])
def test_floats_beyond_the_float_range_are_refused(tmp_path, literal):
    refuses(tmp_path, f"[{literal}]", "non-finite number", literal)


def test_a_million_digit_integer_is_refused_at_no_cost(tmp_path):
    t = time.perf_counter()
    refuses(tmp_path, "[" + "9" * 10**6 + "]", "number with more than 100 digits")
    refuses(tmp_path, '{"q": -' + "1" * 10**6 + "}", "number with more than 100 digits")
    refuses(tmp_path, "[0." + "1" * 10**6 + "]", "number with more than 100 digits")
    refuses(tmp_path, "[1e" + "1" * 10**6 + "]", "number with more than 100 digits")
    assert time.perf_counter() - t < 1.0


def test_100_digits_are_fine_and_101_refused(tmp_path):
    assert read_json_file(write(tmp_path, "[" + "9" * 100 + "]"), PolicyError, "policy file") == [10**100 - 1]
    refuses(tmp_path, "[" + "9" * 101 + "]", "number with more than 100 digits")


def test_long_digit_strings_are_not_numbers(tmp_path):
    text = json.dumps({"secret": "7" * 5000})
    assert read_json_file(write(tmp_path, text), PolicyError, "policy file") == {"secret": "7" * 5000}


def test_duplicate_keys_are_refused_naming_the_key(tmp_path):
    refuses(tmp_path, '{"challenge": "0x1", "challenge": "0x2"}', "duplicate key 'challenge'")
    refuses(tmp_path, '{"a": [{"k": 1, "x": 2, "k": 3}]}', "duplicate key 'k'")
    assert read_json_file(write(tmp_path, '[{"k": 1}, {"k": 2}]'), PolicyError, "policy file") == [{"k": 1}, {"k": 2}]


# --- the named error class, and the messages that were there before --------------------------------


@pytest.mark.parametrize("error", [PolicyError, BundleError, PortfolioError])
@pytest.mark.parametrize(
    "text, words",
    [(nested(100), "nested deeper"), ("[NaN]", "non-finite"), ('{"a":1,"a":1}', "duplicate key"), ("[1e400]", "non-finite"), ("{oops", "not valid JSON")],
    ids=["depth", "nan", "duplicate", "1e400", "syntax"],
)
def test_each_refusal_raises_the_class_given(tmp_path, error, text, words):
    refuses(tmp_path, text, words, error=error)


def test_missing_file_directory_and_bad_encoding_are_named(tmp_path):
    with pytest.raises(PortfolioError, match="portfolio file not found: .*nope.json"):
        read_json_file(tmp_path / "nope.json", PortfolioError, "portfolio file")
    with pytest.raises(PortfolioError, match="is a directory"):
        read_json_file(tmp_path, PortfolioError, "portfolio file")
    refuses(tmp_path, b'["\xff\xfe"]', "not valid JSON")
    refuses(tmp_path, '{"a": 1', "input.json: not valid JSON")
