"""Trains a breast-cancer classifier and writes what gitml.yaml declares as outputs:

  out/model.pkl        the fitted scikit-learn pipeline (joblib)
  out/metrics.json     accuracy, precision, recall, f1, roc_auc, log_loss on the held-out split
  out/predictions.csv  the held-out rows: features, texture_band, y_true, y_pred, y_score (P(malignant))
  out/reference.csv    the training rows: features + label (gitml profiles it for drift monitoring)
  out/test.csv         the held-out rows: features + label (the suite's train/test checks read it)
  out/importances.json the features' permutation importance on the held-out split (scikit-learn's
                       permutation_importance: the drop in roc_auc when a feature's values are shuffled),
                       and each feature's mean |SHAP| (exact for a linear model on standardised inputs)

Deterministic: the same params.yaml gives the same files.
"""
import json
import sys
from pathlib import Path

import joblib
import pandas as pd
import yaml
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, log_loss, precision_score, recall_score, roc_auc_score
from sklearn.inspection import permutation_importance
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from common import LABEL, load_frame

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"


def read_params(path: Path) -> dict:
    params = yaml.safe_load(path.read_text()) or {}
    rules = {
        "C": (lambda v: isinstance(v, (int, float)) and v > 0, "a number > 0"),
        "max_iter": (lambda v: isinstance(v, int) and v >= 1, "an integer >= 1"),
        "seed": (lambda v: isinstance(v, int) and 0 <= v < 2**32, "an integer in [0, 2^32)"),
        "test_size": (lambda v: isinstance(v, (int, float)) and 0 < v < 1, "a number in (0, 1)"),
    }
    problems = [f"{key}: {rule} (found {params.get(key)!r})" for key, (valid, rule) in rules.items() if not valid(params.get(key))]
    if problems:
        sys.exit(f"{path}:\n  " + "\n  ".join(problems))
    return params


def feature_importances(model, train_x: pd.DataFrame, test_x: pd.DataFrame, test_y: pd.Series, seed: int) -> dict:
    """What gitml's outputs.importances reads: feature -> importance, plus mean |SHAP| per feature.

    Permutation importance is measured on the held-out split, so it shows what the model uses to
    generalise, not what it memorised. A mean below zero means shuffling the feature did not hurt (noise):
    it is written as 0, since an importance is never negative. For a logistic regression on standardised
    features the SHAP value of feature i is exactly coef_i * (z_i - mean(z_i)) in log-odds (features taken
    as independent), so mean |SHAP| needs no extra library.
    """
    result = permutation_importance(model, test_x, test_y, scoring="roc_auc", n_repeats=10, random_state=seed)
    scaler, classifier = model.named_steps["standardscaler"], model.named_steps["logisticregression"]
    centred = scaler.transform(test_x) - scaler.transform(train_x).mean(axis=0)
    shap = abs(centred * classifier.coef_[0]).mean(axis=0)
    columns = list(test_x.columns)
    return {
        "method": "permutation (roc_auc drop, held-out split)",
        "importances": {name: round(max(0.0, float(value)), 6) for name, value in zip(columns, result.importances_mean)},
        "mean_abs_shap": {name: round(float(value), 6) for name, value in zip(columns, shap)},
    }


def main() -> None:
    params = read_params(HERE / "params.yaml")
    frame = load_frame()
    features = frame.drop(columns=[LABEL])
    train_x, test_x, train_y, test_y = train_test_split(
        features, frame[LABEL], test_size=params["test_size"], random_state=params["seed"], stratify=frame[LABEL]
    )

    model = make_pipeline(StandardScaler(), LogisticRegression(C=params["C"], max_iter=params["max_iter"]))
    model.fit(train_x, train_y)
    score = model.predict_proba(test_x)[:, 1]
    predicted = model.predict(test_x)

    metrics = {
        "accuracy": accuracy_score(test_y, predicted),
        "precision": precision_score(test_y, predicted, zero_division=0),
        "recall": recall_score(test_y, predicted, zero_division=0),
        "f1": f1_score(test_y, predicted, zero_division=0),
        "roc_auc": roc_auc_score(test_y, score),
        "log_loss": log_loss(test_y, score, labels=[0, 1]),
    }

    importances = feature_importances(model, train_x, test_x, test_y, seed=params["seed"])

    OUT.mkdir(exist_ok=True)
    (OUT / "importances.json").write_text(json.dumps(importances, indent=2) + "\n")
    joblib.dump(model, OUT / "model.pkl")
    (OUT / "metrics.json").write_text(json.dumps({k: float(v) for k, v in metrics.items()}, indent=2) + "\n")
    # A segment for the report's slice table: cell texture, cut at the thirds of the training data.
    cuts = train_x["mean_texture"].quantile([1 / 3, 2 / 3]).to_list()
    texture_band = pd.cut(test_x["mean_texture"], [float("-inf"), *cuts, float("inf")], labels=["low", "medium", "high"])
    predictions = test_x.assign(texture_band=texture_band, y_true=test_y, y_pred=predicted, y_score=score.round(6))
    predictions.to_csv(OUT / "predictions.csv", index=False, lineterminator="\n")
    train_x.assign(**{LABEL: train_y}).to_csv(OUT / "reference.csv", index=False, lineterminator="\n")
    test_x.assign(**{LABEL: test_y}).to_csv(OUT / "test.csv", index=False, lineterminator="\n")
    print(
        f"trained on {len(train_x)} rows; test ({len(test_x)} rows): "
        f"accuracy {metrics['accuracy']:.4f}, f1 {metrics['f1']:.4f}, roc_auc {metrics['roc_auc']:.4f}"
    )


if __name__ == "__main__":
    main()
