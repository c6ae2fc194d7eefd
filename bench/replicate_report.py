#!/usr/bin/env python3
"""Builds RESULTS.md for bench/replicate.sh from its rows.tsv, the eval JSON lines and each run's metrics.jsonl.

A "## Reading" section already present in docs/RESULTS.md is carried over, so a re-run refreshes the tables without
losing the written interpretation (which then may need revisiting: the header says when the tables were made)."""
import datetime, json, math, os, struct, sys

rows_file, smoke, total, word, byte, steps, lanes = sys.argv[1:8]
smoke = smoke == "1"


def last_json(path):
    for line in reversed(open(path, encoding="utf-8").read().splitlines()):
        if line.strip().startswith("{"):
            return json.loads(line)
    raise SystemExit(f"replicate_report.py: no JSON line in {path}")


def training_summary(run):
    """tokens/s (mean over records after the first: JIT warm-up) and expert usage from the counts summed over the
    records of the last 10% of the steps, per layer (paper.md §5: sum raw counts, then take ratios)."""
    recs = [json.loads(l) for l in open(os.path.join(run, "metrics.jsonl"), encoding="utf-8")]
    recs = [r for r in recs if "tokens_per_s" in r]
    tps = [r["tokens_per_s"] for r in recs[1:]] or [r["tokens_per_s"] for r in recs]
    last_step = recs[-1]["step"]
    tail = [r for r in recs if r["step"] > last_step * 0.9] or recs[-1:]
    layers = {}
    for r in tail:
        for e in r.get("experts") or []:
            acc = layers.setdefault(e["layer"], [0] * len(e["counts"]))
            for i, c in enumerate(e["counts"]):
                acc[i] += c
    dead, urp = [], []
    for counts in layers.values():
        n = sum(counts)
        p = [c / n for c in counts if c > 0]
        urp.append(math.exp(-sum(q * math.log(q) for q in p)) / len(counts))
        dead.append(sum(1 for c in counts if c == 0) / len(counts))
    return (sum(tps) / len(tps),
            f"{sum(dead) / len(dead):.3f}" if dead else "–",
            f"{sum(urp) / len(urp):.3f}" if urp else "–")


def ckpt_config(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
    return json.loads(header["__metadata__"]["config"])


rows = [l.rstrip("\n").split("\t") for l in open(rows_file, encoding="utf-8")]
out = ["# Results: the paper's baselines and ablations at CPU size\n"]
when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
if smoke:
    out.append("**SMOKE RUN: 12 training steps per row, 8 evaluation segments. The numbers only show that every row "
               "trains, evaluates and reports; they say nothing about the paper's claims.**\n")
out.append(f"Made by `bench/replicate.sh` on {when}: {len(rows)} rows, {steps} training steps each "
           f"(B 16 × T 64 = {int(steps) * 1024:,} tokens per row, the same tokens for every row of a corpus), "
           f"{lanes} lanes (rows side by side, one core each), total wall time {int(total) // 60} min {int(total) % 60} s. "
           "Models: the tiny Transformer-XL (d_model 128, 2 layers, 4 heads × 32, no dropout, lr 1e-3 cosine, "
           "warm-up 20) with the paper's N_E and K and expert size G/4; conf/cpu-*.conf.\n")
out.append("Evaluation: `jobs/eval.sh`, segment 64, XL memory of 4 segments (the paper's 4 × segment protocol), 8 "
           "streams" + ("; 8 segments per stream." if smoke else "; word level on the full valid/test splits, byte "
           "level on the first 204,800 bytes of each (8 streams × 400 segments).") + "\n")

for level, corpus in (("word", word), ("byte", byte)):
    sel = [r for r in rows if r[0] == level]
    if not sel:
        continue
    metric = "ppl" if level == "word" else "bpc"
    paper = "paper WT-S 47M ppl" if level == "word" else "paper E8 41M bpc"
    title = "Word level" if level == "word" else "Byte level (enwik8 style)"
    out.append(f"## {title} (`{corpus}`)\n")
    out.append(f"| row | valid {metric} | test {metric} | test loss | FFN FLOPs % | dead experts | usage rel. ppl | "
               f"tokens/s | train s | {paper} | what |")
    out.append("|---|---|---|---|---|---|---|---|---|---|---|")
    base_dff = None
    for lvl, name, conf, pnum, what, cmd, secs, run, evalopts in sel:
        v, t = last_json(run + ".eval-valid.log"), last_json(run + ".eval-test.log")
        m = ckpt_config(t["checkpoint"])
        ffn = m.get("ffn")
        if ffn in ("dense", "dense_topk") and base_dff is None:
            base_dff = m["d_ff"]
        if ffn in ("dense", "dense_topk", "pkm") and base_dff is None:
            pct = None  # a partial run (--only) without the level's dense row has nothing to compare with
        elif ffn == "dense":
            pct = 100 * m["d_ff"] / base_dff
        elif ffn == "dense_topk":   # W1 in full, W2 on the K kept units
            pct = 100 * (m["d_ff"] + m["topk_activation"]) / (2 * base_dff)
        elif ffn == "pkm":          # dense product keys: [2n, d] block keys and all n² values, vs 2·d·d_ff
            n = m["pkm_keys"]
            pct = 100 * (n * n + 2 * n) / (2 * base_dff)
        else:
            pct = 100 * m["top_k"] / m["n_experts"]
        pct = "–" if pct is None else f"{pct:.1f}"
        tps, dead, urp = training_summary(run)
        fmt = (lambda r: f"{r['ppl']:.2f}") if level == "word" else (lambda r: f"{r['bpc']:.3f}")
        out.append(f"| {name} | {fmt(v)} | {fmt(t)} | {t['loss']:.4f} | {pct} | {dead} | {urp} | {tps:.0f} | {secs} "
                   f"| {pnum} | {what} |")
    out.append("")

out.append("Columns: FFN FLOPs % is K/N_E for MoE rows (the paper's Tab. 3/7 definition, selection excluded), d_ff "
           "relative to the parameter-equal dense row for dense rows, (d_ff + K)/(2·d_ff) for dense top-K, (n² + 2n)/(2·d_ff) "
           "for PKM with n sub-keys (all n² values and the block-diagonal keys, as the paper's runs computed it). Dead "
           "experts (fraction with no selection) and usage relative perplexity (exp(H(p))/N_E, 1 = uniform) come from "
           "the expert counts summed over the last 10% of training steps, per layer, then averaged over the layers. "
           "tokens/s is the training throughput of one lane (one core), mean of the logged intervals after the first; "
           "rows that ran beside a busier row or other work on the machine read lower, so compare it loosely. "
           "Paper columns: test numbers of Tab. 10 (σ-MoE rows and ablations), Tab. 3 (dense) and Tab. 1 (dense "
           "top-K, K 128), Tab. 2 (WT-S) and Tab. 6 (E8) for PKM; no paper number exists for the FLOP-equal dense.\n")
out.append("## Commands\n")
out.append("Every row: the training command below, then `jobs/eval.sh --checkpoint CKPT --data CORPUS --split "
           "valid|test --segment 64 --mem-segments 4 --batch 8 [EVAL]` with CKPT the last line of the training "
           "output. `bench/replicate.sh` runs them with `OMP_NUM_THREADS=1 SIGMOE_JAVA_OPTS='-XX:ActiveProcessorCount=1 "
           "-Dsigmoe.javaThreads=1'` (one core per lane; the numbers do not depend on it).\n")
for lvl, name, conf, pnum, what, cmd, secs, run, evalopts in rows:
    out.append(f"- **{lvl}/{name}**: `{cmd}`" + (f"; EVAL `{evalopts}`" if evalopts else ""))
out.append("")

reading = ""
if not smoke and os.path.exists("docs/RESULTS.md"):
    old = open("docs/RESULTS.md", encoding="utf-8").read()
    if "\n## Reading" in old:
        reading = old[old.index("\n## Reading") + 1:]
sys.stdout.write("\n".join(out) + ("\n" + reading if reading else ""))
