"""The data the family trains on: loading (``loading``), the decoded-image cache (``decoded``), downloads
(``download``), the cache folders (``cache``) and the pixel conversions (``pixels``). Each data set is one
record in ``gans.datasets``."""
