"""A running read API for the browser, schemathesis and benchmark runs: local AWS + API function + gateway.

``ApiStack.start()`` starts the local AWS (moto + the Lambda executor), creates the table and the API
function from its real zip and layers, seeds deterministic demo items and starts the local API gateway that
also serves the frontend. This is the one place to swap for the Terraform-applied stack later: callers only
use ``base_url``, ``api_url``, ``aws_endpoint``, ``function_name``, ``table_name`` and ``gateway()``.

Artifacts: the function zip is built from the working tree (``functions/api``) so tests run the code under
test, and so is the shared layer (stock_movers); the dependency layer is ``build/dist/layers/deps.zip``
when present, else the venv's Powertools; when that layer lacks Pydantic (needed by Powertools'
validation) an extra layer is made from the venv's copy.
"""

from __future__ import annotations

import hashlib
import io
import json
import random
import sys
import sysconfig
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from movers.local.apigw import LocalApiGateway

REPO = Path(__file__).resolve().parents[2]
API_DIR = REPO / "functions" / "api"
DIST = REPO / "build" / "dist"
FRONTEND = REPO / "frontend"
REGION = "us-east-1"
# The API this stack stands for (the local gateway signs its invokes as apigateway.amazonaws.com from it).
EXECUTION_ARN = f"arn:aws:execute-api:{REGION}:123456789012:browserapi"
FUNCTION = "movers-local-api"
TABLE = "movers-local-main"
SITE = Path(sysconfig.get_paths()["purelib"])
if str(REPO / "layers" / "shared" / "python") not in sys.path:
    sys.path.append(str(REPO / "layers" / "shared" / "python"))  # stock_movers, outside pytest too

from stock_movers.adapters.storage import ANALYSIS_PK, WINNER_PK, ticker_of, ticker_pk  # noqa: E402
from stock_movers.domain.inputs import MARKET_SCOPE, WATCHLIST_SCOPE  # noqa: E402
from stock_movers.execution_names import daily_execution_name, execution_arn  # noqa: E402

POWERTOOLS_PACKAGES = ("aws_lambda_powertools", "jmespath", "typing_extensions.py")
VALIDATION_PACKAGES = (
    "pydantic",
    "pydantic_core",
    "annotated_types",
    "typing_inspection",
    "typing_extensions.py",
)
DATA_NOTE = "Demo data: SYNTHETIC prices generated for the local stack, not market data."
WATCHLIST = ("AAPL", "MSFT", "NVDA", "AMZN", "GOOG", "META", "TSLA", "AMD", "NFLX", "BRK.B")
# The whole-market universe of the demo's market days: the watchlist and more (its board is the page's
# "Whole market" view); stored for the newest MARKET_DAYS sessions only, so older days show the 404 path.
MARKET_EXTRA = ("XOM", "JPM", "KO", "PFE", "INTC", "BA", "DIS", "WMT", "CSCO", "ORCL", "UBER", "SHOP")
MARKET_DAYS = 2


def _zip_bytes(entries: Iterable[tuple[Path, str]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for src, name in sorted(entries, key=lambda e: e[1]):
            zf.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), src.read_bytes())
    return buffer.getvalue()


def _tree(base: Path, prefix: str = "") -> list[tuple[Path, str]]:
    if base.is_file():
        return [(base, prefix + base.name)]
    return [
        (p, prefix + p.relative_to(base.parent).as_posix())
        for p in sorted(base.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    ]


def function_zip() -> bytes:
    """The API function's zip from the working tree (same layout as movers.build: folder contents at root)."""
    return _zip_bytes(
        (p, p.relative_to(API_DIR).as_posix())
        for p in sorted(API_DIR.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    )


def _site_layer(packages: Iterable[str]) -> bytes:
    entries: list[tuple[Path, str]] = []
    for name in packages:
        entries.extend(_tree(SITE / name, "python/"))
    return _zip_bytes(entries)


def shared_layer() -> bytes:
    """The shared layer from the working tree (stock_movers: the API parses parameters with its inputs)."""
    return _zip_bytes(_tree(REPO / "layers" / "shared" / "python" / "stock_movers", "python/"))


def layer_zips() -> list[tuple[str, bytes]]:
    """(name, zip) of the layers the API function needs, in order (as api.tf: shared, then deps)."""
    deps = DIST / "layers" / "deps.zip"
    deps_zip = deps.read_bytes() if deps.is_file() else _site_layer(POWERTOOLS_PACKAGES)
    layers = [("shared", shared_layer()), ("deps", deps_zip)]
    names = zipfile.ZipFile(io.BytesIO(layers[1][1])).namelist()
    if not any(n.startswith("python/pydantic/") for n in names):
        # Powertools' enable_validation imports Pydantic: the API function's own pydantic layer carries it.
        pydantic = DIST / "layers" / "pydantic.zip"
        if pydantic.is_file():
            layers.append(("pydantic", pydantic.read_bytes()))
        else:
            layers.append(("validation", _site_layer(VALIDATION_PACKAGES)))
    return layers


def _d(value: float, places: str = "0.000001") -> Decimal:
    return Decimal(str(value)).quantize(Decimal(places), rounding=ROUND_HALF_EVEN)


def demo_items(days: int = 40, seed: int = 7) -> list[dict[str, Any]]:
    """Deterministic winners, per-ticker bars and boards for the last ``days`` NYSE sessions up to 2026-01-16.

    Each day's board item is the one Store Day writes (the adapter's item builder over the domain's board of
    the day's items), so the page and schemathesis read what a real run stores."""
    import datetime as dt

    from boto3.dynamodb.types import TypeDeserializer

    from stock_movers.adapters.storage import _leaders_item
    from stock_movers.domain.bars import DailyBar
    from stock_movers.domain.calendar import last_n_sessions
    from stock_movers.domain.leaders import BOARD_DEFAULT, board_of
    from stock_movers.domain.movers import DayRow

    rng = random.Random(seed)
    dates = sorted(d.isoformat() for d in last_n_sessions(dt.date(2026, 1, 16), days))
    price = {t: 50 + 40 * i + rng.random() * 20 for i, t in enumerate(WATCHLIST)}
    items: list[dict[str, Any]] = []
    for date in dates:
        moves = {}
        for ticker in WATCHLIST:
            open_ = price[ticker] * (1 + rng.uniform(-0.01, 0.01))
            close = open_ * (1 + rng.gauss(0, 0.025))
            high, low = max(open_, close) * 1.004, min(open_, close) * 0.996
            price[ticker] = close
            pct = _d((close - open_) / open_ * 100)
            moves[ticker] = (pct, _d(close, "0.01"), _d(open_, "0.01"))
            items.append(
                {
                    "pk": ticker_pk(ticker),
                    "sk": date,
                    "Date": date,
                    "Ticker": ticker,
                    "Open": _d(open_, "0.01"),
                    "High": _d(high, "0.01"),
                    "Low": _d(low, "0.01"),
                    "Close": _d(close, "0.01"),
                    "Volume": Decimal(rng.randint(1_000_000, 90_000_000)),
                    "PercentChange": pct,
                    # as a daily run stores them (Massive's default adjusted=true), so the page's history
                    # names the basis instead of "of unrecorded basis"
                    "Provider": "massive",
                    "Basis": "adjusted",
                }
            )
        day_items = [i for i in items if i["sk"] == date and ticker_of(i["pk"]) is not None]
        rows = [
            DayRow(DailyBar(i["Ticker"], dt.date.fromisoformat(date), i["Open"], i["High"], i["Low"],
                            i["Close"], i["Volume"]), i["PercentChange"])
            for i in day_items
        ]  # fmt: skip
        board = board_of(rows, dt.date.fromisoformat(date), BOARD_DEFAULT)
        raw = _leaders_item(board, WATCHLIST_SCOPE, f"arn:aws:states:{REGION}:123456789012:execution:ingest:"
                            + daily_execution_name(date), f"{date}T21:30:00Z")  # fmt: skip
        items.append({k: TypeDeserializer().deserialize(v) for k, v in raw.items()})
        winner = max(sorted(moves), key=lambda t: abs(moves[t][0]))
        win_pct, win_close, win_open = moves[winner]
        items.append(
            {
                "pk": WINNER_PK,
                "sk": date,
                "Date": date,
                "Ticker": winner,
                "PercentChange": win_pct,
                "ClosingPrice": win_close,
                "Open": win_open,
                "Provider": "local",
                "ExecutionArn": execution_arn(
                    f"arn:aws:states:{REGION}:123456789012:stateMachine:ingest", daily_execution_name(date)
                ),
                "StoredAt": f"{date}T21:30:00Z",
            }
        )
    items.extend(market_board_items(dates[-MARKET_DAYS:], seed))
    winners = [i for i in items if i["pk"] == WINNER_PK]
    wins: dict[str, int] = {}
    for w in winners:
        wins[w["Ticker"]] = wins.get(w["Ticker"], 0) + 1
    items.append(
        {
            "pk": ANALYSIS_PK,
            "sk": dates[-1],
            "Date": dates[-1],
            "Sessions": Decimal(len(dates)),
            "WinsByTicker": {t: Decimal(n) for t, n in sorted(wins.items())},
            "LargestMove": max((abs(w["PercentChange"]) for w in winners), default=Decimal(0)),
        }
    )
    return items


def market_board_items(dates: Iterable[str], seed: int) -> list[dict[str, Any]]:
    """The whole-market board item (``LEADERS#market``) of each of ``dates``, as Store Market Day writes it:
    the adapter's item builder over the domain's board of that day's rows (own generator: the watchlist's
    demo data stay the same)."""
    import datetime as dt

    from boto3.dynamodb.types import TypeDeserializer

    from stock_movers.adapters.storage import _leaders_item
    from stock_movers.domain.bars import DailyBar
    from stock_movers.domain.leaders import BOARD_DEFAULT, board_of
    from stock_movers.domain.movers import day_rows

    rng = random.Random(seed * 1000 + 1)
    items = []
    for date in dates:
        day = dt.date.fromisoformat(date)
        bars = []
        for ticker in (*WATCHLIST, *MARKET_EXTRA):
            open_ = _d(20 + rng.random() * 400, "0.01")
            close = _d(float(open_) * (1 + rng.gauss(0, 0.04)), "0.01")
            high, low = max(open_, close), min(open_, close)
            bars.append(
                DailyBar(ticker, day, open_, high, low, close, Decimal(rng.randint(500_000, 50_000_000)))
            )
        board = board_of(day_rows(bars), day, BOARD_DEFAULT)  # the rows checked as a run checks them
        name = daily_execution_name(date, scope=MARKET_SCOPE)
        arn = f"arn:aws:states:{REGION}:123456789012:execution:ingest:{name}"
        raw = _leaders_item(board, MARKET_SCOPE, arn, f"{date}T21:40:00Z")
        items.append({k: TypeDeserializer().deserialize(v) for k, v in raw.items()})
    return items


@dataclass
class ApiStack:
    """The local read API, ready for HTTP: ``base_url`` serves the page, ``api_url`` the API."""

    seed_items: bool = True
    local_aws: Any = None
    aws_endpoint: str = ""
    function_name: str = FUNCTION
    table_name: str = TABLE
    items: list[dict[str, Any]] = field(default_factory=list)
    _gateways: list[LocalApiGateway] = field(default_factory=list)

    def client(self, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.aws_endpoint,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",  # noqa: S106 - the local AWS's dummy credentials
            config=Config(retries={"max_attempts": 2}),
        )

    def start(self) -> ApiStack:
        from movers.local.server import LocalAws

        self.local_aws = LocalAws(port=0, time_scale=0.01)
        self.aws_endpoint = self.local_aws.start()
        try:
            self._create_table()
            self._create_function()
            if self.seed_items:
                self.items = demo_items()
                self.put(self.items)
        except BaseException:
            self.stop()
            raise
        self.main = self.gateway(data_note=DATA_NOTE)
        return self

    def gateway(self, **kwargs: Any) -> LocalApiGateway:
        """Start one more local gateway onto the same function (e.g. with another config.js)."""
        kwargs.setdefault(
            "execution_arn", EXECUTION_ARN
        )  # invoke as API Gateway (the Lambda permission decides)
        gw = LocalApiGateway(self.function_name, self.aws_endpoint, FRONTEND, 0, **kwargs)
        gw.start()
        self._gateways.append(gw)
        return gw

    @property
    def base_url(self) -> str:
        return self.main.url

    @property
    def api_url(self) -> str:
        return f"{self.main.url}/v1"

    def stop(self) -> None:
        for gw in self._gateways:
            gw.stop()
        self._gateways.clear()
        if self.local_aws is not None:
            self.local_aws.stop()
            self.local_aws = None

    def put(self, items: Iterable[dict[str, Any]]) -> None:
        table = boto3.resource(
            "dynamodb",
            endpoint_url=self.aws_endpoint,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",  # noqa: S106 - the local AWS's dummy credentials
        ).Table(self.table_name)
        with table.batch_writer() as batch:
            for item in items:
                batch.put_item(Item=item)

    def _create_table(self) -> None:
        ddb = self.client("dynamodb")
        ddb.create_table(
            TableName=self.table_name,
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )

    def _create_function(self) -> None:
        iam = self.client("iam")
        role = iam.create_role(
            RoleName=f"{self.function_name}-role",
            AssumeRolePolicyDocument=(
                '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":'
                '{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
            ),
        )["Role"]["Arn"]
        # The local AWS enforces IAM: the same grant infrastructure/api.tf gives the API function.
        table_arn = f"arn:aws:dynamodb:{REGION}:123456789012:table/{self.table_name}"
        log_group_arn = f"arn:aws:logs:{REGION}:123456789012:log-group:/aws/lambda/{self.function_name}"
        iam.put_role_policy(
            RoleName=f"{self.function_name}-role",
            PolicyName="read-table",
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "ReadTable",
                            "Effect": "Allow",
                            "Action": ["dynamodb:Query", "dynamodb:GetItem"],
                            "Resource": table_arn,
                        },
                        {
                            "Sid": "WriteOwnLogs",
                            "Effect": "Allow",
                            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                            "Resource": f"{log_group_arn}:*",
                        },
                    ],
                }
            ),
        )
        lam = self.client("lambda")
        layer_arns = []
        for name, content in layer_zips():
            digest = hashlib.sha256(content).hexdigest()[:8]
            layer_arns.append(
                lam.publish_layer_version(
                    LayerName=f"movers-local-{name}-{digest}",
                    Content={"ZipFile": content},
                    CompatibleRuntimes=["python3.12"],
                )["LayerVersionArn"]
            )
        lam.create_function(
            FunctionName=self.function_name,
            Runtime="python3.12",
            Role=role,
            Handler="app.handler",
            Code={"ZipFile": function_zip()},
            Layers=layer_arns,
            Timeout=10,
            MemorySize=256,
            Environment={
                "Variables": {
                    "TABLE_NAME": self.table_name,
                    "POWERTOOLS_SERVICE_NAME": "movers-api",
                    "LOG_LEVEL": "WARNING",
                    "POWERTOOLS_TRACE_DISABLED": "true",
                }
            },
        )
        # As infrastructure/api.tf: API Gateway may invoke it from any stage, method and path of this API.
        lam.add_permission(
            FunctionName=self.function_name,
            StatementId="AllowApiGatewayInvoke",
            Action="lambda:InvokeFunction",
            Principal="apigateway.amazonaws.com",
            SourceArn=f"{EXECUTION_ARN}/*/*/*",
        )


def main(argv: list[str] | None = None) -> int:
    """Run the stack in the foreground (``python -m movers.local.api_stack``) to look at the page by hand."""
    import time

    stack = ApiStack().start()
    print(f"page: {stack.base_url}/  api: {stack.api_url}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
