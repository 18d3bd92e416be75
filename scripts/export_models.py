#!/usr/bin/python3
"""Exports the reference architectures Kiln is tested on, with seeded random
weights, and PyTorch's outputs for fixed inputs as references.

    /usr/bin/python3 scripts/export_models.py OUT_DIR [--only NAME ...] [--force]

For each model it writes OUT_DIR/<name>/model.onnx, OUT_DIR/<name>/inputs/<input>.npy
and OUT_DIR/<name>/expected/<output>.npy. Models already exported are kept
unless --force is given. Uses Debian's python3-torch and python3-torchvision.

Besides the architectures the reference tests run (MODELS), --only takes
"linear": one 784->10 layer with the MLP's input and output and 1/68 of its
weights, which bench/serving.sh serves to measure what the protocol alone
costs per request.
"""
import argparse
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torchvision


class BertLikeEncoder(nn.Module):
    """A BERT-style text encoder: token/position/type embeddings, post-norm
    transformer layers with GELU feed-forward, and a tanh pooler."""

    def __init__(self, vocab=30522, hidden=768, layers=12, heads=12, ffn=3072, max_len=512):
        super().__init__()
        self.heads = heads
        self.token = nn.Embedding(vocab, hidden)
        self.position = nn.Embedding(max_len, hidden)
        self.token_type = nn.Embedding(2, hidden)
        self.embed_norm = nn.LayerNorm(hidden, eps=1e-12)
        self.layers = nn.ModuleList([EncoderLayer(hidden, heads, ffn) for _ in range(layers)])
        self.pooler = nn.Linear(hidden, hidden)

    def forward(self, input_ids, attention_mask):
        seq = input_ids.shape[1]
        positions = torch.arange(seq, device=input_ids.device).unsqueeze(0)
        x = self.token(input_ids) + self.position(positions) + self.token_type(torch.zeros_like(input_ids))
        x = self.embed_norm(x)
        # [batch, 1, 1, seq]: 0 where attended, a large negative where masked.
        bias = (1.0 - attention_mask[:, None, None, :].to(x.dtype)) * -10000.0
        for layer in self.layers:
            x = layer(x, bias)
        pooled = torch.tanh(self.pooler(x[:, 0]))
        return x, pooled


class EncoderLayer(nn.Module):
    def __init__(self, hidden, heads, ffn):
        super().__init__()
        self.heads = heads
        self.head_dim = hidden // heads
        self.qkv = nn.Linear(hidden, 3 * hidden)
        self.out = nn.Linear(hidden, hidden)
        self.norm1 = nn.LayerNorm(hidden, eps=1e-12)
        self.up = nn.Linear(hidden, ffn)
        self.down = nn.Linear(ffn, hidden)
        self.norm2 = nn.LayerNorm(hidden, eps=1e-12)

    def forward(self, x, bias):
        b, s, h = x.shape
        q, k, v = self.qkv(x).split(h, dim=-1)
        q = q.reshape(b, s, self.heads, self.head_dim).transpose(1, 2)
        k = k.reshape(b, s, self.heads, self.head_dim).transpose(1, 2)
        v = v.reshape(b, s, self.heads, self.head_dim).transpose(1, 2)
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_dim) + bias
        context = torch.matmul(torch.softmax(scores, dim=-1), v).transpose(1, 2).reshape(b, s, h)
        x = self.norm1(x + self.out(context))
        x = self.norm2(x + self.down(nn.functional.gelu(self.up(x))))
        return x


class Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10))

    def forward(self, x):
        return self.net(x)


def randomize_batchnorm(model, gen):
    """Fresh BatchNorm layers hold mean 0 / var 1; give them realistic stats."""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.copy_(torch.randn(m.num_features, generator=gen) * 0.1)
            m.running_var.copy_(torch.rand(m.num_features, generator=gen) * 0.5 + 0.75)
            m.weight.data.copy_(torch.rand(m.num_features, generator=gen) * 0.5 + 0.75)
            m.bias.data.copy_(torch.randn(m.num_features, generator=gen) * 0.1)


def build(name, gen):
    """Returns (module, example inputs dict, output names, dynamic axes, opset)."""
    if name == "resnet50":
        model = torchvision.models.resnet50(weights=None)
        randomize_batchnorm(model, gen)
        x = torch.randn(1, 3, 224, 224, generator=gen)
        return model, {"input": x}, ["logits"], {"input": {0: "batch"}, "logits": {0: "batch"}}, 13
    if name == "mobilenet_v2":
        model = torchvision.models.mobilenet_v2(weights=None)
        randomize_batchnorm(model, gen)
        x = torch.randn(1, 3, 224, 224, generator=gen)
        return model, {"input": x}, ["logits"], {"input": {0: "batch"}, "logits": {0: "batch"}}, 13
    if name in ("bert_base", "bert_mini"):
        if name == "bert_base":
            model = BertLikeEncoder(hidden=768, layers=12, heads=12, ffn=3072)
        else:
            model = BertLikeEncoder(hidden=256, layers=4, heads=4, ffn=1024)
        for p in model.parameters():  # BERT's initializer: N(0, 0.02)
            if p.dim() > 1:
                p.data.copy_(torch.randn(p.shape, generator=gen) * 0.02)
        ids = torch.randint(0, 30522, (2, 128), generator=gen)
        mask = torch.ones(2, 128, dtype=torch.int64)
        mask[1, 100:] = 0
        dyn = {"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "sequence"},
               "last_hidden_state": {0: "batch", 1: "sequence"}, "pooled": {0: "batch"}}
        return model, {"input_ids": ids, "attention_mask": mask}, ["last_hidden_state", "pooled"], dyn, 17
    if name in ("mlp", "linear"):
        model = Mlp() if name == "mlp" else nn.Linear(784, 10)
        x = torch.randn(4, 784, generator=gen)
        return model, {"input": x}, ["logits"], {"input": {0: "batch"}, "logits": {0: "batch"}}, 13
    raise SystemExit(f"unknown model '{name}'")


MODELS = ["mlp", "mobilenet_v2", "resnet50", "bert_mini", "bert_base"]
EXTRA_MODELS = ["linear"]  # exported only when named with --only


def export(name, out_dir, force):
    folder = os.path.join(out_dir, name)
    if os.path.exists(os.path.join(folder, "done")) and not force:
        return False
    os.makedirs(os.path.join(folder, "inputs"), exist_ok=True)
    os.makedirs(os.path.join(folder, "expected"), exist_ok=True)
    torch.manual_seed(1234)
    gen = torch.Generator().manual_seed(1234)
    model, inputs, output_names, dynamic_axes, opset = build(name, gen)
    model.eval()
    args = tuple(inputs.values())
    with torch.no_grad():
        outputs = model(*args)
        if isinstance(outputs, torch.Tensor):
            outputs = (outputs,)
        torch.onnx.export(model, args, os.path.join(folder, "model.onnx"), input_names=list(inputs.keys()),
                          output_names=output_names, dynamic_axes=dynamic_axes, opset_version=opset,
                          do_constant_folding=True)
    for key, value in inputs.items():
        np.save(os.path.join(folder, "inputs", key + ".npy"), value.numpy())
    for key, value in zip(output_names, outputs):
        np.save(os.path.join(folder, "expected", key + ".npy"), value.numpy())
    open(os.path.join(folder, "done"), "w").close()
    return True


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out_dir")
    parser.add_argument("--only", nargs="*", default=None, choices=MODELS + EXTRA_MODELS,
                        help="export just these models")
    parser.add_argument("--force", action="store_true", help="export again even when present")
    args = parser.parse_args()
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    for name in args.only or MODELS:
        start = time.time()
        exported = export(name, args.out_dir, args.force)
        if sys.stderr.isatty():
            state = f"exported in {time.time() - start:.1f} s" if exported else "already there"
            print(f"{name}: {state}", file=sys.stderr)


if __name__ == "__main__":
    main()
