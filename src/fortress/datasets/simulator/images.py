"""image_analyzer: small RGB screenshots, benign or spoofing one of three brand-like login pages.

Each spoof class is one template (a colour scheme and glyph-like shapes) drawn in template
coordinates ``(u, v)`` in [0, 1]² and rendered through a random shift and scale, then colour-jittered,
partly occluded and noised. Benign images are gradients, shapes, smooth textures and generic
documents / web pages; the last share layout and colours with the templates by chance, which is
what keeps the classes from being separable by colour alone.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from fortress.catalog.fields import IMAGE_SHAPE
from fortress.datasets.simulator.base import BoolArray, FloatArray, Sample, flip_multiclass, frame, pick

Images = npt.NDArray[np.float32]
_, _H, _W = IMAGE_SHAPE
_AXIS = (np.arange(_W, dtype=np.float64) + 0.5) / _W
_CLASS_WEIGHTS = (0.55, 0.15, 0.15, 0.15)  # benign, spoof_bank, spoof_webmail, spoof_payment
_BENIGN_KINDS = (0.2, 0.22, 0.22, 0.22, 0.14)  # gradient, shapes, texture, document, texture+shapes


def brand_images(n: int, rng: np.random.Generator) -> Sample:
    """``n`` images (float32, CHW, values in [0, 1]); 45 % spoof one of three brands."""
    cls = pick(rng, _CLASS_WEIGHTS, n)
    images = np.empty((n, *IMAGE_SHAPE), dtype=np.float32)
    renderers: tuple[Callable[[int, np.random.Generator], FloatArray], ...] = (
        _benign,
        _bank,
        _webmail,
        _payment,
    )
    for c, render in enumerate(renderers):
        rows = np.flatnonzero(cls == c)
        if rows.size:
            images[rows] = _degrade(render(rows.size, rng), rng)
    y = flip_multiclass(cls, rng, 0.01, len(_CLASS_WEIGHTS))
    column = np.empty(n, dtype=object)
    for i in range(n):
        column[i] = images[i]
    return Sample(frame({"pixels": column}, ("pixels",)), y)


def _grid(m: int, rng: np.random.Generator, jitter: bool) -> tuple[FloatArray, FloatArray]:
    """Template coordinates of every pixel: a random shift (±4 px) and scale (±15 %) per image."""
    scale = rng.uniform(0.85, 1.15, (m, 1, 1)) if jitter else np.ones((m, 1, 1))
    shift = rng.uniform(-0.13, 0.13, (2, m, 1, 1)) if jitter else np.zeros((2, m, 1, 1))
    u = (_AXIS[None, None, :] - 0.5 - shift[0]) / scale + 0.5
    v = (_AXIS[None, :, None] - 0.5 - shift[1]) / scale + 0.5
    return np.broadcast_to(u, (m, _H, _W)), np.broadcast_to(v, (m, _H, _W))


def _fill(m: int, colour: npt.ArrayLike, rng: np.random.Generator, jitter: float = 0.06) -> FloatArray:
    """A per-image colour (m, 3): ``colour`` plus independent jitter per channel."""
    base = np.broadcast_to(np.asarray(colour, dtype=np.float64), (m, 3))
    return np.asarray(np.clip(base + rng.normal(0.0, jitter, (m, 3)), 0.0, 1.0))


def _paint(img: FloatArray, mask: BoolArray, colour: FloatArray) -> None:
    np.copyto(img, colour[:, :, None, None], where=mask[:, None])


Edge = float | FloatArray  # one value for all images, or one per image (shape (m, 1, 1))


def _box(u: FloatArray, v: FloatArray, u0: Edge, u1: Edge, v0: Edge, v1: Edge) -> BoolArray:
    return np.asarray((u >= u0) & (u < u1) & (v >= v0) & (v < v1))


def _canvas(m: int, colour: FloatArray) -> FloatArray:
    return np.asarray(np.broadcast_to(colour[:, :, None, None], (m, 3, _H, _W)).copy())


def _text_lines(img: FloatArray, u: FloatArray, v: FloatArray, rows: tuple[Edge, ...], c: FloatArray) -> None:
    for top in rows:
        # glyph-like: a bar broken into "words" by a periodic gap
        words = np.sin(u * 40.0 + top * 17.0) > -0.6
        _paint(img, _box(u, v, 0.15, 0.85, top, top + 0.045) & words, c)


def _bank(m: int, rng: np.random.Generator) -> FloatArray:
    u, v = _grid(m, rng, jitter=True)
    img = _canvas(m, _fill(m, (0.95, 0.95, 0.97), rng, 0.03))
    _paint(img, v < 0.24, _fill(m, (0.05, 0.15, 0.45), rng))
    _paint(img, (u - 0.16) ** 2 + (v - 0.12) ** 2 < 0.075**2, _fill(m, (0.9, 0.75, 0.2), rng))
    _paint(img, _box(u, v, 0.32, 0.8, 0.09, 0.14), _fill(m, (0.9, 0.9, 0.95), rng))
    _text_lines(img, u, v, (0.38, 0.48, 0.58), _fill(m, (0.45, 0.45, 0.5), rng))
    _paint(img, _box(u, v, 0.3, 0.7, 0.74, 0.86), _fill(m, (0.05, 0.15, 0.45), rng))
    return img


def _webmail(m: int, rng: np.random.Generator) -> FloatArray:
    u, v = _grid(m, rng, jitter=True)
    img = _canvas(m, _fill(m, (0.93, 0.93, 0.93), rng, 0.03))
    _paint(img, _box(u, v, 0.27, 0.73, 0.12, 0.5), _fill(m, (0.85, 0.15, 0.1), rng))
    flap = np.abs(v - 0.12 - 0.75 * np.abs(u - 0.5)) < 0.04
    _paint(img, flap & _box(u, v, 0.27, 0.73, 0.12, 0.5), _fill(m, (0.98, 0.98, 0.98), rng, 0.02))
    for top in (0.6, 0.72):
        _paint(img, _box(u, v, 0.2, 0.8, top, top + 0.08), _fill(m, (0.6, 0.6, 0.6), rng))
        _paint(img, _box(u, v, 0.22, 0.78, top + 0.015, top + 0.065), _fill(m, (1.0, 1.0, 1.0), rng, 0.02))
    _paint(img, _box(u, v, 0.55, 0.8, 0.85, 0.93), _fill(m, (0.2, 0.45, 0.9), rng))
    return img


def _payment(m: int, rng: np.random.Generator) -> FloatArray:
    u, v = _grid(m, rng, jitter=True)
    top, bottom = _fill(m, (0.8, 0.9, 1.0), rng, 0.04), _fill(m, (1.0, 1.0, 1.0), rng, 0.02)
    img = top[:, :, None, None] + (bottom - top)[:, :, None, None] * np.clip(v, 0, 1)[:, None]
    for offset, colour in ((0.05, (0.1, 0.6, 0.9)), (0.0, (0.0, 0.19, 0.53))):
        pu, pv = u - offset, v - offset * 0.6
        ring = np.hypot(np.maximum(pu - 0.47, 0.0), pv - 0.3)
        glyph = _box(pu, pv, 0.36, 0.45, 0.14, 0.62) | (
            (ring > 0.08) & (ring < 0.16) & _box(pu, pv, 0.4, 1, 0, 1)
        )
        _paint(img, glyph, _fill(m, colour, rng))
    _paint(img, _box(u, v, 0.2, 0.8, 0.72, 0.84), _fill(m, (1.0, 0.77, 0.2), rng))
    return np.asarray(img)


def _benign(m: int, rng: np.random.Generator) -> FloatArray:
    kind = pick(rng, _BENIGN_KINDS, m)
    out = np.empty((m, 3, _H, _W))
    makers: tuple[Callable[[int, np.random.Generator], FloatArray], ...] = (
        _gradient,
        _shapes,
        _texture,
        _document,
        lambda k, r: 0.5 * _texture(k, r) + 0.5 * _shapes(k, r),
    )
    for k, make in enumerate(makers):
        rows = np.flatnonzero(kind == k)
        if rows.size:
            out[rows] = make(rows.size, rng)
    return out


def _gradient(m: int, rng: np.random.Generator) -> FloatArray:
    u, v = _grid(m, rng, jitter=False)
    angle = rng.uniform(0, 2 * np.pi, (m, 1, 1))
    t = np.clip(0.5 + (u - 0.5) * np.cos(angle) + (v - 0.5) * np.sin(angle), 0, 1)[:, None]
    a, b = rng.random((m, 3)), rng.random((m, 3))
    return np.asarray(a[:, :, None, None] * (1 - t) + b[:, :, None, None] * t)


def _shapes(m: int, rng: np.random.Generator) -> FloatArray:
    u, v = _grid(m, rng, jitter=False)
    img = _canvas(m, rng.random((m, 3)))
    for _ in range(5):
        cu, cv, r = rng.random((m, 1, 1)), rng.random((m, 1, 1)), rng.uniform(0.05, 0.3, (m, 1, 1))
        circle = rng.random((m, 1, 1)) < 0.5
        inside = np.where(
            circle, (u - cu) ** 2 + (v - cv) ** 2 < r**2, (np.abs(u - cu) < r) & (np.abs(v - cv) < r * 0.6)
        )
        _paint(img, inside & (rng.random((m, 1, 1)) < 0.8), rng.random((m, 3)))
    return img


def _texture(m: int, rng: np.random.Generator) -> FloatArray:
    """Smooth random fields: coarse noise upsampled bilinearly (bark, sky, foliage, skin...)."""
    grain = rng.integers(3, 9, m)
    out = np.empty((m, 3, _H, _W))
    for cells in np.unique(grain):
        rows = np.flatnonzero(grain == cells)
        out[rows] = _smooth(rows.size, int(cells), rng)
    return out


def _smooth(m: int, cells: int, rng: np.random.Generator) -> FloatArray:
    coarse = rng.random((m, 3, cells, cells)) * rng.uniform(0.3, 1.0, (m, 3, 1, 1))
    pos = np.clip(_AXIS * (cells - 1), 0, cells - 1)
    lo = np.minimum(np.floor(pos).astype(int), cells - 2)
    weight = np.zeros((_W, cells))
    weight[np.arange(_W), lo] = 1 - (pos - lo)
    weight[np.arange(_W), lo + 1] = pos - lo
    return np.asarray(
        np.einsum("hi,mcij,wj->mchw", weight, coarse, weight) + rng.uniform(0, 0.3, (m, 3, 1, 1))
    )


def _document(m: int, rng: np.random.Generator) -> FloatArray:
    """Generic documents and web pages: light page, a header bar, text lines, maybe a button."""
    u, v = _grid(m, rng, jitter=True)
    img = _canvas(m, _fill(m, (0.93, 0.93, 0.93), rng, 0.05))
    header = rng.uniform(0.08, 0.3, (m, 1, 1))
    _paint(img, (v < header) & (rng.random((m, 1, 1)) < 0.8), rng.random((m, 3)) * 0.8)
    lines = tuple(rng.uniform(0.3, 0.7, (3, m, 1, 1)))
    _text_lines(img, u, v, lines, _fill(m, (0.4, 0.4, 0.4), rng, 0.1))
    cu = rng.uniform(0.1, 0.6, (m, 1, 1))
    button = _box(u, v, cu, cu + 0.3, 0.75, 0.86) & (rng.random((m, 1, 1)) < 0.6)
    _paint(img, button, rng.random((m, 3)))
    return img


def _degrade(img: FloatArray, rng: np.random.Generator) -> Images:
    """Colour jitter, an occluding patch (pop-up, cursor, crop) on 40 % of images, sensor noise."""
    m = img.shape[0]
    img = img * rng.uniform(0.8, 1.15, (m, 3, 1, 1)) + rng.normal(0, 0.05, (m, 3, 1, 1))
    u, v = _grid(m, rng, jitter=False)
    cu, cv = rng.uniform(0, 1, (2, m, 1, 1))
    half = rng.uniform(0.08, 0.25, (2, m, 1, 1))
    occluded = (np.abs(u - cu) < half[0]) & (np.abs(v - cv) < half[1]) & (rng.random((m, 1, 1)) < 0.4)
    _paint(img, occluded, rng.random((m, 3)))
    img = img + rng.normal(0, 1, img.shape) * rng.uniform(0.02, 0.1, (m, 1, 1, 1))
    return np.clip(img, 0.0, 1.0).astype(np.float32)
