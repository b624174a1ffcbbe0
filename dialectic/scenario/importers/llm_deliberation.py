"""Import a game in the LLM-Deliberation format (S-Abdelnabi/LLM-Deliberation, MIT licence;
Abdelnabi et al., NeurIPS 2024 Datasets & Benchmarks): `config.txt`, `scores_files/<file>.txt` (points
per issue, last line the reservation), `global_instructions.txt` (issue and option names),
`individual_instructions/<incentive>/<file>.txt` (personas) and `initial_deal.txt` (p1's opening).
Rule kept: at least n-1 parties accept, p1 and p2 among them; p1's unanimity bonus is not imported.
Every problem raises a ScenarioError naming the file, the place in it, what was expected and found.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any, NamedTuple

from dialectic.scenario import FieldError, Scenario, ScenarioError
from dialectic.scenario._bounded import LimitError, Limits, read_lines
from dialectic.scenario._load import validate_scenario
from dialectic.scenario.importers._yaml import dump_scenario

REPOSITORY = "S-Abdelnabi/LLM-Deliberation"
PAPER = ("Abdelnabi et al., 'Cooperation, Competition, and Maliciousness: LLM-Stakeholders Interactive "
         "Negotiation', NeurIPS 2024 Datasets & Benchmarks")
CITATION = f"{REPOSITORY} (https://github.com/{REPOSITORY}, MIT licence); {PAPER}"
ROLES = ("p1", "p2", "player")
CONFIG_FIELDS = "5 comma-separated fields (display name, file name, role, incentive, model), none empty"
ROUNDS, NAME_LENGTH, DESCRIPTION_LENGTH = 24, 60, 400
#: What each file of a game is read within (docs/limits.md): the shipped games' files are a few KB.
GAME_LIMITS = Limits(file_bytes=2**20, line=64 * 2**10, lines=10_000)

_HEADING = re.compile(r"^[\s\-*•#>]*(?i:issue)\s+([A-Z])(?![A-Za-z0-9])\s*[:.)\-–—]?\s*(.*)$")
_OPTION = re.compile(r"^[\s\-*•]*([A-Z])(\d+)(?![A-Za-z0-9])\s*([:)\-–—]|\.(?!\d))?\s*(.*)$")
_QUOTED = re.compile(r"^[\"“]([^\"”]+)[\"”]\s*(.?)")
_PLACEHOLDER = re.compile(r"#([A-Z])(?:(\d+)|_MAX)_NUM")
_LEFTOVER = re.compile(r"#[A-Za-z0-9_]+_NUM")


class Party(NamedTuple):
    display: str
    file: str
    role: str
    incentive: str


class _Errors(list[FieldError]):
    """Collects located problems so that one pass reports all it can, then raises them together."""

    def add(self, file: Path | str, where: str, expected: str, found: object) -> None:
        self.append(FieldError(str(file), where, expected, str(found)))

    def raise_any(self) -> None:
        if self:
            raise ScenarioError(list(self))


def _fail(file: Path | str, where: str, expected: str, found: object) -> ScenarioError:
    return ScenarioError([FieldError(str(file), where, expected, str(found))])


def _read(path: Path) -> str:
    """The file's text within GAME_LIMITS (size by stat, line length as read, lines, UTF-8 located)."""
    try:
        return "".join(read_lines(path, GAME_LIMITS, bom=True))
    except FileNotFoundError:
        raise _fail(path, "", "this file (LLM-Deliberation game format)", "no such file") from None
    except OSError as exc:
        raise _fail(path, "", "a readable UTF-8 text file", exc.strerror or exc) from None
    except LimitError as exc:
        raise _fail(path, exc.where, exc.expected, exc.found) from None


def _lines(text: str) -> list[tuple[int, str]]:
    """Non-empty lines, stripped, with their 1-based line numbers."""
    return [(k, line.strip()) for k, line in enumerate(text.splitlines(), 1) if line.strip()]


def read_config(path: Path) -> list[Party]:
    errors, parties = _Errors(), list[Party]()
    for k, line in _lines(_read(path)):
        fields = [f.strip() for f in line.split(",")]
        if len(fields) != 5 or not all(fields):
            errors.add(path, f"line {k}", CONFIG_FIELDS, f"{len(fields)} fields: {line!r}")
        elif fields[2] not in ROLES:
            errors.add(path, f"line {k}, field 3 (role)", f"one of {', '.join(ROLES)}", repr(fields[2]))
        elif fields[1] in {p.file for p in parties}:
            errors.add(path, f"line {k}, field 2 (file name)", "a file name no other party uses", fields[1])
        else:
            parties.append(Party(*fields[:4]))
    errors.raise_any()
    if len(parties) < 2:
        errors.add(path, "", "at least two parties", len(parties))
    for role in ("p1", "p2"):
        if len(holders := [p.file for p in parties if p.role == role]) != 1:
            errors.add(path, "field 3 (role)", f"exactly one party with role {role}", holders or "none")
    errors.raise_any()
    return parties


def _number(text: str) -> float | None:
    try:
        return value if math.isfinite(value := float(text)) else None
    except ValueError:
        return None


def read_scores(path: Path) -> tuple[list[list[float]], float]:
    """Points per issue (one list per line) and the reservation (the last non-empty line)."""
    errors, lines = _Errors(), _lines(_read(path))
    if len(lines) < 2:
        raise _fail(path, "", "a line of points per issue, then a reservation line", f"{len(lines)} lines")
    points: list[list[float]] = []
    for k, line in lines[:-1]:
        cells = [c.strip() for c in line.removesuffix(",").split(",")]
        values = [_number(c) for c in cells]
        for column, (cell, value) in enumerate(zip(cells, values, strict=True), 1):
            if value is None:
                errors.add(path, f"line {k}, value {column}", "a number (points)", repr(cell))
        if len(cells) < 2:
            errors.add(path, f"line {k}", "at least two comma-separated numbers (one per option)", line)
        points.append([v for v in values if v is not None])
    k, last = lines[-1]
    if (reservation := _number(last)) is None:
        errors.add(path, f"line {k} (the last line: reservation)", "a single number", repr(last))
    errors.raise_any()
    return points, reservation or 0.0


def _short(text: str, limit: int = NAME_LENGTH) -> str:
    """Whitespace collapsed, quote marks dropped, trimmed at a word to `limit` characters."""
    text = re.sub(r"\s+", " ", re.sub("[\"“”]", "", text)).strip(" .,;:-")
    return text if len(text) <= limit else text[: limit - 3].rsplit(" ", 1)[0].rstrip(" ,;:-") + "..."


def _option_name(separator: str | None, rest: str) -> str:
    quoted = _QUOTED.match(rest)
    # `A1 "water-based": ...` names the option; `E1: "SportCo" pays ...` only starts a sentence.
    if quoted and (not separator or quoted.group(2) in ("", ":", ";", ",", ".", "-", "–", "—", "=", "(")):
        return _short(quoted.group(1))
    return _short(re.split(r"(?<=[.!?;])\s", rest.split("==>")[0].strip())[0])


def _issue_name(rest: str) -> str:
    if quoted := _QUOTED.match(rest):
        return _short(quoted.group(1))
    return _short(re.split(r"(?<=[.!?;])\s|\s[-–—]\s", rest.strip().strip("()[]"))[0])


def _description(lines: list[str]) -> str:
    """Whole sentences of the prose before the first issue, up to DESCRIPTION_LENGTH characters."""
    prose = " ".join(s.strip() for s in lines if s.strip() and s.lstrip()[0] not in "-*•=#")
    chosen: list[str] = []
    for sentence in re.split(r"(?<=[.!?])\s+", prose):
        if sentence and not sentence.endswith(":"):
            if chosen and len(" ".join([*chosen, sentence])) > DESCRIPTION_LENGTH:
                break
            chosen.append(sentence)
    return " ".join(chosen)


def read_global(path: Path) -> tuple[dict[str, str], dict[str, str], str]:
    """Issue names by issue id, option names by option code, and a summary of the opening lines."""
    issues: dict[str, tuple[bool, str]] = {}  # a quoted name beats an unquoted one, else the first wins
    options: dict[str, str] = {}
    lines = _read(path).splitlines()
    first_heading = len(lines)
    for k, line in enumerate(lines):
        if heading := _HEADING.match(line):
            first_heading = min(first_heading, k)
            letter, rest = heading.group(1), heading.group(2)
            candidate, known = (bool(_QUOTED.match(rest)), _issue_name(rest)), issues.get(letter)
            if candidate[1] and (known is None or (candidate[0] and not known[0])):
                issues[letter] = candidate
        elif option := _OPTION.match(line):
            code, name = option.group(1) + option.group(2), _option_name(option.group(3), option.group(4))
            if name and code not in options:
                options[code] = name
    names = {letter: name for letter, (_, name) in issues.items()}
    return names, options, _description(lines[:first_heading])


def _format(value: float) -> str:
    return str(int(value)) if value.is_integer() else f"{value:g}"


def read_persona(path: Path, points: dict[str, list[float]]) -> str:
    """The persona text with `#A1_NUM` (the option's points) and `#A_MAX_NUM` (the issue's best) filled in."""
    errors = _Errors()

    def substitute(match: re.Match[str]) -> str:
        issue, option = match.group(1), match.group(2)
        if issue not in points or (option and not 1 <= int(option) <= len(points[issue])):
            errors.add(path, match.group(0), "a placeholder for an existing issue or option", match.group(0))
            return match.group(0)
        return _format(max(points[issue]) if option is None else points[issue][int(option) - 1])

    text = _PLACEHOLDER.sub(substitute, _read(path))
    for leftover in sorted(set(_LEFTOVER.findall(text)) - {e.path for e in errors}):
        errors.add(path, leftover, "a known placeholder (#A1_NUM or #A_MAX_NUM)", leftover)
    errors.raise_any()
    return "\n".join(line.rstrip() for line in text.expandtabs(4).splitlines()).strip()


def _persona_file(directory: Path, party: Party, incentive: str) -> Path:
    root = directory / "individual_instructions"
    wanted = root / incentive / f"{party.file}.txt"
    others = sorted(root.glob(f"*/{party.file}.txt")) if root.is_dir() else []
    if wanted.is_file() or others:
        return wanted if wanted.is_file() else others[0]
    raise _fail(wanted, "", "a persona file (or one of this name in another incentive folder)", "none")


def read_deal(path: Path, options: dict[str, list[str]]) -> dict[str, str]:
    errors, deal = _Errors(), dict[str, str]()
    for code in re.split(r"[,\s]+", _read(path).strip()):
        issue = next((i for i, codes in options.items() if code in codes), None)
        if issue is None:
            errors.add(path, code, "an option code of the game (e.g. A1)", repr(code))
        elif issue in deal:
            errors.add(path, code, f"one option for issue {issue}", f"{deal[issue]} and {code}")
        else:
            deal[issue] = code
    if missing := [i for i in options if i not in deal]:
        errors.add(path, "", f"one option for each issue ({', '.join(options)})", f"none for {missing}")
    errors.raise_any()
    return deal


Scores = dict[str, tuple[list[list[float]], float]]


def _issue_options(directory: Path, scores: Scores) -> dict[str, list[str]]:
    """Option codes per issue (A: [A1, A2, ...]); every party must score the same options."""
    errors, (reference, (points, _)) = _Errors(), next(iter(scores.items()))
    shape, folder = [len(line) for line in points], directory / "scores_files"
    if len(shape) > 26:
        errors.add(folder / f"{reference}.txt", "", "at most 26 issues (A to Z)", len(shape))
    for party, (other, _) in scores.items():
        found = [len(line) for line in other]
        if len(found) != len(shape):
            errors.add(folder / f"{party}.txt", "", f"{len(shape)} lines of points (one per issue, as in "
                       f"{reference}.txt), then the reservation", f"{len(found)} lines of points")
            continue
        for k, (want, got) in enumerate(zip(shape, found, strict=True)):
            if want != got:
                errors.add(folder / f"{party}.txt", f"points line {k + 1} (issue {chr(ord('A') + k)})",
                           f"{want} numbers, one per option (as in {reference}.txt)", f"{got} numbers")
    errors.raise_any()
    ids = [chr(ord("A") + k) for k in range(len(shape))]
    return {issue: [f"{issue}{j}" for j in range(1, n + 1)] for issue, n in zip(ids, shape, strict=True)}


def import_llm_deliberation(
    directory: Path, incentive: str | None = None, name: str | None = None
) -> Scenario:
    """Read one LLM-Deliberation game folder; `incentive` overrides every party's persona folder and
    `name` the scenario name (default: the folder name as a slug)."""
    directory = Path(directory)
    if not directory.is_dir():
        raise _fail(directory, "", "a game folder", "no such folder")
    parties = read_config(directory / "config.txt")
    scores = {p.file: read_scores(directory / "scores_files" / f"{p.file}.txt") for p in parties}
    options = _issue_options(directory, scores)
    issue_names, option_names, description = read_global(directory / "global_instructions.txt")
    opening = read_deal(directory / "initial_deal.txt", options)
    groups = []
    for party in parties:
        points = dict(zip(options, scores[party.file][0], strict=True))
        persona = read_persona(_persona_file(directory, party, incentive or party.incentive), points)
        groups.append({
            "id": party.file, "name": party.display, "share": 1 / len(parties),
            "reward": {"kind": "additive", "points": points}, "reservation": scores[party.file][1],
            "persona": persona, "veto": party.role in ("p1", "p2"),
        })
    data: dict[str, Any] = {
        "name": name or re.sub(r"[^a-z0-9]+", "-", directory.name.lower()).strip("-") or "llm-deliberation",
        "description": description or f"LLM-Deliberation game '{directory.name}', {len(parties)} parties.",
        "source": f"{CITATION}; game folder '{directory.name}'",
        "space": {"kind": "discrete", "issues": [
            {"id": issue, "name": issue_names.get(issue, f"Issue {issue}"), "options": codes,
             "option_names": [option_names.get(code, code) for code in codes]}
            for issue, codes in options.items()]},
        "groups": groups,
        "agreement": {"rule": "quorum", "min_accept": len(parties) - 1},
        "rounds": ROUNDS,
        "opening": {"speaker": next(p.file for p in parties if p.role == "p1"), "proposal": opening},
        "epsilon": 0.0,
    }
    return validate_scenario(data, str(directory))


def scenario_yaml(scenario: Scenario) -> str:
    """The scenario as YAML text under a header citing the source game."""
    return dump_scenario(
        scenario,
        f"Imported from {REPOSITORY} (https://github.com/{REPOSITORY}), MIT licence; {PAPER}. "
        "p1's unanimity bonus of the original game is not part of any reward. Generated by "
        "dialectic.scenario.importers.llm_deliberation; regenerate rather than edit.",
    )


def write_scenario_yaml(scenario: Scenario, path: Path) -> None:
    Path(path).write_text(scenario_yaml(scenario), encoding="utf-8")
