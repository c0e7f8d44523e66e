"""The error hierarchy: names and messages are what Step Functions and operators see."""

import pickle

import pytest

from stock_movers.domain.errors import (
    DataIntegrityError,
    DuplicateTicker,
    InvalidBar,
    InvalidInput,
    MissingTickers,
    MoversError,
    SessionMismatch,
)


@pytest.mark.parametrize(
    "error",
    [
        InvalidInput("date", "must be YYYY-MM-DD, got '2024/01/02'"),
        MissingTickers(["TSLA", "AAPL"]),
        SessionMismatch("AAPL", "2024-01-02", "2024-01-03"),
        InvalidBar("AAPL", "open must be > 0, got 0"),
        DuplicateTicker("AAPL"),
    ],
)
def test_given_any_domain_error_when_pickled_then_class_and_message_survive(error):
    # Given an error as a Lambda would raise it / When it crosses a process boundary
    copy = pickle.loads(pickle.dumps(error))
    # Then it is the same named error with the same message
    assert type(copy) is type(error)
    assert str(copy) == str(error)
    assert isinstance(copy, MoversError)


def test_given_invalid_input_then_message_starts_with_the_field():
    e = InvalidInput("date", "must be YYYY-MM-DD, got '2024/01/02'")
    assert e.field == "date"
    assert str(e) == "date: must be YYYY-MM-DD, got '2024/01/02'"


def test_given_missing_tickers_then_they_are_sorted_and_named():
    e = MissingTickers(["TSLA", "AAPL"])
    assert e.missing == ("AAPL", "TSLA")
    assert "AAPL, TSLA" in str(e)
    assert isinstance(e, DataIntegrityError)


@pytest.mark.parametrize("cls", [MissingTickers, SessionMismatch, InvalidBar, DuplicateTicker])
def test_data_errors_share_the_integrity_base(cls):
    assert issubclass(cls, DataIntegrityError)
    assert not issubclass(cls, InvalidInput)
