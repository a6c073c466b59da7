"""The public API: exactly what __all__ says, typed, and documented."""

from __future__ import annotations

import inspect
import subprocess
import sys
from importlib import resources

import pytest

import callstatus
import callstatus.testing


def test_all_is_exactly_the_public_names() -> None:
    public = {name for name in vars(callstatus) if not name.startswith("_")} | set(callstatus._LAZY)
    modules = {name for name in public if inspect.ismodule(getattr(callstatus, name))}
    assert sorted(callstatus.__all__) == callstatus.__all__
    assert set(callstatus.__all__) == (public - modules) | {"__version__"}
    assert set(callstatus.__all__) <= set(dir(callstatus))


def test_normalising_does_not_import_httpx_and_the_clients_load_on_first_use() -> None:
    script = (
        "import sys, callstatus; "
        "record = callstatus.normalize({'id': 'c1', 'status': 'completed'}, 'dialnexa'); "
        "callstatus.parse_webhook; before = 'httpx' in sys.modules; "
        "from callstatus import DialNexaClient, VendorAPIError; "
        "print(record.status.value, before, 'httpx' in sys.modules, DialNexaClient.__name__, "
        "callstatus.reconcile.__module__, callstatus.AuthError.__mro__[1].__name__)"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60, check=False)
    assert result.stdout.decode().split() == [
        "completed", "False", "True", "DialNexaClient", "callstatus.reconciler", "VendorAPIError"
    ], result.stderr  # fmt: skip
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        callstatus.nothing  # noqa: B018


def test_issue_names_are_exported() -> None:
    for name in ["normalize", "normalize_many", "detect_vendor", "vendors", "get_adapter", "register",
                 "NormalizationError", "UnknownVendorError", "CallRecord", "CallStatus", "EndReason", "EndedBy",
                 "AnsweredBy", "Direction"]:  # fmt: skip
        assert name in callstatus.__all__


def test_testing_module_exports() -> None:
    assert sorted(callstatus.testing.__all__) == callstatus.testing.__all__
    for name in callstatus.testing.__all__:
        assert callable(getattr(callstatus.testing, name))


def test_package_is_typed() -> None:
    assert (resources.files("callstatus") / "py.typed").is_file()


def test_public_callables_have_docstrings() -> None:
    for name in callstatus.__all__:
        value = getattr(callstatus, name)
        if inspect.isfunction(value) or inspect.isclass(value):
            assert inspect.getdoc(value), name


def test_normalization_error_is_a_value_error_with_context() -> None:
    exc = callstatus.NormalizationError("bad", vendor="dialgen", path="callId", value=3)
    assert isinstance(exc, ValueError) and (exc.vendor, exc.path, exc.value) == ("dialgen", "callId", 3)
    assert issubclass(callstatus.UnknownVendorError, callstatus.NormalizationError)
