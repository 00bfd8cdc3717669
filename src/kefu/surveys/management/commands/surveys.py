"""kefu surveys wave --quarter 2026Q4 --size 2000 --seed 7 [--dry-run]; kefu surveys resume WAVE;
kefu surveys waves"""

import re

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _


def _quarter(value: str) -> str:
    if not re.fullmatch(r"20\d\dQ[1-4]", value.strip().upper()):
        raise CommandError(_("a quarter like 2026Q4, not %(value)s") % {"value": value})
    return value.strip().upper()


class Command(BaseCommand):
    help = "Quarterly relationship surveys (季度满意度调查): sample subscribers, send the survey by SMS, list the waves."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        wave = sub.add_parser("wave", help="draw a sample of subscribers stratified by province, customer segment and "
                                           "product (proportional allocation; the same seed draws the same sample) "
                                           "and send them the active relationship questionnaire by SMS")
        wave.add_argument("--quarter", required=True, type=_quarter, help="the quarter surveyed, e.g. 2026Q4")
        wave.add_argument("--size", required=True, type=int, help="subscribers to sample")
        wave.add_argument("--seed", required=True, type=int, help="the random seed (keep it to draw the sample again)")
        wave.add_argument("--days", type=int, default=14, help="days the customers have to answer (default 14)")
        wave.add_argument("--batch", type=int, default=500, help="invitations and SMS per committed batch (default 500)")
        wave.add_argument("--supplement", action="store_true", help="a further wave for a quarter that has one already")
        wave.add_argument("--user", help="the member of staff making the wave (needs surveys.add_surveywave); "
                                         "default: the system")
        wave.add_argument("--dry-run", action="store_true", help="show the strata and the allocation; send nothing")
        resume = sub.add_parser("resume", help="send what an interrupted wave has not sent yet")
        resume.add_argument("wave_id", type=int)
        resume.add_argument("--batch", type=int, default=500)
        sub.add_parser("waves", help="the waves with their invitations sent, answered and response rate")

    def handle(self, action, **options):
        if options.get("batch") is not None and options["batch"] < 1:
            raise CommandError(_("--batch must be at least 1"))
        getattr(self, action)(**options)

    def _progress(self, wave):
        self.stderr.write(_("  %(invited)s of %(sampled)s sampled customers invited") % {
            "invited": wave.invited, "sampled": len(wave.sample)})

    def wave(self, quarter, size, seed, days, batch, supplement, user, dry_run, **_o):
        from kefu.core.errors import ServiceError
        from kefu.surveys import services

        if dry_run:
            if size < 1:
                raise CommandError(_("--size must be at least 1"))
            population, strata, sample = services.draw(size, seed)
            self.stdout.write("\t".join([_("province"), _("segment"), _("product"), _("population"), _("sample")]))
            for s in strata:
                self.stdout.write(f"{s.province}\t{s.segment}\t{s.product}\t{s.population}\t{s.sample}")
            self.stdout.write(_("%(population)s subscribers may be asked; %(sampled)s would be sampled in %(strata)s strata.")
                              % {"population": population, "sampled": len(sample), "strata": len(strata)})
            return
        actor = None
        if user:
            from django.contrib.auth import get_user_model

            actor = get_user_model().objects.filter(username=user, is_active=True).first()
            if actor is None:
                raise CommandError(_("No active user %(name)s.") % {"name": user})
        try:
            made = services.create_wave(actor, quarter, size, seed, supplement=supplement, days=days)
        except ServiceError as exc:
            details = "; ".join(f"{field}: {reason}" for field, reason in exc.fields.items())
            raise CommandError(" ".join([str(exc.message), details]).strip()) from None
        self.stdout.write(_("Wave %(id)s of %(quarter)s: %(sampled)s of %(population)s subscribers sampled in %(strata)s strata.")
                          % {"id": made.pk, "quarter": made.quarter, "sampled": len(made.sample),
                             "population": made.population, "strata": len(made.strata)})
        self._send(made.pk, batch)

    def resume(self, wave_id, batch, **_o):
        from kefu.surveys.models import SurveyWave

        if not SurveyWave.objects.filter(pk=wave_id).exists():
            raise CommandError(_("No survey wave %(id)s.") % {"id": wave_id})
        self._send(wave_id, batch)

    def _send(self, wave_id, batch):
        from kefu.surveys import services

        sent = services.send_wave(wave_id, batch=batch, progress=self._progress)
        self.stdout.write(_("Wave %(id)s sent: %(invited)s invited, %(skipped)s left out (refused or asked since the "
                            "draw, or no phone).") % {"id": sent.pk, "invited": sent.invited, "skipped": sent.skipped})

    def waves(self, **_o):
        from kefu.surveys import services

        self.stdout.write("\t".join([_("wave"), _("quarter"), _("sent"), _("answered"), _("response rate")]))
        for row in services.waves(None):
            rate = f"{row.response_rate:.1%}" if row.response_rate is not None else "—"
            self.stdout.write(f"{row.wave.pk}\t{row.wave.quarter}\t{row.sent}\t{row.answered}\t{rate}")
