"""The README and the documentation: their figures and commands name scripts that exist (a renamed benchmark
breaks a test, not the docs), their Python example runs, and the README opens with the two commands."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
DOCS = ROOT / "docs"
# The README and every page of the documentation site.
PAGES = {"README.md": README} | {
    str(p.relative_to(ROOT)): p.read_text(encoding="utf-8") for p in sorted(DOCS.rglob("*.md"))
}


def test_the_readme_opens_with_the_demo_and_the_test_commands() -> None:
    opening = README.split("```sh\n", 1)[1].split("```", 1)[0].splitlines()
    assert [line.split()[0] for line in opening] == ["./scripts/demo", "./scripts/test"]
    assert README.index("./scripts/demo") < README.index("\n## ")


def _quality_rows() -> list[str]:
    """The rows of the quality page's first table, the one of figures."""
    section = PAGES["docs/quality.md"].split("# Measured quality", 1)[1].split("\n## ", 1)[0]
    table = section[section.index("| What") :].split("\n\n", 1)[0]
    return table.splitlines()[2:]


def test_every_measured_figure_names_the_command_that_reproduces_it() -> None:
    rows = _quality_rows()
    assert len(rows) >= 10
    for row in rows:
        command = row.rstrip(" |").rsplit("|", 1)[1].strip()
        script = re.fullmatch(r"`python (benchmarks/\w+\.py)(?: [^`]*)?`", command)
        assert script, f"no command in: {row}"
        assert (ROOT / script.group(1)).is_file(), script.group(1)


@pytest.mark.parametrize("page", sorted(PAGES))
def test_every_script_a_page_names_exists(page: str) -> None:
    named = set(re.findall(r"\b((?:benchmarks|scripts)/[\w.]+)", PAGES[page]))
    missing = sorted(n for n in named if not (ROOT / n).exists())
    assert not missing, f"{page} names scripts that do not exist: {missing}"


def test_the_pages_name_the_benchmarks_and_the_test_script() -> None:
    named = set(re.findall(r"\b((?:benchmarks|scripts)/[\w.]+)", "\n".join(PAGES.values())))
    assert sum(n.startswith("benchmarks/") for n in named) >= 10 and "scripts/test" in named


def _python_example() -> str:
    section = PAGES["docs/python.md"].split("# From Python", 1)[1]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


def test_the_python_example_builds_a_week_through_the_injected_transport(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code = _python_example()
    assert len([line for line in code.splitlines() if line.strip()]) <= 16, "the example stays short"
    monkeypatch.chdir(tmp_path)  # the config's paths are relative to where it runs
    exec(compile(code, "docs/python.md", "exec"), {"__name__": "readme_example"})
    printed = capsys.readouterr().out
    assert "Night ferry returns" in printed and "1 story" in printed
    assert list(tmp_path.iterdir()) == [], "building a week writes nothing"


def test_the_python_example_works_from_a_running_event_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)

    async def main() -> None:
        exec(compile(_python_example(), "docs/python.md", "exec"), {"__name__": "readme_example"})

    asyncio.run(main())
    assert "Night ferry returns" in capsys.readouterr().out
