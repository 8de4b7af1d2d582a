"""The standard Hugging Face recipe on the same checkpoint, for comparison with `lrbench finetune`.

Run ON THE GPU MACHINE (its Python has transformers): fine-tunes bert-mini-mlm on SST-2 with
transformers' Trainer (AdamW, linear decay, no warm-up, max_grad_norm 1.0) with the recipe of
issue #3: 3 epochs, lr 1e-4, batch 32, max length 64, seed 42, weight decay 0.01; prints dev accuracy
per epoch as one JSON line. Usage: hf_reference_sst2.py MODEL_DIR DATA_DIR OUT_DIR
"""
import csv
import json
import sys

import numpy as np
import torch
from transformers import (AutoModelForSequenceClassification, BertTokenizerFast, DataCollatorWithPadding, Trainer,
                          TrainingArguments)
import transformers


def read(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    return [(r[0], int(r[1])) for r in rows[1:] if r]


class Split(torch.utils.data.Dataset):
    def __init__(self, rows, tok):
        self.enc = tok([r[0] for r in rows], truncation=True, max_length=64)
        self.labels = [r[1] for r in rows]

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        item = {k: v[i] for k, v in self.enc.items()}
        item["labels"] = self.labels[i]
        return item


def main():
    model_dir, data_dir, out_dir = sys.argv[1:4]
    tok = BertTokenizerFast.from_pretrained(model_dir, do_lower_case=True)
    print("sample encoding:", tok("it 's a charming and often affecting journey . ")["input_ids"], flush=True)
    train = Split(read(f"{data_dir}/glue/SST-2/train.tsv"), tok)
    dev = Split(read(f"{data_dir}/glue/SST-2/dev.tsv"), tok)
    transformers.set_seed(42)
    model = AutoModelForSequenceClassification.from_pretrained(model_dir, num_labels=2)
    args = TrainingArguments(output_dir=out_dir, num_train_epochs=3, learning_rate=1e-4, per_device_train_batch_size=32,
                             per_device_eval_batch_size=64, weight_decay=0.01, seed=42, eval_strategy="epoch",
                             save_strategy="no", logging_steps=500, report_to=[], max_grad_norm=1.0)
    trainer = Trainer(model=model, args=args, train_dataset=train, eval_dataset=dev,
                      data_collator=DataCollatorWithPadding(tok),
                      compute_metrics=lambda p: {"accuracy": float((np.argmax(p.predictions, -1) == p.label_ids).mean())})
    trainer.train()
    history = [h for h in trainer.state.log_history if "eval_accuracy" in h]
    print(json.dumps({"transformers": transformers.__version__, "torch": torch.__version__,
                      "dev_accuracy_per_epoch": [h["eval_accuracy"] for h in history]}))


if __name__ == "__main__":
    main()
