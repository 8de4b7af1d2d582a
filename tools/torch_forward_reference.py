"""PyTorch eager's throughput on the models of //runtime/model:forward_benchmark, for the side-by-side report.

There is no transformers package here, so this file holds a small BERT written in plain PyTorch the way
Hugging Face's BertForSequenceClassification computes it (eager attention): embeddings (word + position +
token type) and LayerNorm; post-LN layers with separate query/key/value Linears, softmax attention with the
additive mask (0 attended, float32's lowest value masked), dense + residual + LayerNorm, an erf-GELU
feed-forward, dense + residual + LayerNorm; the pooler (tanh of a dense on [CLS]) and the classifier. Module
names follow the checkpoint keys ("bert.encoder.layer.0.attention.self.query.weight", ...), so bert-mini loads
its own model.safetensors (read here with json + numpy) and pooler/classifier are initialised like lrbench
does for a checkpoint that lacks them. Before timing, the model is checked against the outputs Hugging Face
computed for the parity fixture third_party/fixtures/hf-parity/bert_tiny_cls3 (the same check lrbench's
parity_test makes), and the errors go into the JSON.

Measures, for each thread count given (torch.set_num_threads), under torch.inference_mode() in eval mode,
float32: forward throughput (sequences/s) of bert-mini and of a random BERT-base-shaped model at each batch
size and sequence length; and fine-tuning throughput (examples/s) of bert-mini: a fresh AdamW (weight decay on
weights but not biases or LayerNorm), a linear schedule, cross-entropy, gradient clipping at 1.0, training mode,
as runtime/model/training.cc does. Each case runs repetitions of at least --min_time seconds after one warm-up.

Prints one JSON object: {"torch_version", "date", "load_avg" (at the start), "glibc_tunables",
"self_check": {...}, "benchmarks": [{"name", "repetition", "real_time_ms", "sequences_per_second" |
"examples_per_second"}]}, names as the C++ benchmark's with "pytorch" in place of "lrbench". Run with Debian's
interpreter: /usr/bin/python3 (python3-torch).
"""
import argparse
import json
import math
import os
import struct
import time

import numpy as np
import torch
from torch import nn

VOCAB_BERT_BASE = 30522


# --- safetensors (8-byte little-endian header length, JSON header, raw little-endian data) ---------------

def read_safetensors(path: str) -> dict:
    with open(path, "rb") as f:
        (header_len,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(header_len))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        raw = data[begin:end]
        dtype = info["dtype"]
        if dtype == "F32":
            arr = np.frombuffer(raw, dtype="<f4")
        elif dtype == "F16":
            arr = np.frombuffer(raw, dtype="<f2").astype(np.float32)
        elif dtype == "BF16":  # the upper half of a float32
            arr = (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
        elif dtype == "I64":
            arr = np.frombuffer(raw, dtype="<i8")
        else:
            raise ValueError(f"{path}: tensor {name} has dtype {dtype}, not F32/F16/BF16/I64")
        out[name] = torch.from_numpy(arr.reshape(info["shape"]).copy())
    return out


# --- the model --------------------------------------------------------------------------------------------

class Config:
    def __init__(self, **kw):
        self.vocab_size = kw["vocab_size"]
        self.hidden_size = kw["hidden_size"]
        self.num_hidden_layers = kw["num_hidden_layers"]
        self.num_attention_heads = kw["num_attention_heads"]
        self.intermediate_size = kw["intermediate_size"]
        self.max_position_embeddings = kw["max_position_embeddings"]
        self.type_vocab_size = kw["type_vocab_size"]
        self.layer_norm_eps = kw.get("layer_norm_eps", 1e-12)
        self.hidden_act = kw.get("hidden_act", "gelu")
        self.hidden_dropout_prob = kw.get("hidden_dropout_prob", 0.1)
        self.attention_probs_dropout_prob = kw.get("attention_probs_dropout_prob", 0.1)
        self.num_labels = kw.get("num_labels", 2)
        if self.hidden_act != "gelu":
            raise ValueError(f"hidden_act {self.hidden_act}: this reference implements gelu (erf) only")

    @staticmethod
    def from_json(path: str, num_labels: int) -> "Config":
        with open(path) as f:
            c = json.load(f)
        return Config(num_labels=num_labels, **{k: v for k, v in c.items() if k != "num_labels"})


def bert_base(num_labels: int = 2) -> Config:
    return Config(vocab_size=VOCAB_BERT_BASE, hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
                  intermediate_size=3072, max_position_embeddings=512, type_vocab_size=2, num_labels=num_labels)


class Embeddings(nn.Module):
    def __init__(self, c: Config):
        super().__init__()
        self.word_embeddings = nn.Embedding(c.vocab_size, c.hidden_size)
        self.position_embeddings = nn.Embedding(c.max_position_embeddings, c.hidden_size)
        self.token_type_embeddings = nn.Embedding(c.type_vocab_size, c.hidden_size)
        self.LayerNorm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)
        self.dropout = nn.Dropout(c.hidden_dropout_prob)

    def forward(self, ids, token_types):
        positions = torch.arange(ids.size(1), dtype=torch.long, device=ids.device).unsqueeze(0).expand_as(ids)
        x = self.word_embeddings(ids) + self.position_embeddings(positions) + self.token_type_embeddings(token_types)
        return self.dropout(self.LayerNorm(x))


class SelfAttention(nn.Module):
    def __init__(self, c: Config):
        super().__init__()
        self.heads = c.num_attention_heads
        self.head_dim = c.hidden_size // c.num_attention_heads
        self.query = nn.Linear(c.hidden_size, c.hidden_size)
        self.key = nn.Linear(c.hidden_size, c.hidden_size)
        self.value = nn.Linear(c.hidden_size, c.hidden_size)
        self.dropout = nn.Dropout(c.attention_probs_dropout_prob)

    def forward(self, x, mask):
        b, s, _ = x.shape

        def split(t):
            return t.view(b, s, self.heads, self.head_dim).transpose(1, 2)

        q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_dim) + mask
        probs = self.dropout(torch.softmax(scores, dim=-1))
        return torch.matmul(probs, v).transpose(1, 2).reshape(b, s, self.heads * self.head_dim)


class AddNorm(nn.Module):  # BertSelfOutput / BertOutput
    def __init__(self, c: Config, inp: int):
        super().__init__()
        self.dense = nn.Linear(inp, c.hidden_size)
        self.LayerNorm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)
        self.dropout = nn.Dropout(c.hidden_dropout_prob)

    def forward(self, x, residual):
        return self.LayerNorm(self.dropout(self.dense(x)) + residual)


class Attention(nn.Module):
    def __init__(self, c: Config):
        super().__init__()
        self.self = SelfAttention(c)
        self.output = AddNorm(c, c.hidden_size)

    def forward(self, x, mask):
        return self.output(self.self(x, mask), x)


class Intermediate(nn.Module):
    def __init__(self, c: Config):
        super().__init__()
        self.dense = nn.Linear(c.hidden_size, c.intermediate_size)

    def forward(self, x):
        return nn.functional.gelu(self.dense(x))  # erf GELU ("gelu")


class Layer(nn.Module):
    def __init__(self, c: Config):
        super().__init__()
        self.attention = Attention(c)
        self.intermediate = Intermediate(c)
        self.output = AddNorm(c, c.intermediate_size)

    def forward(self, x, mask):
        a = self.attention(x, mask)
        return self.output(self.intermediate(a), a)


class Encoder(nn.Module):
    def __init__(self, c: Config):
        super().__init__()
        self.layer = nn.ModuleList(Layer(c) for _ in range(c.num_hidden_layers))


class Pooler(nn.Module):
    def __init__(self, c: Config):
        super().__init__()
        self.dense = nn.Linear(c.hidden_size, c.hidden_size)


class BertModel(nn.Module):
    def __init__(self, c: Config):
        super().__init__()
        self.embeddings = Embeddings(c)
        self.encoder = Encoder(c)
        self.pooler = Pooler(c)


class BertForSequenceClassification(nn.Module):
    def __init__(self, c: Config):
        super().__init__()
        self.bert = BertModel(c)
        self.dropout = nn.Dropout(c.hidden_dropout_prob)
        self.classifier = nn.Linear(c.hidden_size, c.num_labels)

    def forward(self, input_ids, attention_mask, token_type_ids):
        # [batch, seq] 0/1 -> [batch, 1, 1, seq]: 0 where attended, the most negative float where masked.
        mask = (1.0 - attention_mask.to(torch.float32)) * torch.finfo(torch.float32).min
        mask = mask[:, None, None, :]
        embedded = self.bert.embeddings(input_ids, token_type_ids)
        h = embedded
        for layer in self.bert.encoder.layer:
            h = layer(h, mask)
        pooled = torch.tanh(self.bert.pooler.dense(h[:, 0]))
        return embedded, h, self.classifier(self.dropout(pooled))


def init_weights(model: nn.Module) -> None:
    """Hugging Face's (and lrbench's) initialisation: N(0, 0.02) weights, zero biases, unit norm scales."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith(".bias"):
                p.zero_()
            elif "LayerNorm" in name:
                p.fill_(1.0)
            else:
                p.normal_(0.0, 0.02)


def load_checkpoint(model: nn.Module, path: str) -> None:
    weights = read_safetensors(path)
    own = dict(model.named_parameters())
    used = {k: v for k, v in weights.items() if k in own}
    missing = [k for k in own if k not in used]
    heads = ("bert.pooler.", "classifier.")
    if any(not k.startswith(heads) for k in missing):
        raise ValueError(f"{path} lacks encoder weights: {[k for k in missing if not k.startswith(heads)]}")
    with torch.no_grad():
        for k, v in used.items():
            if own[k].shape != v.shape:
                raise ValueError(f"{path}: {k} has shape {list(v.shape)}, the model expects {list(own[k].shape)}")
            own[k].copy_(v)


# --- timing -----------------------------------------------------------------------------------------------

def timed(fn, min_time: float, repetitions: int):
    """Seconds per call for each repetition (each at least min_time and 1 call), after one warm-up call."""
    fn()
    out = []
    for _ in range(repetitions):
        runs, start = 0, time.perf_counter()
        while True:
            fn()
            runs += 1
            elapsed = time.perf_counter() - start
            if elapsed >= min_time:
                break
        out.append(elapsed / runs)
    return out


def random_inputs(c: Config, batch: int, seq: int, seed: int):
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(1000, c.vocab_size, (batch, seq), generator=g)
    return ids, torch.ones(batch, seq, dtype=torch.long), torch.zeros(batch, seq, dtype=torch.long)


def self_check(fixture: str) -> dict:
    c = Config.from_json(os.path.join(fixture, "config.json"), num_labels=3)
    model = BertForSequenceClassification(c).eval()
    load_checkpoint(model, os.path.join(fixture, "model.safetensors"))
    exp = read_safetensors(os.path.join(fixture, "expected.safetensors"))
    with torch.inference_mode():
        got = model(exp["input_ids"], exp["attention_mask"], exp["token_type_ids"])
    errors = {name: float((g - exp[name]).abs().max()) for name, g in
              zip(("embedding_output", "last_hidden_state", "logits"), got)}
    if max(errors.values()) > 1e-4:
        raise SystemExit(f"torch_forward_reference.py: the reference BERT disagrees with {fixture}: {errors}")
    return {"fixture": fixture, "max_abs_error": errors}


def finetune_steps(model: nn.Module, c: Config, batch: int, seq: int, steps: int, seed: int) -> None:
    """`steps` AdamW steps on synthetic examples, as lrbench's Finetune makes them (fresh optimizer)."""
    decay = [p for n, p in model.named_parameters() if "bias" not in n and "LayerNorm" not in n]
    no_decay = [p for n, p in model.named_parameters() if "bias" in n or "LayerNorm" in n]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=1e-4, betas=(0.9, 0.999), eps=1e-8)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: max(0.0, (steps - step) / steps))
    g = torch.Generator().manual_seed(seed)
    model.train()
    for _ in range(steps):
        ids = torch.randint(1000, c.vocab_size, (batch, seq), generator=g)
        labels = torch.randint(0, c.num_labels, (batch,), generator=g)
        opt.zero_grad()
        _, _, logits = model(ids, torch.ones_like(ids), torch.zeros_like(ids))
        loss = nn.functional.cross_entropy(logits, labels)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        if not math.isfinite(loss.item()):
            raise SystemExit("torch_forward_reference.py: fine-tuning loss is not finite")
    model.eval()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, nargs="+", required=True)
    ap.add_argument("--bert_mini_dir", default="third_party/embedded/models/bert-mini-mlm")
    ap.add_argument("--fixture", default="third_party/fixtures/hf-parity/bert_tiny_cls3")
    ap.add_argument("--batches", type=int, nargs="+", default=[1, 8, 32])
    ap.add_argument("--seq", type=int, default=128)
    ap.add_argument("--models", nargs="+", default=["bert-mini", "bert-base"])
    ap.add_argument("--min_time", type=float, default=1.0)
    ap.add_argument("--repetitions", type=int, default=3)
    ap.add_argument("--finetune_steps", type=int, default=10, help="0: no fine-tuning case")
    args = ap.parse_args()
    start_date, start_load = time.strftime("%Y-%m-%dT%H:%M:%S%z"), list(os.getloadavg())

    check = self_check(args.fixture)
    torch.manual_seed(0)
    models = {}
    if "bert-mini" in args.models:
        c = Config.from_json(os.path.join(args.bert_mini_dir, "config.json"), num_labels=2)
        m = BertForSequenceClassification(c)
        init_weights(m)  # the pooler and classifier the MLM checkpoint lacks
        load_checkpoint(m, os.path.join(args.bert_mini_dir, "model.safetensors"))
        models["bert-mini"] = (c, m.eval())
    if "bert-base" in args.models:
        c = bert_base()
        m = BertForSequenceClassification(c)
        init_weights(m)
        models["bert-base"] = (c, m.eval())

    rows = []
    for threads in args.threads:
        torch.set_num_threads(threads)
        for name, (c, model) in models.items():
            for batch in args.batches:
                ids, mask, types = random_inputs(c, batch, args.seq, seed=batch)

                def forward():
                    with torch.inference_mode():
                        return model(ids, mask, types)

                for rep, seconds in enumerate(timed(forward, args.min_time, args.repetitions)):
                    rows.append({"name": f"forward/pytorch/{name}/batch:{batch}/seq:{args.seq}/threads:{threads}",
                                 "repetition": rep, "real_time_ms": seconds * 1e3,
                                 "sequences_per_second": batch / seconds})
        if args.finetune_steps > 0 and "bert-mini" in models:
            c, _ = models["bert-mini"]
            batch, seq, steps = 32, 64, args.finetune_steps
            trained = BertForSequenceClassification(c)  # its own copy: training changes the weights
            trained.load_state_dict(models["bert-mini"][1].state_dict())
            finetune_steps(trained, c, batch, seq, 1, seed=1)  # warm-up: first-step allocations
            for rep in range(args.repetitions):
                start = time.perf_counter()
                finetune_steps(trained, c, batch, seq, steps, seed=2 + rep)
                seconds = time.perf_counter() - start
                rows.append({"name": f"finetune/pytorch/bert-mini/batch:{batch}/seq:{seq}/threads:{threads}",
                             "repetition": rep, "real_time_ms": seconds * 1e3,
                             "examples_per_second": batch * steps / seconds, "steps": steps})
    print(json.dumps({"torch_version": torch.__version__, "date": start_date, "load_avg": start_load,
                      "glibc_tunables": os.environ.get("GLIBC_TUNABLES", ""), "self_check": check,
                      "benchmarks": rows}))


if __name__ == "__main__":
    main()
