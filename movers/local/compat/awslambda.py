"""Lambda: stored configuration, the Qualifier parameter, and AWS's package, environment and payload quotas.
(Running the code is the executor's job: :mod:`movers.local.compat.lambda_hook`.)

Part of :mod:`movers.local.compat` (see its docstring); each fix is tested in ``tests/local``.
"""

from __future__ import annotations

import json
from typing import Any


def fix_lambda_invoke_qualifier_parameter() -> None:
    """Invoke honours the ``Qualifier`` query parameter (``?Qualifier=live``), as Lambda does.

    The Invoke API takes a version or alias either in the function name (``name:live``) or as the
    ``Qualifier`` query parameter; moto reads only a lower-case ``qualifier`` parameter, so
    ``invoke(FunctionName=name, Qualifier="live")`` silently ran ``$LATEST``. We copy the documented
    parameter to the name moto reads.
    """
    from moto.awslambda.responses import LambdaResponse

    original = LambdaResponse.invoke

    def invoke(self: Any) -> Any:
        qualifier = self.querystring.get("Qualifier")
        if qualifier and "qualifier" not in self.querystring:
            self.querystring["qualifier"] = qualifier
        return original(self)

    invoke.__wrapped__ = original  # type: ignore[attr-defined]
    LambdaResponse.invoke = invoke  # type: ignore[method-assign]


def fix_lambda_stored_config() -> None:
    """Stores and returns Lambda ``DeadLetterConfig`` and ``LoggingConfig`` like AWS.

    moto drops both, so Terraform sees a difference on every plan for ``dead_letter_config`` and
    ``logging_config``. AWS returns what was set (and a default ``LoggingConfig`` of Text format with the
    ``/aws/lambda/<name>`` group), which is what we return.
    """
    from moto.awslambda.models import LambdaFunction

    original_init = LambdaFunction.__init__
    original_get = LambdaFunction.get_configuration
    original_update = LambdaFunction.update_configuration

    def __init__(self: Any, account_id: str, spec: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        original_init(self, account_id, spec, *args, **kwargs)
        self.movers_dead_letter_config = spec.get("DeadLetterConfig")
        self.movers_logging_config = spec.get("LoggingConfig")

    def get_configuration(self: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        config = original_get(self, *args, **kwargs)
        dlq = getattr(self, "movers_dead_letter_config", None)
        if dlq and dlq.get("TargetArn"):
            config["DeadLetterConfig"] = dlq
        logging_config = {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{self.function_name}"}
        logging_config.update(getattr(self, "movers_logging_config", None) or {})
        config["LoggingConfig"] = logging_config
        return config

    def update_configuration(self: Any, config_updates: dict[str, Any]) -> Any:
        if "DeadLetterConfig" in config_updates:
            self.movers_dead_letter_config = config_updates["DeadLetterConfig"]
        if "LoggingConfig" in config_updates:
            self.movers_logging_config = config_updates["LoggingConfig"]
        return original_update(self, config_updates)

    LambdaFunction.__init__ = __init__  # type: ignore[method-assign]
    LambdaFunction.get_configuration = get_configuration  # type: ignore[method-assign]
    LambdaFunction.update_configuration = update_configuration  # type: ignore[method-assign]


def fix_lambda_code_size_limits() -> None:
    """Refuses Lambda code over the deployment-package quotas at the calls where Lambda refuses it.

    moto stores a package of any size. Lambda answers a direct upload (``ZipFile``) whose request is over
    69,905,067 bytes (a 50 MiB zip, base64) with 413 ``RequestEntityTooLargeException``, and a layer, or a
    function's code plus its layers, over 250 MiB unzipped with ``InvalidParameterValueException``, at
    PublishLayerVersion, CreateFunction, UpdateFunctionCode and UpdateFunctionConfiguration (new layers). The
    same checks (``movers.lambda_limits``, shared with ``make build``) run here before moto stores anything,
    so a package AWS would refuse fails the local stack too, with AWS's error code and message.
    """
    import base64

    from moto.awslambda.exceptions import InvalidParameterValueException, LambdaClientError
    from moto.awslambda.models import LambdaBackend, _validate_s3_bucket_and_key
    from moto.utilities.utils import get_partition

    from movers import lambda_limits

    class RequestEntityTooLarge(LambdaClientError):
        code = 413

        def __init__(self, operation: str) -> None:
            super().__init__("RequestEntityTooLargeException", lambda_limits.request_too_large(operation))

    def refuse_large_request(code: dict[str, Any], operation: str) -> None:
        zipped = code.get("ZipFile")
        if zipped is not None and len(zipped) > lambda_limits.MAX_DIRECT_UPLOAD_REQUEST:
            raise RequestEntityTooLarge(operation)

    def package(backend: Any, code: dict[str, Any]) -> bytes | None:
        if code.get("ZipFile") is not None:
            return base64.b64decode(code["ZipFile"])
        if code.get("S3Bucket") and code.get("S3Key"):
            key = _validate_s3_bucket_and_key(backend.account_id, get_partition(backend.region_name), code)
            return key.value if key is not None else None
        return None  # an image, or nothing to check

    def unzipped(archive: bytes | None) -> int:
        try:
            return lambda_limits.unzipped_size(archive) if archive else 0
        except Exception:  # not a zip: moto and the executor report that, not a size
            return 0

    def refuse_large_unzipped(backend: Any, code: bytes | None, layer_arns: list[str]) -> None:
        sizes = [unzipped(code)]
        for arn in layer_arns:
            layer = backend.layers_versions_by_arn(arn)
            sizes.append(unzipped(layer.code_bytes) if layer is not None else 0)
        message = lambda_limits.unzipped_too_large(sizes if layer_arns else sizes[:1])
        if message:
            raise InvalidParameterValueException(message)

    def arns(layers: list[Any]) -> list[str]:
        return [layer["Arn"] if isinstance(layer, dict) else layer for layer in layers]

    original_create = LambdaBackend.create_function
    original_update_code = LambdaBackend.update_function_code
    original_update_config = LambdaBackend.update_function_configuration
    original_publish_layer = LambdaBackend.publish_layer_version

    def create_function(self: Any, spec: dict[str, Any]) -> Any:
        code = spec.get("Code") or {}
        refuse_large_request(code, "CreateFunction")
        refuse_large_unzipped(self, package(self, code), arns(spec.get("Layers") or []))
        return original_create(self, spec)

    def update_function_code(self: Any, function_name: str, qualifier: str, body: dict[str, Any]) -> Any:
        refuse_large_request(body, "UpdateFunctionCode")
        fn = self.get_function(function_name, qualifier)
        refuse_large_unzipped(self, package(self, body), arns(fn.layers or []))
        return original_update_code(self, function_name, qualifier, body)

    def update_function_configuration(
        self: Any, function_name: str, qualifier: str, body: dict[str, Any]
    ) -> Any:
        if body.get("Layers") is not None:
            fn = self.get_function(function_name, qualifier)
            refuse_large_unzipped(self, fn.code_bytes, arns(body["Layers"]))
        return original_update_config(self, function_name, qualifier, body)

    def publish_layer_version(self: Any, spec: dict[str, Any]) -> Any:
        content = spec.get("Content") or {}
        refuse_large_request(content, "PublishLayerVersion")
        refuse_large_unzipped(self, package(self, content), [])
        return original_publish_layer(self, spec)

    LambdaBackend.create_function = create_function  # type: ignore[method-assign]
    LambdaBackend.update_function_code = update_function_code  # type: ignore[method-assign]
    LambdaBackend.update_function_configuration = update_function_configuration  # type: ignore[method-assign]
    LambdaBackend.publish_layer_version = publish_layer_version  # type: ignore[method-assign]


# Lambda: the Invoke request body (the event) and the function's response, synchronous invocation.
INVOKE_REQUEST_MAX_BYTES = 6_291_456

INVOKE_RESPONSE_MAX_BYTES = 6_291_556

# Lambda: "The maximum size of the variables object ... must not exceed 4096 bytes. This includes key names,
# values, quotes, commas, and brackets."
ENVIRONMENT_MAX_BYTES = 4_096


def environment_bytes(variables: dict[str, str] | None) -> tuple[int, str]:
    """Lambda's measure of a function's environment: the compact JSON object of its variables, UTF-8."""
    text = json.dumps(variables or {}, separators=(",", ":"), ensure_ascii=False)
    return len(text.encode("utf-8")), text


def fix_lambda_environment_size_limit() -> None:
    """CreateFunction and UpdateFunctionConfiguration refuse variables over 4 KB, as Lambda does.

    Lambda measures the variables object as JSON ("key names, values, quotes, commas, and brackets") and
    refuses more than 4,096 bytes with ``InvalidParameterValueException`` "Lambda was unable to configure
    your environment variables because the environment variables you have provided exceeded the 4KB
    limit. String measured: {...}". moto stores any size, so a deploy that Lambda refuses applies locally.
    """
    from moto.awslambda.exceptions import InvalidParameterValueException
    from moto.awslambda.models import LambdaBackend

    def check(spec: dict[str, Any]) -> None:
        environment = spec.get("Environment")
        if not isinstance(environment, dict) or environment.get("Variables") is None:
            return
        size, text = environment_bytes(environment["Variables"])
        if size > ENVIRONMENT_MAX_BYTES:
            raise InvalidParameterValueException(
                "Lambda was unable to configure your environment variables because the environment variables "
                f"you have provided exceeded the 4KB limit. String measured: {text}"
            )

    original_create = LambdaBackend.create_function
    original_update = LambdaBackend.update_function_configuration

    def create_function(self: Any, spec: dict[str, Any]) -> Any:
        check(spec)
        return original_create(self, spec)

    def update_function_configuration(
        self: Any, function_name: str, qualifier: str, body: dict[str, Any]
    ) -> Any:
        check(body)
        return original_update(self, function_name, qualifier, body)

    LambdaBackend.create_function = create_function  # type: ignore[method-assign]
    LambdaBackend.update_function_configuration = update_function_configuration  # type: ignore[method-assign]


def fix_lambda_invoke_payload_limits() -> None:
    """Invoke refuses an event over 6,291,456 bytes and keeps responses up to Lambda's 6,291,556 bytes.

    Lambda answers a synchronous Invoke whose body exceeds 6 MiB with HTTP 413 ``RequestTooLargeException``
    "Request must be smaller than 6291456 bytes for the InvokeFunction operation", before running anything;
    moto runs it. For the response, moto's handler swaps any payload whose ``sys.getsizeof`` (length plus
    object overhead) exceeds 6,000,000 for the ``Function.ResponseSizeTooLarge`` error, so responses Lambda
    returns (up to 6,291,556 bytes) fail locally. The executor applies the response limit at Lambda's figure
    on every invoke path (:func:`movers.local.compat.lambda_hook.limit_response`), so this handler, moto's
    own minus that check, leaves the response as the executor made it.
    """
    from urllib.parse import unquote

    from moto.awslambda.responses import LambdaResponse
    from moto.core.exceptions import JsonRESTError
    from moto.utilities.aws_headers import amz_crc32

    class RequestTooLargeException(JsonRESTError):
        code = 413

        def __init__(self) -> None:
            super().__init__(
                "RequestTooLargeException",
                f"Request must be smaller than {INVOKE_REQUEST_MAX_BYTES} bytes for the InvokeFunction "
                "operation",
            )

    @amz_crc32
    def invoke(self: Any) -> Any:
        invocation_type = self.headers.get("X-Amz-Invocation-Type") or "RequestResponse"
        body = self.body if isinstance(self.body, bytes) else (self.body or "").encode("utf-8")
        if invocation_type == "RequestResponse" and len(body) > INVOKE_REQUEST_MAX_BYTES:
            raise RequestTooLargeException()
        response_headers: dict[str, Any] = {}
        function_name = unquote(self.path.rsplit("/", 2)[-2])
        qualifier = self._get_param("qualifier")
        payload = self.backend.invoke(function_name, qualifier, self.body, self.headers, response_headers)
        if payload is None:
            return 404, response_headers, "{}"
        response_headers["content-type"] = "application/json"
        if invocation_type == "Event":
            response_headers["status"] = "202"
            return 202, response_headers, payload
        if invocation_type == "DryRun":
            response_headers["status"] = "204"
            return 204, response_headers, payload
        if self.headers.get("X-Amz-Log-Type") != "Tail":
            response_headers.pop("x-amz-log-result", None)
        return 200, response_headers, payload

    LambdaResponse.invoke = invoke  # type: ignore[method-assign]


def _on_failure(fn: Any) -> tuple[str, int] | None:
    """The function's asynchronous on-failure destination and retry count, from its event invoke config.

    moto keeps the configs (PutFunctionEventInvokeConfig appends one per call, qualifier ignored) on the
    unqualified function, while an invoke of a version or alias runs that version's object: look it up by
    name and take the newest."""
    from moto.awslambda.models import lambda_backends

    try:
        base = lambda_backends[fn.account_id][fn.region].get_function(fn.function_name)
    except Exception:  # a function deleted meanwhile: nothing to deliver to
        return None
    configs = list(getattr(base, "event_invoke_config", None) or []) or list(fn.event_invoke_config or [])
    if not configs:
        return None
    config = configs[-1].config
    destination = ((config.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
    if not destination:
        return None
    return str(destination), int(config.get("MaximumRetryAttempts", 2))


def fix_lambda_async_on_failure_destination() -> None:
    """An asynchronous invoke that keeps failing goes to the function's on-failure destination, as on AWS.

    AWS retries a failed ``Event`` invoke ``MaximumRetryAttempts`` times (default 2; 1 and 2 minutes apart)
    and then sends an invocation record (``requestContext`` with ``condition: RetriesExhausted`` and
    ``approximateInvokeCount``, ``requestPayload``, ``responseContext``, ``responsePayload``) to the
    ``OnFailure`` destination of the function's event invoke config, with the function's execution role.
    moto has no asynchronous delivery, and our executor (lambda_hook) runs an ``Event`` invoke once and
    keeps its error only in the logs, so the market-data bus processor's failures (infrastructure/push.tf)
    would vanish locally. This fix retries at once (no real delays: nothing observes them but a clock) and
    sends the record to an SQS destination; a function without such a config is left to the executor.
    """
    import threading
    import uuid
    from datetime import UTC, datetime

    from moto.sqs.models import sqs_backends
    from moto.utilities.arns import parse_arn

    from movers.local import iam
    from movers.local.compat import lambda_hook

    original = lambda_hook.invoke_function

    def deliver(fn: Any, destination: str, record: dict[str, Any]) -> None:
        arn = parse_arn(destination)
        if arn.service != "sqs":
            raise ValueError(f"only SQS on-failure destinations are delivered locally, got {destination}")
        # Lambda sends the record with the function's execution role (IAM enforced when installed)
        iam.check_delivery("lambda.amazonaws.com", "sqs:SendMessage", destination, fn.function_arn,
                           str(getattr(fn, "role", "") or "") or None)  # fmt: skip
        sqs_backends[arn.account][arn.region].send_message(arn.resource_id, json.dumps(record))

    def invoke_function(fn: Any, body: Any, request_headers: Any, response_headers: Any) -> str | bytes:
        headers = {str(k).lower(): v for k, v in dict(request_headers or {}).items()}
        failure = _on_failure(fn) if headers.get("x-amz-invocation-type") == "Event" else None
        if failure is None:
            return original(fn, body, request_headers, response_headers)
        destination, retries = failure
        text = body.decode("utf-8") if isinstance(body, bytes) else (body or "{}")
        sync = {**headers, "x-amz-invocation-type": "RequestResponse"}
        request_id = str(uuid.uuid4())

        def attempts() -> None:
            count = 0
            payload: str | bytes = b""
            while count <= retries:  # the first attempt and its retries
                count += 1
                answer: dict[str, Any] = {}
                payload = original(fn, text, sync, answer)
                if "x-amz-function-error" not in answer:
                    return
            try:
                response: Any = json.loads(payload)
            except ValueError:
                response = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else payload
            try:
                request: Any = json.loads(text)
            except ValueError:
                request = text
            record = {
                "version": "1.0",
                "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
                "requestContext": {"requestId": request_id, "functionArn": fn.function_arn,
                                   "condition": "RetriesExhausted", "approximateInvokeCount": count},
                "requestPayload": request,
                "responseContext": {"statusCode": 200, "executedVersion": str(fn.version),
                                    "functionError": "Unhandled"},
                "responsePayload": response,
            }  # fmt: skip
            try:
                deliver(fn, destination, record)
            except Exception:  # AWS drops a record it cannot deliver (and meters it); so do we
                import logging

                logging.getLogger("movers.local.compat").exception(
                    "Lambda %s: on-failure record to %s not delivered", fn.function_name, destination
                )

        threading.Thread(target=attempts, name=f"lambda-async-{fn.function_name}", daemon=True).start()
        response_headers["x-amz-executed-version"] = str(fn.version)
        return b""

    lambda_hook.invoke_function = invoke_function
