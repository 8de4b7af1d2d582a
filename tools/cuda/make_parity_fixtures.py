"""Makes the parity fixtures the shared set lacks, with Hugging Face transformers (run where it is
installed: the GPU machine's /opt/torch/.venv). Tiny random models, eval mode, float32, CPU, the same
layout as the shared fixtures: config.json + model.safetensors + expected.safetensors.

  roberta_tiny_cls2  RobertaForSequenceClassification (position ids from padding_idx + 1, classifier.dense/out_proj)
  bert_tiny_mlm      BertForMaskedLM (decoder tied to the word embeddings, cls.predictions.bias)

Usage: make_parity_fixtures.py OUT_DIR
"""
import json
import os
import sys

import torch
import transformers
from safetensors.torch import save_file
from transformers import BertConfig, BertForMaskedLM, RobertaConfig, RobertaForSequenceClassification


def inputs(vocab, pad, seed):
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(3, vocab, (3, 17), generator=g)
    mask = torch.ones(3, 17, dtype=torch.long)
    for row, length in enumerate([17, 11, 6]):
        ids[row, length:] = pad
        mask[row, length:] = 0
    return ids, mask


def dump(model, out, ids, mask, extra):
    model.eval()
    os.makedirs(out, exist_ok=True)
    model.save_pretrained(out, safe_serialization=True)
    with torch.no_grad():
        res = model(input_ids=ids, attention_mask=mask, output_hidden_states=True)
    tensors = {"input_ids": ids, "attention_mask": mask, "token_type_ids": torch.zeros_like(ids),
               "embedding_output": res.hidden_states[0].contiguous(),
               "last_hidden_state": res.hidden_states[-1].contiguous(), "logits": res.logits.contiguous()}
    tensors.update(extra)
    save_file(tensors, os.path.join(out, "expected.safetensors"))


def main():
    out = sys.argv[1]
    torch.manual_seed(0)
    rc = RobertaConfig(vocab_size=1000, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                       intermediate_size=128, max_position_embeddings=66, type_vocab_size=1, pad_token_id=1,
                       num_labels=2)
    ids, mask = inputs(1000, 1, 1)
    dump(RobertaForSequenceClassification(rc), os.path.join(out, "roberta_tiny_cls2"), ids, mask, {})
    torch.manual_seed(1)
    bc = BertConfig(vocab_size=1000, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                    intermediate_size=128, max_position_embeddings=64, type_vocab_size=2, pad_token_id=0)
    ids, mask = inputs(1000, 0, 2)
    dump(BertForMaskedLM(bc), os.path.join(out, "bert_tiny_mlm"), ids, mask, {})
    with open(os.path.join(out, "VERSIONS.json"), "w") as f:
        json.dump({"transformers": transformers.__version__, "torch": torch.__version__}, f)


if __name__ == "__main__":
    main()
