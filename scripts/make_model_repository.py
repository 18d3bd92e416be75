#!/usr/bin/python3
"""Makes the example model repository served by `kiln serve` (checked in under
examples/model_repository/, a few KB in all):

    simple/         INT32 INPUT0, INPUT1 [-1,16] -> OUTPUT0 = sum, OUTPUT1 = difference,
                    with a config.pbtxt (max_batch_size 8), like Triton's example "simple"
    simple_auto/    the same model without config.pbtxt: the server derives it
    tiny_classifier/ examples/tiny_classifier's 4-class MLP with a labels file, for the
                    classification extension

Re-running it rewrites the same files:

    /usr/bin/python3 scripts/make_model_repository.py
"""
import os
import shutil

import onnx
from onnx import TensorProto, helper

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples")
REPO = os.path.join(ROOT, "model_repository")


def add_sub_model():
    shape = ["batch", 16]
    inputs = [helper.make_tensor_value_info(n, TensorProto.INT32, shape) for n in ("INPUT0", "INPUT1")]
    outputs = [helper.make_tensor_value_info(n, TensorProto.INT32, shape) for n in ("OUTPUT0", "OUTPUT1")]
    nodes = [helper.make_node("Add", ["INPUT0", "INPUT1"], ["OUTPUT0"]),
             helper.make_node("Sub", ["INPUT0", "INPUT1"], ["OUTPUT1"])]
    graph = helper.make_graph(nodes, "simple", inputs, outputs)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="kiln-examples")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


SIMPLE_CONFIG = """name: "simple"
platform: "onnxruntime_onnx"
max_batch_size: 8
input [
  { name: "INPUT0" data_type: TYPE_INT32 dims: [ 16 ] },
  { name: "INPUT1" data_type: TYPE_INT32 dims: [ 16 ] }
]
output [
  { name: "OUTPUT0" data_type: TYPE_INT32 dims: [ 16 ] },
  { name: "OUTPUT1" data_type: TYPE_INT32 dims: [ 16 ] }
]
instance_group [ { count: 1 kind: KIND_CPU } ]
"""

CLASSIFIER_CONFIG = """name: "tiny_classifier"
backend: "onnxruntime"
max_batch_size: 8
input [ { name: "features" data_type: TYPE_FP32 dims: [ 16 ] } ]
output [ { name: "probabilities" data_type: TYPE_FP32 dims: [ 4 ] label_filename: "labels.txt" } ]
dynamic_batching { max_queue_delay_microseconds: 100 }
"""


def main():
    model = add_sub_model()
    for name in ("simple", "simple_auto"):
        os.makedirs(os.path.join(REPO, name, "1"), exist_ok=True)
        onnx.save(model, os.path.join(REPO, name, "1", "model.onnx"))
    write(os.path.join(REPO, "simple", "config.pbtxt"), SIMPLE_CONFIG)

    classifier = os.path.join(REPO, "tiny_classifier")
    os.makedirs(os.path.join(classifier, "1"), exist_ok=True)
    shutil.copyfile(os.path.join(ROOT, "tiny_classifier", "model.onnx"), os.path.join(classifier, "1", "model.onnx"))
    write(os.path.join(classifier, "config.pbtxt"), CLASSIFIER_CONFIG)
    write(os.path.join(classifier, "labels.txt"), "apple\nbanana\ncherry\ndate\n")


if __name__ == "__main__":
    main()
