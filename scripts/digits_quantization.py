#!/usr/bin/python3
"""Quantization accuracy on real data: scikit-learn's bundled handwritten digits.

Trains a small CNN with PyTorch on the 8x8 digits, exports it to ONNX, writes
calibration and evaluation input sets as .npy folders, quantizes it with
`kiln quantize`, and reports float and int8 test accuracy measured with
`kiln run`. Exits non-zero when int8 accuracy drops more than --max-drop points.

    scripts/digits_quantization.py --kiln build/kiln [--work DIR] [--method minmax] [--per-channel]
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split


class DigitsCnn(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.features = torch.nn.Sequential(
            torch.nn.Conv2d(1, 16, 3, padding=1), torch.nn.ReLU(),
            torch.nn.Conv2d(16, 32, 3, padding=1), torch.nn.ReLU(),
            torch.nn.MaxPool2d(2),
            torch.nn.Conv2d(32, 64, 3, padding=1), torch.nn.ReLU(),
            torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten())
        self.classifier = torch.nn.Linear(64, 10)

    def forward(self, x):
        return self.classifier(self.features(x))


def load_data(seed):
    digits = load_digits()
    x = (digits.images.astype(np.float32) / 16.0)[:, None, :, :]  # N x 1 x 8 x 8 in [0, 1]
    y = digits.target.astype(np.int64)
    return train_test_split(x, y, test_size=0.25, random_state=seed, stratify=y)


def train(x_train, y_train, epochs, seed):
    torch.manual_seed(seed)
    model = DigitsCnn()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    xs, ys = torch.from_numpy(x_train), torch.from_numpy(y_train)
    for _ in range(epochs):
        perm = torch.randperm(len(xs))
        for i in range(0, len(xs), 64):
            idx = perm[i:i + 64]
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(xs[idx]), ys[idx])
            loss.backward()
            opt.step()
    return model.eval()


def write_sets(folder, x, batch):
    """One subfolder per input set, laid out like `kiln run --inputs`."""
    os.makedirs(folder, exist_ok=True)
    for n, i in enumerate(range(0, len(x), batch)):
        sub = os.path.join(folder, f"{n:04d}")
        os.makedirs(sub, exist_ok=True)
        np.save(os.path.join(sub, "input.npy"), np.ascontiguousarray(x[i:i + batch]))


def kiln_accuracy(kiln, model, x_test, y_test, work, tag):
    inputs = os.path.join(work, f"test_inputs")
    os.makedirs(inputs, exist_ok=True)
    np.save(os.path.join(inputs, "input.npy"), x_test)
    outputs = os.path.join(work, f"test_outputs_{tag}")
    subprocess.run([kiln, "run", model, "--inputs", inputs, "--outputs", outputs], check=True,
                   stdout=subprocess.DEVNULL)
    logits = np.load(os.path.join(outputs, "logits.npy"))
    return 100.0 * float(np.mean(np.argmax(logits, axis=1) == y_test))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kiln", default="build/kiln", help="the kiln binary")
    parser.add_argument("--work", help="folder for the models and data (default: a temporary one)")
    parser.add_argument("--method", default="minmax", choices=["minmax", "percentile", "entropy"])
    parser.add_argument("--per-channel", action="store_true")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-drop", type=float, default=1.0, help="allowed accuracy drop in points")
    args = parser.parse_args()

    work = args.work or tempfile.mkdtemp(prefix="kiln_digits_")
    os.makedirs(work, exist_ok=True)
    x_train, x_test, y_train, y_test = load_data(args.seed)
    model = train(x_train, y_train, args.epochs, args.seed)

    float_path = os.path.join(work, "digits_cnn.onnx")
    torch.onnx.export(model, torch.from_numpy(x_train[:1]), float_path, input_names=["input"],
                      output_names=["logits"], dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
                      opset_version=13)
    rng = np.random.default_rng(args.seed)
    calib = x_train[rng.choice(len(x_train), size=256, replace=False)]
    write_sets(os.path.join(work, "calibration"), calib, batch=32)
    write_sets(os.path.join(work, "eval"), x_test, batch=64)

    int8_path = os.path.join(work, "digits_cnn_int8.onnx")
    cmd = [args.kiln, "quantize", float_path, "--out", int8_path, "--calibration", os.path.join(work, "calibration"),
           "--eval", os.path.join(work, "eval"), "--method", args.method]
    if args.per_channel:
        cmd.append("--per-channel")
    print("$ " + " ".join(cmd))
    subprocess.run(cmd, check=True)

    float_acc = kiln_accuracy(args.kiln, float_path, x_test, y_test, work, "float")
    int8_acc = kiln_accuracy(args.kiln, int8_path, x_test, y_test, work, "int8")
    drop = float_acc - int8_acc
    print(f"test accuracy on {len(y_test)} digits: float {float_acc:.2f}%  int8 {int8_acc:.2f}%  "
          f"drop {drop:.2f} points (work folder: {work})")
    return 0 if drop <= args.max_drop else 1


if __name__ == "__main__":
    sys.exit(main())
