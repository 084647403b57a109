"""sentiment_models: data sources, tweet pre-processing, model variants and reporting for
comparing sentiment classifiers. Imports no heavy framework and no pytest."""

__version__ = "0.1.0"
