"""How ``fractaldream estimate`` searches, every default declared once (numba-free, for the command's flags)."""

from dataclasses import dataclass

from fractaldream.commandline import setting
from fractaldream.errors import UsageError
from fractaldream.settings import MAX_SEED, BuildSettings, check_within

#: Image sides the estimator takes: from small thumbnails to FDD's own 128x128 (the search's cost grows with the area).
MIN_SIZE = 16
MAX_SIZE = 128
#: The ceiling reads images at most this large (larger ones are resized as the gans loader resizes), so that its
#: first-use training takes a minute or two at any size.
READ_SIZE = 32
#: The ceiling's training beyond the budget of attractors: enough passes over them for a useful reading.
CEILING_CONFIG = {"passes": 4, "batch_size": 64}
CEILING_HELD_OUT = 1_000


@dataclass(frozen=True)
class SearchSettings:
    """The search of :func:`fractaldream.estimate.estimate`: random exploration, then local searches in lockstep."""

    explore: int = setting(2048, "Random candidates drawn over the whole ranges first (besides the reading's).")
    runs: int = setting(16, "Local searches, started from the best candidates found so far.")
    children: int = setting(8, "Candidates per local search and generation.")
    generations: int = setting(40, "Generations of each local search.")
    search_points: int = setting(30_000, "Points per candidate during the search at 32x32, scaled with the image's "
                                 "area (at most --points; the answer is re-rendered at --points).")
    seed: int = setting(0, "Seed of the search (the same image, seed and settings give the same answer).")
    range_abcd: tuple[float, float] = setting(BuildSettings().range_abcd, "Range of a, b, c, d searched.")
    ceiling_attractors: int = setting(10_000, "Distinct stream attractors the ceiling regressor trains on, the first "
                                      "time an image size is estimated (cached after).")

    def validate(self) -> None:
        check_within("--explore", self.explore, 1, 10**7)
        check_within("--runs", self.runs, 1, self.explore)
        check_within("--children", self.children, 1, 10**5)
        check_within("--generations", self.generations, 0, 10**5)
        check_within("--search-points", self.search_points, 1, 10**8)
        check_within("--seed", self.seed, 0, MAX_SEED)
        check_within("--ceiling-attractors", self.ceiling_attractors, 2 * CEILING_CONFIG["batch_size"], 10**7)
        low, high = self.range_abcd
        if not low < high:
            raise UsageError(f"--range-abcd must be two numbers LOW < HIGH, got {low} {high}")
