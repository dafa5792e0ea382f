"""Metrics for generative models, torch-fidelity style: one module per metric, a feature-extractor
registry (``features``), defaults in one place (``defaults``) and one entry point, ``calculate_metrics``
(``correspondence.correspondence`` is the one for codes against known factors).
"""


def __getattr__(name):
    # torch is heavy: import the entry point only when asked, so `gans --help` stays fast.
    if name == "calculate_metrics":
        from gans.metrics.calculate import calculate_metrics

        return calculate_metrics
    raise AttributeError(name)


__all__ = ["calculate_metrics"]
