"""The standard Hugging Face recipe for T5 sequence-to-sequence fine-tuning, for comparison with
`lrbench finetune --task=samsum`.

Run ON THE GPU MACHINE (its Python has transformers): fine-tunes t5-mini-samsum on the first N SAMSum train
dialogues with Seq2SeqTrainer (AdamW, linear decay, no warm-up, max_grad_norm 1.0, weight decay 0.01 except
biases and layer norms), input "summarize: " + dialogue (CR LF -> LF) at most 512 tokens, target at most 128;
then computes the teacher-forced token-mean cross-entropy on the test split (the definition lrbench uses) and
greedy summaries of at most 64 new tokens, written as JSONL {"id", "prediction"} for `lrbench score`.
Prints one JSON line. Usage: hf_reference_samsum.py MODEL_DIR SAMSUM_DIR OUT_DIR N_TRAIN EPOCHS LR
"""
import json
import sys

import torch
import transformers
from transformers import (AutoModelForSeq2SeqLM, DataCollatorForSeq2Seq, Seq2SeqTrainer, Seq2SeqTrainingArguments,
                          T5TokenizerFast)


def read(path, limit=0):
    rows = [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]
    return rows[:limit] if limit else rows


class Split(torch.utils.data.Dataset):
    def __init__(self, rows, tok):
        sources = ["summarize: " + r["dialogue"].replace("\r\n", "\n").replace("\r", "\n") for r in rows]
        self.enc = tok(sources, truncation=True, max_length=512)
        self.labels = tok([r["summary"] for r in rows], truncation=True, max_length=128)["input_ids"]

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        return {"input_ids": self.enc["input_ids"][i], "attention_mask": self.enc["attention_mask"][i],
                "labels": self.labels[i]}


@torch.no_grad()
def token_mean_loss(model, data, collator, batch=64):
    model.eval()
    total, tokens = 0.0, 0
    for start in range(0, len(data), batch):
        b = collator([data[i] for i in range(start, min(start + batch, len(data)))])
        b = {k: v.to(model.device) for k, v in b.items()}
        logits = model(**b).logits.float()
        loss = torch.nn.functional.cross_entropy(logits.flatten(0, 1), b["labels"].flatten(), ignore_index=-100,
                                                 reduction="sum")
        total += loss.item()
        tokens += int((b["labels"] != -100).sum())
    return total / tokens


@torch.no_grad()
def summaries(model, tok, data, batch=64):
    model.eval()
    out = []
    for start in range(0, len(data), batch):
        enc = tok.pad({"input_ids": data.enc["input_ids"][start:start + batch],
                       "attention_mask": data.enc["attention_mask"][start:start + batch]}, return_tensors="pt")
        ids = model.generate(**{k: v.to(model.device) for k, v in enc.items()}, max_new_tokens=64, num_beams=1,
                             do_sample=False)
        out += tok.batch_decode(ids, skip_special_tokens=True)
    return out


def main():
    model_dir, samsum_dir, out_dir, n_train, epochs, lr = sys.argv[1:7]
    tok = T5TokenizerFast.from_pretrained(model_dir)
    train_rows, test_rows = read(f"{samsum_dir}/train.jsonl", int(n_train)), read(f"{samsum_dir}/test.jsonl")
    train, test = Split(train_rows, tok), Split(test_rows, tok)
    transformers.set_seed(42)
    model = AutoModelForSeq2SeqLM.from_pretrained(model_dir, torch_dtype=torch.float32).cuda()
    collator = DataCollatorForSeq2Seq(tok, model=model, label_pad_token_id=-100)
    before = token_mean_loss(model, test, collator)
    args = Seq2SeqTrainingArguments(output_dir=out_dir, num_train_epochs=float(epochs), learning_rate=float(lr),
                                    per_device_train_batch_size=32, weight_decay=0.01, seed=42, save_strategy="no",
                                    logging_steps=50, report_to=[], max_grad_norm=1.0)
    trainer = Seq2SeqTrainer(model=model, args=args, train_dataset=train, data_collator=collator)
    result = trainer.train()
    after = token_mean_loss(model, test, collator)
    with open(f"{out_dir}/hf_predictions_test.jsonl", "w", encoding="utf-8") as f:
        for row, text in zip(test_rows, summaries(model, tok, test)):
            f.write(json.dumps({"id": row["id"], "prediction": text}, ensure_ascii=False) + "\n")
    print(json.dumps({"transformers": transformers.__version__, "torch": torch.__version__, "train_examples": len(train),
                      "steps": result.global_step, "train_seconds": result.metrics["train_runtime"],
                      "test_token_loss_before": before, "test_token_loss_after": after}))


if __name__ == "__main__":
    main()
