"""The matcher on Apache Spark: the same rules and the same results as ``pipeline.match``.

Nothing about matching is defined here. Spark does what it is good at (hash joins, group-bys,
windows, the components loop) and hands Arrow batches to the embedded engine's own functions
for everything else:

- blocking: each record's keys per rule come from ``blocking.rule_keys`` on a batch of records
  (mapInArrow); blocks are formed, capped and split by Spark windows and self-joins, the same
  limits read from the same rules;
- term frequencies: ``compare.with_term_frequencies`` on the driver, which holds the records;
- u: the same random record pairs (``estimate.random_pair_rows``) compared by
  ``compare.pair_levels``; their level counts and the value counts go to
  ``estimate.u_from_counts`` on the driver;
- m: the same EM sample (``estimate.em_sample_positions``, by position in (row_l, row_r)
  order), its ``Chances`` computed on the workers, EM itself (``estimate_from_chances``) on the
  driver;
- scoring: ``match.score_levels`` on every candidate pair (mapInArrow); the threshold by
  ``estimate.choose_threshold`` from the same scores, the expected number of true pairs summed
  per ``CHUNK_PAIRS`` positions as the embedded engine sums it;
- clustering: link components by Spark SQL (``components``); then each component, with its
  links, the clear non-matches inside it and its records' profiles and files, goes through
  ``cluster.cluster_links`` on a worker (components never interact);
- evidence, person ids and the model table: ``match.matched`` on the driver.

Row numbers are given in record_id order on the driver, as the embedded engine numbers them.
Hashes appear only where the embedded engine uses them (block keys, computed by the same polars
code on the workers), never in an id.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
import polars as pl
import pyarrow as pa

from pipeline.blocking import (
    BLOCKING_COLUMNS,
    MAX_BLOCK,
    SPLIT_KEYS,
    blocking_frames,
    blocking_rules,
    rule_keys,
    split_key,
)
from pipeline.cluster import cluster_links
from pipeline.compare import (
    ATTRIBUTES,
    DEFAULT_SETTINGS,
    Chances,
    Comparer,
    MatchSettings,
    comparison_attributes,
    nickname_relation,
    pair_levels,
    with_term_frequencies,
)
from pipeline.estimate import (
    Parameters,
    choose_threshold,
    em_sample_positions,
    estimate_from_chances,
    random_pair_rows,
    u_from_counts,
)
from pipeline.match import (
    CHUNK_PAIRS,
    MatchResult,
    matched,
    merge_weight,
    record_meta,
    score_levels,
    scored_columns,
    worth_keeping,
)
from pipeline.spark.components import link_components_spark

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

log = logging.getLogger(__name__)
PAIR_COLUMNS = ("row_l", "row_r", "rule_order")
# Links clustered per Python call on a worker (whole components, so exactly as one call).
LINKS_PER_CALL = 50_000
_KEY_SCHEMA = "rule_order int, row long, block_key long, differ_key long, " + ", ".join(
    f"split_{i} long" for i in range(len(SPLIT_KEYS))
)


def _arrow_batches(frame: pl.DataFrame) -> list[pa.RecordBatch]:
    """``frame`` as Arrow batches Spark reads (plain strings, no string views)."""
    table = frame.to_arrow(compat_level=pl.CompatLevel.oldest())
    fields = [
        pa.field(f.name, pa.string() if pa.types.is_large_string(f.type) else f.type)
        for f in table.schema
    ]
    batches: list[pa.RecordBatch] = table.cast(pa.schema(fields)).to_batches()
    return batches


def _polars(batch: pa.RecordBatch | pa.Table, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """A batch from Spark with the embedded engine's column types (Spark has no unsigned or
    8-bit-exact equivalents for some of them)."""
    frame = pl.from_arrow(batch)
    assert isinstance(frame, pl.DataFrame)  # a batch is always a frame, never a series
    return frame.select(pl.col(name).cast(dtype) for name, dtype in schema.items())


# --- work done on the workers, on Arrow batches -------------------------------------------


def _block_keys(
    batches: Iterator[pa.RecordBatch], schema: dict[str, pl.DataType]
) -> Iterator[pa.RecordBatch]:
    """Every rule's keys of each record in the batch (``blocking.rule_keys``), with the key of
    each sub-block an oversized block would be split into."""
    rules = blocking_rules()
    for batch in batches:
        ordered, exploded = blocking_frames(_polars(batch, schema))
        for order, rule in enumerate(rules):
            keys = rule_keys((exploded if rule.by_given_forms else ordered).lazy(), rule)
            frame = keys.select(
                pl.lit(order, dtype=pl.Int32).alias("rule_order"),
                pl.col("row").cast(pl.Int64),
                pl.col("block_key").reinterpret(signed=True),
                pl.col("differ_key").reinterpret(signed=True),
                *(
                    pl.when(pl.col(split).is_not_null())
                    .then(split_key(split))
                    .reinterpret(signed=True)
                    .alias(f"split_{index}")
                    for index, split in enumerate(SPLIT_KEYS)
                ),
            ).collect()
            if frame.height:
                yield from _arrow_batches(frame)


def _compared(
    batch: pa.RecordBatch | pa.Table,
    schema: dict[str, pl.DataType],
    settings: MatchSettings,
    totals: dict[str, int],
) -> tuple[Comparer, pl.DataFrame]:
    """A batch of pairs holding both records' attributes, compared: each feature's level."""
    frame = _polars(batch, schema)
    names = pl.concat([frame.get_column("first_key_l"), frame.get_column("first_key_r")])
    nicknames = nickname_relation(names.rename("first_key"))
    comparer = Comparer(pl.DataFrame(), nicknames, settings, totals)
    return comparer, pair_levels(frame, nicknames)


def _level_counts(
    batches: Iterator[pa.RecordBatch], schema: dict[str, pl.DataType], settings: MatchSettings
) -> Iterator[pa.RecordBatch]:
    """How many pairs of the batch land in each feature's level."""
    for batch in batches:
        _, levels = _compared(batch, schema, settings, {})
        counts = pl.concat(
            levels.get_column(f"{f.name}_level")
            .drop_nulls()
            .value_counts()
            .select(pl.lit(f.name).alias("feature"), pl.col(f"{f.name}_level").alias("level"),
                    pl.col("count").cast(pl.Int64))
            for f in settings.features
        )  # fmt: skip
        if counts.height:
            yield from _arrow_batches(counts)


def _chances_of(
    batches: Iterator[pa.RecordBatch],
    schema: dict[str, pl.DataType],
    settings: MatchSettings,
    totals: dict[str, int],
    u: dict[str, dict[str, float]],
) -> Iterator[pa.RecordBatch]:
    """Each pair's ``Chances`` (level index, log u, log cap, floor per feature)."""
    for batch in batches:
        comparer, levels = _compared(batch, schema, settings, totals)
        chances = comparer.chances(levels, u)
        columns: dict[str, object] = {
            "row_l": levels.get_column("row_l").cast(pl.Int64),
            "row_r": levels.get_column("row_r").cast(pl.Int64),
        }
        for f in settings.features:
            columns[f"{f.name}:level"] = chances.level[f.name]
            columns[f"{f.name}:log_u"] = chances.log_u[f.name]
            columns[f"{f.name}:log_cap"] = chances.log_cap[f.name]
            columns[f"{f.name}:floor"] = chances.floor_zero[f.name]
        yield from _arrow_batches(pl.DataFrame(columns))


def _scores(
    batches: Iterator[pa.RecordBatch],
    schema: dict[str, pl.DataType],
    settings: MatchSettings,
    totals: dict[str, int],
    parameters: Parameters,
) -> Iterator[pa.RecordBatch]:
    """Every pair scored (``match.score_levels``), with whether it is kept as evidence and
    whether it is a clear non-match."""
    columns = scored_columns(tuple(f.name for f in settings.features))
    for batch in batches:
        comparer, levels = _compared(batch, schema, settings, totals)
        scored = score_levels(comparer, parameters, levels)
        frame = scored.select(
            *columns,
            "pos",
            worth_keeping().alias("keep"),
            (pl.col("match_score") < settings.cannot_link_below).alias("clear"),
        ).with_columns(pl.col("row_l", "row_r").cast(pl.Int64))
        yield from _arrow_batches(frame)


def _chunk_sum(table: pa.Table) -> pa.Table:
    """The sum of one chunk's posteriors, added in position order as the embedded engine adds
    one chunk's."""
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)  # a table is always a frame
    scores = frame.sort("pos").get_column("match_score").rechunk()
    return pa.table(
        {"chunk": [int(frame["chunk"][0])], "total": [float(scores.sum() or 0.0)]},
        schema=pa.schema([("chunk", pa.int64()), ("total", pa.float64())]),
    )


def _cluster_component(table: pa.Table, needed: float) -> pa.Table:
    """Whole link components through ``cluster.cluster_links``: each joined row's root and
    each link's decision."""
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)  # a table is always a frame
    members = frame.filter(pl.col("kind") == 2)
    profiles = dict(zip(members["row_l"].to_list(), members["profile"].to_list(), strict=True))
    files = dict(zip(members["row_l"].to_list(), members["file"].to_list(), strict=True))
    # In (row_l, row_r) order, as the embedded engine holds them.
    links, apart = (
        frame.filter(pl.col("kind") == kind)
        .select("row_l", "row_r", "match_weight")
        .sort("row_l", "row_r")
        for kind in (0, 1)
    )
    joined, decided = cluster_links(profiles, files, links, apart, needed)
    roots = pl.DataFrame(
        {"row_l": list(joined), "row_r": list(joined.values())},
        schema={"row_l": pl.Int64, "row_r": pl.Int64},
    )
    result = pl.concat(
        [
            roots.select(pl.lit("root").alias("kind"), "row_l", "row_r",
                         pl.lit(None, dtype=pl.String).alias("decision")),
            decided.select(pl.lit("decision").alias("kind"),
                           pl.col("row_l", "row_r").cast(pl.Int64),
                           pl.col("link_decision").alias("decision")),
        ]
    )  # fmt: skip
    return pa.Table.from_batches(_arrow_batches(result), schema=_CLUSTER_ARROW)


_CLUSTER_ARROW = pa.schema(
    [("kind", pa.string()), ("row_l", pa.int64()), ("row_r", pa.int64()), ("decision", pa.string())]
)


# --- the plan, on the driver ---------------------------------------------------------------


def _spark_schema(settings: MatchSettings) -> str:
    features = [f.name for f in settings.features]
    return ", ".join(
        [
            "row_l long, row_r long, rule_order int",
            *(f"{name}_level string" for name in features),
            *(f"w_{name} double" for name in features),
            "prior_weight double, match_weight double, match_score double",
            "pos long, keep boolean, clear boolean",
        ]
    )


def _chances_schema(settings: MatchSettings) -> str:
    parts = ["row_l long", "row_r long"]
    for f in settings.features:
        parts += [
            f"`{f.name}:level` tinyint",
            f"`{f.name}:log_u` double",
            f"`{f.name}:log_cap` double",
            f"`{f.name}:floor` boolean",
        ]
    return ", ".join(parts)


class _Steps:
    """Wall seconds per matching step, as the embedded engine reports them."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.clock = time.perf_counter()

    def __call__(self, name: str) -> None:
        now = time.perf_counter()
        self.seconds[name] = now - self.clock
        self.clock = now


def _with_attributes(pairs: DataFrame, attributes: DataFrame) -> DataFrame:
    """``pairs`` with both records' attributes, suffixed _l and _r (as ``compare._pair_frame``)."""
    from pyspark.sql import functions as F

    sides = [
        attributes.select([F.col(c).alias(f"{c}_{side}") for c in attributes.columns])
        for side in ("l", "r")
    ]
    return pairs.join(sides[0], "row_l").join(sides[1], "row_r")


def _candidates(keys: DataFrame) -> DataFrame:
    """Pairs of rows sharing a rule's block, with the first rule that paired them: the blocks
    of ``blocking.candidate_rows``, capped at the rule's limit, those of an unlimited rule over
    ``MAX_BLOCK`` split by each second key."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    rules = blocking_rules()
    spark = keys.sparkSession
    table = spark.createDataFrame(
        [
            (
                order,
                rule.max_group if rule.max_group is not None else MAX_BLOCK,
                rule.differs,
                rule.max_group is None,
            )
            for order, rule in enumerate(rules)
        ],
        "rule_order int, block_limit int, differ boolean, splits boolean",
    )
    block = Window.partitionBy("rule_order", "block_key")
    keyed = keys.join(F.broadcast(table), "rule_order")
    # A block whose records all agree on what the rule tolerates has nothing new.
    varied = F.min("differ_key").over(block) != F.max("differ_key").over(block)
    keyed = (
        keyed.withColumn("varied", varied)
        .filter(~F.col("differ") | F.col("varied"))
        .withColumn("size", F.count(F.lit(1)).over(block))
    )
    shape = ["rule_order", "split", "block_key", "row", "differ_key", "differ"]
    whole = keyed.filter(F.col("size") <= F.col("block_limit")).withColumn("split", F.lit(-1))
    # An oversized block's records, once per second key they have: (split, that sub-block).
    subs = F.array(
        *(
            F.struct(F.lit(index).alias("split"), F.col(f"split_{index}").alias("key"))
            for index in range(len(SPLIT_KEYS))
        )
    )
    sub = (
        keyed.filter(F.col("splits") & (F.col("size") > F.col("block_limit")))
        .select("rule_order", "row", "differ_key", "differ", "block_limit",
                F.explode(subs).alias("sub"))
        .select("rule_order", F.col("sub.split").alias("split"),
                F.col("sub.key").alias("block_key"), "row", "differ_key", "differ", "block_limit")
        .filter(F.col("block_key").isNotNull())
        .distinct()
    )  # fmt: skip
    sub_block = Window.partitionBy("rule_order", "split", "block_key")
    sub = sub.withColumn("size", F.count(F.lit(1)).over(sub_block))
    blocks = whole.select(shape).unionByName(
        sub.filter(F.col("size") <= F.col("block_limit")).select(shape)
    )
    left, right = blocks.alias("l"), blocks.alias("r")
    on = [F.col(f"l.{c}") == F.col(f"r.{c}") for c in ("rule_order", "split", "block_key")]
    pairs = left.join(right, on).filter(
        (F.col("l.row") < F.col("r.row"))
        & (~F.col("l.differ") | (F.col("l.differ_key") != F.col("r.differ_key")))
    )
    return pairs.groupBy(F.col("l.row").alias("row_l"), F.col("r.row").alias("row_r")).agg(
        F.min("l.rule_order").alias("rule_order")
    )


def _numbered(candidates: DataFrame) -> DataFrame:
    """``candidates`` with ``pos``: each pair's position in (row_l, row_r) order."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    per_left = candidates.groupBy("row_l").agg(F.count(F.lit(1)).alias("pairs"))
    before = Window.orderBy("row_l").rowsBetween(Window.unboundedPreceding, -1)
    offsets = per_left.select(
        "row_l", F.coalesce(F.sum("pairs").over(before), F.lit(0)).alias("offset")
    )
    within = Window.partitionBy("row_l").orderBy("row_r")
    return candidates.join(offsets, "row_l").select(
        "row_l",
        "row_r",
        "rule_order",
        (F.col("offset") + F.row_number().over(within) - 1).alias("pos"),
    )


def _collect(frame: DataFrame) -> pl.DataFrame:
    table = frame.toArrow()
    result = pl.from_arrow(table)
    assert isinstance(result, pl.DataFrame)  # a table is always a frame
    return result


def _value_counts(
    attributes: DataFrame, records: int, settings: MatchSettings
) -> tuple[dict[str, pl.Series], dict[str, int]]:
    """Per term-frequency column, how many records hold each value (in no order) and
    ``compare.value_totals``, in one pass: the values held by ``n`` records are the records
    whose ``<column>_n`` is n, divided by n."""
    from pyspark.sql import functions as F

    columns = [f.tf_column for f in settings.features if f.tf_column is not None]
    held = F.array(
        *(F.struct(F.lit(c).alias("column"), F.col(f"{c}_n").alias("held")) for c in columns)
    )
    histogram = _collect(
        attributes.select(F.explode(held).alias("h"))
        .select("h.column", "h.held")
        .filter(F.col("held").isNotNull())
        .groupBy("column", "held")
        .agg(F.count(F.lit(1)).alias("records"))
    )
    counts: dict[str, pl.Series] = {}
    present: dict[str, int] = {}
    for column in columns:
        rows = histogram.filter(pl.col("column") == column)
        held_by = rows["held"].cast(pl.Int64).to_numpy()
        values = rows["records"].to_numpy() // held_by
        counts[column] = pl.Series(np.repeat(held_by, values), dtype=pl.Int64)
        present[column] = int(rows["records"].sum())
    totals = {
        f.tf_column: records if f.identifier else present[f.tf_column]
        for f in settings.features
        if f.tf_column is not None
    }
    return counts, totals


def _level_shares(
    spark: SparkSession,
    attributes: DataFrame,
    records: int,
    schema: dict[str, pl.DataType],
    settings: MatchSettings,
) -> dict[str, dict[str, int]]:
    """How many of ``estimate.random_pair_rows`` land in each feature's level, compared on
    the workers."""
    from pyspark.sql import functions as F

    sample = spark.createDataFrame(
        random_pair_rows(records).with_columns(pl.col("row_l", "row_r").cast(pl.Int64)).to_arrow()
    ).withColumn("rule_order", F.lit(0))
    counted = _with_attributes(sample, attributes).mapInArrow(
        lambda batches: _level_counts(batches, schema, settings),
        "feature string, level string, count long",
    )
    sums = _collect(counted.groupBy("feature", "level").agg(F.sum("count").alias("count")))
    level_counts: dict[str, dict[str, int]] = {f.name: {} for f in settings.features}
    for feature, level, count in sums.iter_rows():
        level_counts[feature][level] = count
    return level_counts


def _em_chances(
    spark: SparkSession,
    numbered: DataFrame,
    attributes: DataFrame,
    candidates: int,
    schema: dict[str, pl.DataType],
    settings: MatchSettings,
    totals: dict[str, int],
    u: dict[str, dict[str, float]],
) -> Chances | None:
    """The ``Chances`` of the EM sample, in (row_l, row_r) order, or None without candidates."""
    if candidates == 0:
        return None
    positions = em_sample_positions(candidates)
    sample = numbered
    if positions is not None:
        chosen = spark.createDataFrame(pa.table({"pos": pa.array(positions, pa.int64())}))
        sample = numbered.join(chosen, "pos")
    computed = _with_attributes(sample.select(*PAIR_COLUMNS), attributes).mapInArrow(
        lambda batches: _chances_of(batches, schema, settings, totals, u),
        _chances_schema(settings),
    )
    frame = _collect(computed).sort("row_l", "row_r")
    return Chances(
        *(
            {
                f.name: frame.get_column(f"{f.name}:{part}").cast(dtype).to_numpy()
                for f in settings.features
            }
            for part, dtype in (
                ("level", pl.Int8),
                ("log_u", pl.Float64),
                ("log_cap", pl.Float64),
                ("floor", pl.Boolean),
            )
        )
    )


def _evidence_schema(settings: MatchSettings) -> dict[str, pl.DataType]:
    """The embedded engine's types for the kept pairs."""
    features = [f.name for f in settings.features]
    return {
        "row_l": pl.UInt32(),
        "row_r": pl.UInt32(),
        "rule_order": pl.Int32(),
        **{f"{name}_level": pl.String() for name in features},
        **{f"w_{name}": pl.Float64() for name in features},
        "prior_weight": pl.Float64(),
        "match_weight": pl.Float64(),
        "match_score": pl.Float64(),
    }


def match_people_spark(
    keyed: pl.DataFrame,
    spark: SparkSession,
    settings: MatchSettings = DEFAULT_SETTINGS,
    previous_ids: pl.DataFrame | None = None,
) -> MatchResult:
    """``pipeline.match.match_people`` with blocking, comparing, estimation and clustering on
    ``spark``: the same persons, ids, evidence and learned parameters."""
    from pyspark.sql import functions as F

    steps = _Steps()
    meta = record_meta(keyed)
    # Every column a rule, split key or feature reads, numbered in record_id order.
    columns = sorted(set(BLOCKING_COLUMNS) | set(ATTRIBUTES))
    local = (
        keyed.select("record_id", *columns)
        .sort("record_id")
        .with_row_index("row")
        .with_columns(
            pl.col("row").cast(pl.Int64),
            meta.get_column("connection_file"),
        )
    )
    records = spark.createDataFrame(pa.Table.from_batches(_arrow_batches(local))).localCheckpoint()
    record_schema = {"row": pl.Int64(), **{c: local.schema[c] for c in BLOCKING_COLUMNS}}
    keys = records.mapInArrow(lambda batches: _block_keys(batches, record_schema), _KEY_SCHEMA)
    numbered = _numbered(_candidates(keys)).localCheckpoint()
    candidates = numbered.count()
    steps("block")

    # The attributes with their term frequencies come from the embedded engine's own function:
    # the driver holds the records anyway, and a copy of its rules in Spark would drift.
    compared = with_term_frequencies(comparison_attributes(keyed), settings)
    attribute_schema = {"row": pl.Int64(), **compared.schema}
    attributes = spark.createDataFrame(
        pa.Table.from_batches(
            _arrow_batches(
                compared.with_row_index("row").with_columns(pl.col("row").cast(pl.Int64))
            )
        )
    ).localCheckpoint()
    del compared
    pair_schema = {
        "row_l": pl.UInt32(),
        "row_r": pl.UInt32(),
        "rule_order": pl.Int32(),
        **{f"{c}_l": t for c, t in attribute_schema.items() if c != "row"},
        **{f"{c}_r": t for c, t in attribute_schema.items() if c != "row"},
    }
    value_counts, totals = _value_counts(attributes, keyed.height, settings)
    if keyed.height < 2:
        u = {f.name: dict.fromkeys(f.levels, 0.5) for f in settings.features}
    else:
        shares = _level_shares(spark, attributes, keyed.height, pair_schema, settings)
        u = u_from_counts(settings, shares, value_counts)
    chances = _em_chances(spark, numbered, attributes, candidates, pair_schema, settings, totals, u)
    parameters = estimate_from_chances(settings, keyed.height, candidates, chances, u)
    steps("estimate")

    score_schema = {**pair_schema, "pos": pl.Int64()}
    scored = (
        _with_attributes(numbered, attributes)
        .mapInArrow(_scoring(score_schema, settings, totals, parameters), _spark_schema(settings))
        .localCheckpoint()
    )
    sums = _collect(
        scored.select("pos", "match_score")
        .withColumn("chunk", F.floor(F.col("pos") / CHUNK_PAIRS).cast("long"))
        .groupBy("chunk")
        .applyInArrow(_chunk_sum, "chunk long, total double")
    ).sort("chunk")
    expected = 0.0
    for total in sums["total"].to_list():
        expected += total
    kept_scores = _collect(scored.filter("keep").select("match_score", "match_weight"))
    threshold = choose_threshold(
        kept_scores["match_score"].to_numpy(), expected, settings, candidates
    )
    parameters = replace(parameters, threshold=threshold)
    steps("compare")

    links = scored.filter(F.col("keep") & (F.col("match_score") >= threshold)).select(
        "row_l", "row_r", "match_weight"
    )
    weakest = kept_scores.filter(pl.col("match_score") >= threshold)["match_weight"].min()
    needed = merge_weight(threshold, weakest if isinstance(weakest, float) else None)
    roots = np.arange(keyed.height, dtype=np.int64)
    decided = pl.DataFrame(
        schema={"row_l": pl.UInt32, "row_r": pl.UInt32, "link_decision": pl.String}
    )
    apart = spark.createDataFrame([], "row_l long, row_r long, match_weight double")
    if weakest is not None:
        components = link_components_spark(links).localCheckpoint()
        link_count = int((kept_scores["match_score"] >= threshold).sum())
        buckets = max(1, link_count // LINKS_PER_CALL + 1)
        apart, outcome = _cluster(records, scored, links, components, needed, buckets)
        root_rows = outcome.filter(pl.col("kind") == "root")
        roots[root_rows["row_l"].to_numpy()] = root_rows["row_r"].to_numpy()
        decided = outcome.filter(pl.col("kind") == "decision").select(
            pl.col("row_l", "row_r").cast(pl.UInt32), pl.col("decision").alias("link_decision")
        )
    steps("cluster")

    # The evidence: pairs worth keeping, and the clear non-matches that held a merge apart.
    held = apart.select("row_l", "row_r", F.lit(True).alias("held"))
    evidence = scored.join(held, ["row_l", "row_r"], "left").filter(
        F.col("keep") | F.col("held").isNotNull()
    )
    kept_schema = _evidence_schema(settings)
    kept = (
        _collect(evidence.select(*kept_schema))
        .select(pl.col(name).cast(dtype) for name, dtype in kept_schema.items())
        .sort("row_l", "row_r")
    )
    result = matched(
        keyed, meta, kept, roots, decided, parameters, settings, previous_ids, candidates
    )
    steps("evidence")
    result.steps = steps.seconds
    log.info(
        "match (spark): %d records, %d candidate pairs, %d evidence rows; %s",
        keyed.height,
        candidates,
        result.evidence.height,
        ", ".join(f"{name} {seconds:.2f} s" for name, seconds in steps.seconds.items()),
    )
    return result


def _scoring(
    schema: dict[str, pl.DataType],
    settings: MatchSettings,
    totals: dict[str, int],
    parameters: Parameters,
) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    def score(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        return _scores(batches, schema, settings, totals, parameters)

    return score


def _cluster(
    records: DataFrame,
    scored: DataFrame,
    links: DataFrame,
    components: DataFrame,
    needed: float,
    buckets: int,
) -> tuple[DataFrame, pl.DataFrame]:
    """The clear non-matches inside link components (``cluster.held_apart``), and each
    component clustered by ``cluster.cluster_links``: rows ``kind`` root (row_l's root is
    row_r) and decision (the link row_l, row_r and its decision). Components go to the
    workers ``buckets`` at a time, whole (one call per component would cost a Python call
    and a frame per person); within a call each keeps its own links in their order."""
    from pyspark.sql import functions as F

    left = components.select(F.col("row").alias("row_l"), F.col("component"))
    right = components.select(F.col("row").alias("row_r"), F.col("component").alias("component_r"))
    apart = (
        scored.filter("clear")
        .select("row_l", "row_r", "match_weight")
        .join(left, "row_l")
        .join(right, "row_r")
        .filter(F.col("component") == F.col("component_r"))
        .drop("component_r")
        .localCheckpoint()
    )
    none: Column = F.lit(None).cast("string")
    grouped = (
        links.join(left, "row_l")
        .select("component", F.lit(0).alias("kind"), "row_l", "row_r", "match_weight",
                none.alias("profile"), none.alias("file"))
        .unionByName(
            apart.select("component", F.lit(1).alias("kind"), "row_l", "row_r", "match_weight",
                         none.alias("profile"), none.alias("file"))
        )
        .unionByName(
            components.join(records, "row").select(
                "component", F.lit(2).alias("kind"), F.col("row").alias("row_l"),
                F.lit(None).cast("long").alias("row_r"),
                F.lit(None).cast("double").alias("match_weight"),
                F.col("profile_key").alias("profile"), F.col("connection_file").alias("file"),
            )
        )
    )  # fmt: skip
    bucket = F.pmod(F.col("component"), F.lit(buckets)).alias("bucket")
    outcome = grouped.groupBy(bucket).applyInArrow(
        lambda table: _cluster_component(table, needed),
        "kind string, row_l long, row_r long, decision string",
    )
    return apart.drop("component"), _collect(outcome)
