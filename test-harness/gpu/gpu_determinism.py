#!/usr/bin/env python3
"""Two llama-server replicas, one seeded corpus, byte-exact streams.

Requirements: ORCH-3120 (cuda build flags), ORCH-3121 (the sidecar's bodies and flags),
ORCH-3122 (byte-identical streams), ORCH-3123 (the report); CPU runs: ORCH-1101.

One prepared script for a GPU host without Node.js (stdlib Python only; numpy, torch and
transformers are not needed). It

  1. builds the CUDA llama-server from llama.cpp source (or takes a built binary),
  2. makes a small GGUF with the real qwen2 architecture and random weights (written here by a
     stdlib GGUF v3 writer; no model is downloaded),
  3. starts two replicas on 127.0.0.1 with the sidecar's determinism flags and -ngl 999
     (-ngl 0 on CPU),
  4. sends the determinism suite's 64 seeded prompts (corpus.json) to both replicas at the same
     time, with the same POST /completion bodies the sidecar sends (sampler profile v1),
  5. checks that the first 32 tokens and the full streams are byte-identical across replicas,
     records tokens/s per replica, the GPU name and driver version (nvidia-smi), and writes one
     small JSON report. Exit 0 only when every stream matched.

`npm test` runs this same script on CPU (test-harness/gpu/gpu-twin.test.ts): -ngl 0, the CPU
llama-server from the toolchain, a tiny model: the CPU carve-out (ORCH-1101).
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tarfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
DEFAULT_CORPUS = os.path.join(REPO, "test-harness", "determinism-suite", "corpus.json")
PREFIX_TOKENS = 32

# ---------------------------------------------------------------------------------------------
# ORCH-3121: the request body: sidecar/src/adapters/llamacpp/{request,sampler-profiles}.ts, profile v1, in
# the same key order, so json.dumps(separators=(",", ":")) gives the bytes JSON.stringify gives.
# gpu-twin.test.ts checks all 64 bodies byte for byte against test-harness/bench/direct-engine.ts
# completionBody(), which sidecar/test/bench-baseline.test.ts pins to the sidecar's builder.
# ---------------------------------------------------------------------------------------------
V1_SAMPLER = [
    ("samplers", ["penalties", "top_k", "top_p", "min_p", "temperature"]),
    ("temperature", 0.8),
    ("top_k", 40),
    ("top_p", 0.95),
    ("min_p", 0.05),
    ("dynatemp_range", 0),
    ("dynatemp_exponent", 1),
    ("typical_p", 1),
    ("xtc_probability", 0),
    ("xtc_threshold", 0.1),
    ("top_n_sigma", -1),
    ("repeat_penalty", 1),
    ("repeat_last_n", 64),
    ("presence_penalty", 0),
    ("frequency_penalty", 0),
    ("dry_multiplier", 0),
    ("dry_base", 1.75),
    ("dry_allowed_length", 2),
    ("dry_penalty_last_n", 64),
    ("adaptive_target", -1),
    ("adaptive_decay", 0.9),
    ("mirostat", 0),
    ("mirostat_tau", 5),
    ("mirostat_eta", 0.1),
    ("min_keep", 0),
    ("n_probs", 0),
    ("ignore_eos", False),
]


def completion_body(prompt: str, max_tokens: int, seed: int) -> dict:
    body = {k: (list(v) if isinstance(v, list) else v) for k, v in V1_SAMPLER}
    body.update(
        prompt=prompt,
        stream=True,
        seed=seed,
        n_predict=max_tokens,
        id_slot=0,
        cache_prompt=False,
        return_tokens=True,
        n_indent=0,
        stop=[],
    )
    return body


def body_bytes(prompt: str, max_tokens: int, seed: int) -> bytes:
    return json.dumps(
        completion_body(prompt, max_tokens, seed), separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")


# ---------------------------------------------------------------------------------------------
# The CUDA build: the flags of tools/src/toolchain/llama-build.ts cmakeConfigureArgs('cuda').
# gpu-twin.test.ts checks that these lists equal the toolchain's.
# ---------------------------------------------------------------------------------------------
CMAKE_COMMON = [
    "-DCMAKE_BUILD_TYPE=Release",
    "-DBUILD_SHARED_LIBS=OFF",
    "-DLLAMA_CURL=OFF",
    "-DLLAMA_OPENSSL=OFF",
    "-DLLAMA_BUILD_TESTS=OFF",
    "-DLLAMA_BUILD_EXAMPLES=OFF",
    "-DLLAMA_BUILD_TOOLS=ON",
    "-DLLAMA_BUILD_SERVER=ON",
    "-DLLAMA_BUILD_UI=OFF",
    "-DLLAMA_USE_PREBUILT_UI=OFF",
]
# Turing, Ampere (A100; A10/RTX 30), Ada (L4/L40), Hopper (H100/H200) as SASS, plus Hopper PTX
# that newer GPUs JIT-compile. CUDA 13 dropped Maxwell, Pascal and Volta, so none are listed.
CUDA_ARCHITECTURES = "75-real;80-real;86-real;89-real;90-real;90-virtual"


# x86-64: no ggml AMX kernels (the native build segfaulted in ggml_backend_amx_mul_mat on an AMX
# VM, llama.cpp issue 20824); GCC keeps an explicit -mno-* over -march=native.
NO_AMX_FLAGS = "-mno-amx-tile -mno-amx-int8 -mno-amx-bf16"


def cmake_configure_args(flavour: str, ninja: bool, cuda_archs: str = CUDA_ARCHITECTURES) -> list:
    args = (["-G", "Ninja"] if ninja else []) + list(CMAKE_COMMON)
    if flavour == "cuda":
        args += ["-DGGML_CUDA=ON", f"-DCMAKE_CUDA_ARCHITECTURES={cuda_archs}"]
    else:
        args += ["-DGGML_CUDA=OFF"]
    if platform.machine().lower() in ("x86_64", "amd64"):
        args += [f"-DCMAKE_C_FLAGS={NO_AMX_FLAGS}", f"-DCMAKE_CXX_FLAGS={NO_AMX_FLAGS}"]
    return args


def log(msg: str) -> None:
    print(f"[gpu-determinism] {msg}", flush=True)


def fail(msg: str, code: int = 2) -> "NoReturn":  # type: ignore[name-defined]  # noqa: F821
    print(f"[gpu-determinism] FAIL: {msg}", file=sys.stderr, flush=True)
    sys.exit(code)


def build_llama_server(src: str, build_dir: str, flavour: str, archs: str, jobs: int,
                       configure_only: bool = False) -> str:
    cmake = shutil.which("cmake") or fail("cmake is not on PATH")
    if flavour == "cuda" and shutil.which("nvcc") is None:
        cuda_nvcc = "/usr/local/cuda/bin/nvcc"
        if os.path.exists(cuda_nvcc):
            os.environ["PATH"] = "/usr/local/cuda/bin:" + os.environ.get("PATH", "")
        else:
            fail("the cuda flavour needs nvcc (CUDA toolkit) on PATH")
    ninja = shutil.which("ninja") is not None
    args = cmake_configure_args(flavour, ninja, archs)
    log(f"cmake configure ({flavour}): {' '.join(args)}")
    t0 = time.time()
    # The archive has no .git: keep llama.cpp's build-info from picking up an enclosing repo's
    # commit (the report carries the source commit from LLAMA_COMMIT instead).
    env = dict(os.environ, GIT_CEILING_DIRECTORIES=os.path.dirname(os.path.abspath(src)))
    subprocess.run([cmake, "-S", src, "-B", build_dir, *args], check=True, env=env,
                   stdout=subprocess.DEVNULL if not os.environ.get("VERBOSE") else None)
    if configure_only:
        log(f"configured {build_dir} ({flavour}); --configure-only: not building")
        sys.exit(0)
    subprocess.run([cmake, "--build", build_dir, "--config", "Release", "--target",
                    "llama-server", "-j", str(jobs)], check=True, env=env)
    log(f"built llama-server ({flavour}) in {time.time() - t0:.0f} s")
    return os.path.join(build_dir, "bin", "llama-server")


def extract_source(tar_path: str, dest: str) -> str:
    marker = os.path.join(dest, "CMakeLists.txt")
    if not os.path.exists(marker):
        os.makedirs(dest, exist_ok=True)
        with tarfile.open(tar_path) as tf:
            tf.extractall(dest)  # our own archive, made by pack-source.ts
    if not os.path.exists(marker):
        fail(f"{tar_path} holds no CMakeLists.txt at its root")
    return dest


# ---------------------------------------------------------------------------------------------
# A small qwen2 GGUF with random weights, written with the stdlib (GGUF v3, little endian).
# ---------------------------------------------------------------------------------------------
GGUF_U32, GGUF_I32, GGUF_F32, GGUF_BOOL, GGUF_STR, GGUF_ARR = 4, 5, 6, 7, 8, 9
T_F32, T_F16 = 0, 1
ALIGN = 32

SIZES = {
    # name: (n_embd, n_layer, n_head, n_head_kv, n_ff)
    "tiny": (64, 2, 4, 2, 128),
    "small": (512, 8, 8, 2, 1408),
}


def bytes_to_unicode() -> dict:
    """GPT-2's byte -> printable unicode map, as byte-level BPE vocabularies use it."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(
        range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


MERGES = [("Ġ", "t"), ("h", "e"), ("Ġ", "a"), ("i", "n"), ("Ġt", "he"), ("e", "r"), ("o", "n"),
          ("Ġ", "s"), ("Ġ", "w"), ("r", "e")]
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]


def _str(s: str) -> bytes:
    b = s.encode("utf-8")
    return struct.pack("<Q", len(b)) + b


def _kv(key: str, vtype: int, value) -> bytes:
    out = _str(key) + struct.pack("<I", vtype)
    if vtype == GGUF_STR:
        return out + _str(value)
    if vtype == GGUF_U32:
        return out + struct.pack("<I", value)
    if vtype == GGUF_F32:
        return out + struct.pack("<f", value)
    if vtype == GGUF_BOOL:
        return out + struct.pack("<?", value)
    raise ValueError(vtype)


def _kv_arr(key: str, etype: int, values: list) -> bytes:
    out = _str(key) + struct.pack("<IIQ", GGUF_ARR, etype, len(values))
    if etype == GGUF_STR:
        return out + b"".join(_str(v) for v in values)
    if etype == GGUF_I32:
        return out + struct.pack(f"<{len(values)}i", *values)
    raise ValueError(etype)


def make_qwen2_gguf(path: str, size: str, seed: int = 1234, ctx: int = 2048) -> dict:
    n_embd, n_layer, n_head, n_head_kv, n_ff = SIZES[size]
    head_dim = n_embd // n_head
    n_kv = head_dim * n_head_kv
    b2u = bytes_to_unicode()
    tokens = [b2u[b] for b in range(256)] + [a + b for a, b in MERGES] + SPECIALS
    types = [1] * (len(tokens) - len(SPECIALS)) + [3] * len(SPECIALS)  # normal, control
    n_vocab = len(tokens)
    eos = tokens.index("<|endoftext|>")
    kvs = [
        _kv("general.architecture", GGUF_STR, "qwen2"),
        _kv("general.name", GGUF_STR, f"random-qwen2-{size}"),
        _kv("general.file_type", GGUF_U32, 1),
        _kv("qwen2.context_length", GGUF_U32, ctx),
        _kv("qwen2.embedding_length", GGUF_U32, n_embd),
        _kv("qwen2.block_count", GGUF_U32, n_layer),
        _kv("qwen2.feed_forward_length", GGUF_U32, n_ff),
        _kv("qwen2.attention.head_count", GGUF_U32, n_head),
        _kv("qwen2.attention.head_count_kv", GGUF_U32, n_head_kv),
        _kv("qwen2.rope.freq_base", GGUF_F32, 1000000.0),
        _kv("qwen2.attention.layer_norm_rms_epsilon", GGUF_F32, 1e-6),
        _kv("tokenizer.ggml.model", GGUF_STR, "gpt2"),
        _kv("tokenizer.ggml.pre", GGUF_STR, "qwen2"),
        _kv_arr("tokenizer.ggml.tokens", GGUF_STR, tokens),
        _kv_arr("tokenizer.ggml.token_type", GGUF_I32, types),
        _kv_arr("tokenizer.ggml.merges", GGUF_STR, [f"{a} {b}" for a, b in MERGES]),
        _kv("tokenizer.ggml.eos_token_id", GGUF_U32, eos),
        _kv("tokenizer.ggml.bos_token_id", GGUF_U32, eos),
        _kv("tokenizer.ggml.padding_token_id", GGUF_U32, eos),
        _kv("tokenizer.ggml.add_bos_token", GGUF_BOOL, False),
    ]
    # (name, dims ne0..., type, kind): kind "w" random matrix, "b" small bias, "n" norm (ones).
    tensors = [("token_embd.weight", (n_embd, n_vocab), T_F16, "e")]
    for i in range(n_layer):
        p = f"blk.{i}."
        tensors += [
            (p + "attn_norm.weight", (n_embd,), T_F32, "n"),
            (p + "attn_q.weight", (n_embd, n_embd), T_F16, "w"),
            (p + "attn_q.bias", (n_embd,), T_F32, "b"),
            (p + "attn_k.weight", (n_embd, n_kv), T_F16, "w"),
            (p + "attn_k.bias", (n_kv,), T_F32, "b"),
            (p + "attn_v.weight", (n_embd, n_kv), T_F16, "w"),
            (p + "attn_v.bias", (n_kv,), T_F32, "b"),
            (p + "attn_output.weight", (n_embd, n_embd), T_F16, "w"),
            (p + "ffn_norm.weight", (n_embd,), T_F32, "n"),
            (p + "ffn_gate.weight", (n_embd, n_ff), T_F16, "w"),
            (p + "ffn_up.weight", (n_embd, n_ff), T_F16, "w"),
            (p + "ffn_down.weight", (n_ff, n_embd), T_F16, "w"),
        ]
    tensors += [("output_norm.weight", (n_embd,), T_F32, "n"),
                ("output.weight", (n_embd, n_vocab), T_F16, "e")]

    rng = random.Random(seed)
    infos = b""
    blobs = []
    offset = 0
    n_params = 0
    for name, dims, ttype, kind in tensors:
        count = 1
        for d in dims:
            count *= d
        n_params += count
        if kind == "n":
            vals = [1.0] * count
        else:
            # Uniform init scaled by fan-in: activations stay O(1), logits have structure.
            a = {"w": (3.0 / dims[0]) ** 0.5, "e": 1.0, "b": 0.02}[kind]
            vals = [rng.uniform(-a, a) for _ in range(count)]
        data = struct.pack(f"<{count}{'e' if ttype == T_F16 else 'f'}", *vals)
        infos += _str(name) + struct.pack("<I", len(dims)) + b"".join(
            struct.pack("<Q", d) for d in dims) + struct.pack("<IQ", ttype, offset)
        pad = (-len(data)) % ALIGN
        blobs.append(data + b"\0" * pad)
        offset += len(data) + pad
    header = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(kvs)) + b"".join(kvs) + infos
    header += b"\0" * ((-len(header)) % ALIGN)
    with open(path, "wb") as f:
        f.write(header)
        for b in blobs:
            f.write(b)
    return {"architecture": "qwen2", "size": size, "n_embd": n_embd, "n_layer": n_layer,
            "n_head": n_head, "n_head_kv": n_head_kv, "n_ff": n_ff, "n_vocab": n_vocab,
            "params": n_params, "bytes": os.path.getsize(path), "seed": seed,
            "weights": "random (uniform, fan-in scaled), F16 matrices, F32 norms and biases"}


# ---------------------------------------------------------------------------------------------
# ORCH-3121: replicas with the sidecar's launch flags (sidecar/src/adapters/llamacpp/launch.ts), each optional
# flag only when this build's --help lists it, plus -ngl.
# ---------------------------------------------------------------------------------------------
def help_has(help_text: str, flag: str) -> bool:
    import re
    return re.search(r"(^|[\s,])" + re.escape(flag) + r"(?=[\s,=]|$)", help_text, re.M) is not None


def launch_args(help_text: str, model: str, port: int, ngl: int, threads: int, ctx: int,
                batch: int, ubatch: int, gpu: bool) -> list:
    has = lambda f: help_has(help_text, f)  # noqa: E731
    args = ["-m", model, "--host", "127.0.0.1", "--port", str(port)]
    args += ["-np", "1", "--no-cont-batching", "--metrics"]
    args += ["-c", str(ctx), "-b", str(batch), "-ub", str(ubatch), "-t", str(threads)]
    if has("--threads-batch"):
        args += ["-tb", str(threads)]
    for f in ["--no-webui", "--slots", "--no-cache-prompt"]:
        if has(f):
            args.append(f)
    if has("--cache-ram"):
        args += ["--cache-ram", "0"]
    if has("--cache-reuse"):
        args += ["--cache-reuse", "0"]
    if has("--no-cache-idle-slots"):
        args.append("--no-cache-idle-slots")
    if has("--fit"):
        args += ["--fit", "off"]
    if has("--no-context-shift"):
        args.append("--no-context-shift")
    if gpu and has("--split-mode"):
        args += ["--split-mode", "none"]  # a one-GPU device mask never splits
    import re
    if re.search(r"--flash-attn\s*\[?on\|off\|auto", help_text, re.I) or re.search(
            r"-fa,?\s+--flash-attn\s+\[?on", help_text, re.I):
        args += ["-fa", "off"]
    args += ["-ngl", str(ngl)]
    return args


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Replica:
    def __init__(self, name: str, binary: str, args: list, env: dict, log_path: str):
        self.name = name
        self.port = int(args[args.index("--port") + 1])
        self.args = args
        self.log_path = log_path
        self.log = open(log_path, "wb")
        self.proc = subprocess.Popen([binary, *args], stdout=self.log, stderr=subprocess.STDOUT,
                                     env=env, start_new_session=True)

    def wait_healthy(self, timeout_s: float) -> None:
        deadline = time.time() + timeout_s
        while time.time() < deadline:
            if self.proc.poll() is not None:
                fail(f"{self.name} exited {self.proc.returncode} before /health: {self.tail()}")
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                c.request("GET", "/health")
                if c.getresponse().status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        fail(f"{self.name} not healthy within {timeout_s:.0f} s: {self.tail()}")

    def tail(self) -> str:
        self.log.flush()
        with open(self.log_path, "rb") as f:
            return f.read()[-1500:].decode("utf-8", "replace")

    def get_json(self, path: str):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        c.request("GET", path)
        return json.loads(c.getresponse().read())

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.log.close()

    def complete(self, body: bytes, timeout_s: float) -> dict:
        """One streaming POST /completion; every chunk's content and token ids, and the end."""
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout_s)
        t0 = time.time()
        c.request("POST", "/completion", body=body, headers={"content-type": "application/json"})
        res = c.getresponse()
        if res.status != 200:
            raise RuntimeError(f"{self.name}: HTTP {res.status}: {res.read()[:300]!r}")
        events, ids, end = [], [], None
        for raw in res:
            line = raw.decode("utf-8").rstrip("\r\n")
            if not line.startswith("data: "):
                continue
            chunk = json.loads(line[6:])
            toks = chunk.get("tokens") or []
            ids += toks
            if chunk.get("content", "") != "" or toks:
                events.append({"content": chunk.get("content", ""), "tokens": toks})
            if chunk.get("stop"):
                end = {"stop_type": chunk.get("stop_type"),
                       "tokens_predicted": chunk.get("tokens_predicted"),
                       "predicted_ms": (chunk.get("timings") or {}).get("predicted_ms")}
                break
        if end is None:
            raise RuntimeError(f"{self.name}: stream ended without a stop chunk")
        text = "".join(e["content"] for e in events)
        return {"events": events, "ids": ids, "text": text, "end": end,
                "wall_s": time.time() - t0}


def run_corpus(rep: Replica, entries: list, max_tokens: int, timeout_s: float, out: dict,
               seed_offset: int = 0) -> None:
    try:
        out["runs"] = [rep.complete(body_bytes(e["prompt"], max_tokens, e["seed"] + seed_offset),
                                    timeout_s) for e in entries]
    except Exception as exc:  # reported by the main thread
        out["error"] = f"{type(exc).__name__}: {exc}"


def nvidia_smi() -> dict | None:
    """ORCH-3123: GPU name, driver version, memory and compute capability for the report."""
    if shutil.which("nvidia-smi") is None:
        return None
    r = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version,memory.total,compute_cap",
                        "--format=csv,noheader"], capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        return {"error": r.stderr.strip()[:300]}
    gpus = []
    for line in r.stdout.strip().splitlines():
        parts = [p.strip() for p in line.split(",")]
        gpus.append(dict(zip(["name", "driver_version", "memory_total", "compute_cap"], parts)))
    return {"gpus": gpus}


def gpu_processes() -> dict | None:
    """pid -> used GPU memory (MiB) of the compute processes nvidia-smi sees; None without it."""
    if shutil.which("nvidia-smi") is None:
        return None
    r = subprocess.run(["nvidia-smi", "--query-compute-apps=pid,used_memory",
                        "--format=csv,noheader,nounits"], capture_output=True, text=True,
                       timeout=30)
    procs = {}
    for line in r.stdout.strip().splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) == 2 and parts[0].isdigit():
            procs[int(parts[0])] = parts[1]
    return procs


def compare(entries: list, a: list, b: list) -> list:
    """ORCH-3122: first 32 ids, every event, the UTF-8 bytes and the end, per prompt."""
    diffs = []
    for e, ra, rb in zip(entries, a, b):
        problems = []
        if ra["ids"][:PREFIX_TOKENS] != rb["ids"][:PREFIX_TOKENS]:
            problems.append(f"first {PREFIX_TOKENS} token ids differ")
        if ra["events"] != rb["events"]:
            problems.append("token events differ")
        if ra["text"].encode("utf-8") != rb["text"].encode("utf-8"):
            problems.append("UTF-8 bytes differ")
        if (ra["end"]["stop_type"], ra["end"]["tokens_predicted"]) != (
                rb["end"]["stop_type"], rb["end"]["tokens_predicted"]):
            problems.append(f"ends differ: {ra['end']} vs {rb['end']}")
        if problems:
            first = next((i for i, (x, y) in enumerate(zip(ra["ids"], rb["ids"])) if x != y),
                         min(len(ra["ids"]), len(rb["ids"])))
            diffs.append({"seed": e["seed"], "prompt": e["prompt"], "problems": problems,
                          "first_diff_index": first, "a_ids": ra["ids"], "b_ids": rb["ids"]})
    return diffs


def replica_stats(runs: list) -> dict:
    toks = sum(r["end"]["tokens_predicted"] or 0 for r in runs)
    ms = sum(r["end"]["predicted_ms"] or 0 for r in runs)
    wall = sum(r["wall_s"] for r in runs)
    return {"tokens": toks, "decode_tokens_per_s": round(1000 * toks / ms, 1) if ms else None,
            "wall_tokens_per_s": round(toks / wall, 1) if wall else None,
            "wall_s": round(wall, 2)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--device", choices=["cuda", "cpu"], default="cuda")
    ap.add_argument("--llama-server", help="a built llama-server (skips the build)")
    ap.add_argument("--llama-src", help="llama.cpp source dir to build from")
    ap.add_argument("--llama-src-tar", help="tar.gz of llama.cpp source (pack-source.ts)")
    ap.add_argument("--cuda-archs", default=os.environ.get("LLAMA_ORCH_CUDA_ARCHS",
                                                           CUDA_ARCHITECTURES))
    ap.add_argument("--configure-only", action="store_true",
                    help="run the cmake configure of the build and exit")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--work", default=os.path.join(HERE, ".work"))
    ap.add_argument("--corpus", default=DEFAULT_CORPUS)
    ap.add_argument("--max-tokens", type=int, help="default: the corpus's max_tokens")
    ap.add_argument("--model-size", choices=sorted(SIZES), default=None,
                    help="default: small on cuda, tiny on cpu")
    ap.add_argument("--threads", type=int, default=None, help="-t per replica (cpu: 1, cuda: 4)")
    ap.add_argument("--timeout", type=float, default=120, help="seconds per request")
    ap.add_argument("--out", default=None, help="report path (default: <work>/report.json)")
    ap.add_argument("--break-b-seed", type=int, default=0,
                    help="test only: add this to replica B's seeds (the check must go red)")
    ap.add_argument("--print-bodies", action="store_true",
                    help="print the 64 request bodies (one JSON per line) and exit")
    ap.add_argument("--print-cmake-args", choices=["cpu", "cuda"],
                    help="print the cmake configure args (JSON) and exit")
    opts = ap.parse_args()
    # SIGTERM (a test runner's timeout) unwinds through `finally`, which stops both replicas.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    with open(opts.corpus, encoding="utf-8") as f:
        corpus = json.load(f)
    entries = corpus["entries"]
    max_tokens = opts.max_tokens or corpus["max_tokens"]
    if opts.print_bodies:
        for e in entries:
            sys.stdout.write(body_bytes(e["prompt"], max_tokens, e["seed"]).decode("utf-8") + "\n")
        return 0
    if opts.print_cmake_args:
        print(json.dumps(cmake_configure_args(opts.print_cmake_args, True, opts.cuda_archs)))
        return 0

    gpu = opts.device == "cuda"
    if not gpu:
        log("CPU carve-out (ORCH-1101): llama-server on CPU with -ngl 0, a tiny random-weight "
            "qwen2 model; production runs this script with --device cuda on an NVIDIA GPU")
    os.makedirs(opts.work, exist_ok=True)
    t_start = time.time()

    binary = opts.llama_server
    build_s = None
    source_commit = None
    if binary is None:
        src = opts.llama_src
        if src is None and opts.llama_src_tar:
            src = extract_source(opts.llama_src_tar, os.path.join(opts.work, "llama-src"))
        if src is None:
            fail("give --llama-server BIN, --llama-src DIR or --llama-src-tar FILE")
        commit_file = os.path.join(src, "LLAMA_COMMIT")
        if os.path.exists(commit_file):
            with open(commit_file, encoding="utf-8") as f:
                source_commit = f.read().strip()
        t0 = time.time()
        binary = build_llama_server(src, os.path.join(opts.work, f"build-{opts.device}"),
                                    opts.device, opts.cuda_archs, opts.jobs, opts.configure_only)
        build_s = round(time.time() - t0, 1)
    if not os.access(binary, os.X_OK):
        fail(f"llama-server not executable: {binary}")
    version = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=60)
    help_text = subprocess.run([binary, "--help"], capture_output=True, text=True, timeout=60)
    help_text = help_text.stdout + help_text.stderr
    listed = subprocess.run([binary, "--list-devices"], capture_output=True, text=True, timeout=60)
    devices = [ln.strip() for ln in listed.stdout.splitlines()
               if ln.startswith("  ") and ln.strip() != "(none)"]
    log(f"llama-server devices: {devices or ['none']}")
    if gpu and not any(d.startswith("CUDA") for d in devices):
        fail(f"--device cuda, but this llama-server lists no CUDA device: {devices or 'none'} "
             "(a CPU-only build, or no driver/GPU visible)")

    size = opts.model_size or ("small" if gpu else "tiny")
    model_path = os.path.join(opts.work, f"random-qwen2-{size}.gguf")
    t0 = time.time()
    model = make_qwen2_gguf(model_path, size)
    model["make_s"] = round(time.time() - t0, 1)
    log(f"made {model_path}: qwen2 {size}, {model['params']:,} params, {model['bytes']:,} bytes")

    threads = opts.threads or (4 if gpu else 1)
    ngl = 999 if gpu else 0
    env = dict(os.environ)
    replicas = []
    report: dict = {}
    try:
        for name in ["A", "B"]:
            args = launch_args(help_text, model_path, free_port(), ngl, threads, 512, 512, 512, gpu)
            replicas.append(Replica(name, binary, args, env,
                                    os.path.join(opts.work, f"replica-{name}.log")))
        for r in replicas:
            r.wait_healthy(120)
        props = [r.get_json("/props") for r in replicas]
        log(f"replicas up: {', '.join(f'{r.name} :{r.port}' for r in replicas)}; "
            f"build_info {props[0].get('build_info')}")
        # On a GPU, both replicas must really run there: no "no usable GPU" warning, and each
        # process holds GPU memory (nvidia-smi's compute apps) while it serves.
        on_gpu = gpu_processes()
        for r in replicas:
            if gpu and "no usable GPU found" in r.tail():
                fail(f"replica {r.name} found no usable GPU: {r.tail()}")
            if gpu and on_gpu is not None and r.proc.pid not in on_gpu:
                fail(f"replica {r.name} (pid {r.proc.pid}) holds no GPU memory; "
                     f"nvidia-smi compute apps: {on_gpu}")

        results = [{}, {}]
        t0 = time.time()
        threads_ = [threading.Thread(target=run_corpus, args=(r, entries, max_tokens,
                                                               opts.timeout, results[i],
                                                               opts.break_b_seed if i else 0))
                    for i, r in enumerate(replicas)]
        for t in threads_:
            t.start()
        for t in threads_:
            t.join()
        run_s = round(time.time() - t0, 2)
        for i, res in enumerate(results):
            if "error" in res:
                fail(f"replica {replicas[i].name}: {res['error']}; log tail: {replicas[i].tail()}")
        a, b = results[0]["runs"], results[1]["runs"]
        diffs = compare(entries, a, b)
        distinct = len({tuple(r["ids"]) for r in a})
        report = {
            "schema": 1,
            "what": "ORCH-3120..3123: two llama-server replicas, corpus v%d, byte-exact streams"
                    % corpus["version"],
            "carve_out": None if gpu else "CPU carve-out (ORCH-1101): -ngl 0 on CPU",
            "device": opts.device,
            "gpu": nvidia_smi(),
            "llama_server": {"bin": binary, "version": next((ln for ln in (version.stdout + version.stderr).splitlines()
                                              if ln.startswith("version:")), None),
                             "build_info": props[0].get("build_info"), "build_s": build_s,
                             "source_commit": source_commit,
                             "cuda_archs": opts.cuda_archs if gpu and build_s else None},
            "launch_args": replicas[0].args,
            "llama_devices": devices,
            "gpu_processes": {r.name: (on_gpu or {}).get(r.proc.pid) for r in replicas}
            if on_gpu is not None else None,
            "model": model,
            "prompts": len(entries),
            "max_tokens": max_tokens,
            "prefix_tokens_checked": PREFIX_TOKENS,
            "identical_first_32": sum(1 for x, y in zip(a, b)
                                      if x["ids"][:PREFIX_TOKENS] == y["ids"][:PREFIX_TOKENS]),
            "identical_full": len(entries) - len(diffs),
            "distinct_streams": distinct,
            "replicas": {"A": replica_stats(a), "B": replica_stats(b)},
            "run_s": run_s,
            "total_s": round(time.time() - t_start, 1),
            "divergences": diffs[:4],
            # Random weights may sample EOS early; a stuck or empty engine still cannot pass.
            "ok": not diffs and distinct > len(entries) // 2
            and sum(len(x["ids"]) for x in a) >= len(entries) * max_tokens // 4,
        }
    finally:
        for r in replicas:
            r.stop()
    out = opts.out or os.path.join(opts.work, "report.json")
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w", encoding="utf-8") as f:
        json.dump(report, f, indent=2)
        f.write("\n")
    ra, rb = report["replicas"]["A"], report["replicas"]["B"]
    log(f"{report['identical_full']}/{report['prompts']} streams byte-identical, "
        f"{report['identical_first_32']}/{report['prompts']} first-{PREFIX_TOKENS} identical, "
        f"{distinct} distinct streams; decode tok/s A {ra['decode_tokens_per_s']} "
        f"B {rb['decode_tokens_per_s']}; run {report['run_s']} s; report {out}")
    if not report["ok"]:
        for d in diffs[:8]:
            print(f"  seed {d['seed']}: {'; '.join(d['problems'])} (first diff at token "
                  f"{d['first_diff_index']})", file=sys.stderr)
        fail("the replicas did not produce byte-identical streams" if diffs
             else "degenerate output (no tokens, or every stream the same)", 1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
