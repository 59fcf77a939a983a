"""Helpers shared by train.py and simulate_live.py: the data set as one tidy frame."""
import pandas as pd
from sklearn.datasets import load_breast_cancer

LABEL = "malignant"


def load_frame() -> pd.DataFrame:
    """The Wisconsin breast cancer data set shipped inside scikit-learn (no download).

    Columns are snake_case (`mean radius` -> `mean_radius`) so they read well in CSV and reports;
    the label is 1 for a malignant tumour (the class the model must not miss), 0 for benign.
    """
    data = load_breast_cancer(as_frame=True)
    frame = data.data.rename(columns=lambda name: name.replace(" ", "_"))
    # scikit-learn codes malignant as 0 and benign as 1.
    frame[LABEL] = (data.target == 0).astype(int)
    return frame
