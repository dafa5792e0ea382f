"""The colour maps, from sparse to dense visits, shown on a black background.

Plain data apart from the shading kernels, so that the palette names are known without loading numba.
"""

PALETTES = {
    "blue": ["#0b2a5b", "#1f5fbf", "#4fa3ff", "#bfe3ff", "#ffffff"],
    "orange": ["#4a1a00", "#a8410a", "#f07d12", "#ffc266", "#fff4e0"],
    "green": ["#0a3311", "#1d7a2c", "#3dbb50", "#a6ec9a", "#f2fff0"],
}
#: The palette of a single image when none is named.
DEFAULT_PALETTE = "blue"
