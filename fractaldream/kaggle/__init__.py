"""Publish a built Fractal Dream Dataset on Kaggle: ``prepare`` its metadata, then ``upload`` it.

- :mod:`~fractaldream.kaggle.metadata`: what Kaggle accepts in ``dataset-metadata.json``;
- :mod:`~fractaldream.kaggle.folder`: whether a folder is a complete build, ready to publish;
- :mod:`~fractaldream.kaggle.page`: the data set's page (subtitle and description);
- :mod:`~fractaldream.kaggle.prepare`: writes the metadata and packs the images;
- :mod:`~fractaldream.kaggle.upload`: what an upload sends (a plan), and sending it;
- :mod:`~fractaldream.kaggle.client`: the one Kaggle API client of the process;
- :mod:`~fractaldream.kaggle.cli`: ``fractaldream kaggle``, where the results are printed.
"""
