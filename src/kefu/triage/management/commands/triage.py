"""kefu triage train | evaluate | predict"""

import json

from django.core.management.base import BaseCommand, CommandError

from kefu.core.errors import ServiceError
from kefu.triage import services


class Command(BaseCommand):
    help = "Train, evaluate and try the work order classifier."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        p = sub.add_parser("train", help="train on this database's handled work orders; write a versioned model file")
        p.add_argument("--out", help="model file to write (default: KEFU_DATA_DIR/models/triage-VERSION.joblib)")
        p.add_argument("--seed", type=int, default=0)
        p.add_argument("--trained-on", help="how to describe the training data wherever quality is shown")
        p = sub.add_parser("evaluate", help="per-class precision, recall and F1 on a held-out split")
        p.add_argument("--test-fraction", type=float, default=0.2)
        p.add_argument("--seed", type=int, default=0)
        p = sub.add_parser("predict", help="print the suggestion for TEXT as JSON")
        p.add_argument("text")

    def handle(self, action, **o):
        try:
            getattr(self, action)(**o)
        except ServiceError as exc:
            raise CommandError(str(exc.message)) from None

    def train(self, out, seed, trained_on, **o):
        model, path = services.train(out=out, seed=seed, trained_on=trained_on)
        self.stdout.write(f"model {model.version}: {model.n_examples} examples ({model.trained_on}) → {path}")

    def evaluate(self, test_fraction, seed, **o):
        report, n_train, n_test = services.evaluate(test_fraction=test_fraction, seed=seed)
        self.stdout.write(f"trained on {n_train}, evaluated on {n_test} held-out work orders\n{report}")

    def predict(self, text, **o):
        title, _, description = text.partition("\n")
        self.stdout.write(json.dumps(services.suggest(title, description), ensure_ascii=False, indent=2))
