"""The bench's outputs: ``<out>/<dataset>/table.csv``, ``table.md``, figures, ``summary.json``, and ``<out>/README.md``."""

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


def declared_columns(factors) -> list[Column]:
    """Every column a row may fill, in table order."""
    return TRAINING + distribution.COLUMNS + correspondence.columns(factors)


def columns(rows: list[dict], factors) -> list[Column]:
    """The table's columns: those declared for the table that some row fills."""
    filled = {k for row in rows for k, v in row.items() if v is not None and not (isinstance(v, float) and math.isnan(v))}
    return [c for c in declared_columns(factors) if c.in_table and c.key in filled]


def check_declared(rows: list[dict], factors) -> None:
    declared = {c.key for c in declared_columns(factors)}
    undeclared = sorted({k for row in rows for k in row} - declared)
    if undeclared:
        raise ValueError(f"result keys no module declares as a column: {', '.join(undeclared)}")


def fmt(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) >= 100 else f"{value:.3f}"
    return str(value)


def table_csv(rows: list[dict]) -> bytes:
    keys = list(dict.fromkeys(k for row in rows for k in row))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=keys, restval="")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode()


def table_md(rows: list[dict], factors) -> str:
    cols = columns(rows, factors)
    lines = ["| " + " | ".join(c.header for c in cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(fmt(row.get(c.key)) for c in cols) + " |" for row in rows]
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


def r2_figure(rows: list[dict], factors, path: Path) -> bool:
    """Left: GBT-probe R^2 of learned codes (with ceiling and floors). Right: R^2 of the regressor's reading of G(v)."""
    import matplotlib.pyplot as plt

    panels = [
        ("codes of real images -> v (GBT probe)", "r2_", [r for r in rows if f"r2_{factors[0]}" in r and r.get("codes") != "v"]),
        ("regressor(G(v)) -> v (direct)", "r2_direct_",
         list({r["model"]: r for r in reversed(rows) if f"r2_direct_{factors[0]}" in r}.values())[::-1]),
    ] if factors else []
    panels = [p for p in panels if p[2]]
    if not panels:
        return False
    fig, axes = plt.subplots(1, len(panels), figsize=(7 * len(panels), 4.2), squeeze=False)
    colours = plt.get_cmap("tab20").colors
    x = np.arange(len(factors))
    for ax, (title, prefix, scored) in zip(axes[0], panels):
        width = 0.8 / len(scored)
        for i, row in enumerate(scored):
            with_codes = prefix == "r2_" and row.get("codes") not in (None, "-")
            label = f"{row['model']} [{row['codes']}]" if with_codes else row["model"]
            ax.bar(x + i * width, [max(row[f"{prefix}{f}"], -0.1) for f in factors], width, label=label,
                   color=colours[i % len(colours)])
        ax.set_xticks(x + 0.4 - width / 2, factors)
        ax.set_title(title)
        ax.set_ylabel("held-out R$^2$ (clipped at -0.1)")
        ax.axhline(0, color="black", linewidth=0.5)
        ax.set_ylim(-0.1, 1.0)
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=3)  # below: bars stay visible
    _save_figure(fig, path)
    return True


# -- README -------------------------------------------------------------------------------------
def findings(rows: list[dict], summary: dict) -> list[str]:
    """Plain statements read off the table (no judgement beyond the thresholds written here)."""
    factors = summary.get("factors") or []
    by_name = {r["model"]: r for r in rows}
    ceiling = by_name.get("regressor (ceiling)")
    lines = []
    if summary["settings"].get("quick"):
        lines.append("This is a `--quick` smoke test (tiny data, a few training steps): the numbers test the pipeline and mean nothing.")
    if ceiling is None:
        return lines
    identifiable = [f for f in factors if ceiling.get(f"r2_direct_{f}", 0) > 0.5]
    lines.append("Regressor ceiling (held-out R^2 of image -> v): "
                 + ", ".join(f"{shown(f)} {ceiling[f'r2_direct_{f}']:.2f}" for f in factors)
                 + f"; identifiable from pixels (R^2 > 0.5): {', '.join(map(shown, identifiable)) or 'none'}.")
    models = [r for r in rows if "steps" in r and "r2_nonlinear_mean" in r and r.get("codes") != "v"]
    floor = by_name.get("random codes (floor)")
    if models and identifiable:
        def score(row):
            return float(np.mean([row[f"r2_{f}"] for f in identifiable]))

        best = max(models, key=score)
        ceiling_score = score(ceiling)
        lines.append(f"Best learned code: {best['model']} [{best['codes']}], mean GBT-probe R^2 on the identifiable factors "
                     f"{score(best):.2f}, against {ceiling_score:.2f} for the regressor and "
                     f"{score(floor):.2f} for random codes.")
        verdict = ("reaches" if score(best) >= 0.8 * ceiling_score else "stays well below")
        lines.append(f"Strong correspondence would mean a code recovering v nearly as well as the regressor does from "
                     f"pixels (>= 80% of the ceiling); the best code {verdict} that.")
    if summary.get("fd_jumpiness") is not None:
        lines.append(f"Along straight v-paths FD itself changes unevenly (max step / mean step {summary['fd_jumpiness']:.2f}; "
                     "1 is even); \"path tracking\" is the correlation of G's step sizes with FD's (1: G changes where FD does).")
    direct = [r for r in rows if "iou" in r]
    seen = set()
    for row in direct:
        if row["model"] in seen:
            continue
        seen.add(row["model"])
        lines.append(f"{row['model']}: IoU(G(v), FD(v)) {row['iou']:.3f} vs {row['iou_shuffled']:.3f} for shuffled pairs; "
                     f"R^2 of the regressor's reading of G(v) against v {row['r2_direct_mean']:.2f} "
                     f"(ceiling {ceiling['r2_direct_mean']:.2f}).")
    return lines


#: A person's reading of a data set's results, written by hand beside its table; the README includes it.
NOTES = "NOTES.md"


def write_readme(out: Path) -> None:
    sections = ["# Benchmark results\n",
                "Written by `gans bench`; each table is reproduced by the command above it. "
                "FID appears only when pytorch-fid's Inception weights were available; FFD (Frechet distance on the "
                "FDD parameter regressor's features) needs no download. \"reg\" columns use the regressor's features.\n"]
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
                              ("r2.png", "Per-factor R^2")):
            if (summary_path.parent / name).exists():
                sections.append(f"![{caption}]({dataset}/{name})\n")
    write_atomic(out / "README.md", "\n".join(sections).encode())


def write_report(out: Path, dataset: str, rows: list[dict], figures: dict, summary: dict) -> Path:
    folder = out / dataset
    folder.mkdir(parents=True, exist_ok=True)
    factors = summary.get("factors") or []
    check_declared(rows, factors)
    write_atomic(folder / "table.csv", table_csv(rows))
    header = f"<!-- {summary['command']} -->\n\n"
    write_atomic(folder / "table.md", (header + table_md(rows, factors)).encode())
    samples_figure(figures, folder / "samples.png")
    direct_figure(figures, folder / "direct.png")
    r2_figure(rows, factors, folder / "r2.png")
    summary = {**summary, "findings": findings(rows, summary)}
    write_atomic(folder / "summary.json", json.dumps(summary, indent=2, default=str).encode())
    write_readme(out)
    return folder
