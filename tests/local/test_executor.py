"""The Lambda executor runs real zips like Lambda: payloads, env, context, errors, isolation, warmth, logs."""

from __future__ import annotations

import base64
import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from movers.local import executor

ECHO = {
    "app.py": """
        import os
        COUNT = 0

        def handler(event, context):
            global COUNT
            COUNT += 1
            print("echo", event)
            return {
                "event": event,
                "count": COUNT,
                "pid": os.getpid(),
                "env": {k: os.environ.get(k) for k in (
                    "GREETING", "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_VERSION",
                    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_LOG_GROUP_NAME",
                    "AWS_LAMBDA_LOG_STREAM_NAME",
                    "AWS_REGION", "AWS_DEFAULT_REGION", "_HANDLER", "LAMBDA_TASK_ROOT", "TZ",
                    "AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "VIRTUAL_ENV", "HOME_SECRET")},
                "cwd": os.getcwd(),
                "context": {
                    "aws_request_id": context.aws_request_id,
                    "function_name": context.function_name,
                    "function_version": context.function_version,
                    "invoked_function_arn": context.invoked_function_arn,
                    "memory_limit_in_mb": context.memory_limit_in_mb,
                    "log_group_name": context.log_group_name,
                    "log_stream_name": context.log_stream_name,
                    "remaining": context.get_remaining_time_in_millis(),
                },
            }
        """
}

ERRORS = {
    "app.py": """
        class RateLimited(Exception):
            pass

        def handler(event, context):
            if event.get("raise"):
                raise RateLimited("quota used up for AAPL")
            if event.get("sleep"):
                import time
                time.sleep(event["sleep"])
            if event.get("exit"):
                import os
                os._exit(3)
            if event.get("unserialisable"):
                return {1, 2}
            return {"ok": True}
        """
}


def test_given_a_function_when_invoked_then_payload_env_and_context_are_lambda_like(
    make_function, invoke, local_aws
):
    # Given a function with one environment variable
    name = make_function(ECHO, env={"GREETING": "hello"})
    # When it is invoked with an event
    payload, resp = invoke(name, {"ticker": "AAPL", "n": 3}, LogType="Tail")
    # Then the return value is the payload and the handler saw Lambda's environment and context
    assert "FunctionError" not in resp
    assert payload["event"] == {"ticker": "AAPL", "n": 3}
    env = payload["env"]
    assert env["GREETING"] == "hello"
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == name
    assert env["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert env["AWS_LAMBDA_LOG_GROUP_NAME"] == f"/aws/lambda/{name}"
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "us-east-1"
    assert env["_HANDLER"] == "app.handler"
    assert env["TZ"] == ":UTC"
    assert env["AWS_ENDPOINT_URL"] == local_aws
    # the execution role's temporary credentials, issued by the local STS (movers.local.iam)
    assert env["AWS_ACCESS_KEY_ID"].startswith("ASIA")
    assert env["VIRTUAL_ENV"] is None  # the environment is built from scratch
    assert payload["cwd"] == env["LAMBDA_TASK_ROOT"]
    ctx = payload["context"]
    assert ctx["function_name"] == name
    assert ctx["function_version"] == "$LATEST"
    assert ctx["invoked_function_arn"] == f"arn:aws:lambda:us-east-1:123456789012:function:{name}"
    assert ctx["memory_limit_in_mb"] == "256"
    assert ctx["log_group_name"] == f"/aws/lambda/{name}"
    assert ctx["log_stream_name"] == env["AWS_LAMBDA_LOG_STREAM_NAME"]
    assert ctx["log_stream_name"].split("]")[0].endswith("[$LATEST")
    assert 0 < ctx["remaining"] <= 10_000
    tail = base64.b64decode(resp["LogResult"]).decode()
    assert tail.startswith(f"START RequestId: {ctx['aws_request_id']} Version: $LATEST")


def test_given_a_warm_function_when_invoked_again_then_module_state_survives(make_function, invoke):
    # Given a function invoked once
    name = make_function(ECHO)
    first, _ = invoke(name)
    # When it is invoked again (one at a time)
    second, _ = invoke(name)
    # Then the same warm process served it and its module-level counter went on
    assert second["pid"] == first["pid"]
    assert second["count"] == first["count"] + 1


def test_given_a_named_exception_when_invoked_then_unhandled_function_error_with_class_name(
    make_function, invoke
):
    name = make_function(ERRORS)
    # When the handler raises RateLimited
    payload, resp = invoke(name, {"raise": True}, LogType="Tail")
    # Then Lambda's error shape comes back, flagged Unhandled, errorType = the class name
    assert resp["FunctionError"] == "Unhandled"
    assert payload["errorType"] == "RateLimited"
    assert payload["errorMessage"] == "quota used up for AAPL"
    assert any("raise RateLimited" in frame for frame in payload["stackTrace"])
    tail = base64.b64decode(resp["LogResult"]).decode()
    assert tail.startswith(f"START RequestId: {payload['requestId']} ")
    assert "[ERROR] RateLimited: quota used up for AAPL" in tail
    # And the worker is still usable afterwards
    payload, resp = invoke(name, {})
    assert payload == {"ok": True} and "FunctionError" not in resp


def test_given_an_unserialisable_result_when_invoked_then_marshal_error(make_function, invoke):
    name = make_function(ERRORS)
    payload, resp = invoke(name, {"unserialisable": True})
    assert resp["FunctionError"] == "Unhandled"
    assert payload["errorType"] == "Runtime.MarshalError"


def test_given_a_slow_handler_when_timeout_passes_then_sandbox_timedout_and_worker_replaced(
    make_function, invoke
):
    # Given a function with a 1 s timeout
    name = make_function(ERRORS, timeout=1)
    # When the handler sleeps longer than that
    payload, resp = invoke(name, {"sleep": 30})
    # Then the invoke fails like Lambda's timeout
    assert resp["FunctionError"] == "Unhandled"
    assert payload["errorType"] == "Sandbox.Timedout"
    assert payload["errorMessage"].endswith("Task timed out after 1.00 seconds")
    # And the next invoke gets a fresh worker that works
    payload, resp = invoke(name, {})
    assert payload == {"ok": True}


SLOW_INIT = {
    "app.py": """
        import time
        time.sleep(1.5)  # module-level work: Lambda's Init phase

        def handler(event, context):
            return {"remaining": context.get_remaining_time_in_millis()}
        """
}


def test_given_a_slow_init_when_invoked_then_the_timeout_counts_from_the_end_of_init(make_function, invoke):
    # Given a function with a 1 s timeout whose Init phase takes 1.5 s (Lambda limits Init to 10 s apart)
    name = make_function(SLOW_INIT, timeout=1)
    # When it is invoked cold
    payload, resp = invoke(name, {})
    # Then the invoke succeeds, and the handler starts with (nearly) its whole timeout left
    assert "FunctionError" not in resp, payload
    assert 500 < payload["remaining"] <= 1000


def test_given_a_crashing_handler_when_the_process_exits_then_exit_error_and_next_invoke_works(
    make_function, invoke
):
    name = make_function(ERRORS)
    payload, resp = invoke(name, {"exit": True})
    assert resp["FunctionError"] == "Unhandled"
    assert payload["errorType"] == "Runtime.ExitError"
    payload, _ = invoke(name, {})
    assert payload == {"ok": True}


def test_given_a_handler_over_its_memory_size_then_out_of_memory_and_the_next_invoke_is_cold(
    make_function, invoke, aws_client
):
    # Given a 128 MB function whose handler holds 200 MB when asked to
    name = make_function(
        {"app.py": "import os\ndef handler(e, c):\n    b = bytearray(e.get('mb', 0) << 20)\n"
                   "    return {'pid': os.getpid(), 'held': len(b)}\n"}
    )  # fmt: skip
    aws_client("lambda").update_function_configuration(FunctionName=name, MemorySize=128)
    small, _ = invoke(name, {"mb": 1})
    # When it is asked to hold 200 MB
    payload, resp = invoke(name, {"mb": 200}, LogType="Tail")
    # Then the invoke fails as Lambda's does, and the REPORT line says so
    assert resp["FunctionError"] == "Unhandled"
    assert payload["errorType"] == "Runtime.OutOfMemory"
    assert payload["errorMessage"].endswith("Runtime exited with error: signal: killed")
    report = base64.b64decode(resp["LogResult"]).decode().splitlines()[-1]
    assert "Memory Size: 128 MB" in report and "Status: error" in report
    assert int(report.split("Max Memory Used: ")[1].split(" ")[0]) > 128
    # And the next invoke runs in a new execution environment
    again, resp = invoke(name, {"mb": 1})
    assert "FunctionError" not in resp and again["pid"] != small["pid"]


def test_given_a_module_that_fails_to_import_then_import_module_error(make_function, invoke):
    name = make_function({"app.py": "import not_a_module_anywhere\ndef handler(e, c):\n    return 1\n"})
    payload, resp = invoke(name)
    assert resp["FunctionError"] == "Unhandled"
    assert payload["errorType"] == "Runtime.ImportModuleError"
    assert payload["errorMessage"] == "Unable to import module 'app': No module named 'not_a_module_anywhere'"


def test_given_a_missing_handler_attribute_then_handler_not_found(make_function, invoke):
    name = make_function({"app.py": "def other(e, c):\n    return 1\n"})
    payload, resp = invoke(name)
    assert resp["FunctionError"] == "Unhandled"
    assert payload["errorType"] == "Runtime.HandlerNotFound"
    assert "handler" in payload["errorMessage"]


def test_given_two_functions_then_one_cannot_import_the_others_code_nor_venv_packages(make_function, invoke):
    # Given function A with its own module, and function B without it
    make_function(
        {
            "app.py": "import only_in_a\ndef handler(e, c):\n    return only_in_a.X\n",
            "only_in_a.py": "X = 1\n",
        }
    )
    probe = """
        import importlib

        def handler(event, context):
            result = {}
            for module in event["modules"]:
                try:
                    importlib.import_module(module)
                    result[module] = "ok"
                except ImportError as exc:
                    result[module] = type(exc).__name__
            return result
        """
    b = make_function({"app.py": probe})
    # When B tries to import A's module, pyarrow and moto (in the venv) and boto3 (in the runtime)
    payload, _ = invoke(b, {"modules": ["only_in_a", "pyarrow", "moto", "boto3"]})
    # Then only the runtime's boto3 is there, as on Lambda without layers
    assert payload == {
        "only_in_a": "ModuleNotFoundError",
        "pyarrow": "ModuleNotFoundError",
        "moto": "ModuleNotFoundError",
        "boto3": "ok",
    }


def test_given_layers_then_their_modules_import_and_later_layers_win(
    aws_client, make_function, invoke, lambda_zip
):
    # Given two layers shipping the same module name, plus one in site-packages form
    lam = aws_client("lambda")
    first = lam.publish_layer_version(
        LayerName="test-first",
        Content={
            "ZipFile": lambda_zip(
                {
                    "python/shared_mod.py": "WHO = 'first'\n",
                    "python/lib/python3.12/site-packages/sp_mod.py": "WHO = 'site'\n",
                }
            )
        },
        CompatibleRuntimes=["python3.12"],
    )["LayerVersionArn"]
    second = lam.publish_layer_version(
        LayerName="test-second",
        Content={"ZipFile": lambda_zip({"python/shared_mod.py": "WHO = 'second'\n"})},
        CompatibleRuntimes=["python3.12"],
    )["LayerVersionArn"]
    src = {
        "app.py": "import shared_mod, sp_mod\ndef handler(e, c):\n    return [shared_mod.WHO, sp_mod.WHO]\n"
    }
    # When a function uses both layers in order
    name = make_function(src, layers=[first, second])
    payload, resp = invoke(name)
    # Then both layer layouts import and the later layer shadows the earlier one, like the /opt merge
    assert "FunctionError" not in resp, payload
    assert payload == ["second", "site"]


def test_given_six_concurrent_invokes_then_all_complete_on_parallel_workers(make_function, invoke):
    # Given a handler that takes a while
    name = make_function(
        {
            "app.py": "import os, time\ndef handler(e, c):\n    time.sleep(0.5)\n"
            "    return {'i': e['i'], 'pid': os.getpid()}\n"
        }
    )
    # When six invokes arrive at once (a Map with MaxConcurrency 6)
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda i: invoke(name, {"i": i})[0], range(6)))
    # Then all complete, served by more than one worker process
    assert sorted(r["i"] for r in results) == list(range(6))
    assert len({r["pid"] for r in results}) > 1


def test_given_an_invoke_then_logs_are_in_cloudwatch_with_lambda_framing(aws_client, make_function, invoke):
    name = make_function(ECHO)
    payload, _ = invoke(name, {"marker": "log-me-123"})
    request_id = payload["context"]["aws_request_id"]
    events = aws_client("logs").filter_log_events(logGroupName=f"/aws/lambda/{name}")["events"]
    messages = [e["message"] for e in events]
    assert messages[0] == f"START RequestId: {request_id} Version: $LATEST"
    assert any("log-me-123" in m for m in messages)
    assert f"END RequestId: {request_id}" in messages
    report = [m for m in messages if m.startswith(f"REPORT RequestId: {request_id}")]
    assert report and "Billed Duration:" in report[0] and "Memory Size: 256 MB" in report[0]
    streams = aws_client("logs").describe_log_streams(logGroupName=f"/aws/lambda/{name}")["logStreams"]
    assert len(streams) == 1 and "/[$LATEST]" in streams[0]["logStreamName"]


@pytest.mark.timeout(30)
def test_given_an_event_invoke_then_202_at_once_and_the_handler_runs_in_background(aws_client, make_function):
    name = make_function(ECHO)
    resp = aws_client("lambda").invoke(
        FunctionName=name, InvocationType="Event", Payload=json.dumps({"marker": "async-456"})
    )
    assert resp["StatusCode"] == 202
    logs = aws_client("logs")
    messages: list[str] = []
    for _ in range(100):
        try:
            events = logs.filter_log_events(logGroupName=f"/aws/lambda/{name}")["events"]
            messages = [e["message"] for e in events]
        except logs.exceptions.ResourceNotFoundException:
            messages = []
        if any("async-456" in m for m in messages):
            break
        time.sleep(0.1)
    assert any("async-456" in m for m in messages)


def test_find_interpreter_returns_a_working_python312():
    path = executor.find_interpreter("python3.12")
    import subprocess

    out = subprocess.run([path, "--version"], capture_output=True, text=True, check=True).stdout
    assert out.startswith("Python 3.12.")


def test_find_interpreter_refuses_a_non_python_runtime():
    with pytest.raises(executor.ExecutorError, match="unsupported Lambda runtime"):
        executor.find_interpreter("nodejs20.x")
