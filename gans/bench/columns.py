"""A result column of the bench's tables: the key its rows use, and its header in ``table.md``.

Each evaluation module declares the columns it fills, next to the code that fills them; the report
puts them in table order and refuses keys nobody declared.
"""

from typing import NamedTuple


class Column(NamedTuple):
    key: str
    header: str
    #: Shown in ``table.md`` (every column is in ``table.csv``).
    in_table: bool = True
    #: A score: over several training seeds, its mean with an interval across them (otherwise their mean alone).
    scored: bool = True


#: What every model row says about its training (``gans.bench.run``); ``seed`` is the training seed of a
#: per-seed row (``table_seeds.csv``), ``seeds`` the number of seeds a row of the table sums up (``gans.bench.seeds``).
TRAINING = [
    Column("model", "model"), Column("codes", "codes"), Column("seed", "seed", scored=False),
    Column("seeds", "seeds", scored=False), Column("n_codes", "n codes", scored=False),
    Column("steps", "steps", scored=False), Column("train_s", "train s", scored=False),
    Column("images_per_s", "img/s", scored=False),
]
