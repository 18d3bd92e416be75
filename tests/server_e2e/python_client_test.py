#!/usr/bin/python3
"""A second, independent client implementation against `kiln serve`.

Python's gRPC and protobuf runtimes (Debian's python3-grpcio and
python3-protobuf) talk to a running `kiln serve` with stubs generated here
from server/proto by `protoc --python_out`, calling each rpc by its full
method name as Triton's Python client does; urllib talks HTTP. A wire
format mistake that Kiln's own C++ client and server share (same generated
code on both ends) shows up here.

Usage: python_client_test.py --kiln BUILD/kiln --source-dir REPO --work-dir DIR
"""
import argparse
import json
import os
import re
import signal
import struct
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

ARGS = None
SERVER = None  # (process, http_port, grpc_port)
pb = None      # generated grpc_service_pb2
grpc = None

SERVICE = "/inference.GRPCInferenceService/"


def generate_stubs(source_dir, work_dir):
    out = os.path.join(work_dir, "python_stubs")
    os.makedirs(out, exist_ok=True)
    protos = ["server/proto/model_config.proto", "server/proto/grpc_service.proto"]
    subprocess.run(["protoc", "--proto_path=" + source_dir, "--python_out=" + out] + protos, check=True)
    sys.path.insert(0, out)
    from server.proto import grpc_service_pb2  # noqa: E402 (generated just now)
    return grpc_service_pb2


def start_server(kiln, repository, log_path):
    log = open(log_path, "wb")
    process = subprocess.Popen(
        [kiln, "serve", "--model-repository", repository, "--http-port", "0", "--grpc-port", "0",
         "--metrics-port", "0", "--threads", "2"], stdout=log, stderr=log)
    deadline = time.time() + 60
    while time.time() < deadline:
        text = open(log_path, "rb").read().decode(errors="replace")
        http = re.search(r"HTTP/REST service listening on port (\d+)", text)
        grpc_port = re.search(r"gRPC service listening on port (\d+)", text)
        if http and grpc_port:
            return process, int(http.group(1)), int(grpc_port.group(1))
        if process.poll() is not None:
            raise RuntimeError("kiln serve exited early:\n" + text)
        time.sleep(0.05)
    process.kill()
    raise RuntimeError("kiln serve did not report its ports")


def http_request(path, body=None, headers=None):
    request = urllib.request.Request("http://127.0.0.1:%d%s" % (SERVER[1], path), data=body,
                                     headers=headers or {}, method="POST" if body is not None else "GET")
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status, dict(reply.headers), reply.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


class GrpcInterop(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.channel = grpc.insecure_channel("127.0.0.1:%d" % SERVER[2])
        grpc.channel_ready_future(cls.channel).result(timeout=20)

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()

    def call(self, rpc, request, response_type):
        method = self.channel.unary_unary(SERVICE + rpc, request_serializer=lambda m: m.SerializeToString(),
                                          response_deserializer=response_type.FromString)
        return method(request, timeout=10)

    def test_server_metadata(self):
        reply = self.call("ServerMetadata", pb.ServerMetadataRequest(), pb.ServerMetadataResponse)
        self.assertEqual(reply.name, "kiln")
        self.assertTrue(reply.version)
        self.assertIn("binary_tensor_data", list(reply.extensions))
        ready = self.call("ServerReady", pb.ServerReadyRequest(), pb.ServerReadyResponse)
        self.assertTrue(ready.ready)

    def test_model_metadata(self):
        reply = self.call("ModelMetadata", pb.ModelMetadataRequest(name="simple"), pb.ModelMetadataResponse)
        self.assertEqual(reply.name, "simple")
        self.assertEqual(list(reply.versions), ["1"])
        self.assertEqual(reply.platform, "onnxruntime_onnx")
        self.assertEqual([t.name for t in reply.inputs], ["INPUT0", "INPUT1"])
        self.assertEqual(reply.inputs[0].datatype, "INT32")
        self.assertEqual(list(reply.inputs[0].shape), [-1, 16])

    def infer_request(self):
        request = pb.ModelInferRequest(model_name="simple", id="py-1")
        for name in ("INPUT0", "INPUT1"):
            tensor = request.inputs.add(name=name, datatype="INT32", shape=[1, 16])
        return request

    def check_sum_difference(self, reply, a, b):
        self.assertEqual(reply.model_name, "simple")
        self.assertEqual(reply.model_version, "1")
        self.assertEqual(reply.id, "py-1")
        outputs = {o.name: o for o in reply.outputs}
        self.assertEqual(set(outputs), {"OUTPUT0", "OUTPUT1"})
        for index, output in enumerate(reply.outputs):
            self.assertEqual(output.datatype, "INT32")
            self.assertEqual(list(output.shape), [1, 16])
            if reply.raw_output_contents:
                values = list(struct.unpack("<16i", reply.raw_output_contents[index]))
            else:
                values = list(output.contents.int_contents)
            expected = [x + y for x, y in zip(a, b)] if output.name == "OUTPUT0" else [x - y for x, y in zip(a, b)]
            self.assertEqual(values, expected, output.name)

    def test_model_infer_raw_contents(self):
        a, b = list(range(16)), [3] * 16
        request = self.infer_request()
        request.raw_input_contents.append(struct.pack("<16i", *a))
        request.raw_input_contents.append(struct.pack("<16i", *b))
        reply = self.call("ModelInfer", request, pb.ModelInferResponse)
        self.assertEqual(len(reply.raw_output_contents), 2)
        self.check_sum_difference(reply, a, b)

    def test_model_infer_typed_contents(self):
        a, b = [i * 7 - 50 for i in range(16)], list(range(16, 0, -1))
        request = self.infer_request()
        request.inputs[0].contents.int_contents.extend(a)
        request.inputs[1].contents.int_contents.extend(b)
        reply = self.call("ModelInfer", request, pb.ModelInferResponse)
        self.check_sum_difference(reply, a, b)

    def test_model_infer_errors_have_grpc_codes(self):
        request = self.infer_request()
        request.raw_input_contents.extend([b"\0" * 64, b"\0" * 64])
        request.model_name = "no_such_model"
        with self.assertRaises(grpc.RpcError) as caught:
            self.call("ModelInfer", request, pb.ModelInferResponse)
        self.assertEqual(caught.exception.code(), grpc.StatusCode.NOT_FOUND)
        request = self.infer_request()
        request.raw_input_contents.append(b"\0" * 64)
        request.raw_input_contents.append(b"\0" * 10)
        with self.assertRaises(grpc.RpcError) as caught:
            self.call("ModelInfer", request, pb.ModelInferResponse)
        self.assertEqual(caught.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)

    def test_model_config(self):
        reply = self.call("ModelConfig", pb.ModelConfigRequest(name="tiny_classifier"), pb.ModelConfigResponse)
        config = reply.config
        self.assertEqual(config.name, "tiny_classifier")
        self.assertEqual(config.max_batch_size, 8)
        self.assertEqual(config.input[0].name, "features")
        self.assertEqual(list(config.input[0].dims), [16])
        self.assertEqual(config.output[0].label_filename, "labels.txt")
        self.assertEqual(config.dynamic_batching.max_queue_delay_microseconds, 100)

    def test_model_statistics(self):
        request = self.infer_request()
        request.raw_input_contents.extend([b"\1\0\0\0" * 16, b"\1\0\0\0" * 16])
        self.call("ModelInfer", request, pb.ModelInferResponse)
        reply = self.call("ModelStatistics", pb.ModelStatisticsRequest(name="simple"), pb.ModelStatisticsResponse)
        self.assertEqual(len(reply.model_stats), 1)
        stats = reply.model_stats[0]
        self.assertEqual((stats.name, stats.version), ("simple", "1"))
        self.assertGreaterEqual(stats.inference_stats.success.count, 1)
        self.assertGreater(stats.inference_stats.success.ns, 0)
        self.assertGreaterEqual(stats.inference_count, 1)
        self.assertGreaterEqual(stats.execution_count, 1)
        self.assertGreater(stats.last_inference, 1600000000000)  # ms since the epoch
        self.assertTrue(stats.batch_stats)
        self.assertGreaterEqual(stats.batch_stats[0].batch_size, 1)


class HttpInterop(unittest.TestCase):
    def test_infer_with_binary_data(self):
        a, b = list(range(16)), [2] * 16
        header = json.dumps({
            "inputs": [{"name": n, "datatype": "INT32", "shape": [1, 16], "parameters": {"binary_data_size": 64}}
                       for n in ("INPUT0", "INPUT1")],
            "outputs": [{"name": "OUTPUT0", "parameters": {"binary_data": True}},
                        {"name": "OUTPUT1", "parameters": {"binary_data": False}}],
        }).encode()
        body = header + struct.pack("<16i", *a) + struct.pack("<16i", *b)
        status, headers, reply = http_request("/v2/models/simple/infer", body, {
            "Inference-Header-Content-Length": str(len(header)), "Content-Type": "application/octet-stream"})
        self.assertEqual(status, 200, reply)
        length = int({k.lower(): v for k, v in headers.items()}["inference-header-content-length"])
        document = json.loads(reply[:length])
        outputs = {o["name"]: o for o in document["outputs"]}
        self.assertEqual(outputs["OUTPUT0"]["parameters"]["binary_data_size"], 64)
        self.assertEqual(list(struct.unpack("<16i", reply[length:length + 64])), [x + 2 for x in a])
        self.assertEqual(outputs["OUTPUT1"]["data"], [x - 2 for x in a])

    def test_config_prints_int64_as_numbers(self):
        status, _, reply = http_request("/v2/models/simple/config")
        self.assertEqual(status, 200)
        config = json.loads(reply)
        self.assertEqual(config["input"][0]["dims"], [16])

    def test_errors_are_json(self):
        status, _, reply = http_request("/v2/models/simple/infer", b"{not json")
        self.assertEqual(status, 400)
        self.assertIn("error", json.loads(reply))
        status, _, reply = http_request("/v2/models/absent")
        self.assertEqual(status, 404)
        self.assertIn("error", json.loads(reply))


def main():
    global ARGS, SERVER, pb, grpc
    parser = argparse.ArgumentParser()
    parser.add_argument("--kiln", required=True)
    parser.add_argument("--source-dir", required=True)
    parser.add_argument("--work-dir", default=tempfile.gettempdir())
    ARGS, rest = parser.parse_known_args()
    try:
        import grpc as grpc_module
    except ImportError:
        print("python3-grpcio is not installed (scripts/install-deps.sh --test); skipping")
        return 77  # ctest SKIP_RETURN_CODE
    grpc = grpc_module
    pb = generate_stubs(ARGS.source_dir, ARGS.work_dir)
    log_path = os.path.join(ARGS.work_dir, "python_client_test_serve.log")
    SERVER = start_server(ARGS.kiln, os.path.join(ARGS.source_dir, "examples", "model_repository"), log_path)
    try:
        result = unittest.main(argv=[sys.argv[0]] + rest, exit=False, verbosity=2).result
    finally:
        SERVER[0].send_signal(signal.SIGTERM)
        exit_code = SERVER[0].wait(timeout=30)
    if exit_code != 0:
        print("kiln serve exited with %d after SIGTERM" % exit_code)
        print(open(log_path, "rb").read().decode(errors="replace"))
        return 1
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
