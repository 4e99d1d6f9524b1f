"""A synthetic plan of N 担当課 and their filled R4 forms, for the benchmarks.

Everything is drawn from one seeded random generator, so the same N gives the same plan and
the same forms. Generated folders are cached under `benchmarks/.cache/` keyed by N and
`VERSION` (bump it whenever the generator or the form layout changes).
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import pickle
import random
import shutil
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from itertools import product
from pathlib import Path
from typing import Any

import pandas as pd

from miedx_xl.form.layout import ASSESSMENTS, TEMPLATE_VERSION, form_file_name
from miedx_xl.normalize import FiscalYear
from miedx_xl.plan.columns import schedule_column
from miedx_xl.plan.model import Plan, expand_schedule, load_plan

VERSION = f"v1-{TEMPLATE_VERSION}"
SEED = 20230410
FY = FiscalYear(4)
NOW = datetime(2023, 4, 10, 9, 0, tzinfo=UTC)
CACHE = Path(__file__).resolve().parent / ".cache"
FINDING_RATE = 0.02
RPA_RATE = 0.15
FINDING_KINDS = ("bad-choice", "empty-required", "hours-increase")

REGIONS = ("", "桑名", "四日市", "鈴鹿", "津", "松阪", "伊勢", "伊賀", "尾鷲", "熊野", "志摩")
DEPARTMENTS = (
    "総務部",
    "政策企画部",
    "防災対策部",
    "デジタル社会推進局",
    "医療保健部",
    "子ども・福祉部",
    "環境生活部",
    "地域連携部",
    "農林水産部",
    "雇用経済部",
    "県土整備部",
    "教育委員会事務局",
    "警察本部",
)
SECTIONS = (
    "総務課",
    "企画課",
    "人事課",
    "財政課",
    "情報政策課",
    "広報課",
    "危機管理課",
    "医療政策課",
    "健康推進課",
    "子育て支援課",
    "長寿介護課",
    "環境共生課",
    "廃棄物対策課",
    "市町行財政課",
    "交通政策課",
    "農業振興課",
    "森林・林業経営課",
    "水産振興課",
    "商工振興課",
    "観光政策課",
    "道路企画課",
    "河川課",
    "教育政策課",
    "生活安全課",
    "会計支援課",
)
WORDS = (
    "電子申請システムの",
    "ＡＩ－ＯＣＲを活用した",
    "ＲＰＡによる定型業務の自動化を",
    "ペーパーレス会議の",
    "オープンデータの公開",
    "市町と連携した",
    "県民向けオンライン手続の",
    "テレワーク環境の",
    "業務プロセスの見直しを",
    "情報セキュリティ研修の",
    "キャッシュレス決済の",
    "データ連携基盤の",
    "デジタル人材の育成",
    "Ｗｅｂ会議システムの",
)
DEEDS = (
    "導入を進め、",
    "運用を開始した。",
    "試行を実施し、",
    "効果検証を行った。",
    "対象業務を拡大した。",
    "職員向け説明会を開催した。",
    "利用促進を図った。",
    "課題を整理し、次年度の方針を定めた。",
    "関係課と調整を行い、",
    "手続数を拡大した。",
)
UNITS = ("件", "人", "%", "回", "団体", "業務", "手続")


@dataclass
class Division:
    """What one 担当課 owns in the synthetic plan and how it fills its form."""

    key: str
    nos: list[int] = field(default_factory=list)
    indicators: list[str] = field(default_factory=list)
    finding: str = ""
    rpa: int = 0


def _text(rng: random.Random, lo: int, hi: int) -> str:
    """Japanese prose of a length between `lo` and `hi` characters."""
    target = rng.randint(lo, hi)
    parts: list[str] = [f"R{rng.randint(3, 4)}年{rng.randint(1, 12)}月："]
    size = len(parts[0])
    while size < target:
        part = rng.choice(WORDS) + rng.choice(DEEDS)
        if rng.random() < 0.3:
            part += f"（{rng.randint(2, 400)}件）"
        if rng.random() < 0.15:
            part += "\n"
        parts.append(part)
        size += len(part)
    return "".join(parts)[:target]


def division_keys(n: int, rng: random.Random) -> list[str]:
    """`n` distinct, realistic division names."""
    names = [f"{r}{d}{s}" for r, d, s in product(REGIONS, DEPARTMENTS, SECTIONS)]
    rng.shuffle(names)
    if n > len(names):
        names += [f"{name}第{i}" for i, name in enumerate(names, start=2)]
    return names[:n]


def build(n: int, seed: int = SEED) -> tuple[Plan, list[Division]]:
    """A plan of `n` divisions owning 1–40 measures each, and how each fills its form."""
    rng = random.Random(seed * 100_003 + n)
    base = load_plan()
    divisions = [Division(key) for key in division_keys(n, rng)]
    phases = list(base.phases)
    years = base.fiscal_years
    drafts: list[dict[str, Any]] = []
    for div in divisions:
        for _ in range(rng.randint(1, 40)):
            printed = tuple(rng.sample(phases, rng.randint(1, 3)))
            drafts.append(
                {
                    "area": rng.randint(1, len(base.areas)),
                    "actor": rng.choice(base.actors),
                    "policy": tuple(sorted(rng.sample([1, 2, 3], rng.randint(1, 2)))),
                    "title": _text(rng, 12, 40).split("：", 1)[-1] or "取組",
                    "division": div.key,
                    "schedule_printed": printed,
                    "status_R3": _text(rng, 50, 400) if rng.random() < 0.9 else "",
                }
            )
    # Numbered like the report: by area, then actor; a division's measures are scattered.
    actor_rank = {a: i for i, a in enumerate(base.actors)}
    drafts.sort(key=lambda d: (d["area"], actor_rank[d["actor"]]))
    records = []
    by_key = {div.key: div for div in divisions}
    for no, d in enumerate(drafts, start=1):
        expanded = expand_schedule(list(d["schedule_printed"]), years)
        records.append(
            {
                "no": no,
                "area": d["area"],
                "actor": d["actor"],
                "policy": d["policy"],
                "title": d["title"],
                "division": d["division"],
                "relisted_of": 0,
                "reference": False,
                "order": no,
                "schedule_printed": d["schedule_printed"],
                "schedule_inferred": True,
                **{schedule_column(fy): expanded.get(fy, "") for fy in years},
                "status_R3": d["status_R3"],
            }
        )
        by_key[d["division"]].nos.append(no)
    measures = pd.DataFrame.from_records(records)
    area_of = dict(zip(measures["no"], measures["area"], strict=True))
    ind_rows = []
    for i, div in enumerate(divisions):
        # At least one each: a form without indicator rows fails its own digest check
        # (FormMeta.from_rows drops the empty locked["指標"]); see the benchmark's report.
        for j in range(rng.choice((1, 1, 2))):
            ind_id = f"syn_{i:05d}_{j}"
            no = rng.choice(div.nos)
            name, unit = _text(rng, 10, 30).split("：", 1)[-1], rng.choice(UNITS)
            for period in ("R2", "R3"):
                ind_rows.append(
                    {
                        "id": ind_id,
                        "name": name,
                        "unit": unit,
                        "area": int(area_of[no]),
                        "measure": no,
                        "period": period,
                        "fy": period,
                        "value": float(rng.randint(1, 5000)),
                        "approx": False,
                        "note": "",
                        "source": "",
                    }
                )
    indicators = pd.concat([base.indicators, pd.DataFrame(ind_rows)], ignore_index=True)
    chosen = rng.sample(range(n), max(1, round(FINDING_RATE * n)))
    for k, i in enumerate(chosen):
        divisions[i].finding = FINDING_KINDS[k % len(FINDING_KINDS)]
    for div in divisions:
        own = set(div.nos)
        div.indicators = [
            str(i)
            for i in dict.fromkeys(indicators.loc[indicators["measure"].isin(own), "id"])
            if not str(i).endswith("_reported")
        ]
        div.rpa = rng.randint(1, 5) if rng.random() < RPA_RATE else 0
        if div.finding == "hours-increase":
            div.rpa = max(div.rpa, 1)
    plan = replace(base, measures=measures, indicators=indicators, division_names={})
    return plan, divisions


def fill_values(
    div: Division, seed: int
) -> tuple[dict[int, dict[str, Any]], dict[str, dict[str, Any]], list[dict[str, Any]]]:
    """The statuses, indicator values and RPA rows a division types into its form."""
    rng = random.Random(seed)
    statuses: dict[int, dict[str, Any]] = {}
    for no in div.nos:
        values: dict[str, Any] = {"status_R4": _text(rng, 50, 400)}
        if rng.random() < 0.9:
            values["assessment_R4"] = rng.choice(ASSESSMENTS)
        if rng.random() < 0.5:
            values["issues_R4"] = _text(rng, 20, 150)
        statuses[no] = values
    indicators: dict[str, dict[str, Any]] = {}
    for ind_id in div.indicators:
        values = {"value": rng.randint(0, 9000)}
        if rng.random() < 0.2:
            values["as_of"] = f"R5年{rng.randint(1, 3)}月"
        indicators[ind_id] = values
    rpa: list[dict[str, Any]] = []
    for k in range(div.rpa):
        before = rng.randint(50, 3000)
        rpa.append(
            {
                "division": div.key,
                "task": _text(rng, 10, 40).split("：", 1)[-1] + f"（{k + 1}）",
                "hours_before": before,
                "hours_after": rng.randint(0, before),
            }
        )
    first = div.nos[0]
    if div.finding == "bad-choice":
        statuses[first]["assessment_R4"] = "まあまあ順調"
    elif div.finding == "empty-required":
        del statuses[first]["status_R4"]
    elif div.finding == "hours-increase":
        rpa[0]["hours_after"] = rpa[0]["hours_before"] + 100
    return statuses, indicators, rpa


# One plan per process: set before the pool forks, so workers inherit it.
_STATE: dict[str, Any] = {}


def _write_one(task: tuple[int, Path, Path]) -> float:
    from miedx_xl.form.write import fill_form, write_form

    i, blank_dir, out_dir = task
    plan: Plan = _STATE["plan"]
    div: Division = _STATE["divisions"][i]
    start = time.perf_counter()
    name = form_file_name(FY, div.key)
    blank = write_form(plan, FY, div.key, blank_dir / name, now=NOW)
    statuses, indicators, rpa = fill_values(div, SEED + i)
    fill_form(blank, out_dir / name, statuses=statuses, indicators=indicators, rpa=rpa)
    blank.unlink()
    return time.perf_counter() - start


def library() -> str:
    """A fingerprint of the source of the imported package (others edit it while we run)."""
    import miedx_xl

    digest = hashlib.sha256()
    for path in sorted(Path(miedx_xl.__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:12]


def cache_dir(n: int) -> Path:
    """The cache folder of the forms of N divisions."""
    return CACHE / f"{VERSION}-N{n}"


def forms(n: int, processes: int = 2) -> tuple[Path, float]:
    """The folder of the N filled forms (generated when not cached), and generation seconds."""
    root = cache_dir(n)
    done = root / "done.json"
    folder = root / "forms"
    if done.exists():
        return folder, 0.0
    start = time.perf_counter()
    shutil.rmtree(root, ignore_errors=True)
    blank_dir = root / "blank"
    blank_dir.mkdir(parents=True)
    folder.mkdir()
    plan, divisions = build(n)
    _STATE.update(plan=plan, divisions=divisions)
    tasks = [(i, blank_dir, folder) for i in range(n)]
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        for k, _ in enumerate(pool.imap_unordered(_write_one, tasks, chunksize=4), start=1):
            if k % 100 == 0 or k == n:
                print(f"  generated {k}/{n} forms", flush=True)
    shutil.rmtree(blank_dir)
    with (root / "plan.pickle").open("wb") as fh:
        pickle.dump(plan, fh)
    seconds = time.perf_counter() - start
    stats = {
        "n": n,
        "version": VERSION,
        "library": library(),
        "seconds": round(seconds, 1),
        "measures": len(plan.measures),
        "indicators": int(plan.indicators["id"].nunique()),
        "findings": {k: sum(d.finding == k for d in divisions) for k in FINDING_KINDS},
        "rpa_rows": sum(d.rpa for d in divisions),
        "bytes": sum(p.stat().st_size for p in folder.iterdir()),
    }
    done.write_text(json.dumps(stats, ensure_ascii=False, indent=1), encoding="utf-8")
    return folder, seconds


def cached_plan(n: int) -> Plan:
    """The synthetic plan the cached forms of N were written from."""
    with (cache_dir(n) / "plan.pickle").open("rb") as fh:
        plan: Plan = pickle.load(fh)
    return plan


def stats(n: int) -> dict[str, Any]:
    """What the cached forms of N hold (measures, findings, bytes, generation seconds)."""
    data: dict[str, Any] = json.loads((cache_dir(n) / "done.json").read_text(encoding="utf-8"))
    return data
