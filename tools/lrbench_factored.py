"""Loads a factored lrbench export (`lrbench export --format=factored`, or `lrbench compress`'s output) into
PyTorch and computes logits, without lrbench and without transformers.

A factored export is config.json with "model_type": "lrbench_factored" (the Hugging Face config under
"lrbench"."base_config", each compressed layer's format under "lrbench"."layers") and model.safetensors
holding every dense parameter under its Hugging Face key and every compressed linear as its format's arrays
("<layer>.low_rank.left", ...; methods/factorization.h ExportArrays), Tucker cores shared between layers once
(metadata "lrbench.shared_tucker_cores"). F32, F16 and BF16 tensors are read as float32.

Models: BertForSequenceClassification, RobertaForSequenceClassification, DistilBertForSequenceClassification
(the encoders as Hugging Face computes them in eval mode, from tools/torch_forward_reference.py's BERT layers).
Formats: dense, low_rank (two thin Linears: x -> right -> left), low_rank_sparse (that plus the kept rows),
kronecker, tucker and tensor_train (their dense weight formed once from the factors, exactly as
methods/factorization.cc Reconstruct does). Refused by name: quantized (Kashin: its frames come from lrbench's
seeded generator), adapters, other architectures.

Use: /usr/bin/python3 tools/lrbench_factored.py --model=DIR --inputs=IN.safetensors [--expected=OUT.safetensors]
prints one JSON line: the logits' shape and, with --expected, the largest absolute difference to its "logits".
As a module: load(DIR) -> (model, config); model(input_ids, attention_mask, token_type_ids) -> logits.
"""
import argparse
import json
import math
import os
import struct
import sys

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_forward_reference as ref  # noqa: E402  (BERT layers named as the checkpoint keys; safetensors reader)

FACTORED_MODEL_TYPE = "lrbench_factored"


def read_metadata(path: str) -> dict:
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        return json.loads(f.read(n)).get("__metadata__", {})


# --- each format's weight [out, in] --------------------------------------------------------------------------

def _numbered(arrays: dict, stem: str) -> list:
    out, i = [], 0
    while f"{stem}.{i}" in arrays:
        out.append(arrays[f"{stem}.{i}"])
        i += 1
    return out


def reconstruct(fmt: str, arrays: dict, layer: str) -> torch.Tensor:
    if fmt == "dense":
        return arrays["dense.weight"]
    if fmt == "low_rank":
        return arrays["low_rank.left"] @ arrays["low_rank.right"]
    if fmt == "low_rank_sparse":
        w = arrays["low_rank_sparse.left"] @ arrays["low_rank_sparse.right"]
        w[arrays["low_rank_sparse.rows"].long()] += arrays["low_rank_sparse.sparse_rows"]
        return w
    if fmt == "kronecker":  # sum_i A_i (x) B_i
        return sum(torch.kron(a, b) for a, b in zip(_numbered(arrays, "kronecker.a"), _numbered(arrays, "kronecker.b")))
    if fmt == "tucker":  # core x_1 U_1 ... x_d U_d, reshaped row-major to [rows, prod / rows]
        x = arrays["tucker.core"]
        for k, u in enumerate(_numbered(arrays, "tucker.factor")):
            x = torch.movedim(torch.tensordot(u, x, dims=([1], [k])), 0, k)
        rows = int(arrays["tucker.rows"][0])
        return x.reshape(rows, -1)
    if fmt == "tensor_train":  # W[(i_1..i_d), (j_1..j_d)] = prod_k G_k[:, i_k, j_k, :], i_1 slowest
        cores = _numbered(arrays, "tensor_train.core")
        w = cores[0][0]  # [m_1, n_1, r_1]
        for g in cores[1:]:
            m, n, _ = w.shape
            w = torch.einsum("MNr,rmns->MmNns", w, g).reshape(m * g.shape[1], n * g.shape[2], g.shape[3])
        return w[:, :, 0]
    if fmt == "quantized":
        raise ValueError(f"layer {layer}: format quantized (Kashin) is not supported here: its frames are "
                         "regenerated from a seed by lrbench's generator; use lrbench export --format=dense")
    raise ValueError(f"layer {layer}: unknown format {fmt!r}")


class FactoredLinear(nn.Module):
    """y = x W^T + b with W stored in its format: low rank as two thin products, the others formed once."""

    def __init__(self, fmt: str, arrays: dict, bias, layer: str):
        super().__init__()
        self.format = fmt
        if fmt == "low_rank":
            self.right = nn.Parameter(arrays["low_rank.right"], requires_grad=False)  # [r, in]
            self.left = nn.Parameter(arrays["low_rank.left"], requires_grad=False)    # [out, r]
        else:
            self.weight = nn.Parameter(reconstruct(fmt, arrays, layer), requires_grad=False)
        self.bias = None if bias is None else nn.Parameter(bias, requires_grad=False)

    def forward(self, x):
        if self.format == "low_rank":
            y = (x @ self.right.t()) @ self.left.t()
            return y if self.bias is None else y + self.bias
        return nn.functional.linear(x, self.weight, self.bias)


# --- the encoders --------------------------------------------------------------------------------------------

def _bert_config(c: dict) -> ref.Config:
    labels = len(c["id2label"]) if "id2label" in c else c.get("num_labels", 2)
    return ref.Config(num_labels=labels, **{k: v for k, v in c.items() if k != "num_labels"})


class RobertaForSequenceClassification(nn.Module):
    """BERT's layers; positions counted from padding_idx + 1 over non-pad tokens; head on <s>."""

    def __init__(self, c: ref.Config, pad: int):
        super().__init__()
        self.pad = pad
        self.roberta = nn.Module()
        self.roberta.embeddings = ref.Embeddings(c)
        self.roberta.encoder = ref.Encoder(c)
        self.classifier = nn.Module()
        self.classifier.dense = nn.Linear(c.hidden_size, c.hidden_size)
        self.classifier.out_proj = nn.Linear(c.hidden_size, c.num_labels)

    def forward(self, input_ids, attention_mask, token_type_ids):
        e = self.roberta.embeddings
        keep = (input_ids != self.pad).long()
        positions = torch.cumsum(keep, dim=1) * keep + self.pad
        x = e.word_embeddings(input_ids) + e.position_embeddings(positions) + e.token_type_embeddings(token_type_ids)
        h = e.LayerNorm(x)
        mask = ((1.0 - attention_mask.float()) * torch.finfo(torch.float32).min)[:, None, None, :]
        for layer in self.roberta.encoder.layer:
            h = layer(h, mask)
        return self.classifier.out_proj(torch.tanh(self.classifier.dense(h[:, 0])))


class DistilBertForSequenceClassification(nn.Module):
    """Word + position embeddings, post-LN layers (q/k/v/out_lin, sa_layer_norm, ffn, output_layer_norm),
    pre_classifier + ReLU on [CLS]."""

    def __init__(self, c: dict, labels: int):
        super().__init__()
        if c.get("activation", "gelu") != "gelu" or c.get("sinusoidal_pos_embds", False):
            raise ValueError("DistilBERT: only activation gelu and learned positions are supported")
        d, self.heads, eps = c["dim"], c["n_heads"], 1e-12
        self.distilbert = nn.Module()
        emb = self.distilbert.embeddings = nn.Module()
        emb.word_embeddings = nn.Embedding(c["vocab_size"], d)
        emb.position_embeddings = nn.Embedding(c["max_position_embeddings"], d)
        emb.LayerNorm = nn.LayerNorm(d, eps=eps)
        self.distilbert.transformer = nn.Module()
        self.distilbert.transformer.layer = nn.ModuleList()
        for _ in range(c["n_layers"]):
            l = nn.Module()
            l.attention = nn.Module()
            for name in ("q_lin", "k_lin", "v_lin", "out_lin"):
                setattr(l.attention, name, nn.Linear(d, d))
            l.sa_layer_norm = nn.LayerNorm(d, eps=eps)
            l.ffn = nn.Module()
            l.ffn.lin1 = nn.Linear(d, c["hidden_dim"])
            l.ffn.lin2 = nn.Linear(c["hidden_dim"], d)
            l.output_layer_norm = nn.LayerNorm(d, eps=eps)
            self.distilbert.transformer.layer.append(l)
        self.pre_classifier = nn.Linear(d, d)
        self.classifier = nn.Linear(d, labels)

    def forward(self, input_ids, attention_mask, token_type_ids=None):
        e = self.distilbert.embeddings
        positions = torch.arange(input_ids.size(1))[None, :]
        h = e.LayerNorm(e.word_embeddings(input_ids) + e.position_embeddings(positions))
        b, s, d = h.shape
        hd = d // self.heads
        mask = ((1.0 - attention_mask.float()) * torch.finfo(torch.float32).min)[:, None, None, :]
        for l in self.distilbert.transformer.layer:
            a = l.attention

            def split(t):
                return t.view(b, s, self.heads, hd).transpose(1, 2)

            q, k, v = split(a.q_lin(h)), split(a.k_lin(h)), split(a.v_lin(h))
            probs = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(hd) + mask, dim=-1)
            ctx = (probs @ v).transpose(1, 2).reshape(b, s, d)
            h = l.sa_layer_norm(a.out_lin(ctx) + h)
            h = l.output_layer_norm(l.ffn.lin2(nn.functional.gelu(l.ffn.lin1(h))) + h)
        return self.classifier(torch.relu(self.pre_classifier(h[:, 0])))


class BertForSequenceClassification(ref.BertForSequenceClassification):
    def forward(self, input_ids, attention_mask, token_type_ids):
        return super().forward(input_ids, attention_mask, token_type_ids)[2]


# --- loading -------------------------------------------------------------------------------------------------

def load(model_dir: str):
    """The model of a factored export (or of a plain Hugging Face checkpoint), in eval mode, and its config."""
    with open(os.path.join(model_dir, "config.json")) as f:
        config = json.load(f)
    layers = {}
    if config.get("model_type") == FACTORED_MODEL_TYPE:
        layers = config["lrbench"].get("layers", {})
        config = config["lrbench"]["base_config"]
    path = os.path.join(model_dir, "model.safetensors")
    weights = ref.read_safetensors(path)
    meta = read_metadata(path)
    if meta.get("lrbench.adapters"):
        raise ValueError(f"{path}: adapters ({', '.join(json.loads(meta['lrbench.adapters']))}) are not supported "
                         "here; export --format=dense merges LoRA adapters")
    shared = json.loads(meta.get("lrbench.shared_tucker_cores", "{}"))
    arch = (config.get("architectures") or [""])[0]
    labels = len(config["id2label"]) if "id2label" in config else config.get("num_labels", 2)
    if arch == "BertForSequenceClassification":
        model = BertForSequenceClassification(_bert_config(config))
    elif arch == "RobertaForSequenceClassification":
        model = RobertaForSequenceClassification(_bert_config(config), config.get("pad_token_id", 1))
    elif arch == "DistilBertForSequenceClassification":
        model = DistilBertForSequenceClassification(config, labels)
    else:
        raise ValueError(f"{model_dir}: architecture {arch!r} is not supported (BERT, RoBERTa, DistilBERT "
                         "sequence classification)")
    for layer, fmt in layers.items():
        prefix = layer + "."
        arrays = {k[len(prefix):]: v for k, v in weights.items()
                  if k.startswith(prefix) and k != prefix + "bias" and "." in k[len(prefix):]}
        if layer in shared:
            arrays["tucker.core"] = weights[shared[layer] + ".tucker.core"]
        parent_name, _, child = layer.rpartition(".")
        parent = model.get_submodule(parent_name)
        if not isinstance(getattr(parent, child, None), nn.Linear):
            raise ValueError(f"{path}: compressed layer {layer} is not a linear of {arch}")
        setattr(parent, child, FactoredLinear(fmt, arrays, weights.get(prefix + "bias"), layer))
    own = dict(model.named_parameters())
    factored = {n for n, m in model.named_modules() if isinstance(m, FactoredLinear)}
    with torch.no_grad():
        for name, p in own.items():
            if name.rpartition(".")[0] in factored:
                continue
            if name not in weights:
                raise ValueError(f"{path} lacks {name}")
            if tuple(weights[name].shape) != tuple(p.shape):
                raise ValueError(f"{path}: {name} has shape {list(weights[name].shape)}, the model expects {list(p.shape)}")
            p.copy_(weights[name])
    return model.eval(), config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--inputs", required=True, help="safetensors with input_ids, attention_mask, token_type_ids")
    parser.add_argument("--expected", help="safetensors whose 'logits' the output is compared with")
    args = parser.parse_args()
    model, _ = load(args.model)
    x = ref.read_safetensors(args.inputs)
    ids = x["input_ids"]
    types = x.get("token_type_ids", torch.zeros_like(ids))
    with torch.no_grad():
        logits = model(ids, x.get("attention_mask", torch.ones_like(ids)), types)
    line = {"model": args.model, "logits_shape": list(logits.shape)}
    if args.expected:
        line["max_abs_diff"] = float((logits - ref.read_safetensors(args.expected)["logits"]).abs().max())
    print(json.dumps(line))


if __name__ == "__main__":
    main()
