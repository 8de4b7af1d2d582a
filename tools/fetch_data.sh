#!/usr/bin/env bash
# Downloads the public originals into the layout lrbench reads (tasks/data.h), for a user who is online:
#   DATA_DIR/glue/<TASK>/*.tsv, DATA_DIR/glue/diagnostic/diagnostic.tsv   (GLUE, as download_glue_data.py)
#   DATA_DIR/aclImdb/{train,test}/{pos,neg}/*.txt                          (IMDB, aclImdb v1)
#   DATA_DIR/samsum/{train,val,test}.json                                  (SAMSum, the original release)
#   MODELS_DIR/{bert-base-uncased,distilbert-base-uncased,flan-t5-base}/   (Hugging Face checkpoints)
# Then: lrbench ... --data_dir=DATA_DIR (or export LRB_DATA_DIR=DATA_DIR), --model=MODELS_DIR/<name>.
#
# Usage: tools/fetch_data.sh [--data_dir=DIR] [--models_dir=DIR] [--only=glue,imdb,samsum,models] [--dry_run]
# Defaults: --data_dir=$HOME/lrbench-data, --models_dir=$HOME/lrbench-models, everything.
# Resumable: a file already present is kept (downloads go to a temporary name first). Every downloaded
# file's URL and SHA-256 is appended to DATA_DIR/FETCHED.tsv (provenance). Needs curl, unzip, tar, and 7z
# (Debian: p7zip-full) for SAMSum. Written against the public URLs as of 2026; this machine has no
# internet, so the script was checked with --dry_run only.
set -euo pipefail

data_dir="$HOME/lrbench-data"
models_dir="$HOME/lrbench-models"
only="glue,imdb,samsum,models"
dry_run=0
for arg in "$@"; do
  case "$arg" in
    --data_dir=*) data_dir="${arg#*=}" ;;
    --models_dir=*) models_dir="${arg#*=}" ;;
    --only=*) only="${arg#*=}" ;;
    --dry_run) dry_run=1 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "fetch_data.sh: unknown argument $arg (see --help)" >&2; exit 2 ;;
  esac
done
wants() { [[ ",$only," == *",$1,"* ]]; }

# fetch URL DEST: downloads URL to DEST unless DEST exists.
fetch() {
  local url="$1" dest="$2"
  if [[ -e "$dest" ]]; then echo "have  $dest"; return 0; fi
  echo "get   $url -> $dest"
  [[ $dry_run == 1 ]] && return 0
  mkdir -p "$(dirname "$dest")"
  curl --fail --location --retry 3 --silent --show-error -o "$dest.part" "$url"
  mv "$dest.part" "$dest"
  printf '%s\t%s\t%s\n' "$dest" "$url" "$(sha256sum "$dest" | cut -d' ' -f1)" >> "$data_dir/FETCHED.tsv"
}

# run CMD...: runs a command, or prints it under --dry_run.
run() {
  if [[ $dry_run == 1 ]]; then echo "run   $*"; else "$@"; fi
}

[[ $dry_run == 1 ]] || mkdir -p "$data_dir"
glue_base="https://dl.fbaipublicfiles.com/glue/data"

if wants glue; then
  # The zips unpack to the glue_data layout (QQP-clean -> QQP, QNLIv2 -> QNLI).
  for pair in CoLA:CoLA SST-2:SST-2 QQP-clean:QQP STS-B:STS-B MNLI:MNLI QNLIv2:QNLI RTE:RTE WNLI:WNLI; do
    zip="${pair%%:*}"; dir="${pair##*:}"
    if [[ -d "$data_dir/glue/$dir" ]]; then echo "have  $data_dir/glue/$dir"; continue; fi
    fetch "$glue_base/$zip.zip" "$data_dir/downloads/$zip.zip"
    run unzip -q -o "$data_dir/downloads/$zip.zip" -d "$data_dir/glue"
  done
  fetch "$glue_base/AX.tsv" "$data_dir/glue/diagnostic/diagnostic.tsv"
  # MRPC: the SentEval copy of the Microsoft release, split into train/dev with GLUE's dev ids
  # (download_glue_data.py's procedure).
  mrpc="$data_dir/glue/MRPC"
  fetch "https://dl.fbaipublicfiles.com/senteval/senteval_data/msr_paraphrase_train.txt" "$mrpc/msr_paraphrase_train.txt"
  fetch "https://dl.fbaipublicfiles.com/senteval/senteval_data/msr_paraphrase_test.txt" "$mrpc/msr_paraphrase_test.txt"
  fetch "https://firebasestorage.googleapis.com/v0/b/mtl-sentence-representations.appspot.com/o/data%2Fmrpc_dev_ids.tsv?alt=media&token=ec5c0836-31d5-48f4-b431-7480817f1adc" "$mrpc/dev_ids.tsv"
  if [[ ! -e "$mrpc/train.tsv" && $dry_run == 0 ]]; then
    awk -F'\t' '{ sub(/\r$/, "") }
                NR == FNR { dev[$1 "\t" $2] = 1; next }
                FNR == 1 { print > train; print > devf; next }
                { key = $2 "\t" $3; if (key in dev) print > devf; else print > train }' \
      train="$mrpc/train.tsv" devf="$mrpc/dev.tsv" "$mrpc/dev_ids.tsv" "$mrpc/msr_paraphrase_train.txt"
    awk -F'\t' '{ sub(/\r$/, "") }
                FNR == 1 { print "index\t#1 ID\t#2 ID\t#1 String\t#2 String"; next }
                { print (FNR - 2) "\t" $2 "\t" $3 "\t" $4 "\t" $5 }' "$mrpc/msr_paraphrase_test.txt" > "$mrpc/test.tsv"
  fi
fi

if wants imdb; then
  if [[ -d "$data_dir/aclImdb/train/pos" ]]; then
    echo "have  $data_dir/aclImdb"
  else
    fetch "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz" "$data_dir/downloads/aclImdb_v1.tar.gz"
    run tar -xzf "$data_dir/downloads/aclImdb_v1.tar.gz" -C "$data_dir"
  fi
fi

if wants samsum; then
  if [[ -e "$data_dir/samsum/train.json" ]]; then
    echo "have  $data_dir/samsum"
  else
    fetch "https://huggingface.co/datasets/Samsung/samsum/resolve/main/data/corpus.7z" "$data_dir/downloads/samsum_corpus.7z"
    run 7z x -y "-o$data_dir/samsum" "$data_dir/downloads/samsum_corpus.7z"
  fi
fi

if wants models; then
  hub="https://huggingface.co"
  for f in config.json model.safetensors vocab.txt tokenizer_config.json; do
    fetch "$hub/bert-base-uncased/resolve/main/$f" "$models_dir/bert-base-uncased/$f"
    fetch "$hub/distilbert-base-uncased/resolve/main/$f" "$models_dir/distilbert-base-uncased/$f"
  done
  for f in config.json generation_config.json model.safetensors spiece.model; do
    fetch "$hub/google/flan-t5-base/resolve/main/$f" "$models_dir/flan-t5-base/$f"
  done
fi
echo "fetch_data.sh: done; use --data_dir=$data_dir (or LRB_DATA_DIR) and --model=$models_dir/<name>"
