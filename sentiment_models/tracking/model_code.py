"""MLflow "models from code" entry point: the logged model is this file plus the variant's
own files, so loading it unpickles no Python object."""

import mlflow.models

from sentiment_models.tracking.pyfunc import SentimentPyfunc

mlflow.models.set_model(SentimentPyfunc())
