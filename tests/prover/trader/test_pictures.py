"""prover/trader/pictures.py, checked as images: the PNG's size, that it is not blank, and the blue
frame exactly on the cell of the lowest P&L (moved by the numbers, absent when nothing loses)."""

import io

import numpy as np
import pytest
from PIL import Image

from prover.trader.pictures import WORST_RGB, pnl_grid_png
from public.methodology.spec import load_spec
from tests.conftest import REPO

DERIBIT = load_spec(REPO / "fixtures/spec/deribit_pm_v1.json")
SPAN = load_spec(REPO / "fixtures/spec/span_cme16_v1.json")


def pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)


def frame_pixels(img) -> np.ndarray:
    r, g, b = img[..., 0], img[..., 1], img[..., 2]
    return (np.abs(r - WORST_RGB[0]) < 60) & (np.abs(g - WORST_RGB[1]) < 60) & (np.abs(b - WORST_RGB[2]) < 60)


def assert_framed(png, layout, scenario):
    ys, xs = np.nonzero(frame_pixels(pixels(png)))
    assert len(xs) > 200, "no worst-cell frame drawn"
    x0, y0, x1, y1 = layout["cells"][scenario]
    assert x0 - 2 <= xs.min() and xs.max() <= x1 + 2 and y0 - 2 <= ys.min() and ys.max() <= y1 + 2
    # the frame goes round the cell: it spans most of it
    assert xs.max() - xs.min() > 0.8 * (x1 - x0) and ys.max() - ys.min() > 0.8 * (y1 - y0)


@pytest.mark.parametrize("spec", [DERIBIT, SPAN], ids=["deribit", "span"])
def test_the_picture_has_its_size_is_not_blank_and_frames_the_worst_cell(spec):
    rng = np.random.default_rng(7)
    for worst in (0, spec.n_scenarios // 2, spec.n_scenarios - 1):  # standard and extended cells
        pnl = rng.uniform(-50_000, 80_000, spec.n_scenarios)
        pnl[worst] = -120_000.0
        png, layout = pnl_grid_png(spec, "BTC", 0.16, pnl, collateral_usd=1_000_000, k=1.25)
        img = pixels(png)
        assert img.shape == (layout["height"], layout["width"], 3) == (600, 1100, 3)
        assert img.std() > 20 and (img.sum(axis=2) < 765).mean() > 0.2  # colour, not a white page
        assert layout["worst"] == worst and len(layout["cells"]) == spec.n_scenarios
        assert_framed(png, layout, worst)


def test_cells_do_not_overlap_and_the_loss_is_red():
    pnl = np.linspace(-90_000, 90_000, DERIBIT.n_scenarios)
    png, layout = pnl_grid_png(DERIBIT, "ETH", 0.18, pnl)
    boxes = list(layout["cells"].values())
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert a[2] <= b[0] + 1 or b[2] <= a[0] + 1 or a[3] <= b[1] + 1 or b[3] <= a[1] + 1
    img = pixels(png)

    def colour(s):  # between the frame and the number
        x0, y0, x1, y1 = layout["cells"][s]
        return img[y0 + (y1 - y0) // 4, x0 + (x1 - x0) // 4]

    r, g, b = colour(0)  # the lowest P&L: red
    assert r > g + 60 and r > b + 60
    r, g, b = colour(DERIBIT.n_scenarios - 1)  # the highest: green
    assert g > r + 40


def test_nothing_loses_nothing_framed():
    png, layout = pnl_grid_png(DERIBIT, "BTC", 0.16, np.full(DERIBIT.n_scenarios, 5_000.0))
    assert layout["worst"] is None and not frame_pixels(pixels(png)).any()


def test_a_wrong_number_of_scenarios_is_refused():
    with pytest.raises(ValueError, match="scenarios"):
        pnl_grid_png(DERIBIT, "BTC", 0.16, [1.0, 2.0])
