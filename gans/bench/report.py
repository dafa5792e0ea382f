"""The bench's outputs: ``<out>/<dataset>/table.csv``, ``table.md``, ``table_seeds.csv`` (a row per model, code
method and training seed), figures, ``summary.json``, and ``<out>/README.md``."""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

import numpy as np
import torch
from torchvision.utils import make_grid

from fractaldream.store import write_atomic
from gans.bench import correspondence, distribution
from gans.bench.columns import TRAINING, Column
from gans.bench.correspondence import shown


#: Beside a column's key, the bounds of its interval: ``<key>_low`` and ``<key>_high``.
BOUNDS = ("_low", "_high")


def declared_columns() -> list[Column]:
    """Every column a row may fill, in table order."""
    return TRAINING + distribution.COLUMNS + correspondence.columns()


def filled(value) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def columns(rows: list[dict]) -> list[Column]:
    """The table's columns: those declared for the table that some row fills."""
    keys = {k for row in rows for k, v in row.items() if filled(v)}
    return [c for c in declared_columns() if c.in_table and c.key in keys]


def check_declared(rows: list[dict]) -> None:
    declared = {c.key + bound for c in declared_columns() for bound in ("", *BOUNDS)}
    undeclared = sorted({k for row in rows for k in row} - declared)
    if undeclared:
        raise ValueError(f"result keys no module declares as a column: {', '.join(undeclared)}")


def fmt(value) -> str:
    if not filled(value):
        return ""
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) >= 100 else f"{value:.3f}"
    return str(value)


def cell(row: dict, key: str) -> str:
    """A value, with its 95% interval where the row has one: ``0.512 [0.49, 0.53]``."""
    low, high = row.get(key + BOUNDS[0]), row.get(key + BOUNDS[1])
    if filled(low) and filled(high):
        return f"{fmt(row.get(key))} [{low:.2f}, {high:.2f}]"
    return fmt(row.get(key))


def table_csv(rows: list[dict]) -> bytes:
    keys = list(dict.fromkeys(k for row in rows for k in row))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=keys, restval="")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode()


def table_md(rows: list[dict]) -> str:
    cols = columns(rows)
    lines = ["| " + " | ".join(c.header for c in cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(cell(row, c.key) for c in cols) + " |" for row in rows]
    return "\n".join(lines) + "\n"


# -- figures ----------------------------------------------------------------------------------
def _grid(images: torch.Tensor, nrow: int = 8) -> np.ndarray:
    return make_grid(images[: nrow * nrow], nrow=nrow, padding=1, pad_value=0.5).permute(1, 2, 0).numpy()


def _save_figure(fig, path: Path) -> None:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    write_atomic(path, buffer.getvalue())


def samples_figure(figures: dict, path: Path) -> None:
    import matplotlib.pyplot as plt

    panels = [("real", figures["real"])] + [(m, f["samples"]) for m, f in figures.items() if m != "real"]
    cols = min(4, len(panels))
    rows = -(-len(panels) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 3.4 * rows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, (name, images) in zip(axes.flat, panels):
        ax.imshow(_grid(images))
        ax.set_title(name)
    _save_figure(fig, path)


def direct_figure(figures: dict, path: Path) -> bool:
    """Rows: FD(v) for 8 vectors, then G(v) of each model whose latent has v's size."""
    import matplotlib.pyplot as plt

    models = [(m, f["direct"]) for m, f in figures.items() if m != "real" and "direct" in f]
    if not models:
        return False
    rendered = models[0][1][0]
    panels = [("FD(v)", rendered)] + [(f"{m}: G(v)", generated) for m, (_, generated) in models]
    fig, axes = plt.subplots(len(panels), 1, figsize=(8, 1.25 * len(panels)), squeeze=False)
    for ax, (name, images) in zip(axes[:, 0], panels):
        ax.imshow(_grid(images, nrow=len(images)))
        ax.set_ylabel(name, rotation=0, ha="right", va="center")
        ax.set_xticks([])
        ax.set_yticks([])
    _save_figure(fig, path)
    return True


def _errors(row: dict, key: str) -> tuple[float, float]:
    """(below, above) the estimate for an error bar; zero where the row has no interval."""
    low, high = row.get(key + BOUNDS[0]), row.get(key + BOUNDS[1])
    if not (filled(low) and filled(high)):
        return 0.0, 0.0
    return max(row[key] - low, 0.0), max(high - row[key], 0.0)


def _bars(ax, labels: list[str], rows: list[dict], keys: list[str], title: str, ylabel: str, floor: float) -> None:
    """Grouped bars: one group per key, one bar per row, with the rows' 95% intervals as error bars."""
    import matplotlib.pyplot as plt

    colours = plt.get_cmap("tab20").colors
    x = np.arange(len(keys))
    width = 0.8 / len(rows)
    for i, row in enumerate(rows):
        heights = [max(row[k], floor) for k in keys]
        errors = np.array([_errors(row, k) for k in keys]).T
        ax.bar(x + i * width, heights, width, yerr=errors, capsize=2, label=labels[i], color=colours[i % len(colours)])
    ax.set_xticks(x + 0.4 - width / 2, [shown(k.removeprefix("r2_").removeprefix("direct_")) for k in keys])
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    ax.axhline(0, color="black", linewidth=0.5)
    ax.set_ylim(floor, 1.0)
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=3)  # below: bars stay visible


def r2_figure(rows: list[dict], targets, path: Path) -> bool:
    """Left: GBT-probe R^2 of codes of real images per identifiable target (ceiling and floors beside the
    models). Right: R^2 of the ceiling's reading of G(v) against the targets of the held-out v."""
    import matplotlib.pyplot as plt

    coded = [r for r in rows if targets and filled(r.get(f"r2_{targets[0]}"))]
    rendered = list({r["model"]: r for r in rows if targets and filled(r.get(f"r2_direct_{targets[0]}"))}.values())
    panels = [(scored, title, prefix) for scored, title, prefix in (
        (coded, "codes of real images -> targets (GBT probe, 95% CI)", "r2_"),
        (rendered, "ceiling(G(v)) -> targets of held-out v", "r2_direct_")) if scored]
    if not panels:
        return False
    fig, axes = plt.subplots(1, len(panels), figsize=(7 * len(panels), 4.2), squeeze=False)
    for ax, (scored, title, prefix) in zip(axes[0], panels):
        labels = [f"{r['model']} [{r['codes']}]" if prefix == "r2_" else r["model"] for r in scored]
        _bars(ax, labels, scored, [f"{prefix}{t}" for t in targets], title, "held-out R$^2$ (clipped at -0.1)", -0.1)
    _save_figure(fig, path)
    return True


def renderer_figure(rows: list[dict], path: Path) -> bool:
    """The renderer metrics of G(v) on held-out v, models beside the baselines, with 95% intervals."""
    import matplotlib.pyplot as plt

    scored = list({r["model"]: r for r in rows if filled(r.get("iou_matched_gain"))}.values())
    if not scored:
        return False
    fig, ax = plt.subplots(figsize=(8, 4.2))
    _bars(ax, [r["model"] for r in scored], scored, ["iou_matched_gain", "retrieval"],
          "G(v) against FD(v) on held-out v: coverage-matched IoU gain, retrieval top-1 of 10 (chance 0.1)",
          "score", min(0.0, min(r["iou_matched_gain"] for r in scored)))
    _save_figure(fig, path)
    return True


# -- README -------------------------------------------------------------------------------------
def _with_interval(row: dict | None, key: str) -> str:
    return (cell(row, key) if row else "") or "n/a"


def findings(rows: list[dict], summary: dict) -> list[str]:
    """Plain statements read off the table (no judgement beyond the thresholds written here)."""
    targets = summary.get("targets") or []
    by_name = {r["model"]: r for r in rows}
    ceiling = by_name.get("ceiling (regressor)")
    lines = []
    if summary["settings"].get("quick"):
        lines.append("This is a `--quick` smoke test (tiny data, a few training steps): the numbers test the pipeline "
                     "and mean nothing.")
    if ceiling is None:
        return lines
    lines.append("Ceiling (held-out R^2 of image -> identifiable targets, read by a regressor trained on the stream): "
                 + ", ".join(f"{shown(t)} {ceiling[f'r2_direct_{t}']:.2f}" for t in targets) + ".")
    models = [r for r in rows if "steps" in r and filled(r.get("r2_nonlinear_mean"))]
    if models:
        best = max(models, key=lambda row: row["r2_nonlinear_mean"])
        lines.append(f"Best learned code: {best['model']} [{best['codes']}], mean GBT-probe R^2 over the targets "
                     f"{_with_interval(best, 'r2_nonlinear_mean')}, against {_with_interval(ceiling, 'r2_nonlinear_mean')} "
                     f"for the ceiling's codes and {_with_interval(by_name.get('random codes (floor)'), 'r2_nonlinear_mean')} "
                     f"for random codes.")
    if summary.get("fd_jumpiness") is not None:
        lines.append(f"Along straight v-paths FD itself changes unevenly (max step / mean step {summary['fd_jumpiness']:.2f}; "
                     "1 is even); \"path tracking\" is the correlation of G's step sizes with FD's (1: G changes where FD does).")
    for name in dict.fromkeys(r["model"] for r in rows if filled(r.get("iou_matched_gain"))):
        row = by_name[name]
        lines.append(f"{name}: coverage-matched IoU gain over shuffled pairs {_with_interval(row, 'iou_matched_gain')}, "
                     f"retrieval top-1 of 10 {_with_interval(row, 'retrieval')} (chance 0.1), plain IoU "
                     f"{_with_interval(row, 'iou')}.")
    return lines


#: A person's reading of a data set's results, written by hand beside its table; the README includes it.
NOTES = "NOTES.md"


def write_readme(out: Path) -> None:
    sections = ["# Benchmark results\n",
                "Written by `gans bench`; each table is reproduced by the command above it. Brackets hold 95% "
                "intervals: for a model trained with one seed, bootstrap intervals of the evaluation; for a model "
                "trained with several (column `seeds`), the Student-t interval of the mean over its seeds "
                "(mean +- t s / sqrt(n)), each seed's own row being in `table_seeds.csv`. FID appears only when pytorch-fid's Inception weights were available; FFD "
                "(Frechet distance on the features of the FDD ceiling regressor) needs no download. \"reg\" columns "
                "use the ceiling's features.\n"]
    for summary_path in sorted(out.glob("*/summary.json")):
        summary = json.loads(summary_path.read_text())
        dataset = summary_path.parent.name
        table = (summary_path.parent / "table.md").read_text()
        sections += [f"## {dataset}\n", f"```\n{summary['command']}\n```\n",
                     f"Machine: {summary['machine']}. Wall time: {summary['wall_minutes']:.1f} minutes.\n",
                     table]
        if summary.get("findings"):
            sections.append("What the numbers say:\n\n" + "\n".join(f"- {line}" for line in summary["findings"]) + "\n")
        notes = summary_path.parent / NOTES
        if notes.exists():
            sections.append(notes.read_text())
        for name, caption in (("samples.png", "Samples"), ("direct.png", "G(v) against FD(v)"),
                              ("renderer.png", "Renderer metrics on held-out v"), ("r2.png", "Per-target R^2")):
            if (summary_path.parent / name).exists():
                sections.append(f"![{caption}]({dataset}/{name})\n")
    write_atomic(out / "README.md", "\n".join(sections).encode())


def training_note(summary: dict) -> str:
    """What the model rows were trained with, beyond the command's defaults: the overrides and the seeds."""
    notes = []
    if summary.get("overrides"):
        notes.append("Every model trained with " + ", ".join(f"{k}={v}" for k, v in summary["overrides"].items())
                     + " (`--set`).")
    seeds = summary.get("training_seeds") or []
    if len(seeds) > 1:
        notes.append(f"Model rows: the mean over {len(seeds)} training seeds ({', '.join(map(str, seeds))}) with its "
                     "95% t-interval; one row per seed in table_seeds.csv.")
    return " ".join(notes)


def write_report(out: Path, dataset: str, rows: list[dict], figures: dict, summary: dict,
                 seed_rows: list[dict]) -> Path:
    """``rows``: the table (context rows, then one per model and code method); ``seed_rows``: one per model,
    code method and training seed."""
    folder = out / dataset
    folder.mkdir(parents=True, exist_ok=True)
    check_declared(rows + seed_rows)
    write_atomic(folder / "table.csv", table_csv(rows))
    write_atomic(folder / "table_seeds.csv", table_csv(seed_rows))
    note = training_note(summary)
    header = f"<!-- {summary['command']} -->\n\n" + (f"{note}\n\n" if note else "")
    write_atomic(folder / "table.md", (header + table_md(rows)).encode())
    samples_figure(figures, folder / "samples.png")
    direct_figure(figures, folder / "direct.png")
    renderer_figure(rows, folder / "renderer.png")
    r2_figure(rows, summary.get("targets") or [], folder / "r2.png")
    summary = {**summary, "findings": findings(rows, summary)}
    write_atomic(folder / "summary.json", json.dumps(summary, indent=2, default=str).encode())
    write_readme(out)
    return folder
