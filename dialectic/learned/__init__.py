"""Fitted reward models learned from preferences: statement features, fitting, the model directory, export."""

from dialectic.learned._bt import L2, fit_bt
from dialectic.learned._evaluate import FitEvaluation, evaluate_fit
from dialectic.learned._export import ExportedModel, ExportError, export_fitted_model, export_statement_model
from dialectic.learned._features import FeatureSpec, additive_points, build_features, feature_spec, features
from dialectic.learned._fit import FitOptions, fit_preferences
from dialectic.learned._metrics import accuracy, adjusted_rand_index, mean_loglik
from dialectic.learned._mixture import MixtureFit, fit_mixture
from dialectic.learned._model import FittedModel, Manifest, ModelError
from dialectic.learned._select import Comparisons, select_k
from dialectic.learned._text import POOLER_SCALE, text_features

__all__ = [
    "L2",
    "POOLER_SCALE",
    "Comparisons",
    "ExportError",
    "ExportedModel",
    "FeatureSpec",
    "FitEvaluation",
    "FitOptions",
    "FittedModel",
    "Manifest",
    "MixtureFit",
    "ModelError",
    "accuracy",
    "additive_points",
    "adjusted_rand_index",
    "build_features",
    "evaluate_fit",
    "export_fitted_model",
    "export_statement_model",
    "feature_spec",
    "features",
    "fit_bt",
    "fit_mixture",
    "fit_preferences",
    "mean_loglik",
    "select_k",
    "text_features",
]
