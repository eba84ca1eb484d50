"""A Spark session set up for the matcher, or a one-line reason why there cannot be one.

pyspark is an optional extra (``pip install -e '.[spark]'``) and needs a Java runtime; both are
checked before a JVM is started, so a missing piece is a sentence naming the fix, not a Java
stack trace.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
import subprocess
import sys
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logging.getLogger(__name__)
DEFAULT_MASTER = "local[*]"
# Shuffle partitions on one machine: a few per core keeps tasks busy without thousands of tiny
# ones (Spark's default of 200 is for clusters). A cluster run passes its own.
LOCAL_SHUFFLE_PARTITIONS = 8


class SparkUnavailableError(RuntimeError):
    """pyspark or Java is missing: the message says what to install."""


def spark_problem() -> str | None:
    """Why ``--engine spark`` cannot run here, or None when it can."""
    if importlib.util.find_spec("pyspark") is None:
        return (
            "--engine spark needs the spark extra: run `make install-spark` "
            "(or pip install -e '.[spark]')"
        )
    java_home = os.environ.get("JAVA_HOME")
    java = os.path.join(java_home, "bin", "java") if java_home else shutil.which("java")
    if not java or not os.path.exists(java):
        return (
            "--engine spark needs Java 17 or newer: install OpenJDK 17 "
            "(e.g. apt-get install openjdk-17-jre-headless) or set JAVA_HOME"
        )
    try:
        subprocess.run([java, "-version"], capture_output=True, check=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as err:
        return f"--engine spark needs a working Java: `{java} -version` failed ({err})"
    return None


def spark_session(
    master: str = DEFAULT_MASTER,
    app_name: str = "contact-discovery",
    shuffle_partitions: int = LOCAL_SHUFFLE_PARTITIONS,
) -> SparkSession:
    """A session on ``master`` (``local[*]``, ``local[2]``, ``spark://host:7077``, ``yarn``...)
    whose Python workers run this interpreter, with the console progress bar off (it garbles
    stdout). ``shuffle_partitions`` applies to local masters (a cluster's own setting stands).
    Raises SparkUnavailableError when pyspark or Java is missing. A session already running
    in this process is returned as it is."""
    problem = spark_problem()
    if problem:
        raise SparkUnavailableError(problem)
    # Workers must import the same pipeline with the same libraries: this interpreter here;
    # on a cluster, the one PYSPARK_PYTHON names on its nodes when it is set.
    if master.startswith("local") or "PYSPARK_PYTHON" not in os.environ:
        os.environ["PYSPARK_PYTHON"] = sys.executable
    from pyspark.sql import SparkSession

    builder = (
        SparkSession.builder.master(master)
        .appName(app_name)
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
    )
    # Spark's own log lines: errors only (Java options are split on spaces: a path with one
    # keeps Spark's default).
    logging_config = str(resources.files("pipeline.spark").joinpath("log4j2.properties"))
    if " " not in logging_config:
        builder = builder.config(
            "spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile=file:{logging_config}"
        )
    if master.startswith("local"):
        builder = builder.config("spark.ui.enabled", "false").config(
            "spark.sql.shuffle.partitions", str(shuffle_partitions)
        )
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    log.info("spark: %s, Spark %s", master, session.version)
    return session
