"""Python grpcio client against a running stance-server.

Starts the binary on free ports, waits for grpc.health.v1 SERVING, checks each
RPC, prints `python client: N passed, M failed` and exits non-zero on failure.
"""

import json
import queue
import subprocess
import sys
import threading
import time

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from stance.v1 import stance_pb2, stance_pb2_grpc

SERVICE = "stance.v1.StanceService"


def start_server(binary):
    proc = subprocess.Popen(
        [binary, "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0",
         "--log-format", "json"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        text=True,
    )
    addresses = queue.Queue()

    def pump():
        for line in proc.stderr:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if "grpc_addr" in event:
                addresses.put(event["grpc_addr"])

    threading.Thread(target=pump, daemon=True).start()
    try:
        return proc, addresses.get(timeout=30)
    except queue.Empty:
        proc.kill()
        raise SystemExit("stance-server did not report its address")


def wait_serving(channel):
    health = health_pb2_grpc.HealthStub(channel)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            answer = health.Check(health_pb2.HealthCheckRequest(service=SERVICE), timeout=2)
            if answer.status == health_pb2.HealthCheckResponse.SERVING:
                return
        except grpc.RpcError:
            pass
        time.sleep(0.05)
    raise AssertionError("server never became SERVING")


def test_health(stub, channel):
    health = health_pb2_grpc.HealthStub(channel)
    for service in ("", SERVICE):
        answer = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
        assert answer.status == health_pb2.HealthCheckResponse.SERVING, (service, answer)


def test_classify(stub, channel):
    answer = stub.Classify(
        stance_pb2.ClassifyRequest(text="We strongly condemn the attack on the convoy."),
        timeout=5)
    assert answer.stance != stance_pb2.STANCE_UNSPECIFIED
    assert [s.stance for s in answer.scores] == [1, 2, 3, 4], answer.scores
    assert abs(sum(s.probability for s in answer.scores) - 1.0) < 1e-3
    assert answer.model_version


def test_classify_batch(stub, channel):
    texts = ["We support the agreement.", "We call for calm.", "The talks start on Monday."]
    answer = stub.ClassifyBatch(stance_pb2.ClassifyBatchRequest(texts=texts), timeout=5)
    assert len(answer.results) == len(texts)
    for text, result in zip(texts, answer.results):
        single = stub.Classify(stance_pb2.ClassifyRequest(text=text), timeout=5)
        assert result.stance == single.stance, text


def test_analyze_document(stub, channel):
    text = ("France condemned the strike on Monday. "
            "\"We urge all parties to show restraint,\" the UN Secretary-General said.")
    answer = stub.AnalyzeDocument(stance_pb2.AnalyzeDocumentRequest(text=text), timeout=10)
    assert answer.model_version
    assert answer.statements
    raw = text.encode()
    for s in answer.statements:
        assert raw[s.start:s.end].decode() == s.text


def test_get_model_info(stub, channel):
    info = stub.GetModelInfo(stance_pb2.GetModelInfoRequest(), timeout=5)
    assert info.model_version
    assert list(info.labels) == [1, 2, 3, 4]
    assert info.algorithm
    assert info.model_source == "builtin"


def test_invalid_argument(stub, channel):
    try:
        stub.Classify(stance_pb2.ClassifyRequest(text="   "), timeout=5)
    except grpc.RpcError as err:
        assert err.code() == grpc.StatusCode.INVALID_ARGUMENT, err.code()
    else:
        raise AssertionError("empty text was accepted")


TESTS = [
    test_health,
    test_classify,
    test_classify_batch,
    test_analyze_document,
    test_get_model_info,
    test_invalid_argument,
]


def main():
    binary = sys.argv[1]
    proc, addr = start_server(binary)
    passed = failed = 0
    try:
        with grpc.insecure_channel(addr) as channel:
            wait_serving(channel)
            stub = stance_pb2_grpc.StanceServiceStub(channel)
            for test in TESTS:
                try:
                    test(stub, channel)
                except Exception as err:  # noqa: BLE001 - report every failure
                    failed += 1
                    print(f"FAIL {test.__name__}: {err!r}")
                else:
                    passed += 1
                    print(f"ok   {test.__name__}")
    finally:
        proc.terminate()
        try:
            code = proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = None
        if code != 0:
            failed += 1
            print(f"FAIL graceful exit: stance-server exited with {code} after SIGTERM")
    print(f"python client: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
