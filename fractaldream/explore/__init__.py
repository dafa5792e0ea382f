"""``fractaldream explore``: the attractor's parameter space in a browser (a Panel app).

- :mod:`~fractaldream.explore.live`: sliders for v, size, points and palette; FD(v) re-rendered as they move.
- :mod:`~fractaldream.explore.datamap`: every attractor of a built data set as a point of a chosen projection,
  aggregated with datashader; a click picks one.
- :mod:`~fractaldream.explore.paths`: the straight line between two vectors, frame by frame, and how much the
  image changes per step.
- :mod:`~fractaldream.explore.models`: G(v) of trained runs that take v (the only module that imports ``gans``).
- :mod:`~fractaldream.explore.app` lays them out; :mod:`~fractaldream.explore.server` checks the input and serves;
  :mod:`~fractaldream.explore.cli` is the command.

Panel, HoloViews, Bokeh and datashader come with the ``explore`` extra. ``fractaldream.cli`` loads only
:mod:`~fractaldream.explore.cli`, and only when the command is used; it imports click alone.
"""
