#!/usr/bin/env python3
"""Builds the RESULTS.md table of bench/replicate.sh from its rows.tsv, the eval JSON lines and metrics.jsonl."""
import json, math, os, sys

rows_file, smoke, total, corpus = sys.argv[1], sys.argv[2] == "1", int(sys.argv[3]), sys.argv[4]

def last_json(path):
    for line in reversed(open(path, encoding="utf-8").read().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            return json.loads(line)
    raise SystemExit(f"no JSON line in {path}")

def last_metrics(run):
    """The last metrics.jsonl record with training statistics (tokens/s, expert usage)."""
    path = os.path.join(run, "metrics.jsonl")
    rec = {}
    if os.path.exists(path):
        for line in open(path, encoding="utf-8"):
            r = json.loads(line)
            if "tokens_per_s" in r:
                rec = r
    return rec


out = []
out.append("# Replication at CPU size (bench/replicate.sh)\n")
if smoke:
    out.append("**SMOKE RUN: 20 training steps per row, 20 evaluation segments. The numbers only show that every row "
               "trains and evaluates; they say nothing about the paper's claims.**\n")
else:
    out.append("Full run: every row trains for the configuration's steps on the same corpus (same tokens per row).\n")
out.append(f"Corpus: `{corpus}`. Total wall time: {total} s. Evaluation: jobs/eval.sh, segment 64, memory 4 segments, "
           "batch 4 (the paper's protocol at tiny size). Paper column: WT-S 47M test perplexity (Tab. 3/10, Tab. 1 for "
           "dense top-K); the tiny rows are the same variants at d 128, 2 layers, so compare orderings, not values.\n")
out.append("| row | valid loss | valid ppl | test loss | test ppl | FFN FLOPs % | dead experts | usage rel. ppl | tokens/s | train s | paper WT-S ppl | what |")
out.append("|---|---|---|---|---|---|---|---|---|---|---|---|")
cmds = []
for line in open(rows_file, encoding="utf-8"):
    name, conf, paper, what, cmd, secs, run = line.rstrip("\n").split("\t")
    v = last_json(run + ".eval-valid.log")
    t = last_json(run + ".eval-test.log")
    met = last_metrics(run)
    experts = met.get("experts") or []
    dead = f"{sum(e['dead_fraction'] for e in experts) / len(experts):.3f}" if experts else "–"
    urp = f"{sum(e['usage_rel_perplexity'] for e in experts) / len(experts):.3f}" if experts else "–"
    tps = f"{met['tokens_per_s']:.0f}" if "tokens_per_s" in met else "–"
    out.append(f"| {name} | {v['loss']:.4f} | {v['ppl']:.2f} | {t['loss']:.4f} | {t['ppl']:.2f} | {{FLOPS:{name}}} | {dead} | {urp} | {tps} | {secs} | {paper} | {what} |")
    cmds.append(f"- **{name}**: `{cmd}`")
out.append("\nFFN FLOPs %: MoE rows K/N_E (the paper's Tab. 3/7 definition, selection excluded); dense rows relative to "
           "the dense baseline's d_ff (so the FLOP-equal dense shows its d_ff/258); dense top-K counts W1 fully and W2 on "
           "the K kept units.\n")
out.append("Dead experts and usage relative perplexity (exp(H(p))/N_E, 1 = uniform) are the mean over layers of the "
           "last metrics.jsonl training record; tokens/s is that record's training throughput.\n")
out.append("## Commands\n")
out.extend(cmds)
out.append("\nEach row is then evaluated with `jobs/eval.sh --checkpoint CKPT --data CORPUS --split valid|test --segment 64 "
           "--mem-segments 4 --batch 4` (the checkpoint path is the last line of the training output).")
text = "\n".join(out) + "\n"
# FFN FLOPs % of a dense FFN of the same width (paper Tab. 3/7), from the checkpoint's config metadata
def ckpt_config(path):
    import struct
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
    return json.loads(header["__metadata__"]["config"])

# dense rows relative to the first dense row's d_ff (the parameter-equal baseline); MoE rows K/N_E as the paper
base_dff = None
for line in open(rows_file, encoding="utf-8"):
    name, conf, paper, what, cmd, secs, run = line.rstrip("\n").split("\t")
    m = ckpt_config(last_json(run + ".eval-test.log")["checkpoint"])
    ffn = m.get("ffn")
    if ffn in ("dense", "dense_topk") and base_dff is None:
        base_dff = m["d_ff"]
    if ffn == "dense":
        pct = f"{100 * m['d_ff'] / base_dff:.1f}"
    elif ffn == "dense_topk":
        pct = f"{100 * (m['d_ff'] + m['topk_activation']) / (2 * base_dff):.1f}"
    else:
        pct = f"{100 * m['top_k'] / m['n_experts']:.1f}"
    text = text.replace("{FLOPS:" + name + "}", pct)
sys.stdout.write(text)
