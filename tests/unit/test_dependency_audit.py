"""`make audit` says, per shipped set, what pip-audit could audit and what it found."""

from __future__ import annotations

from dependency_audit import summarise


def test_a_set_pypi_gave_no_data_for_says_nothing_is_known_either_way() -> None:
    answer = {
        "dependencies": [
            {"name": "boto3", "skip_reason": "Dependency not found on PyPI and could not be..."},
            {"name": "pydantic", "skip_reason": "Dependency not found on PyPI and could not..."},
        ]
    }
    reading = summarise("the Lambda layer", answer)
    assert (reading.audited, reading.total, reading.vulnerable) == (0, 2, False)
    assert reading.line.startswith("the Lambda layer: none of 2 packages could be audited")
    assert "nothing is known either way" in reading.line


def test_a_known_vulnerability_is_named_with_its_fix() -> None:
    answer = {
        "dependencies": [
            {
                "name": "requests",
                "version": "2.0.0",
                "vulns": [{"id": "PYSEC-1", "fix_versions": ["2.32.0"]}],
            },
            {"name": "boto3", "version": "1.44.5", "vulns": []},
            {"name": "idna", "skip_reason": "not found"},
        ]
    }
    reading = summarise("the CLI and library", answer)
    assert reading.vulnerable
    assert reading.line == (
        "the CLI and library: 1 known vulnerabilities: requests 2.0.0: PYSEC-1 (fixed in 2.32.0)"
    )


def test_a_clean_set_counts_what_was_audited() -> None:
    answer = {
        "dependencies": [
            {"name": "boto3", "version": "1.44.5", "vulns": []},
            {"name": "idna", "skip_reason": "not found"},
        ]
    }
    reading = summarise("the Lambda layer", answer)
    assert reading.line == (
        "the Lambda layer: 1 of 2 packages audited, no known vulnerabilities;"
        " 1 had no vulnerability data"
    )
