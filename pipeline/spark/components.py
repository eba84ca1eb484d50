"""Connected components of the link graph in Spark SQL.

Each record row starts labelled with the smallest row among its neighbours and itself; every
round a row takes the smallest label of its neighbours, then the label of its label (pointer
jumping, so long chains take a logarithmic number of rounds rather than their length). A label is
always a row of the same component no larger than the row, so when nothing changes every row of a
component holds the component's smallest row. Each round's labels are cut from their lineage with
``localCheckpoint``: without it the plan grows with every round until Spark spends its time
planning.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

log = logging.getLogger(__name__)
# A bound that no real link graph reaches (pointer jumping halves path lengths each round).
MAX_ROUNDS = 200


def link_components_spark(links: DataFrame) -> DataFrame:
    """(row, component) for every row some link in ``links`` (row_l, row_r) touches; the
    component is the smallest row connected to it."""
    from pyspark.sql import functions as F

    edges = (
        links.select(F.col("row_l").alias("a"), F.col("row_r").alias("b"))
        .unionByName(links.select(F.col("row_r").alias("a"), F.col("row_l").alias("b")))
        .localCheckpoint()
    )
    labels = (
        edges.groupBy("a")
        .agg(F.min("b").alias("nearest"))
        .select(F.col("a").alias("row"), F.least("a", "nearest").alias("label"))
        .localCheckpoint()
    )
    for round_number in range(1, MAX_ROUNDS + 1):
        spread = (
            edges.join(labels, edges["b"] == labels["row"])
            .groupBy(edges["a"])
            .agg(F.min("label").alias("spread"))
        )
        lowered = labels.join(spread, labels["row"] == spread["a"], "left").select(
            labels["row"],
            F.least(labels["label"], F.coalesce("spread", labels["label"])).alias("label"),
        )
        hop = lowered.select(F.col("row").alias("via"), F.col("label").alias("via_label"))
        jumped = (
            lowered.join(hop, lowered["label"] == hop["via"], "left")
            .select("row", F.least("label", F.coalesce("via_label", "label")).alias("label"))
            .localCheckpoint()
        )
        changed = (
            jumped.join(labels.withColumnRenamed("label", "before"), "row")
            .filter(F.col("label") != F.col("before"))
            .count()
        )
        labels = jumped
        if changed == 0:
            log.info("components: converged in %d rounds", round_number)
            return labels.withColumnRenamed("label", "component")
    raise RuntimeError(f"link components did not converge in {MAX_ROUNDS} rounds")
