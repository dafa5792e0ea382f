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


#: What every model row says about its training (``gans.bench.run``).
TRAINING = [
    Column("model", "model"), Column("codes", "codes"), Column("n_codes", "n codes"), Column("steps", "steps"),
    Column("train_s", "train s"), Column("images_per_s", "img/s"),
]
