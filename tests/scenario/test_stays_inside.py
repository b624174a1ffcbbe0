"""Nothing reaches beyond loopback, nothing outside the project runs (issue 12, item 5; docs/limits.md, "What
stays inside"): servers bind to 127.0.0.1 unless told otherwise; paths named inside scenario, card, suite and
transcript files resolve inside the file's folder, the project or a folder of DIALECTIC_ALLOW (`../` escapes
and absolute paths outside are located errors); prompt templates are string.Template with known $names only,
so a template cannot read attributes, files or the environment."""

from __future__ import annotations

import inspect
import json
import string
import tempfile
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from dialectic.backends.serve import ServeOptions, build_servers
from dialectic.backends.server import ServerSpec, chat_server, reward_server
from dialectic.bounded import ALLOW_ENV
from dialectic.cli import app, serve_command
from dialectic.scenario import ScenarioError, load_scenario
from dialectic.strategies.llm import PromptError, load_prompt
from dialectic.strategies.llm._prompt import PromptTemplate
from dialectic.suite import SuiteError, load_suite
from dialectic.transcripts._format import read_transcript
from dialectic.transcripts._import import scenario_path_for
from dialectic.view.command import view_command
from tests.conftest import ROOT, SCENARIOS

runner = CliRunner()
LEARNED = """name: escape
space: {kind: discrete, issues: [{id: a, options: [x, y]}]}
groups:
  - {id: g1, share: 0.5, reward: {kind: learned, model: MODEL, component: 0}, reservation: 0}
  - {id: g2, share: 0.5, reward: {kind: additive, points: {a: [0, 1]}}, reservation: 0}
rounds: 3
"""


# servers bind to loopback -----------------------------------------------------------------------------------


def test_the_vllm_launcher_binds_to_loopback_unless_told() -> None:
    assert ServerSpec(model="/m").host == "127.0.0.1"
    for server in (chat_server("/m/chat", device="cpu", port=1), reward_server("/m/r", {}, device="cpu", port=1)):
        argv = server.spec.command()
        assert argv[argv.index("--host") + 1] == "127.0.0.1"
    told = chat_server("/m/chat", device="cpu", port=1, host="0.0.0.0").spec.command()
    assert told[told.index("--host") + 1] == "0.0.0.0"


def test_dialectic_serve_defaults_to_loopback() -> None:
    assert inspect.signature(serve_command).parameters["host"].default == "127.0.0.1"
    assert ServeOptions().host == "127.0.0.1"
    servers = build_servers(ServeOptions(chat_model="/m/chat", reward_model="/m/reward"), "cpu")
    for server in servers.values():
        argv = server.spec.command(8000)
        assert argv[argv.index("--host") + 1] == "127.0.0.1"
    help_text = " ".join(runner.invoke(app, ["serve", "--help"], env={"COLUMNS": "200"}).output.split())
    assert "--host" in help_text and "127.0.0.1" in help_text
    assert inspect.signature(view_command).parameters["host"].default == "127.0.0.1"


# paths named inside files -----------------------------------------------------------------------------------


@pytest.mark.parametrize("model", ["../../etc", "/etc", "../../../../../../../../etc/passwd"])
def test_a_learned_model_outside_is_refused_located(tmp_path: Path, model: str) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text(LEARNED.replace("MODEL", model), encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(scenario)
    [error] = caught.value.errors
    assert error.file == str(scenario) and error.path == "groups[0].reward.model"
    assert "inside the file's folder" in error.expected and ALLOW_ENV in error.expected
    assert error.found.startswith(f"{model!r} (resolves to /")
    result = runner.invoke(app, ["validate", str(scenario)])
    assert result.exit_code == 2 and "groups[0].reward.model: expected a model directory inside" in result.output
    assert "Traceback" not in result.output


def test_a_folder_of_dialectic_allow_is_allowed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text(LEARNED.replace("MODEL", "/etc"), encoding="utf-8")
    monkeypatch.setenv(ALLOW_ENV, "/etc")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(scenario)
    assert all("inside the file's folder" not in e.expected for e in caught.value.errors)  # /etc is no model


def test_a_judge_outside_is_refused_too(tmp_path: Path) -> None:
    scenario = tmp_path / "s.yaml"
    data = yaml.safe_load(LEARNED.replace("MODEL", "m"))
    data["groups"][1]["judge"] = {"kind": "learned", "model": "/etc", "component": 0}
    scenario.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"groups\[1\]\.judge\.model: expected a model directory inside"):
        load_scenario(scenario)


def suite(folder: Path, **fields: object) -> Path:
    path = folder / "suite.yaml"
    data = {"name": "s", "description": "d", "root": str(ROOT), "seeds": 1,
            "entries": [{"scenarios": ["scenarios/majority-51-49.yaml"], "strategies": ["conceder"]}], **fields}
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_a_suite_root_outside_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SuiteError, match=r"suite.yaml: root: expected a folder inside the file's folder .*found "
                                         r"'/etc' \(resolves to /etc\)"):
        load_suite(suite(tmp_path, root="/etc"))


@pytest.mark.parametrize("pattern", ["../../../../../../../etc/*", "/etc/*.conf", "/etc/passwd",
                                     "scenarios/../../../../../../etc/**"])
def test_a_suite_glob_escaping_its_root_is_refused(tmp_path: Path, pattern: str) -> None:
    entries = [{"scenarios": [pattern], "strategies": ["conceder"]}]
    with pytest.raises(SuiteError) as caught:
        load_suite(suite(tmp_path, entries=entries))
    [error] = caught.value.errors
    assert error.path == "entries[0].scenarios[0]" and "inside the suite's root" in error.expected
    assert "(reaches /etc" in error.found


def test_a_suite_glob_following_a_link_out_is_refused(tmp_path: Path) -> None:
    outside = Path(tempfile.mkdtemp(prefix="dialectic-outside-", dir="/var/tmp"))
    (outside / "x.yaml").write_text((SCENARIOS / "majority-51-49.yaml").read_text())
    (tmp_path / "root").mkdir()
    (tmp_path / "root" / "out").symlink_to(outside)
    entries = [{"scenarios": ["out/*.yaml"], "strategies": ["conceder"]}]
    with pytest.raises(SuiteError, match=r"entries\[0\]\.scenarios\[0\]: expected a path or glob inside"):
        load_suite(suite(tmp_path, root="root", entries=entries))


def test_a_suite_card_file_outside_is_refused(tmp_path: Path) -> None:
    entries = [{"scenarios": ["scenarios/majority-51-49.yaml"], "strategies": ["/etc/card.yaml"]}]
    with pytest.raises(SuiteError, match=r"entries\[0\]\.strategies\[0\]: expected a path or glob inside"):
        load_suite(suite(tmp_path, entries=entries))


def test_shipped_files_still_load() -> None:
    for name in ("smoke", "core", "minority", "llm"):
        assert load_suite(name).cells
    result = runner.invoke(app, ["validate", *map(str, sorted(SCENARIOS.glob("*.yaml")))])
    assert result.exit_code == 0, result.output


def test_a_transcript_naming_a_scenario_outside_is_refused(tmp_path: Path) -> None:
    for named in ("/etc/passwd", "../../../../../../../etc/passwd"):
        path = tmp_path / "talk.jsonl"
        path.write_text(json.dumps({"scenario": named}) + "\n", encoding="utf-8")
        with pytest.raises(ScenarioError, match=r"talk.jsonl: line 1, field scenario: expected a scenario file "
                                                r"inside the file's folder"):
            scenario_path_for(read_transcript(path), None)


# prompt templates -------------------------------------------------------------------------------------------


def template(folder: Path, body: str) -> str:
    path = folder / "t.md"
    path.write_text(body, encoding="utf-8")
    load_prompt.cache_clear()
    return str(path)


def test_a_template_outside_the_project_is_refused() -> None:
    outside = Path(tempfile.mkdtemp(prefix="dialectic-outside-", dir="/var/tmp"))
    with pytest.raises(PromptError, match=r"expected a prompt template inside .*found a file outside them"):
        load_prompt(template(outside, "[system]\nx\n[user]\ny\n"))


@pytest.mark.parametrize("body", ["${group.__class__.__init__.__globals__}", "${persona[0]}", "$HOME",
                                  "${os.environ}"])
def test_a_template_reaching_for_attributes_or_the_environment_is_refused(tmp_path: Path, body: str) -> None:
    with pytest.raises(PromptError, match=r"invalid placeholder|unknown fields"):
        load_prompt(template(tmp_path, f"[system]\nYou are $group.\n[user]\n{body}\n"))


def test_braces_and_dollars_in_values_stay_literal(tmp_path: Path) -> None:
    body = ("[system]\nYou are $group. {group.__class__.__init__.__globals__} {{ ''.__class__.__mro__ }}"
            " {os.environ}\n[user]\n$persona\n")
    loaded = load_prompt(template(tmp_path, body))
    assert isinstance(loaded, PromptTemplate) and isinstance(loaded.system, string.Template)
    system, user = loaded.render({"group": "g1", "persona": "I live in $HOME and read {os.environ} ${HOME}"})
    assert system["content"] == ("You are g1. {group.__class__.__init__.__globals__} {{ ''.__class__.__mro__ }} "
                                 "{os.environ}")
    assert user["content"] == "I live in $HOME and read {os.environ} ${HOME}"


def test_a_card_with_a_bad_template_is_refused_located(tmp_path: Path) -> None:
    prompt = template(tmp_path, "[system]\n${group.__class__}\n[user]\nx\n")
    card = tmp_path / "card.yaml"
    card.write_text(yaml.safe_dump({"name": "bad-prompt", "description": "x", "cast": {
        "default": {"policy": "llm", "params": {"prompt": prompt}}}}), encoding="utf-8")
    result = runner.invoke(app, ["run", str(SCENARIOS / "majority-51-49.yaml"), "--strategy", str(card)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "card.yaml: cast.default.params.prompt" in result.output and "invalid placeholder" in result.output
