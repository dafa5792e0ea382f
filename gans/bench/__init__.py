"""`gans bench`: train the family (or reuse its runs), evaluate every metric that applies, write the tables."""
