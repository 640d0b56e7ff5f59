#!/usr/bin/env python3
"""Turn bench/results/latest.json into docs/benchmarks.md and docs/benchmarks.png.

  .venv/bin/python bench/report.py [RESULTS_JSON]

Everything in the page that is a number comes from the JSON (and, for the "before the
template changes" table, from bench/results/before-template-changes.json when it exists),
so the page can be regenerated at any time without rerunning the benchmark. `facts` turns the
JSON into plain data (lists, dicts, formatted numbers), bench/page.md.j2 holds the page's
words, and matplotlib draws the chart.
"""

from __future__ import annotations

import json
import re
import statistics
import sys
from pathlib import Path
from typing import NamedTuple

import jinja2

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
DEFAULT_RESULTS = BENCH / "results" / "latest.json"
BEFORE_RESULTS = BENCH / "results" / "before-template-changes.json"
DOC = ROOT / "docs" / "benchmarks.md"
CHART = ROOT / "docs" / "benchmarks.png"

VARIANTS = ["template", "tutorial", "docker-init"]
BASELINES = ["tutorial", "docker-init"]
LABELS = {"template": "Template", "tutorial": "Tutorial", "docker-init": "docker init"}
MB = 1_000_000
MIB = 2**20
# The template's idle memory per container before the switch to granian (uvicorn for FastAPI,
# gunicorn for Flask and Django), measured by hand; Django's is the
# midpoint of the 160 to 190 MiB measured. The "Idle memory" target compares against these.
PREVIOUS_IDLE_MIB = {"fastapi": 96, "flask": 116, "django": 175, "none": 13}
RPS_TARGET = ["fastapi", "flask", "django"]  # the frameworks with a requests/s target
# The HTTP servers a run's pins can hold, in the order the template's server is looked up.
SERVERS = ["uvicorn", "gunicorn", "granian"]


class Metric(NamedTuple):
    key: str
    phase: str
    field: str
    label: str
    unit: str
    lower_is_better: bool
    scale: float = 1.0
    digits: int = 2

    @property
    def title(self) -> str:
        arrow = "lower is better" if self.lower_is_better else "higher is better"
        return f"{self.label}, {self.unit} ({arrow})"


METRICS = [
    Metric("cold", "cold", "seconds", "Cold build", "s", True),
    Metric("rebuild", "rebuild", "seconds", "Rebuild after a one-line code change", "s", True),
    Metric("bytes", "cold", "bytes_added", "Bytes added over python:3.14-slim", "MB", True, 1 / MB, 3),
    Metric("start", "runtime", "start_to_200_s", "Start → first 200 on /health", "s", True),
    Metric("run", "runtime", "docker_run_return_s", "of which `docker run -d` itself", "s", True),
    Metric("idle", "runtime", "idle_memory_bytes", "Idle memory before load", "MiB", True, 1 / MIB, 1),
    Metric("stop", "runtime", "stop_s", "`docker stop` → exited", "s", True),
    Metric("rps", "runtime", "rps", "Requests/s on / (wrk)", "req/s", False, 1.0, 0),
    Metric("p99", "runtime", "p99_ms", "p99 latency on / (wrk)", "ms", True, 1.0, 1),
]
BY_KEY = {metric.key: metric for metric in METRICS}


# ---- numbers ---------------------------------------------------------------------------------


def runs(data: dict, framework: str, variant: str, phase: str) -> list[dict]:
    return data["frameworks"][framework]["variants"][variant].get(phase, [])


def values(data: dict, framework: str, variant: str, metric: Metric) -> list[float]:
    found = runs(data, framework, variant, metric.phase)
    if metric.key == "bytes" and not found:  # no cold phase: the rebuilt images have the same size
        found = runs(data, framework, variant, "rebuild")
    return [run[metric.field] * metric.scale for run in found if metric.field in run]


def exit_codes(data: dict, framework: str, variant: str) -> list[int]:
    return [run["exit_code"] for run in runs(data, framework, variant, "runtime") if "exit_code" in run]


def failures(data: dict, framework: str, variant: str) -> list[str]:
    return [run["error"] for run in runs(data, framework, variant, "runtime") if "error" in run]


def median(numbers: list[float]) -> float | None:
    return statistics.median(numbers) if numbers else None


def ratio(data: dict, framework: str, metric: Metric, baseline: str) -> float | None:
    mine = median(values(data, framework, "template", metric))
    theirs = median(values(data, framework, baseline, metric))
    if mine is None or not theirs:
        return None
    return mine / theirs


def fmt(number: float | None, digits: int) -> str:
    if number is None:
        return "–"
    if digits == 0:
        return f"{number:,.0f}"
    return f"{number:,.{digits}f}"


def cell(numbers: list[float], digits: int) -> str:
    if not numbers:
        return "–"
    if len(numbers) == 1:
        return fmt(numbers[0], digits)
    return f"**{fmt(median(numbers), digits)}** ({fmt(min(numbers), digits)}–{fmt(max(numbers), digits)})"


def fmt_ratio(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.2f}" if value >= 0.1 else f"{value:.3f}"


# ---- targets ---------------------------------------------------------------------------------


def row(name: str, wanted: str, measured: str = "not measured", met: bool | None = None) -> dict:
    return {"target": name, "wanted": wanted, "measured": measured, "met": met}


# How a ratio below 1 reads, per metric ("1.4x smaller"); "faster" for the others.
RATIO_WORDS = {"bytes": ("smaller", "larger"), "p99": ("lower", "higher"), "idle": ("smaller", "larger")}


def ratio_target(data: dict, framework: str, key: str, name: str, wanted: str, test) -> dict:
    """A target on template ÷ tutorial of the medians."""
    value = ratio(data, framework, BY_KEY[key], "tutorial")
    if value is None:
        return row(name, wanted)
    shown = f"{fmt_ratio(value)}× the tutorial"
    if BY_KEY[key].lower_is_better and value > 0:
        better, worse = RATIO_WORDS.get(key, ("faster", "slower"))
        shown += f" ({1 / value:.1f}× {better})" if value <= 1 else f" ({value:.2f}× {worse})"
    return row(name, wanted, shown, test(value))


def stop_target(data: dict, framework: str) -> dict:
    stops = values(data, framework, "template", BY_KEY["stop"])
    codes = exit_codes(data, framework, "template")
    if not stops:
        return row("docker stop", "≤ 1 s, exit code 0")
    measured = f"{median(stops):.3f} s median (max {max(stops):.2f}{over(stops, 1.0)}), exit codes {sorted(set(codes))}"
    met = median(stops) <= 1.0 and set(codes) == {0} and len(codes) == len(stops)
    return row("docker stop", "≤ 1 s, exit code 0", measured, met)


def start_target(data: dict, framework: str) -> dict:
    limit = 2.0 if framework == "django" else 1.0
    starts = values(data, framework, "template", BY_KEY["start"])
    if not starts:
        return row("Start → 200", f"≤ {limit:.0f} s")
    measured = f"{median(starts):.2f} s median (max {max(starts):.2f}{over(starts, limit)})"
    return row("Start → 200", f"≤ {limit:.0f} s", measured, median(starts) <= limit)


def idle_target(data: dict, framework: str) -> dict:
    """Idle memory against the template's hand-measured figure from before the switch to granian."""
    previous = PREVIOUS_IDLE_MIB[framework]
    wanted = f"below {previous} MiB (the template before the change)"
    idle = values(data, framework, "template", BY_KEY["idle"])
    if not idle:
        return row("Idle memory: lower than before the change", wanted)
    now = median(idle)
    measured = f"{now:.1f} MiB median (max {max(idle):.1f}; {now / previous:.2f}× the {previous} MiB before)"
    return row("Idle memory: lower than before the change", wanted, measured, now < previous)


def targets(data: dict, framework: str) -> list[dict]:
    """Each target that applies to the framework: what was asked, what was measured, met or not."""

    def by_ratio(key: str, name: str, wanted: str, test) -> dict:
        return ratio_target(data, framework, key, name, wanted, test)

    rows = [
        by_ratio("rebuild", "Rebuild after a code change", "≥ 15× faster (≤ 0.067×)", lambda r: r <= 1 / 15),
        by_ratio("cold", "Cold build", "≥ 2× faster (≤ 0.5×)", lambda r: r <= 0.5),
        by_ratio("bytes", "Bytes added", "≤ 0.85× the tutorial", lambda r: r <= 0.85),
        stop_target(data, framework),
        start_target(data, framework),
    ]
    if framework in RPS_TARGET:
        rows.append(by_ratio("rps", "Requests/s", "≥ 1.5× the tutorial", lambda r: r >= 1.5))
    rows.append(by_ratio("p99", "p99 latency", "no worse than the tutorial (≤ 1.0×)", lambda r: r <= 1.0))
    if framework in PREVIOUS_IDLE_MIB:
        rows.append(idle_target(data, framework))
    return rows


def over(numbers: list[float], limit: float) -> str:
    """ "; 2 of 5 runs over 1 s" when some runs exceeded the limit, else nothing."""
    count = sum(number > limit for number in numbers)
    return f"; {count} of {len(numbers)} runs over {limit:g} s" if count else ""


def brief(error: str) -> str:
    """An error on one line, its start (what failed) and its end (why), without backticks."""
    flat = " ".join(error.replace("`", "'").split())
    return flat if len(flat) <= 300 else f"{flat[:100]} … {flat[-200:]}"


# ---- the page's data -------------------------------------------------------------------------


def facts(data: dict, before: dict | None) -> dict:
    """Everything the page shows, as plain data; bench/page.md.j2 adds the words."""
    settings = data["settings"]
    idle = settings.get("idle_memory")
    return {
        "run": {
            "date": data["started"][:10],
            "started": data["started"],
            "finished": data["finished"],
            "minutes": f"{data['duration_s'] / 60:.0f}",
            "runs": settings["runs"],
            "note": data.get("note") or "",
            "command": data["command"],
        },
        "servers": sorted(servers(data)),
        "targets": targets_facts(data),
        "results": [results_facts(data, framework) for framework in data["frameworks"]],
        "before": before_facts(data, before) if before else None,
        "compared": [server_facts(data, framework) for framework in data["frameworks"]],
        "gunicorn_pinned": "gunicorn" in data["frameworks"].get("flask", {}).get("versions", {}),
        "app_dir": app_dir_facts(data),
        "settings": settings,
        "poll_ms": f"{settings['poll_interval_s'] * 1000:.0f}",
        "idle": idle and {"wait": f"{idle['wait_s']:g}", "samples": idle["samples"]},
        "machine": {**data["machine"], "memory_gib": f"{data['machine']['memory_bytes'] / 2**30:.1f}"},
        "versions": data["versions"],
        "base_image_mb": f"{settings['base_image_bytes'] / MB:.1f}",
        "template": data["template"],
    }


def targets_facts(data: dict) -> dict:
    """The targets table, its tally, and which targets need the notes on why they were missed."""
    frameworks = list(data["frameworks"])
    rows = [{"framework": framework, **row} for framework in frameworks for row in targets(data, framework)]
    # Explained: every missed target, and a met one with a run over its limit.
    explain = {
        row["target"]
        for row in rows
        if row["met"] is False or (row["met"] and "runs over" in row["measured"])
    }
    rebuilds = [v for fw in frameworks for v in values(data, fw, "tutorial", BY_KEY["rebuild"])]
    return {
        "previous_idle": ", ".join(
            f"{fw} {mib} MiB" for fw, mib in PREVIOUS_IDLE_MIB.items() if fw in frameworks
        ),
        "rows": rows,
        "met": sum(row["met"] is True for row in rows),
        "missed": sum(row["met"] is False for row in rows),
        "explain": sorted(explain),
        "tutorial_rebuild": f"{min(rebuilds):.1f}–{max(rebuilds):.1f}" if rebuilds else "a few",
    }


def results_facts(data: dict, framework: str) -> dict:
    """One framework's results table: per metric, each variant's cell and the two ratios."""
    rows = [
        {
            "title": metric.title,
            "cells": [cell(values(data, framework, variant, metric), metric.digits) for variant in VARIANTS],
            "ratios": [fmt_ratio(ratio(data, framework, metric, baseline)) for baseline in BASELINES],
        }
        for metric in METRICS
    ]
    errors = [
        sum(
            run.get("socket_errors", 0) + run.get("non_2xx", 0)
            for run in runs(data, framework, variant, "runtime")
        )
        for variant in VARIANTS
    ]
    failed = {variant: failures(data, framework, variant) for variant in VARIANTS}
    return {
        "name": framework,
        "rows": rows,
        "exit_codes": [
            ", ".join(map(str, sorted(set(exit_codes(data, framework, v))))) or "–" for v in VARIANTS
        ],
        "errors": [f"{total:,}" for total in errors],
        "pins": pins(data, framework),
        "failures": [
            {"variant": LABELS[variant], "count": len(problems), "error": brief(problems[0])}
            for variant, problems in failed.items()
            if problems
        ],
    }


def pins(data: dict, framework: str) -> list[str]:
    return [
        f"{name} {version}" for name, version in sorted(data["frameworks"][framework]["versions"].items())
    ]


def before_facts(data: dict, before: dict) -> dict:
    """The template's medians before and after its changes, for the frameworks in both runs."""
    metrics = [BY_KEY[key] for key in ("cold", "rebuild", "bytes", "start", "stop", "rps", "p99")]

    def medians(framework: str, metric: Metric) -> list[str]:
        found = [median(values(run, framework, "template", metric)) for run in (before, data)]
        return [fmt(number, metric.digits) for number in found]

    return {
        "started": before["started"][:16].replace("T", " "),
        "runs": before["settings"]["runs"],
        "wrk_s": before["settings"]["wrk"]["duration_s"],
        "note": before.get("note") or "",
        "columns": [f"{metric.label}, {metric.unit}" for metric in metrics],
        "rows": [
            {"framework": framework, "cells": [medians(framework, metric) for metric in metrics]}
            for framework in data["frameworks"]
            if framework in before["frameworks"]
        ],
    }


def servers(data: dict) -> set[str]:
    """The HTTP servers among the run's pinned packages (uvicorn, gunicorn, granian)."""
    return {name for info in data["frameworks"].values() for name in info["versions"]} & set(SERVERS)


def server_facts(data: dict, framework: str) -> dict:
    """What serves the template (by its pins) and the baselines (by their command)."""
    pinned = data["frameworks"][framework]["versions"]
    command = baseline_command(data, framework)
    executable = command[0] if command else ""
    installed = executable and re.search(
        rf"\b{re.escape(executable)}==([\w.]+)", baseline_dockerfile(framework)
    )
    return {
        "framework": framework,
        "server": next((name for name in SERVERS if name in pinned), None),
        "granian": pinned.get("granian", ""),
        "wsgi": framework != "fastapi",
        "command": " ".join(command),
        "executable": executable,
        "installed": installed[1] if installed and executable not in pinned else "",
    }


def baseline_dockerfile(framework: str) -> str:
    return (BENCH / "baselines" / "tutorial" / f"{framework}.Dockerfile").read_text(encoding="utf-8")


def baseline_command(data: dict, framework: str) -> list[str]:
    """The tutorial baseline's command: as the run recorded it, else its Dockerfile's CMD today."""
    recorded = data["frameworks"][framework].get("command", {}).get("tutorial")
    if recorded:
        return recorded
    cmd = [line for line in baseline_dockerfile(framework).splitlines() if line.startswith("CMD ")]
    return json.loads(cmd[-1][4:]) if cmd else []


def app_dir_facts(data: dict) -> dict:
    """What each variant's image carries in /app, for the first framework."""
    first = next(iter(data["frameworks"]))
    listings = data["frameworks"][first].get("app_dir", {})
    return {
        "framework": first,
        "variants": [{"variant": LABELS[v], "files": listings.get(v, [])} for v in VARIANTS],
    }


def page(data: dict, before: dict | None) -> str:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(BENCH),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    environment.filters["squash"] = lambda text: " ".join(text.split())
    return environment.get_template("page.md.j2").render(facts(data, before))


# ---- the chart -------------------------------------------------------------------------------


def improvement(data: dict, framework: str, metric: Metric, baseline: str) -> float | None:
    """How many times better the template is: > 1 means better, whatever the metric's direction."""
    value = ratio(data, framework, metric, baseline)
    if value is None or value == 0:
        return None
    return 1 / value if metric.lower_is_better else value


# The chart's bars: metric, its label under the bars, and its target as times better than the
# tutorial (where it has one).
CHART_BARS = [
    ("cold", "cold build", 2.0),
    ("rebuild", "rebuild after\ncode change", 15.0),
    ("bytes", "bytes added", 1 / 0.85),
    ("start", "start → 200", None),
    ("stop", "docker stop", None),
    ("idle", "idle memory", None),
    ("rps", "requests/s", 1.5),
    ("p99", "p99 latency", 1.0),
]
COLOURS = ["#4C72B0", "#DD8452", "#55A868", "#8172B3"]


def chart(data: dict, path: Path) -> None:
    """Two panels (against each baseline) of how many times better the template is, per metric."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 2, figsize=(16, 5.2), sharey=True)
    for axis, baseline in zip(axes, BASELINES, strict=True):
        draw_bars(axis, data, baseline)
        axis.axhline(1.0, color="black", linewidth=0.8)
        if baseline == "tutorial":
            draw_targets(axis)
        draw_axes(axis, baseline)
    axes[0].set_ylabel("times better than the baseline (log scale)\n> 1: the template is better")
    axes[0].legend(fontsize=8, loc="upper right")
    figure.suptitle(
        "Template ÷ baseline, medians; times, bytes, memory and latency inverted (baseline ÷ template) so that > 1 is better "
        f"everywhere — {data['started'][:10]}, {data['settings']['runs']} alternating runs",
        fontsize=10,
    )
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def draw_bars(axis, data: dict, baseline: str) -> None:
    """One bar per framework and metric, labelled with its height."""
    frameworks = list(data["frameworks"])
    width = 0.8 / max(1, len(frameworks))
    for index, framework in enumerate(frameworks):
        heights = [improvement(data, framework, BY_KEY[key], baseline) or 0 for key, _, _ in CHART_BARS]
        positions = [x + (index - (len(frameworks) - 1) / 2) * width for x in range(len(CHART_BARS))]
        bars = axis.bar(positions, heights, width, label=framework, color=COLOURS[index % len(COLOURS)])
        for bar, height in zip(bars, heights, strict=True):
            if height:
                axis.annotate(f"{height:.1f}×" if height < 10 else f"{height:.0f}×",
                              (bar.get_x() + bar.get_width() / 2, height), ha="center", va="bottom",
                              fontsize=7, rotation=90, xytext=(0, 2), textcoords="offset points")  # fmt: skip


def draw_targets(axis) -> None:
    """A dashed red line at each metric's target, and its legend entry."""
    for x, (_, _, goal) in enumerate(CHART_BARS):
        if goal is not None:
            axis.hlines(goal, x - 0.45, x + 0.45, colors="red", linestyles="dashed", linewidth=1.2)
    label = f"target (rps: {', '.join(RPS_TARGET)}; p99: all)"
    axis.plot([], [], color="red", linestyle="dashed", label=label)


def draw_axes(axis, baseline: str) -> None:
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    axis.set_yscale("log")
    axis.set_ylim(0.2, 40)
    axis.yaxis.set_major_locator(FixedLocator([0.25, 0.5, 1, 2, 5, 10, 20, 50]))
    axis.yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"{y:g}×"))
    axis.yaxis.set_minor_locator(NullLocator())
    axis.set_xticks(range(len(CHART_BARS)), [name for _, name, _ in CHART_BARS], fontsize=9)
    axis.set_title(f"Template vs the {LABELS[baseline]} baseline")
    axis.grid(axis="y", which="both", alpha=0.3)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    results = Path(argv[0]) if argv else DEFAULT_RESULTS
    data = json.loads(results.read_text(encoding="utf-8"))
    before = None
    if BEFORE_RESULTS.exists() and BEFORE_RESULTS.resolve() != results.resolve():
        before = json.loads(BEFORE_RESULTS.read_text(encoding="utf-8"))
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(page(data, before), encoding="utf-8")
    chart(data, CHART)
    print(f"wrote {DOC.relative_to(ROOT)} and {CHART.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
