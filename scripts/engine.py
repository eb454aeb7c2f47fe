#!/usr/bin/env python3
"""Start and stop a real local search cluster from Maven artifacts, no container needed.

    scripts/engine.py start --engine opensearch|elasticsearch [--nodes N] [--port P] [--home DIR]
    scripts/engine.py stop [--home DIR]

``start`` resolves OpenSearch (``org.opensearch:opensearch`` and the modules the
mappings need: ``analysis-common`` for the cjk_bigram and stemmer filters,
``transport-netty4-client`` for HTTP and the transport, ``lang-painless``, ``reindex-client``
for delete-by-query) with Maven,
which keeps them in ``~/.m2`` after the first download; compiles a twenty-line launcher
against them; and starts N nodes, each in a JVM of its own (512 MB of heap), so that one
can be killed without the others.  Everything binds to 127.0.0.1: node i answers HTTP on
``P + i`` and talks to the others on ``P + 100 + i``.  ``--port 0`` chooses a P whose ports
are all free and below the kernel's ephemeral range, where no outgoing connection takes one
between the choice and the node's start (an ephemeral P did, in CI: a node's transport port
was taken and it exited).  There is no security plugin (plain
HTTP, no passwords): a cluster for development and tests, never for data that matters.

It prints the first node's URL once the cluster has all its nodes and is yellow or green,
and leaves a pid file per node in the home folder; ``stop`` ends them (TERM, then KILL).
Standard library only: it is run before anything is installed.

``--engine elasticsearch`` unpacks Elasticsearch's integration-test distribution (Maven
Central, ``org.elasticsearch.distribution.integ-test-zip``) into the home folder, adds the
analysis components the mappings need (``COMMON_ANALYSIS``, compiled there: the
``analysis-common`` module itself is not on Maven Central for 8.x) and starts each node
with the distribution's own ``bin/elasticsearch -d``, security off.  Elasticsearch refuses
to run as root, so under root its nodes run as ``nobody``: the home must then be
reachable by that user (under /tmp).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

OPENSEARCH_VERSION = "2.19.6"  # the newest 2.x; 3.x needs Java 21
#: (group, artifact, version) of the server, of the modules loaded on its class path, and
#: of the logging back end the distribution ships (the server jar names only the API).
OPENSEARCH_ARTIFACTS = [
    ("org.opensearch", "opensearch", OPENSEARCH_VERSION),
    ("org.opensearch.plugin", "analysis-common", OPENSEARCH_VERSION),
    ("org.opensearch.plugin", "transport-netty4-client", OPENSEARCH_VERSION),
    ("org.opensearch.plugin", "lang-painless", OPENSEARCH_VERSION),
    ("org.opensearch.plugin", "reindex-client", OPENSEARCH_VERSION),
    ("org.apache.logging.log4j", "log4j-core", "2.25.4"),
]
OPENSEARCH_PLUGINS = [
    "org.opensearch.analysis.common.CommonAnalysisPlugin",
    "org.opensearch.transport.Netty4Plugin",
    "org.opensearch.painless.PainlessPlugin",
    "org.opensearch.index.reindex.ReindexPlugin",
]
HEAP = "512m"
START_TIMEOUT = 240  # seconds for every node to join and the cluster to turn yellow
STOP_TIMEOUT = 30
DEFAULT_PORT = 9200
ENGINES = ("opensearch", "elasticsearch")
TRANSPORT_OFFSET = 100

LAUNCHER = r"""
import java.util.*;
import java.util.concurrent.CountDownLatch;
import org.opensearch.common.logging.LogConfigurator;
import org.opensearch.common.settings.Settings;
import org.opensearch.env.Environment;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.plugins.Plugin;

/** One OpenSearch node with its modules on the class path: args are key=value settings
 *  (key[]=a,b for a list), system property engine.plugins the plugin classes. */
public class EngineNode {
    public static void main(String[] args) throws Exception {
        Settings.Builder builder = Settings.builder();
        for (String arg : args) {
            int eq = arg.indexOf('=');
            String key = arg.substring(0, eq), value = arg.substring(eq + 1);
            if (key.endsWith("[]")) builder.putList(key.substring(0, key.length() - 2), value.split(","));
            else builder.put(key, value);
        }
        Settings settings = builder.build();
        LogConfigurator.registerErrorListener();
        LogConfigurator.configureWithoutConfig(settings);
        LogConfigurator.setNodeName(settings.get("node.name"));
        List<Class<? extends Plugin>> plugins = new ArrayList<>();
        for (String name : System.getProperty("engine.plugins").split(",")) {
            plugins.add(Class.forName(name).asSubclass(Plugin.class));
        }
        Environment env = InternalSettingsPreparer.prepareEnvironment(settings, Collections.emptyMap(), null, () -> settings.get("node.name"));
        Node node = new Node(env, plugins, true) {};
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try { node.close(); } catch (Exception e) { e.printStackTrace(); }
            stopped.countDown();
        }));
        node.start();
        stopped.await();
    }
}
"""


ELASTICSEARCH_VERSION = "8.19.8"  # the newest 8.x; runs on Java 17 (9.x needs Java 21)
#: Elasticsearch's own distribution for integration tests, on Maven Central: the server with
#: the transport and security modules only.  The analysis components the mappings use
#: (``lowercase``, ``cjk_width``, ``cjk_bigram``, ``stemmer``, the ``pattern_replace`` char
#: filter) live in its ``analysis-common`` module, which is not on Maven Central for 8.x
#: (codelibs' republished modules stop at 7.10.2 there); ``COMMON_ANALYSIS`` provides them
#: by the same names on the same Lucene classes, as a plugin compiled against the server.
ELASTICSEARCH_ZIP = ("org.elasticsearch.distribution.integ-test-zip", "elasticsearch", ELASTICSEARCH_VERSION, "zip")
#: Elasticsearch refuses to run as root: under root, its nodes run as this user.
ELASTICSEARCH_USER = "nobody"

COMMON_ANALYSIS = r"""import java.io.Reader;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.apache.lucene.analysis.LowerCaseFilter;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.cjk.CJKBigramFilter;
import org.apache.lucene.analysis.cjk.CJKWidthFilter;
import org.apache.lucene.analysis.en.PorterStemFilter;
import org.apache.lucene.analysis.pattern.PatternReplaceCharFilter;
import org.elasticsearch.index.analysis.AbstractCharFilterFactory;
import org.elasticsearch.index.analysis.AbstractTokenFilterFactory;
import org.elasticsearch.index.analysis.CharFilterFactory;
import org.elasticsearch.index.analysis.TokenFilterFactory;
import org.elasticsearch.indices.analysis.AnalysisModule.AnalysisProvider;
import org.elasticsearch.plugins.AnalysisPlugin;
import org.elasticsearch.plugins.Plugin;

/** The analysis components of Elasticsearch's analysis-common module that the mappings
 *  use, by the same names and on the same Lucene classes (that module is not on Maven
 *  Central for 8.x/9.x). */
public class CommonAnalysis extends Plugin implements AnalysisPlugin {
    private static AnalysisProvider<TokenFilterFactory> filter(Function<TokenStream, TokenStream> make) {
        return (indexSettings, env, name, settings) -> new AbstractTokenFilterFactory(name, settings) {
            @Override public TokenStream create(TokenStream stream) { return make.apply(stream); }
        };
    }

    @Override
    public Map<String, AnalysisProvider<TokenFilterFactory>> getTokenFilters() {
        return Map.of(
            "lowercase", filter(LowerCaseFilter::new),
            "cjk_width", filter(CJKWidthFilter::new),
            "cjk_bigram", filter(CJKBigramFilter::new),
            "stemmer", (indexSettings, env, name, settings) -> {
                String language = settings.get("language", settings.get("name", "english"));
                if (!language.equalsIgnoreCase("english") && !language.equalsIgnoreCase("porter")) {
                    throw new IllegalArgumentException("stemmer [" + language + "] is not provided here; only english");
                }
                return new AbstractTokenFilterFactory(name, settings) {
                    @Override public TokenStream create(TokenStream stream) { return new PorterStemFilter(stream); }
                };
            });
    }

    @Override
    public Map<String, AnalysisProvider<CharFilterFactory>> getCharFilters() {
        return Map.of("pattern_replace", AnalysisPlugin.requiresAnalysisSettings((indexSettings, env, name, settings) -> {
            String pattern = settings.get("pattern");
            if (pattern == null) throw new IllegalArgumentException("pattern is missing for [" + name + "] char filter of type 'pattern_replace'");
            Pattern compiled = Pattern.compile(pattern);
            String replacement = settings.get("replacement", "");
            return new AbstractCharFilterFactory(name) {
                @Override public Reader create(Reader reader) { return new PatternReplaceCharFilter(compiled, replacement, reader); }
            };
        }));
    }
}
"""


class EngineError(Exception):
    """A one-line reason the cluster could not be started or stopped."""


def default_home(engine: str) -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "matchmaker-engine" / engine


def build_dir() -> Path:
    """Where the class path found by Maven and the compiled launcher are kept."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    path = Path(base) / "matchmaker-engine" / "build"
    path.mkdir(parents=True, exist_ok=True)
    return path


def run(cmd: list[str], what: str, cwd: Path | None = None) -> str:
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
        raise EngineError(f"{what} failed ({' '.join(cmd[:3])} ... exit {done.returncode}):\n{tail}")
    return done.stdout


def java_home() -> str | None:
    return os.environ.get("ENGINE_JAVA_HOME") or os.environ.get("JAVA_HOME")


def java_tool(name: str) -> str:
    home = java_home()
    return str(Path(home) / "bin" / name) if home else name


def resolve_classpath(home: Path, version: str, artifacts: list[tuple[str, str, str]]) -> str:
    """The server and its modules with every dependency, from ~/.m2 (Maven downloads
    what is missing); kept in the home folder per list of artifacts."""
    key = hashlib.sha256(repr(artifacts).encode()).hexdigest()[:12]
    cached = home / f"classpath-{version}-{key}.txt"
    if cached.exists():
        entries = cached.read_text().strip().split(os.pathsep)
        if all(Path(entry).exists() for entry in entries):
            return cached.read_text().strip()
    deps = "".join(
        f"<dependency><groupId>{g}</groupId><artifactId>{a}</artifactId><version>{v}</version></dependency>"
        for g, a, v in artifacts
    )
    pom = home / "pom.xml"
    pom.write_text(
        '<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>'
        "<groupId>local.matchmaker</groupId><artifactId>engine</artifactId><version>1</version>"
        f"<packaging>pom</packaging><dependencies>{deps}</dependencies></project>\n"
    )
    run(
        ["mvn", "-q", "-B", "-f", str(pom), "dependency:build-classpath", f"-Dmdep.outputFile={cached}"],
        f"resolving OpenSearch {version} with Maven",
    )
    return cached.read_text().strip()


def compile_launcher(home: Path, classpath: str) -> Path:
    classes = home / "launcher"
    if (classes / "EngineNode.class").exists() and (classes / "EngineNode.java").read_text() == LAUNCHER:
        return classes
    classes.mkdir(parents=True, exist_ok=True)
    (classes / "EngineNode.java").write_text(LAUNCHER)
    run([java_tool("javac"), "-nowarn", "-cp", classpath, "-d", str(classes), str(classes / "EngineNode.java")], "compiling the launcher")
    return classes


def node_settings(home: Path, i: int, nodes: int, port: int) -> list[str]:
    name = f"node-{i}"
    node_dir = home / name
    settings = {
        "cluster.name": "matchmaker-engine",
        "node.name": name,
        "path.home": str(node_dir),
        "path.data": str(node_dir / "data"),
        "path.logs": str(node_dir / "logs"),
        "network.host": "127.0.0.1",
        "http.port": str(port + i),
        "transport.port": str(port + TRANSPORT_OFFSET + i),
        # A full disk elsewhere on the machine must not make the test cluster read-only.
        "cluster.routing.allocation.disk.threshold_enabled": "false",
        "action.auto_create_index": "false",
        "indices.breaker.total.use_real_memory": "false",
    }
    if nodes == 1:
        settings["discovery.type"] = "single-node"
    else:
        settings["discovery.seed_hosts[]"] = ",".join(f"127.0.0.1:{port + TRANSPORT_OFFSET + j}" for j in range(nodes))
        settings["cluster.initial_cluster_manager_nodes[]"] = ",".join(f"node-{j}" for j in range(nodes))
    return [f"{k}={v}" for k, v in settings.items()]


def cluster_ports(port: int, nodes: int) -> list[int]:
    """Every port a cluster of ``nodes`` from ``port`` binds: HTTP, then the transport."""
    return [port + i for i in range(nodes)] + [port + TRANSPORT_OFFSET + i for i in range(nodes)]


def busy_ports(ports: list[int]) -> list[int]:
    """The ports of ``ports`` something on 127.0.0.1 already holds.  Probed as the nodes bind
    (address reuse on, as OpenSearch's and Elasticsearch's defaults are), so that a port left
    in TIME_WAIT by a node just stopped counts as free, as it is for the node started again."""
    busy = []
    for port in ports:
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                busy.append(port)
    return busy


def ephemeral_range() -> tuple[int, int]:
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999  # Linux's default


#: Where ``--port 0`` looks for a cluster's ports: above the well-known and common service
#: ports, below the ephemeral range (``ephemeral_range``) and below :data:`SINGLE_PORTS_FROM`,
#: where the tests draw single ports (``free_port``): a cluster's ports stay unbound for the
#: seconds its JVMs take to start, and a test server must not draw one meanwhile.
CLUSTER_PORTS_FROM, SINGLE_PORTS_FROM = 20000, 26000


def free_base_port(nodes: int = 1) -> int:
    """A base port whose cluster ports are all free now, chosen at random (two clusters
    started at once rarely draw the same)."""
    return _draw_free(CLUSTER_PORTS_FROM, SINGLE_PORTS_FROM, lambda port: cluster_ports(port, nodes))


def free_port() -> int:
    """A single loopback port free now, between the clusters' and the ephemeral range: one
    the kernel hands out (bind to port 0) may go to an outgoing connection before it is used."""
    high = max(ephemeral_range()[0], SINGLE_PORTS_FROM + 1000)  # where the ephemeral range starts low, overlap it
    return _draw_free(SINGLE_PORTS_FROM, high, lambda port: [port])


def _draw_free(low: int, high: int, ports_of) -> int:
    """A port from ``low`` on, drawn at random, whose ``ports_of`` are all below ``high`` and free."""
    span = max(ports_of(0))  # how far past the drawn port its last port lies
    for _ in range(200):
        port = random.randrange(low, high - span)
        if not busy_ports(ports_of(port)):
            return port
    raise EngineError(f"found no free ports between {low} and {high}; pass --port")


def pid_file(home: Path, i: int) -> Path:
    return home / f"node-{i}.pid"


#: Nodes started by this process, kept so that they are reaped (and not warned about)
#: when they end while it runs, as in a test that kills one.
_CHILDREN: dict[int, subprocess.Popen] = {}


def alive(pid: int) -> bool:
    if pid in _CHILDREN:
        return _CHILDREN[pid].poll() is None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie child of ours is not alive
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1].split()[0] != "Z"
    except OSError:
        return True


def start_node(home: Path, i: int) -> int:
    """Start node ``i`` of the cluster described by ``home/cluster.json``; its pid."""
    meta = json.loads((home / "cluster.json").read_text())
    if meta["engine"] == "elasticsearch":
        return start_elasticsearch_node(home, i, meta)
    node_dir = home / f"node-{i}"
    (node_dir / "config").mkdir(parents=True, exist_ok=True)
    (node_dir / "logs").mkdir(parents=True, exist_ok=True)
    cmd = [
        java_tool("java"), f"-Xms{HEAP}", f"-Xmx{HEAP}", "-XX:+UseSerialGC", "-Xss1m",
        "-Djava.awt.headless=true", "-Dfile.encoding=UTF-8", "-Dlog4j2.disable.jmx=true",
        "-Dio.netty.noUnsafe=true", "-Dio.netty.recycler.maxCapacityPerThread=0",
        f"-Djava.io.tmpdir={node_dir}", f"-Dengine.plugins={','.join(OPENSEARCH_PLUGINS)}",
        "-cp", f"{meta['launcher']}{os.pathsep}{meta['classpath']}", "EngineNode",
        *node_settings(home, i, meta["nodes"], meta["port"]),
    ]
    with open(node_dir / "logs" / "console.log", "ab") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    _CHILDREN[proc.pid] = proc
    pid_file(home, i).write_text(str(proc.pid))
    return proc.pid


def elasticsearch_distribution(home: Path) -> Path:
    """Elasticsearch unpacked into ``home`` (from the zip Maven keeps in ~/.m2), with the
    common-analysis plugin compiled into its ``plugins/``; its folder."""
    folder = home / "dist" / f"elasticsearch-{ELASTICSEARCH_VERSION}"
    plugin = folder / "plugins" / "common-analysis"
    if (plugin / "common-analysis.jar").exists() and (plugin / "CommonAnalysis.java").read_text() == COMMON_ANALYSIS:
        return folder
    group, artifact, version, kind = ELASTICSEARCH_ZIP
    run(["mvn", "-q", "-B", "dependency:get", f"-Dartifact={group}:{artifact}:{version}:{kind}", "-Dtransitive=false"],
        f"fetching Elasticsearch {version} with Maven")
    repository = Path.home() / ".m2" / "repository"
    archive = repository.joinpath(*group.split("."), artifact, version, f"{artifact}-{version}.{kind}")
    shutil.rmtree(folder, ignore_errors=True)
    with zipfile.ZipFile(archive) as zipped:
        zipped.extractall(folder.parent)
    for path in (folder / "bin").iterdir():
        path.chmod(0o755)  # zipfile keeps no modes
    for path in (folder / "jdk").glob("bin/*") if (folder / "jdk").exists() else []:
        path.chmod(0o755)
    classes = plugin / "classes"
    classes.mkdir(parents=True)
    (plugin / "CommonAnalysis.java").write_text(COMMON_ANALYSIS)
    run([java_tool("javac"), "-nowarn", "-cp", str(folder / "lib" / "*"), "-d", str(classes), str(plugin / "CommonAnalysis.java")],
        "compiling the common-analysis plugin")
    run([java_tool("jar"), "cf", str(plugin / "common-analysis.jar"), "-C", str(classes), "."], "packing the common-analysis plugin")
    shutil.rmtree(classes)
    (plugin / "plugin-descriptor.properties").write_text(
        "description=The analysis-common components the matchmaker's mappings use\nversion=1\nname=common-analysis\n"
        f"classname=CommonAnalysis\njava.version=17\nelasticsearch.version={ELASTICSEARCH_VERSION}\n"
    )
    return folder


def elasticsearch_settings(home: Path, i: int, nodes: int, port: int) -> dict[str, object]:
    node_dir = home / f"node-{i}"
    settings: dict[str, object] = {
        "cluster.name": "matchmaker-engine",
        "node.name": f"node-{i}",
        "path.data": str(node_dir / "data"),
        "path.logs": str(node_dir / "logs"),
        "network.host": "127.0.0.1",
        "http.port": port + i,
        "transport.port": port + TRANSPORT_OFFSET + i,
        "xpack.security.enabled": False,
        "cluster.routing.allocation.disk.threshold_enabled": False,
        "action.auto_create_index": False,
        "indices.breaker.total.use_real_memory": False,
    }
    if nodes == 1:
        settings["discovery.type"] = "single-node"
    else:
        settings["discovery.seed_hosts"] = [f"127.0.0.1:{port + TRANSPORT_OFFSET + j}" for j in range(nodes)]
        settings["cluster.initial_master_nodes"] = [f"node-{j}" for j in range(nodes)]
    return settings


def start_elasticsearch_node(home: Path, i: int, meta: dict) -> int:
    """Node ``i`` started by the distribution's own ``bin/elasticsearch -d`` (as
    ELASTICSEARCH_USER when this runs as root), with a config folder of its own; its pid."""
    dist = Path(meta["distribution"])
    node_dir = home / f"node-{i}"
    config = node_dir / "config"
    if not config.exists():
        shutil.copytree(dist / "config", config)
    for folder in ("data", "logs"):
        (node_dir / folder).mkdir(parents=True, exist_ok=True)
    settings = elasticsearch_settings(home, i, meta["nodes"], meta["port"])
    (config / "elasticsearch.yml").write_text("".join(f"{k}: {json.dumps(v)}\n" for k, v in settings.items()))
    server_pid = node_dir / "server.pid"
    server_pid.unlink(missing_ok=True)
    command = [str(dist / "bin" / "elasticsearch"), "-d", "-p", str(server_pid)]
    if os.geteuid() == 0:
        closed = [str(p) for p in home.parents if p.stat().st_mode & 0o001 == 0]
        if closed:
            raise EngineError(f"Elasticsearch runs as {ELASTICSEARCH_USER} under root, who cannot reach {home} "
                              f"(through {closed[0]}): choose a --home under /tmp")
        home.chmod(home.stat().st_mode | 0o005)  # the home folder is ours: let the user into it
        subprocess.run(["chown", "-R", ELASTICSEARCH_USER, str(node_dir)], check=True)
        command = ["runuser", "-u", ELASTICSEARCH_USER, "--", *command]
    java = java_home() or str(Path(shutil.which(java_tool("java")) or "java").resolve().parent.parent)
    env = {**os.environ, "ES_PATH_CONF": str(config), "ES_JAVA_HOME": java, "ES_JAVA_OPTS": f"-Xms{HEAP} -Xmx{HEAP}"}
    with open(node_dir / "logs" / "console.log", "ab") as log:
        done = subprocess.run(command, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                              start_new_session=True, timeout=START_TIMEOUT)
    if done.returncode != 0 or not server_pid.exists():
        tail = "\n".join((node_dir / "logs" / "console.log").read_text(errors="replace").splitlines()[-20:])
        raise EngineError(f"node-{i} did not start (exit {done.returncode}; logs in {node_dir / 'logs'}):\n{tail}")
    pid = int(server_pid.read_text().strip())
    pid_file(home, i).write_text(str(pid))
    return pid


def health(url: str, timeout: float = 2) -> dict | None:
    try:
        with urllib.request.urlopen(f"{url}/_cluster/health", timeout=timeout) as answer:
            return json.load(answer)
    except (OSError, ValueError, urllib.error.URLError):
        return None


def wait_ready(home: Path, url: str, nodes: int, timeout: float = START_TIMEOUT, status: tuple = ("yellow", "green")) -> dict:
    """Wait until every node has joined and the cluster's status is one of ``status``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for i in range(nodes):
            pid = read_pid(home, i)
            if pid is not None and not alive(pid):
                log = home / f"node-{i}" / "logs" / "console.log"
                tail = "\n".join(log.read_text(errors="replace").splitlines()[-20:]) if log.exists() else ""
                raise EngineError(f"node-{i} exited while starting (log {log}):\n{tail}")
        answer = health(url)
        if answer and answer.get("number_of_nodes") == nodes and answer.get("status") in status:
            return answer
        time.sleep(0.5)
    raise EngineError(f"the cluster at {url} was not ready within {timeout:.0f} s (logs in {home})")


def read_pid(home: Path, i: int) -> int | None:
    try:
        return int(pid_file(home, i).read_text())
    except (OSError, ValueError):
        return None


def start(engine: str, nodes: int, port: int, home: Path) -> str:
    if engine not in ENGINES:
        raise EngineError(f"unknown engine {engine!r}; this script starts {' or '.join(ENGINES)}")
    home.mkdir(parents=True, exist_ok=True)
    running = [i for i in range(nodes) if (pid := read_pid(home, i)) and alive(pid)]
    if running:
        raise EngineError(f"a cluster already runs from {home} (nodes {running}); stop it first")
    port = port or free_base_port(nodes)
    url = f"http://127.0.0.1:{port}"
    if health(url, timeout=1) is not None:
        raise EngineError(f"something already answers on {url}; choose another --port")
    if busy := busy_ports(cluster_ports(port, nodes)):
        raise EngineError(f"port(s) {', '.join(map(str, busy))} on 127.0.0.1 are taken (node i binds --port + i and "
                          f"--port + {TRANSPORT_OFFSET} + i); choose another --port, or --port 0 for free ones")
    if engine == "elasticsearch":
        meta = {"engine": engine, "version": ELASTICSEARCH_VERSION, "nodes": nodes, "port": port, "url": url,
                "distribution": str(elasticsearch_distribution(home))}
    else:
        build = build_dir()  # shared by every home: resolved and compiled once per machine
        classpath = resolve_classpath(build, OPENSEARCH_VERSION, OPENSEARCH_ARTIFACTS)
        launcher = compile_launcher(build, classpath)
        meta = {"engine": engine, "version": OPENSEARCH_VERSION, "nodes": nodes, "port": port,
                "url": url, "classpath": classpath, "launcher": str(launcher)}
    (home / "cluster.json").write_text(json.dumps(meta, indent=1))
    for i in range(nodes):
        start_node(home, i)
    try:
        wait_ready(home, url, nodes)
    except EngineError:
        stop(home)
        raise
    return url


def stop_node(home: Path, i: int, sig: int = signal.SIGTERM, timeout: float = STOP_TIMEOUT) -> None:
    pid = read_pid(home, i)
    if pid is None:
        return
    if alive(pid):
        os.kill(pid, sig)
        deadline = time.monotonic() + timeout
        while alive(pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        if alive(pid):
            os.kill(pid, signal.SIGKILL)
            while alive(pid):
                time.sleep(0.1)
    pid_file(home, i).unlink(missing_ok=True)


def stop(home: Path) -> int:
    """Stop every node started from ``home``; how many there were."""
    indices = sorted(int(p.stem.split("-")[1]) for p in home.glob("node-*.pid"))
    for i in indices:
        pid = read_pid(home, i)
        if pid is not None and alive(pid):
            os.kill(pid, signal.SIGTERM)
    for i in indices:
        stop_node(home, i)
    return len(indices)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    begin = commands.add_parser("start", help="start a local cluster and print its URL")
    begin.add_argument("--engine", default="opensearch", choices=ENGINES)
    begin.add_argument("--nodes", type=int, default=1)
    begin.add_argument("--port", type=int, default=DEFAULT_PORT,
                       help=f"node i answers HTTP on PORT + i (default {DEFAULT_PORT}); 0 chooses free ports")
    begin.add_argument("--home", type=Path)
    end = commands.add_parser("stop", help="stop the cluster started from --home")
    end.add_argument("--engine", default="opensearch", choices=ENGINES)
    end.add_argument("--home", type=Path)
    args = parser.parse_args(argv)
    home = (args.home or default_home(args.engine)).resolve()
    try:
        if args.command == "start":
            if args.nodes < 1:
                raise EngineError("--nodes must be at least 1")
            print(start(args.engine, args.nodes, args.port, home), flush=True)
        else:
            stopped = stop(home)
            print(f"stopped {stopped} node(s) of {home}" if stopped else f"no cluster runs from {home}")
    except EngineError as exc:
        print(f"engine: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
