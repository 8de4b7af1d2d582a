#!/usr/bin/python3
"""Writes third_party/fixtures/layouts/: tiny random stand-ins of published Hugging Face checkpoints.

Each fixture keeps what the hub's checkpoint has -- its tensor names (legacy ones included), dtypes,
config.json (only the size fields shrunk) and tokenizer files -- with seeded random weights of
small dimensions, so that lrbench's loader is tested on the layouts users actually download
(third_party/fixtures/layouts/README.md says where each key list comes from).

Run from the repository root:  /usr/bin/python3 tools/make_layout_fixtures.py
then `cd tools && node tokenizer_fixtures.js`, which writes each encoder fixture's tokenizer.json from the
vocabulary written here (with Hugging Face's tokenizers library).
The output is deterministic (fixed seeds, sorted headers); running it again rewrites the same bytes.
Needs torch (Debian's python3-torch) for the pytorch_model.bin fixture only.
"""
import collections
import json
import os
import shutil
import struct
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "third_party", "fixtures", "layouts")
UNCASED_VOCAB = os.path.join(ROOT, "third_party", "embedded", "vocab", "bert-base-uncased", "vocab.txt")
T5_SPIECE = os.path.join(ROOT, "third_party", "embedded", "vocab", "t5", "spiece.model")

# Small dimensions shared by the encoders (the published ones are 768 hidden, 12 layers, 12 heads, 3072 FFN).
# Positions stay as published (512): the tables run at 128 tokens (T8 times batches padded to 128). 64 wide is
# the least at which every smoke-profile row of the encoder tables has a budget a linear can hold (T9's
# LoSparse keeps 5 % of a linear in its low-rank part: rank 1 at 64 x 64, rank 0 at 32 x 32).
HIDDEN, LAYERS, HEADS, FFN, POSITIONS = 64, 2, 2, 128, 512
# T5: the published spiece.model is kept (32,100 pieces, vocab_size 32128), so d_model stays tiny.
T5_D, T5_KV, T5_HEADS, T5_FF, T5_LAYERS = 8, 4, 2, 16, 2


# ---------------------------------------------------------------------------------------------
# safetensors, written as the format specifies: u64 header length, JSON header, raw data.

def write_safetensors(path, tensors, metadata):
    """tensors: name -> float32 numpy array (the published checkpoints are all F32)."""
    header = {"__metadata__": metadata}
    offset = 0
    blobs = []
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name], dtype="<f4")
        data = a.tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")


def write_published_json(path, obj):
    """A small JSON file byte for byte as the hub's: json.dumps' default separators, no final newline
    (bert-base-uncased's tokenizer_config.json is 48 bytes)."""
    with open(path, "w", encoding="utf-8") as f:
        f.write(json.dumps(obj))


class Weights:
    """Seeded random tensors in Hugging Face's initialisation style (N(0, 0.02) weights, norms near 1)."""

    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)
        self.t = collections.OrderedDict()

    def matrix(self, name, *shape):
        self.t[name] = self.rng.normal(0.0, 0.02, size=shape).astype(np.float32)

    def bias(self, name, n):
        self.t[name] = self.rng.normal(0.0, 0.01, size=(n,)).astype(np.float32)

    def norm_scale(self, name, n):
        self.t[name] = (1.0 + self.rng.normal(0.0, 0.05, size=(n,))).astype(np.float32)

    def linear(self, prefix, out_features, in_features, bias=True):
        self.matrix(prefix + ".weight", out_features, in_features)
        if bias:
            self.bias(prefix + ".bias", out_features)

    def layer_norm(self, prefix, n, legacy=False):
        self.norm_scale(prefix + (".gamma" if legacy else ".weight"), n)
        self.bias(prefix + (".beta" if legacy else ".bias"), n)


# ---------------------------------------------------------------------------------------------
# Tokenizer files: the published names, small valid contents.

def bert_vocab(cased):
    """A WordPiece vocabulary of about 1,200 entries drawn from bert-base-uncased's: its first 104 lines
    ([PAD] 0, [unused0-98], [UNK] 100, [CLS] 101, [SEP] 102, [MASK] 103, as published), the printable ASCII
    characters, their ## continuations, and the 1,000 most frequent entries after the characters. The cased
    stand-in adds upper-case letters and capitalised forms of the first 200 words."""
    with open(UNCASED_VOCAB, encoding="utf-8") as f:
        full = [line.rstrip("\n") for line in f]
    vocab = full[:104]
    chars = [chr(c) for c in range(33, 127) if cased or not chr(c).isupper()]
    vocab += chars
    vocab += ["##" + c for c in chars]
    words = [w for w in full[1996:2996] if w not in vocab]
    vocab += words
    if cased:
        vocab += [w.capitalize() for w in words[:200] if w.isalpha() and w.capitalize() not in vocab]
    assert len(vocab) == len(set(vocab))
    return vocab


def bytes_to_unicode():
    """GPT-2's byte -> printable character table (RoBERTa's byte-level alphabet)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


BPE_TEXT = """The quick brown fox jumps over the lazy dog. A movie that is good, and the actors are great.
This film was not the best of the year, but the story is interesting and the ending is moving.
They said that the weather would be better in the morning, then it rained all day long.
Researchers compress language models with low rank factorizations and tensor decompositions."""


def roberta_vocab_and_merges(num_merges=200):
    """Byte-level BPE as RoBERTa ships it: vocab.json (<s> 0, <pad> 1, </s> 2, <unk> 3, ..., <mask> last)
    and merges.txt ("#version: 0.2" then one merge a line), learned here from BPE_TEXT by the usual
    most-frequent-pair rule (ties broken by the pair's text, so the result is deterministic)."""
    table = bytes_to_unicode()
    words = collections.Counter()
    for line in BPE_TEXT.split("\n"):
        for i, w in enumerate(line.split(" ")):
            text = (" " if i else "") + w
            words[tuple(table[b] for b in text.encode("utf-8"))] += 1
    merges = []
    for _ in range(num_merges):
        pairs = collections.Counter()
        for w, n in words.items():
            for a, b in zip(w, w[1:]):
                pairs[(a, b)] += n
        if not pairs:
            break
        best = min(pairs, key=lambda p: (-pairs[p], p))
        merges.append(best)
        merged = collections.Counter()
        for w, n in words.items():
            out, i = [], 0
            while i < len(w):
                if i + 1 < len(w) and (w[i], w[i + 1]) == best:
                    out.append(w[i] + w[i + 1])
                    i += 2
                else:
                    out.append(w[i])
                    i += 1
            merged[tuple(out)] += n
        words = merged
    tokens = ["<s>", "<pad>", "</s>", "<unk>"] + [table[b] for b in range(256)] + [a + b for a, b in merges]
    vocab = collections.OrderedDict()
    for t in tokens:
        vocab.setdefault(t, len(vocab))
    vocab["<mask>"] = len(vocab)
    return vocab, ["#version: 0.2"] + ["%s %s" % m for m in merges]


# ---------------------------------------------------------------------------------------------
# The checkpoints.

def bert_tensors(seed, vocab_size, legacy_names):
    """bert-base-(un)cased's model.safetensors: BertForPreTraining's keys (MLM and NSP heads, the pooler),
    LayerNorm as gamma/beta, no cls.predictions.decoder.weight (tied to the word embeddings, dropped when
    the hub converted pytorch_model.bin to safetensors)."""
    w = Weights(seed)
    e = "bert.embeddings."
    w.matrix(e + "word_embeddings.weight", vocab_size, HIDDEN)
    w.matrix(e + "position_embeddings.weight", POSITIONS, HIDDEN)
    w.matrix(e + "token_type_embeddings.weight", 2, HIDDEN)
    w.layer_norm(e + "LayerNorm", HIDDEN, legacy_names)
    for i in range(LAYERS):
        p = "bert.encoder.layer.%d." % i
        for m in ("query", "key", "value"):
            w.linear(p + "attention.self." + m, HIDDEN, HIDDEN)
        w.linear(p + "attention.output.dense", HIDDEN, HIDDEN)
        w.layer_norm(p + "attention.output.LayerNorm", HIDDEN, legacy_names)
        w.linear(p + "intermediate.dense", FFN, HIDDEN)
        w.linear(p + "output.dense", HIDDEN, FFN)
        w.layer_norm(p + "output.LayerNorm", HIDDEN, legacy_names)
    w.linear("bert.pooler.dense", HIDDEN, HIDDEN)
    w.bias("cls.predictions.bias", vocab_size)
    w.linear("cls.predictions.transform.dense", HIDDEN, HIDDEN)
    w.layer_norm("cls.predictions.transform.LayerNorm", HIDDEN, legacy_names)
    w.linear("cls.seq_relationship", 2, HIDDEN)
    return w.t


def bert_config(vocab_size):
    # bert-base-uncased's and bert-base-cased's config.json (identical but for vocab_size), sizes shrunk.
    return collections.OrderedDict([
        ("architectures", ["BertForMaskedLM"]),
        ("attention_probs_dropout_prob", 0.1),
        ("gradient_checkpointing", False),
        ("hidden_act", "gelu"),
        ("hidden_dropout_prob", 0.1),
        ("hidden_size", HIDDEN),
        ("initializer_range", 0.02),
        ("intermediate_size", FFN),
        ("layer_norm_eps", 1e-12),
        ("max_position_embeddings", POSITIONS),
        ("model_type", "bert"),
        ("num_attention_heads", HEADS),
        ("num_hidden_layers", LAYERS),
        ("pad_token_id", 0),
        ("position_embedding_type", "absolute"),
        ("transformers_version", "4.6.0.dev0"),
        ("type_vocab_size", 2),
        ("use_cache", True),
        ("vocab_size", vocab_size),
    ])


def write_bert(name, seed, cased):
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    vocab = bert_vocab(cased)
    with open(os.path.join(d, "vocab.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(vocab) + "\n")
    write_published_json(os.path.join(d, "tokenizer_config.json"),
                         collections.OrderedDict([("do_lower_case", not cased), ("model_max_length", 512)]))
    write_json(os.path.join(d, "config.json"), bert_config(len(vocab)))
    tensors = bert_tensors(seed, len(vocab), legacy_names=True)
    write_safetensors(os.path.join(d, "model.safetensors"), tensors, {"format": "pt"})
    return d, tensors


def write_bert_bin(source_dir, tensors):
    """The same checkpoint as pytorch_model.bin (torch.save's zip format), as the hub's older file has it:
    an OrderedDict state dict with its _metadata, and cls.predictions.decoder.weight sharing the word
    embeddings' storage (the tie the safetensors conversion removed)."""
    import torch

    d = source_dir + "-bin"
    os.makedirs(d, exist_ok=True)
    for f in ("config.json", "vocab.txt", "tokenizer_config.json"):
        shutil.copyfile(os.path.join(source_dir, f), os.path.join(d, f))
    state = collections.OrderedDict()
    for k in sorted(tensors):
        state[k] = torch.from_numpy(tensors[k].copy())
    state["cls.predictions.decoder.weight"] = state["bert.embeddings.word_embeddings.weight"]
    state._metadata = collections.OrderedDict([("", {"version": 1})])
    path = os.path.join(d, "pytorch_model.bin")
    torch.save(state, path, _use_new_zipfile_serialization=True)
    # torch.save stamps no time into the zip, so the file is reproducible; check that it reads back.
    back = torch.load(path)
    assert all(torch.equal(back[k], state[k]) for k in state)


def write_distilbert(seed):
    """distilbert-base-uncased's model.safetensors: DistilBertForMaskedLM's keys without
    vocab_projector.weight (tied to the word embeddings, dropped in the safetensors conversion)."""
    d = os.path.join(OUT, "distilbert-base-uncased")
    os.makedirs(d, exist_ok=True)
    vocab = bert_vocab(cased=False)
    with open(os.path.join(d, "vocab.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(vocab) + "\n")
    write_published_json(os.path.join(d, "tokenizer_config.json"),
                         collections.OrderedDict([("do_lower_case", True), ("model_max_length", 512)]))
    write_json(os.path.join(d, "config.json"), collections.OrderedDict([
        ("activation", "gelu"),
        ("architectures", ["DistilBertForMaskedLM"]),
        ("attention_dropout", 0.1),
        ("dim", HIDDEN),
        ("dropout", 0.1),
        ("hidden_dim", FFN),
        ("initializer_range", 0.02),
        ("max_position_embeddings", POSITIONS),
        ("model_type", "distilbert"),
        ("n_heads", HEADS),
        ("n_layers", LAYERS),
        ("pad_token_id", 0),
        ("qa_dropout", 0.1),
        ("seq_classif_dropout", 0.2),
        ("sinusoidal_pos_embds", False),
        ("tie_weights_", True),
        ("transformers_version", "4.10.0.dev0"),
        ("vocab_size", len(vocab)),
    ]))
    w = Weights(seed)
    e = "distilbert.embeddings."
    w.matrix(e + "word_embeddings.weight", len(vocab), HIDDEN)
    w.matrix(e + "position_embeddings.weight", POSITIONS, HIDDEN)
    w.layer_norm(e + "LayerNorm", HIDDEN)
    for i in range(LAYERS):
        p = "distilbert.transformer.layer.%d." % i
        for m in ("q_lin", "k_lin", "v_lin", "out_lin"):
            w.linear(p + "attention." + m, HIDDEN, HIDDEN)
        w.layer_norm(p + "sa_layer_norm", HIDDEN)
        w.linear(p + "ffn.lin1", FFN, HIDDEN)
        w.linear(p + "ffn.lin2", HIDDEN, FFN)
        w.layer_norm(p + "output_layer_norm", HIDDEN)
    w.linear("vocab_transform", HIDDEN, HIDDEN)
    w.layer_norm("vocab_layer_norm", HIDDEN)
    w.bias("vocab_projector.bias", len(vocab))
    write_safetensors(os.path.join(d, "model.safetensors"), w.t, {"format": "pt"})


def write_roberta(seed):
    """roberta-base's model.safetensors: RobertaForMaskedLM's keys, LayerNorm as weight/bias, no pooler
    (RobertaModel.from_pretrained("roberta-base") initialises roberta.pooler.* anew), lm_head.bias without
    lm_head.decoder.weight/bias (tied to the word embeddings and lm_head.bias, dropped)."""
    d = os.path.join(OUT, "roberta-base")
    os.makedirs(d, exist_ok=True)
    vocab, merges = roberta_vocab_and_merges()
    with open(os.path.join(d, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump(vocab, f, ensure_ascii=False, separators=(",", ":"))
    with open(os.path.join(d, "merges.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(merges) + "\n")
    # As published (roberta-base's tokenizer_config.json holds model_max_length alone).
    write_published_json(os.path.join(d, "tokenizer_config.json"), collections.OrderedDict([("model_max_length", 512)]))
    positions = POSITIONS + 2  # RoBERTa counts positions from padding_idx + 1 (published: 514 = 512 + 2)
    write_json(os.path.join(d, "config.json"), collections.OrderedDict([
        ("architectures", ["RobertaForMaskedLM"]),
        ("attention_probs_dropout_prob", 0.1),
        ("bos_token_id", 0),
        ("eos_token_id", 2),
        ("hidden_act", "gelu"),
        ("hidden_dropout_prob", 0.1),
        ("hidden_size", HIDDEN),
        ("initializer_range", 0.02),
        ("intermediate_size", FFN),
        ("layer_norm_eps", 1e-05),
        ("max_position_embeddings", positions),
        ("model_type", "roberta"),
        ("num_attention_heads", HEADS),
        ("num_hidden_layers", LAYERS),
        ("pad_token_id", 1),
        ("type_vocab_size", 1),
        ("vocab_size", len(vocab)),
    ]))
    w = Weights(seed)
    e = "roberta.embeddings."
    w.matrix(e + "word_embeddings.weight", len(vocab), HIDDEN)
    w.matrix(e + "position_embeddings.weight", positions, HIDDEN)
    w.matrix(e + "token_type_embeddings.weight", 1, HIDDEN)
    w.layer_norm(e + "LayerNorm", HIDDEN)
    for i in range(LAYERS):
        p = "roberta.encoder.layer.%d." % i
        for m in ("query", "key", "value"):
            w.linear(p + "attention.self." + m, HIDDEN, HIDDEN)
        w.linear(p + "attention.output.dense", HIDDEN, HIDDEN)
        w.layer_norm(p + "attention.output.LayerNorm", HIDDEN)
        w.linear(p + "intermediate.dense", FFN, HIDDEN)
        w.linear(p + "output.dense", HIDDEN, FFN)
        w.layer_norm(p + "output.LayerNorm", HIDDEN)
    w.linear("lm_head.dense", HIDDEN, HIDDEN)
    w.layer_norm("lm_head.layer_norm", HIDDEN)
    w.bias("lm_head.bias", len(vocab))
    write_safetensors(os.path.join(d, "model.safetensors"), w.t, {"format": "pt"})


T5_TASK_PARAMS = collections.OrderedDict([
    ("summarization", collections.OrderedDict([
        ("early_stopping", True), ("length_penalty", 2.0), ("max_length", 200), ("min_length", 30),
        ("no_repeat_ngram_size", 3), ("num_beams", 4), ("prefix", "summarize: ")])),
    ("translation_en_to_de", collections.OrderedDict([
        ("early_stopping", True), ("max_length", 300), ("num_beams", 4), ("prefix", "translate English to German: ")])),
    ("translation_en_to_fr", collections.OrderedDict([
        ("early_stopping", True), ("max_length", 300), ("num_beams", 4), ("prefix", "translate English to French: ")])),
    ("translation_en_to_ro", collections.OrderedDict([
        ("early_stopping", True), ("max_length", 300), ("num_beams", 4), ("prefix", "translate English to Romanian: ")])),
])


def t5_tensors(seed, gated, v1_0):
    """T5's model.safetensors: shared.weight only for the tied embeddings (encoder/decoder.embed_tokens and a
    tied lm_head were dropped in the safetensors conversion); v1.0 (t5-small) also keeps the
    EncDecAttention relative bias of decoder block 0 that early transformers saved and later versions list
    in _keys_to_ignore_on_load_unexpected; flan-t5 (gated-gelu, untied) has lm_head.weight."""
    w = Weights(seed)
    vocab = 32128
    inner = T5_HEADS * T5_KV
    w.matrix("shared.weight", vocab, T5_D)

    def attention(p, relative):
        for m in ("q", "k", "v"):
            w.matrix(p + m + ".weight", inner, T5_D)
        w.matrix(p + "o.weight", T5_D, inner)
        if relative:
            w.matrix(p + "relative_attention_bias.weight", 32, T5_HEADS)

    def ffn(p):
        if gated:
            w.matrix(p + "DenseReluDense.wi_0.weight", T5_FF, T5_D)
            w.matrix(p + "DenseReluDense.wi_1.weight", T5_FF, T5_D)
        else:
            w.matrix(p + "DenseReluDense.wi.weight", T5_FF, T5_D)
        w.matrix(p + "DenseReluDense.wo.weight", T5_D, T5_FF)
        w.norm_scale(p + "layer_norm.weight", T5_D)

    for i in range(T5_LAYERS):
        p = "encoder.block.%d.layer." % i
        attention(p + "0.SelfAttention.", i == 0)
        w.norm_scale(p + "0.layer_norm.weight", T5_D)
        ffn(p + "1.")
    w.norm_scale("encoder.final_layer_norm.weight", T5_D)
    for i in range(T5_LAYERS):
        p = "decoder.block.%d.layer." % i
        attention(p + "0.SelfAttention.", i == 0)
        w.norm_scale(p + "0.layer_norm.weight", T5_D)
        attention(p + "1.EncDecAttention.", v1_0 and i == 0)
        w.norm_scale(p + "1.layer_norm.weight", T5_D)
        ffn(p + "2.")
    w.norm_scale("decoder.final_layer_norm.weight", T5_D)
    if not v1_0:
        w.matrix("lm_head.weight", vocab, T5_D)
    return w.t


def write_t5(name, seed, flan):
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    shutil.copyfile(T5_SPIECE, os.path.join(d, "spiece.model"))
    if flan:
        config = collections.OrderedDict([
            ("architectures", ["T5ForConditionalGeneration"]),
            ("d_ff", T5_FF), ("d_kv", T5_KV), ("d_model", T5_D),
            ("decoder_start_token_id", 0), ("dense_act_fn", "gelu_new"), ("dropout_rate", 0.1),
            ("eos_token_id", 1), ("feed_forward_proj", "gated-gelu"), ("initializer_factor", 1.0),
            ("is_encoder_decoder", True), ("is_gated_act", True), ("layer_norm_epsilon", 1e-06),
            ("model_type", "t5"), ("n_positions", 512), ("num_decoder_layers", T5_LAYERS),
            ("num_heads", T5_HEADS), ("num_layers", T5_LAYERS), ("output_past", True), ("pad_token_id", 0),
            ("relative_attention_max_distance", 128), ("relative_attention_num_buckets", 32),
            ("task_specific_params", T5_TASK_PARAMS), ("tie_word_embeddings", False),
            ("torch_dtype", "float32"), ("transformers_version", "4.23.1"), ("use_cache", True),
            ("vocab_size", 32128),
        ])
    else:
        config = collections.OrderedDict([
            ("architectures", ["T5WithLMHeadModel"]),
            ("d_ff", T5_FF), ("d_kv", T5_KV), ("d_model", T5_D),
            ("decoder_start_token_id", 0), ("dropout_rate", 0.1), ("eos_token_id", 1),
            ("initializer_factor", 1.0), ("is_encoder_decoder", True), ("layer_norm_epsilon", 1e-06),
            ("model_type", "t5"), ("n_positions", 512), ("num_heads", T5_HEADS), ("num_layers", T5_LAYERS),
            ("output_past", True), ("pad_token_id", 0), ("relative_attention_num_buckets", 32),
            ("task_specific_params", T5_TASK_PARAMS), ("vocab_size", 32128),
        ])
    write_json(os.path.join(d, "config.json"), config)
    generation = collections.OrderedDict([("decoder_start_token_id", 0), ("eos_token_id", 1), ("pad_token_id", 0),
                                          ("transformers_version", "4.27.0.dev0")])
    if not flan:
        generation = collections.OrderedDict([("_from_model_config", True)] + list(generation.items()))
    write_json(os.path.join(d, "generation_config.json"), generation)
    write_safetensors(os.path.join(d, "model.safetensors"), t5_tensors(seed, gated=flan, v1_0=not flan), {"format": "pt"})


def main():
    if len(sys.argv) > 1:
        sys.exit("usage: tools/make_layout_fixtures.py (no arguments; writes %s)" % OUT)
    os.makedirs(OUT, exist_ok=True)
    d, tensors = write_bert("bert-base-uncased", seed=1, cased=False)
    write_bert_bin(d, tensors)
    write_bert("bert-base-cased", seed=2, cased=True)
    write_distilbert(seed=3)
    write_roberta(seed=4)
    write_t5("t5-small", seed=5, flan=False)
    write_t5("flan-t5-base", seed=6, flan=True)
    print("wrote", OUT)


if __name__ == "__main__":
    main()
