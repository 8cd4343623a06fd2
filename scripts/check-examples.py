#!/usr/bin/env python3
"""Check the deployment examples against what README says they hold, and against the Makefile and ldd.

Usage: check-examples.py --ferry BINARY [--extract FILE.yaml]

For etc/kubernetes/*.yaml (parsed with PyYAML: Debian's python3-yaml):
  - a ConfigMap with key ferry.yaml, mounted at /etc/ferry (where the image's ENTRYPOINT reads it), whose
    http.listen is 0.0.0.0:PORT; the ferry container's livenessProbe is httpGet /health and its readinessProbe
    httpGet /ready, both on PORT (numbers or names of its ports);
  - the ferry container's securityContext: runAsNonRoot, a runAsUser other than 0, readOnlyRootFilesystem,
    allowPrivilegeEscalation false, capabilities drop ALL and add nothing; state_dir on a writable volume,
    every input path under a mount; every ${VAR} without a default set in its env;
  - a DaemonSet reads /var/log/containers/*.log with format cri from read-only hostPath mounts of
    /var/log/pods and /var/log/containers, and its state on a hostPath;
  - the ConfigMap's configuration passes `BINARY check --config -` (standard input), with the container's
    env set and state_dir moved to a temporary directory; run as nobody when this runs as root.
For the Dockerfile: its build runs the Makefile's `release` command and the same strip as `make install`;
its runtime stage installs exactly the Debian packages of the libraries `ldd BINARY` names
(packaging/deb/depends.sh, the package's Depends without adduser | passwd); it runs as a non-root user and
its ENTRYPOINT is ferry run --config /etc/ferry/ferry.yaml.
--extract FILE.yaml prints that example's ferry configuration and exits.
Prints one line per check; exit 1 if any failed.
"""
import argparse
import glob
import os
import re
import shlex
import subprocess
import sys
import tempfile

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
failures = 0


def check(ok, what):
    global failures
    print(("  ok   " if ok else "  FAIL ") + what)
    if not ok:
        failures += 1
    return ok


def pod_spec(document):
    kind = document.get("kind")
    if kind == "Pod":
        return document["spec"]
    if kind in ("Deployment", "DaemonSet", "StatefulSet", "ReplicaSet", "Job"):
        return document["spec"]["template"]["spec"]
    return None


def ferry_config(documents):
    for document in documents:
        if document.get("kind") == "ConfigMap" and "ferry.yaml" in document.get("data", {}):
            return document["metadata"]["name"], document["data"]["ferry.yaml"]
    return None, None


def probe_port(probe, container):
    port = probe.get("httpGet", {}).get("port")
    if isinstance(port, str) and not port.isdigit():
        for declared in container.get("ports", []):
            if declared.get("name") == port:
                return declared.get("containerPort")
        return None
    return int(port) if port is not None else None


def mount_for(path, mounts):
    """The mount holding path (the longest mountPath that is a prefix of it)."""
    best = None
    for mount in mounts:
        prefix = mount["mountPath"].rstrip("/") + "/"
        if (path + "/").startswith(prefix) and (best is None or len(prefix) > len(best["mountPath"])):
            best = mount
    return best


def environment_of(container):
    env = {}
    for entry in container.get("env", []):
        if "value" in entry:
            env[entry["name"]] = entry["value"]
        elif "valueFrom" in entry:
            env[entry["name"]] = "example-" + entry["name"].lower()
    return env


def run_ferry_check(binary, config, env):
    with tempfile.TemporaryDirectory(prefix="ferry-examples-") as directory:
        os.chmod(directory, 0o755)
        state = os.path.join(directory, "state")
        # The state directory is the only change: the example's is on a volume that does not exist here.
        text, count = re.subn(r"(?m)^state_dir:.*$", f"state_dir: {state}", config)
        command = [binary, "check", "--config", "-"]
        if os.geteuid() == 0:
            import pwd
            nobody = pwd.getpwnam("nobody")
            os.chown(directory, nobody.pw_uid, nobody.pw_gid)
            command = ["setpriv", f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}", "--clear-groups", "--"] + command
        result = subprocess.run(command, input=text.encode(), capture_output=True,
                                env={"PATH": "/usr/bin:/bin", **env}, timeout=60)
        return count, result


def check_manifest(path, binary):
    name = os.path.relpath(path, ROOT)
    print(name)
    documents = [d for d in yaml.safe_load_all(open(path)) if d]
    config_map, config_text = ferry_config(documents)
    if not check(config_text is not None, "a ConfigMap holds ferry.yaml"):
        return
    config = yaml.safe_load(config_text)
    listen = str(config.get("http", {}).get("listen", ""))
    host, _, port_text = listen.rpartition(":")
    check(host == "0.0.0.0" and port_text.isdigit(), f"http.listen {listen!r} is 0.0.0.0:PORT (the kubelet reaches it)")
    port = int(port_text) if port_text.isdigit() else None

    workloads = [(d, pod_spec(d)) for d in documents if pod_spec(d)]
    if not check(len(workloads) == 1, f"one workload ({', '.join(d['kind'] for d, _ in workloads)})"):
        return
    workload, spec = workloads[0]
    containers = {c["name"]: c for c in spec.get("containers", [])}
    ferry = containers.get("ferry")
    if not check(ferry is not None, "a container named ferry"):
        return
    check("command" not in ferry and "args" not in ferry, "it runs the image's ENTRYPOINT (ferry run --config /etc/ferry/ferry.yaml)")

    liveness, readiness = ferry.get("livenessProbe", {}), ferry.get("readinessProbe", {})
    check(liveness.get("httpGet", {}).get("path") == "/health", "livenessProbe: httpGet /health")
    check(readiness.get("httpGet", {}).get("path") == "/ready", "readinessProbe: httpGet /ready")
    check(probe_port(liveness, ferry) == port and probe_port(readiness, ferry) == port,
          f"both probes on port {port}, http.listen's")
    check(any(p.get("containerPort") == port for p in ferry.get("ports", [])), f"port {port} declared")

    context = ferry.get("securityContext", {})
    check(context.get("runAsNonRoot") is True, "securityContext.runAsNonRoot: true")
    check(isinstance(context.get("runAsUser"), int) and context["runAsUser"] != 0, f"runAsUser {context.get('runAsUser')} (not root)")
    check(context.get("readOnlyRootFilesystem") is True, "readOnlyRootFilesystem: true")
    check(context.get("allowPrivilegeEscalation") is False, "allowPrivilegeEscalation: false")
    capabilities = context.get("capabilities", {})
    check(capabilities.get("drop") == ["ALL"] and not capabilities.get("add"), "capabilities: drop [ALL], add nothing")

    volumes = {v["name"]: v for v in spec.get("volumes", [])}
    mounts = ferry.get("volumeMounts", [])
    config_mount = next((m for m in mounts if m["mountPath"] == "/etc/ferry"), None)
    check(config_mount is not None and volumes.get(config_mount["name"], {}).get("configMap", {}).get("name") == config_map,
          f"ConfigMap {config_map} mounted at /etc/ferry")
    state_dir = config.get("state_dir", "/var/lib/ferry")
    state_mount = mount_for(state_dir, mounts)
    check(state_mount is not None and not state_mount.get("readOnly", False),
          f"state_dir {state_dir} on a writable volume ({state_mount and state_mount['name']})")
    paths = [p for i in config.get("inputs", []) for p in ([i["paths"]] if isinstance(i["paths"], str) else i["paths"])]
    for pattern in paths:
        mount = mount_for(pattern, mounts)
        check(mount is not None and mount.get("readOnly", False), f"input {pattern} under a read-only mount ({mount and mount['name']})")

    env = environment_of(ferry)
    for variable, default in re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(:-[^}]*)?\}", config_text):
        check(bool(default) or variable in env, f"${{{variable}}} is set in the container's env" if not default
              else f"${{{variable}}} has a default")

    if workload["kind"] == "DaemonSet":
        check(any(i.get("format") == "cri" and "/var/log/containers/*.log" in
                  ([i["paths"]] if isinstance(i["paths"], str) else i["paths"]) for i in config["inputs"]),
              "an input reads /var/log/containers/*.log with format: cri")
        for log_path in ("/var/log/pods", "/var/log/containers"):
            mount = next((m for m in mounts if m["mountPath"] == log_path), None)
            host = mount and volumes.get(mount["name"], {}).get("hostPath", {}).get("path")
            check(host == log_path and mount.get("readOnly") is True, f"{log_path}: hostPath, read-only")
        check("hostPath" in volumes.get(state_mount["name"], {}) if state_mount else False, "state on a hostPath")
        groups = spec.get("securityContext", {}).get("supplementalGroups", [])
        check(groups == [0], f"supplementalGroups {groups}: group root reads the runtime's 0640 logs, no capability")
        for init in spec.get("initContainers", []):
            added = init.get("securityContext", {}).get("capabilities", {}).get("add", [])
            dropped = init.get("securityContext", {}).get("capabilities", {}).get("drop", [])
            check(dropped == ["ALL"] and added == ["CHOWN"], f"init container {init['name']}: drop ALL, add only CHOWN")
    else:
        for other in containers.values():
            if other is ferry:
                continue
            other_context = other.get("securityContext", {})
            check(other_context.get("runAsUser", spec.get("securityContext", {}).get("runAsUser")) == context.get("runAsUser"),
                  f"container {other['name']} runs as the same user, so Ferry reads its files")
            shared = [m for m in other.get("volumeMounts", []) if "emptyDir" in volumes.get(m["name"], {})]
            check(any(mount_for(p, shared) for p in paths), f"container {other['name']} writes the inputs' files to a shared emptyDir")

    replaced, result = run_ferry_check(binary, config_text, env)
    check(replaced == 1 and result.returncode == 0,
          f"ferry check --config - (env {sorted(env)}; state_dir moved to a temporary directory): exit {result.returncode}"
          + ("" if result.returncode == 0 else "\n" + result.stdout.decode() + result.stderr.decode()))


def makefile_recipe(target):
    lines = open(os.path.join(ROOT, "Makefile")).read().split("\n")
    start = lines.index(f"{target}:") if f"{target}:" in lines else next(
        i for i, l in enumerate(lines) if l.startswith(f"{target}:"))
    recipe = []
    for line in lines[start + 1:]:
        if not line.startswith("\t"):
            break
        recipe.append(line.strip())
    return recipe


def check_dockerfile(binary):
    print("Dockerfile")
    text = open(os.path.join(ROOT, "Dockerfile")).read().replace("\\\n", " ")
    stages = re.split(r"(?m)^FROM ", text)[1:]
    check(len(stages) == 2, "two stages: build and runtime")
    build, runtime = stages[0], stages[-1]
    release = next(line for line in makefile_recipe("release") if line.startswith("swift build"))
    check(release in " ".join(build.split()), f"the build stage runs the Makefile's `{release}`")
    strip = next(line for line in makefile_recipe("install-files") if line.startswith("$(STRIP)"))
    strip_flags = strip.split()[1:-1]
    check(("strip " + " ".join(strip_flags)) in " ".join(build.split()), f"and strips as make install does ({' '.join(strip_flags)})")

    check(runtime.startswith("debian:bookworm-slim"), "runtime: debian:bookworm-slim")
    installs = re.findall(r"apt-get install ([^&\n]*)", runtime)
    packages = sorted(p for i in installs for p in i.split() if not p.startswith("-"))
    depends = subprocess.run([os.path.join(ROOT, "packaging/deb/depends.sh"), binary], capture_output=True, text=True)
    if not check(depends.returncode == 0, f"packaging/deb/depends.sh {binary}: {depends.stdout.strip() or depends.stderr.strip()}"):
        return
    wanted = sorted(p.split()[0] for p in depends.stdout.strip().split(", ") if p != "adduser | passwd")
    check(packages == wanted, f"runtime installs exactly the packages of ldd's libraries: {packages} == {wanted}")
    user = re.findall(r"(?m)^USER (\S+)", runtime)
    check(bool(user) and not user[-1].split(":")[0] in ("0", "root"), f"USER {user[-1] if user else None} (not root)")
    entrypoint = re.findall(r"(?m)^ENTRYPOINT (.*)$", runtime)
    check(entrypoint == ['["/usr/bin/ferry", "run", "--config", "/etc/ferry/ferry.yaml"]'],
          f"ENTRYPOINT {entrypoint[-1] if entrypoint else None}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ferry", required=True, help="the ferry binary (the release one for the libraries check)")
    parser.add_argument("--extract")
    args = parser.parse_args()
    manifests = sorted(glob.glob(os.path.join(ROOT, "etc/kubernetes/*.yaml")))
    if args.extract:
        print(ferry_config([d for d in yaml.safe_load_all(open(args.extract)) if d])[1], end="")
        return
    check(len(manifests) >= 2, f"{len(manifests)} Kubernetes examples")
    for path in manifests:
        check_manifest(path, os.path.abspath(args.ferry))
    check_dockerfile(os.path.abspath(args.ferry))
    print(f"check-examples: {failures} failed" if failures else "check-examples: ok")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
