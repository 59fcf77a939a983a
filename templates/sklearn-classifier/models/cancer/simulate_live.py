"""Writes "recent production data" for the monitoring demo: a CSV with the columns of out/reference.csv.

  python3 simulate_live.py [--drift none|shift] [--rows N] [--seed S] [-o FILE]

--drift none   resamples rows of the data set with small measurement noise: no drift should be found;
--drift shift  a recalibrated imaging device and a referral clinic: sizes (radius, perimeter, area) read
               25% larger, textures 20% coarser, and 70% of the tumours are malignant: drift should be found.
Default output: data/live/current.csv in this folder (gitml.yaml's monitor.current reads data/live/*.csv).
"""
import argparse
from pathlib import Path

import numpy as np

from common import LABEL, load_frame

HERE = Path(__file__).resolve().parent
NOISE_SHARE = 0.02  # noise sd as a share of each column's sd
MALIGNANT_SHARE = {"none": None, "shift": 0.7}  # None keeps the data set's own mix


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--drift", choices=["none", "shift"], default="none")
    parser.add_argument("--rows", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("-o", "--output", type=Path, default=HERE / "data" / "live" / "current.csv")
    args = parser.parse_args()
    if args.rows < 1:
        parser.error("--rows must be a positive integer")
    if args.seed < 0:
        parser.error("--seed must be a non-negative integer")
    return args


def main() -> None:
    args = parse_args()
    rng = np.random.default_rng(args.seed)
    frame = load_frame()
    share = MALIGNANT_SHARE[args.drift]
    if share is None:
        rows = rng.integers(0, len(frame), args.rows)
    else:
        malignant = np.flatnonzero(frame[LABEL].to_numpy() == 1)
        benign = np.flatnonzero(frame[LABEL].to_numpy() == 0)
        rows = np.where(
            rng.random(args.rows) < share,
            rng.choice(malignant, args.rows),
            rng.choice(benign, args.rows),
        )
    sample = frame.iloc[rows]
    sample = sample.reset_index(drop=True)

    features = [c for c in frame.columns if c != LABEL]
    noise = rng.normal(0.0, 1.0, (len(sample), len(features))) * frame[features].std().to_numpy() * NOISE_SHARE
    values = (sample[features].to_numpy() + noise).clip(min=0.0)
    live = sample.copy()
    live[features] = values
    if args.drift == "shift":
        sizes = [c for c in features if any(part in c for part in ("radius", "perimeter", "area"))]
        textures = [c for c in features if "texture" in c]
        live[sizes] *= 1.25
        live[textures] *= 1.2
    live[features] = live[features].round(5)
    live[LABEL] = live[LABEL].astype(int)

    args.output.parent.mkdir(parents=True, exist_ok=True)
    live.to_csv(args.output, index=False, lineterminator="\n")
    print(f"wrote {args.rows} rows (drift: {args.drift}) to {args.output}")


if __name__ == "__main__":
    main()
