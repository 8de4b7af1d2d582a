"""A reference fine-tuning loop in plain PyTorch with the Hugging Face Trainer's semantics (issue #24, item 6).

There is no transformers package here; the model is tools/torch_forward_reference.py's BERT (Hugging Face
module names, loads model.safetensors, checked against the HF parity fixture), imported, not copied. What this
file adds is the Trainer around it, as transformers does it:

- BertForSequenceClassification: dropout 0.1 (hidden, attention, classifier), classifier initialised N(0, 0.02)
  with zero bias, the pooler taken from the checkpoint or initialised the same way when it has none (as
  transformers initialises missing weights); num_labels 1 is regression with MSE (STS-B), else cross-entropy.
- set_seed(seed): torch.manual_seed(seed) before the model (and its new head) is built; dropout draws from
  the same global generator afterwards.
- RandomSampler with a torch.Generator seeded from the seed (a new permutation each epoch), batches of
  batch_size (the last one shorter), DataCollatorWithPadding: padded with 0 to the batch's longest example,
  attention mask 1 on tokens.
- AdamW (torch's, betas 0.9/0.999, eps 1e-8), weight decay on every parameter but biases and LayerNorm
  weights; get_linear_schedule_with_warmup with ceil(warmup_ratio * total steps) warm-up steps (the
  Trainer's get_warmup_steps), then linear decay to 0; gradient clipping at max_grad_norm; zero_grad after
  each step.
- The final dev metric: matthews_correlation (CoLA), f1 and accuracy (MRPC), pearson and spearmanr (STS-B),
  accuracy (RTE), with sklearn and scipy, named as lrbench names them.

Both implementations train on the same token ids: the examples come from `lrbench finetune --dump_encoded`
(encoded_<split>.jsonl: input_ids, token_type_ids, label per line). Prints one JSON object.

  /usr/bin/python3 tools/finetune_reference.py --encoded DIR --train_split train --eval_split dev \
      --num_labels 2 --task glue/rte --epochs 8 --lr 1e-4 --seed 42
  /usr/bin/python3 tools/finetune_reference.py --self_test
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_forward_reference as ref  # noqa: E402

BERT_MINI = "third_party/embedded/models/bert-mini-mlm"
FIXTURE = "third_party/fixtures/hf-parity/bert_tiny_cls3"


def read_encoded(path: str):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def build_model(model_dir: str, num_labels: int, seed: int) -> nn.Module:
    """transformers' from_pretrained after set_seed(seed): every parameter initialised (N(0, 0.02), zero
    biases, unit LayerNorm), then the checkpoint's weights copied over; what the checkpoint lacks (pooler,
    classifier) keeps its initialisation."""
    torch.manual_seed(seed)
    c = ref.Config.from_json(os.path.join(model_dir, "config.json"), num_labels=num_labels)
    model = ref.BertForSequenceClassification(c)
    ref.init_weights(model)
    ref.load_checkpoint(model, os.path.join(model_dir, "model.safetensors"))
    return model


def collate(examples, indices, regression: bool):
    """DataCollatorWithPadding: pad to the batch's longest with 0 (pad_token_id), mask 1 on tokens."""
    longest = max(len(examples[i]["input_ids"]) for i in indices)
    b = len(indices)
    ids = torch.zeros(b, longest, dtype=torch.long)
    types = torch.zeros(b, longest, dtype=torch.long)
    mask = torch.zeros(b, longest, dtype=torch.long)
    for r, i in enumerate(indices):
        e = examples[i]
        n = len(e["input_ids"])
        ids[r, :n] = torch.tensor(e["input_ids"], dtype=torch.long)
        types[r, :n] = torch.tensor(e["token_type_ids"], dtype=torch.long)
        mask[r, :n] = 1
    labels = torch.tensor([examples[i]["label"] for i in indices],
                          dtype=torch.float32 if regression else torch.long)
    return ids, mask, types, labels


def loss_of(logits, labels, regression: bool):
    # BertForSequenceClassification: MSELoss(logits.squeeze(), labels.squeeze()) for one label, else
    # CrossEntropyLoss over the classes; both means over the batch.
    if regression:
        return nn.functional.mse_loss(logits.squeeze(-1), labels)
    return nn.functional.cross_entropy(logits, labels)


def make_optimizer(model: nn.Module, lr: float, weight_decay: float):
    decay = [p for n, p in model.named_parameters() if not n.endswith("bias") and "LayerNorm" not in n]
    no_decay = [p for n, p in model.named_parameters() if n.endswith("bias") or "LayerNorm" in n]
    return torch.optim.AdamW([{"params": decay, "weight_decay": weight_decay},
                              {"params": no_decay, "weight_decay": 0.0}], lr=lr, betas=(0.9, 0.999), eps=1e-8)


def linear_schedule(warmup: int, total: int):
    """transformers' get_linear_schedule_with_warmup's lr_lambda."""
    def f(step: int) -> float:
        if step < warmup:
            return step / max(1, warmup)
        return max(0.0, (total - step) / max(1, total - warmup))
    return f


def train(model, train_set, args, regression: bool, log=None):
    n = len(train_set)
    steps_per_epoch = math.ceil(n / args.batch_size)
    total = steps_per_epoch * args.epochs
    warmup = math.ceil(args.warmup_ratio * total)
    opt = make_optimizer(model, args.lr, args.weight_decay)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, linear_schedule(warmup, total))
    generator = torch.Generator()
    generator.manual_seed(args.seed)
    sampler = torch.utils.data.RandomSampler(range(n), generator=generator)
    losses = []
    step = 0
    model.train()
    for epoch in range(args.epochs):
        order = list(sampler)  # a new permutation each epoch, as the DataLoader's iteration draws it
        epoch_loss, seen = 0.0, 0
        for start in range(0, n, args.batch_size):
            indices = order[start:start + args.batch_size]
            ids, mask, types, labels = collate(train_set, indices, regression)
            _, _, logits = model(ids, mask, types)
            loss = loss_of(logits, labels, regression)
            loss.backward()
            if args.max_grad_norm > 0:
                nn.utils.clip_grad_norm_(model.parameters(), args.max_grad_norm)
            opt.step()
            sched.step()
            opt.zero_grad()
            value = loss.item()
            if not math.isfinite(value):
                raise SystemExit(f"finetune_reference.py: loss {value} at step {step}")
            epoch_loss += value * len(indices)
            seen += len(indices)
            step += 1
            if log and args.log_every > 0 and step % args.log_every == 0:
                log(f"epoch {epoch + 1}/{args.epochs}  step {step}/{total}  loss {epoch_loss / seen:.4f}")
        losses.append(epoch_loss / seen)
    model.eval()
    return {"steps": step, "warmup_steps": warmup, "epoch_train_loss": losses}


def predict(model, examples, regression: bool, batch_size: int = 64):
    out = []
    model.eval()
    with torch.no_grad():
        for start in range(0, len(examples), batch_size):
            ids, mask, types, _ = collate(examples, range(start, min(len(examples), start + batch_size)), regression)
            _, _, logits = model(ids, mask, types)
            out.extend(logits.squeeze(-1).tolist() if regression else logits.argmax(-1).tolist())
    return out


def metrics_of(task: str, predictions, labels) -> dict:
    from scipy.stats import pearsonr, spearmanr
    from sklearn.metrics import accuracy_score, f1_score, matthews_corrcoef
    if task == "glue/cola":
        return {"matthews_correlation": float(matthews_corrcoef(labels, predictions))}
    if task == "glue/mrpc":
        return {"f1": float(f1_score(labels, predictions)), "accuracy": float(accuracy_score(labels, predictions))}
    if task == "glue/stsb":
        return {"pearson": float(pearsonr(predictions, labels)[0]), "spearmanr": float(spearmanr(predictions, labels)[0])}
    return {"accuracy": float(accuracy_score(labels, predictions))}


def self_test(model_dir: str) -> dict:
    """The imported model still matches Hugging Face's outputs on the parity fixture; one training step on a
    handful of examples is deterministic for a seed and differs for another; the random batches see every
    example once per epoch and change between epochs; the warm-up is the Trainer's ceil."""
    check = ref.self_check(FIXTURE)
    g = torch.Generator().manual_seed(0)
    examples = []
    for i in range(10):
        n = 5 + i % 4
        ids = [101] + torch.randint(1000, 2000, (n - 2,), generator=g).tolist() + [102]
        examples.append({"input_ids": ids, "token_type_ids": [0] * n, "label": i % 2})

    def one_step(seed):
        args = argparse.Namespace(batch_size=4, epochs=1, lr=1e-4, warmup_ratio=0.0, weight_decay=0.01,
                                  max_grad_norm=1.0, seed=seed, log_every=0)
        model = build_model(model_dir, 2, seed)
        report = train(model, examples[:4], args, regression=False)
        return report, model.classifier.weight.detach().clone()

    (r1, w1), (r2, w2), (r3, w3) = one_step(42), one_step(42), one_step(43)
    if r1["steps"] != 1 or not torch.equal(w1, w2) or r1 != r2:
        raise SystemExit("finetune_reference.py: one step with seed 42 is not deterministic")
    if torch.equal(w1, w3):
        raise SystemExit("finetune_reference.py: seeds 42 and 43 gave the same classifier")
    gen = torch.Generator().manual_seed(42)
    sampler = torch.utils.data.RandomSampler(range(10), generator=gen)
    e1, e2 = list(sampler), list(sampler)
    if sorted(e1) != list(range(10)) or sorted(e2) != list(range(10)) or e1 == e2:
        raise SystemExit(f"finetune_reference.py: random epochs {e1} {e2} are not two different permutations")
    if math.ceil(0.1 * 575) != 58 or linear_schedule(58, 575)(0) != 0.0 or linear_schedule(58, 575)(575) != 0.0:
        raise SystemExit("finetune_reference.py: schedule")
    ids, mask, types, _ = collate(examples, [0, 3], regression=False)
    if ids.shape != (2, 8) or mask[0].tolist() != [1] * 5 + [0] * 3 or ids[0, 5:].tolist() != [0, 0, 0]:
        raise SystemExit("finetune_reference.py: padding to the batch's longest")
    return {"self_test": "ok", "parity": check, "one_step_loss_seed42": r1["epoch_train_loss"][0]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--self_test", action="store_true")
    ap.add_argument("--model", default=BERT_MINI)
    ap.add_argument("--encoded", help="the directory of lrbench finetune --dump_encoded")
    ap.add_argument("--train_split", default="train")
    ap.add_argument("--eval_split", default="dev")
    ap.add_argument("--task", help="glue/cola, glue/mrpc, glue/stsb, glue/rte")
    ap.add_argument("--num_labels", type=int, default=2, help="1: regression (MSE)")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--lr", type=float, default=2e-5)
    ap.add_argument("--batch_size", type=int, default=32)
    ap.add_argument("--weight_decay", type=float, default=0.01)
    ap.add_argument("--warmup_ratio", type=float, default=0.0)
    ap.add_argument("--max_grad_norm", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--log_every", type=int, default=100)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    if args.self_test:
        print(json.dumps(self_test(args.model)))
        return
    if not args.encoded or not args.task:
        ap.error("--encoded and --task are required (or --self_test)")
    train_set = read_encoded(os.path.join(args.encoded, f"encoded_{args.train_split}.jsonl"))
    eval_set = read_encoded(os.path.join(args.encoded, f"encoded_{args.eval_split}.jsonl"))
    regression = args.num_labels == 1
    start = time.perf_counter()
    model = build_model(args.model, args.num_labels, args.seed)
    report = train(model, train_set, args, regression,
                   log=lambda line: print(f"  {line}", file=sys.stderr, flush=True))
    train_seconds = time.perf_counter() - start
    predictions = predict(model, eval_set, regression)
    labels = [e["label"] if regression else int(e["label"]) for e in eval_set]
    print(json.dumps({
        "task": args.task, "seed": args.seed, "metrics": metrics_of(args.task, predictions, labels),
        "eval_count": len(eval_set), "train_examples": len(train_set), "train_seconds": train_seconds,
        "threads": torch.get_num_threads(), "torch_version": torch.__version__, **report,
    }))


if __name__ == "__main__":
    main()
