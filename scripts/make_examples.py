#!/usr/bin/python3
"""Makes the small example models checked in under examples/ (a few KB each),
with seeded weights, so that they can be re-made identically:

    /usr/bin/python3 scripts/make_examples.py
"""
import os

import numpy as np
import torch
import torch.nn as nn

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples")


def tiny_classifier():
    """A 16-feature, 4-class MLP classifier with a dynamic batch dimension."""
    torch.manual_seed(7)
    model = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 4), nn.Softmax(dim=-1)).eval()
    folder = os.path.join(ROOT, "tiny_classifier")
    os.makedirs(os.path.join(folder, "inputs"), exist_ok=True)
    x = torch.randn(2, 16, generator=torch.Generator().manual_seed(11))
    torch.onnx.export(model, (x,), os.path.join(folder, "model.onnx"), input_names=["features"],
                      output_names=["probabilities"], opset_version=13,
                      dynamic_axes={"features": {0: "batch"}, "probabilities": {0: "batch"}})
    np.save(os.path.join(folder, "inputs", "features.npy"), x.numpy())


if __name__ == "__main__":
    tiny_classifier()
