#!/usr/bin/env python3
"""Turn bench/results/latest.json into docs/benchmarks.md and docs/benchmarks.png.

  .venv/bin/python bench/report.py [RESULTS_JSON]

Every number on the page comes from the JSON (the "before" table from
bench/results/before-template-changes.json), so the page can be regenerated at any time
without rerunning the benchmark. `facts` turns the JSON into plain data, bench/page.md.j2 holds
the words, matplotlib draws the chart. Nothing here is per framework: the frameworks are the
JSON's, and every target applies to each of them alike.
"""

from __future__ import annotations

import json
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
        return f"{self.label}, {self.unit} ({'lower' if self.lower_is_better else 'higher'} is better)"


METRICS = [
    Metric("cold", "cold", "seconds", "Cold build", "s", True),
    Metric("rebuild", "rebuild", "seconds", "Rebuild after a one-line code change", "s", True),
    Metric("bytes", "cold", "bytes_added", "Bytes added over the base image", "MB", True, 1 / MB, 3),
    Metric("start", "runtime", "start_to_200_s", "Start → first 200 on /health", "s", True),
    Metric("run", "runtime", "docker_run_return_s", "of which `docker run -d` itself", "s", True),
    Metric("idle", "runtime", "idle_memory_bytes", "Idle memory before load", "MiB", True, 1 / MIB, 1),
    Metric("stop", "runtime", "stop_s", "`docker stop` → exited", "s", True),
    Metric("rps", "runtime", "rps", "Requests/s on / (wrk)", "req/s", False, 1.0, 0),
    Metric("p99", "runtime", "p99_ms", "p99 latency on / (wrk)", "ms", True, 1.0, 1),
]
BY_KEY = {metric.key: metric for metric in METRICS}
# Targets on template ÷ tutorial of the medians (at most this for lower-is-better metrics, at
# least this for requests/s), and absolute ones for the template, in seconds.
RATIO_TARGETS = {"rebuild": 1 / 15, "cold": 0.5, "bytes": 0.85, "rps": 1.5, "p99": 1.0}
LIMITS_S = {"start": 1.0, "stop": 1.0}
# The chart's bars: metric and its label under the bars.
CHART_BARS = {"cold": "cold build", "rebuild": "rebuild after\ncode change", "bytes": "bytes added",
              "start": "start → 200", "stop": "docker stop", "idle": "idle memory", "rps": "requests/s",
              "p99": "p99 latency"}  # fmt: skip


# ---- numbers ---------------------------------------------------------------------------------


def runs(data: dict, framework: str, variant: str, phase: str) -> list[dict]:
    return data["frameworks"][framework]["variants"][variant].get(phase, [])


def values(data: dict, framework: str, variant: str, metric: Metric) -> list[float]:
    found = runs(data, framework, variant, metric.phase)
    if metric.key == "bytes" and not found:  # no cold phase: the rebuilt images have the same size
        found = runs(data, framework, variant, "rebuild")
    return [run[metric.field] * metric.scale for run in found if metric.field in run]


def runtime_field(data: dict, framework: str, variant: str, field: str) -> list:
    return [run[field] for run in runs(data, framework, variant, "runtime") if field in run]


def median(numbers: list[float]) -> float | None:
    return statistics.median(numbers) if numbers else None


def ratio(data: dict, framework: str, metric: Metric, baseline: str) -> float | None:
    mine = median(values(data, framework, "template", metric))
    theirs = median(values(data, framework, baseline, metric))
    return None if mine is None or not theirs else mine / theirs


def fmt(number: float | None, digits: int) -> str:
    return "–" if number is None else f"{number:,.{digits}f}"


def cell(numbers: list[float], digits: int) -> str:
    if len(numbers) < 2:
        return fmt(numbers[0] if numbers else None, digits)
    return f"**{fmt(median(numbers), digits)}** ({fmt(min(numbers), digits)}–{fmt(max(numbers), digits)})"


def fmt_ratio(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}" if value >= 0.1 else f"{value:.3f}"


# ---- targets ---------------------------------------------------------------------------------


def row(metric: Metric, wanted: str, measured: str = "not measured", met: bool | None = None) -> dict:
    return {"target": metric.label, "wanted": wanted, "measured": measured, "met": met}


def ratio_target(data: dict, framework: str, metric: Metric, limit: float) -> dict:
    """Template ÷ tutorial of the medians against its limit."""
    lower = metric.lower_is_better
    wanted = f"{'≤' if lower else '≥'} {fmt_ratio(limit)}× the tutorial"
    value = ratio(data, framework, metric, "tutorial")
    if value is None:
        return row(metric, wanted)
    shown = f"{fmt_ratio(value)}× the tutorial"
    if lower and value > 0:
        shown += f" ({1 / value:.1f}× better)" if value <= 1 else f" ({value:.2f}× worse)"
    return row(metric, wanted, shown, value <= limit if lower else value >= limit)


def limit_target(data: dict, framework: str, metric: Metric, limit: float) -> dict:
    """The template's median in seconds against its limit; a stop must also exit 0."""
    numbers = values(data, framework, "template", metric)
    codes = runtime_field(data, framework, "template", "exit_code") if metric.key == "stop" else None
    wanted = f"≤ {limit:g} s" + (", exit code 0" if codes is not None else "")
    if not numbers:
        return row(metric, wanted)
    over = sum(number > limit for number in numbers)
    measured = f"{median(numbers):.2f} s median (max {max(numbers):.2f}"
    measured += f"; {over} of {len(numbers)} runs over {limit:g} s)" if over else ")"
    met = median(numbers) <= limit
    if codes is not None:
        measured += f", exit codes {sorted(set(codes))}"
        met = met and set(codes) == {0} and len(codes) == len(numbers)
    return row(metric, wanted, measured, met)


def targets(data: dict) -> dict:
    rows = [
        {"framework": framework, **found}
        for framework in data["frameworks"]
        for found in [
            *(ratio_target(data, framework, BY_KEY[key], limit) for key, limit in RATIO_TARGETS.items()),
            *(limit_target(data, framework, BY_KEY[key], limit) for key, limit in LIMITS_S.items()),
        ]
    ]
    return {
        "rows": rows,
        "met": sum(found["met"] is True for found in rows),
        "missed": sum(found["met"] is False for found in rows),
    }


# ---- the page --------------------------------------------------------------------------------


def brief(error: str) -> str:
    """An error on one line, its start (what failed) and its end (why), without backticks."""
    flat = " ".join(error.replace("`", "'").split())
    return flat if len(flat) <= 300 else f"{flat[:100]} … {flat[-200:]}"


def framework_facts(data: dict, framework: str) -> dict:
    """One framework's results table, its commands and its packages."""
    info = data["frameworks"][framework]
    command = {variant: " ".join(found) for variant, found in info.get("command", {}).items()}
    return {
        "name": framework,
        "rows": [
            {
                "title": metric.title,
                "cells": [cell(values(data, framework, v, metric), metric.digits) for v in VARIANTS],
                "ratios": [fmt_ratio(ratio(data, framework, metric, b)) for b in BASELINES],
            }
            for metric in METRICS
        ],
        "exit_codes": [
            ", ".join(map(str, sorted(set(runtime_field(data, framework, v, "exit_code"))))) or "–"
            for v in VARIANTS
        ],
        "errors": [
            f"{sum(r.get('socket_errors', 0) + r.get('non_2xx', 0) for r in runs(data, framework, v, 'runtime')):,}"
            for v in VARIANTS
        ],
        "failures": [
            {"variant": LABELS[v], "count": len(errors), "error": brief(errors[0])}
            for v in VARIANTS
            if (errors := runtime_field(data, framework, v, "error"))
        ],
        "pins": [f"{name} {version}" for name, version in sorted(info["versions"].items())],
        "commands": [command.get(v, "–") for v in VARIANTS],
        "app_dir": [info.get("app_dir", {}).get(v, []) for v in VARIANTS],
    }


def before_facts(data: dict, before: dict) -> dict:
    """The template's medians before and after its changes, for the frameworks in both runs."""
    metrics = [BY_KEY[key] for key in ("cold", "rebuild", "bytes", "start", "stop", "rps", "p99")]
    return {
        "started": before["started"][:16].replace("T", " "),
        "runs": before["settings"]["runs"],
        "wrk_s": before["settings"]["wrk"]["duration_s"],
        "note": before.get("note") or "",
        "columns": [f"{metric.label}, {metric.unit}" for metric in metrics],
        "rows": [
            {
                "framework": framework,
                "cells": [
                    [fmt(median(values(run, framework, "template", m)), m.digits) for run in (before, data)]
                    for m in metrics
                ],
            }
            for framework in data["frameworks"]
            if framework in before["frameworks"]
        ],
    }


def facts(data: dict, before: dict | None) -> dict:
    """Everything the page shows, as plain data; bench/page.md.j2 adds the words."""
    settings = data["settings"]
    rebuilds = [v for fw in data["frameworks"] for v in values(data, fw, "tutorial", BY_KEY["rebuild"])]
    rebuild_range = dict.fromkeys(f"{f(rebuilds):.1f}" for f in (min, max)) if rebuilds else ["–"]
    return {
        "run": {**data, "minutes": f"{data['duration_s'] / 60:.0f}", "note": data.get("note") or ""},
        "labels": [LABELS[v] for v in VARIANTS],
        "targets": targets(data),
        "tutorial_rebuild": "–".join(rebuild_range),
        "frameworks": [framework_facts(data, framework) for framework in data["frameworks"]],
        "before": before_facts(data, before) if before else None,
        "settings": settings,
        "idle": settings.get("idle_memory"),
        "run_env": ", ".join(f"{fw}: {', '.join(names)}" for fw, names in settings["run_env"].items()),
        "machine": {**data["machine"], "memory_gib": f"{data['machine']['memory_bytes'] / 2**30:.1f}"},
        "versions": data["versions"],
        "base_image_mb": f"{settings['base_image_bytes'] / MB:.1f}",
        "template": data["template"],
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
    return environment.get_template("page.md.j2").render(facts(data, before))


# ---- the chart -------------------------------------------------------------------------------


def better(value: float | None, metric: Metric) -> float:
    """How many times better the template is (> 1: better, whatever the metric's direction)."""
    return 0 if not value else 1 / value if metric.lower_is_better else value


def chart(data: dict, path: Path) -> None:
    """Two panels (against each baseline) of how many times better the template is, per metric."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    frameworks = list(data["frameworks"])
    width = 0.8 / max(1, len(frameworks))
    figure, axes = plt.subplots(1, 2, figsize=(16, 5.2), sharey=True)
    for axis, baseline in zip(axes, BASELINES, strict=True):
        for index, framework in enumerate(frameworks):
            heights = [better(ratio(data, framework, BY_KEY[k], baseline), BY_KEY[k]) for k in CHART_BARS]
            offset = (index - (len(frameworks) - 1) / 2) * width
            bars = axis.bar([x + offset for x in range(len(CHART_BARS))], heights, width, label=framework)
            for bar, height in zip(bars, heights, strict=True):
                if height:
                    axis.annotate(f"{height:.1f}×" if height < 10 else f"{height:.0f}×",
                                  (bar.get_x() + bar.get_width() / 2, height), ha="center", va="bottom",
                                  fontsize=7, rotation=90, xytext=(0, 2), textcoords="offset points")  # fmt: skip
        axis.axhline(1.0, color="black", linewidth=0.8)
        if baseline == "tutorial":
            for x, key in enumerate(CHART_BARS):
                if key in RATIO_TARGETS:
                    goal = better(RATIO_TARGETS[key], BY_KEY[key])
                    axis.hlines(goal, x - 0.45, x + 0.45, colors="red", linestyles="dashed", linewidth=1.2)
            axis.plot([], [], color="red", linestyle="dashed", label="target")
        axis.set_yscale("log")
        axis.set_ylim(0.2, 40)
        axis.yaxis.set_major_locator(FixedLocator([0.25, 0.5, 1, 2, 5, 10, 20, 50]))
        axis.yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"{y:g}×"))
        axis.yaxis.set_minor_locator(NullLocator())
        axis.set_xticks(range(len(CHART_BARS)), list(CHART_BARS.values()), fontsize=9)
        axis.set_title(f"Template vs the {LABELS[baseline]} baseline")
        axis.grid(axis="y", which="both", alpha=0.3)
    axes[0].set_ylabel("times better than the baseline (log scale)\n> 1: the template is better")
    axes[0].legend(fontsize=8, loc="upper right")
    figure.suptitle(
        "Template ÷ baseline, medians; times, bytes, memory and latency inverted (baseline ÷ template) "
        f"so that > 1 is better everywhere — {data['started'][:10]}, {data['settings']['runs']} alternating runs",
        fontsize=10,
    )
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


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
