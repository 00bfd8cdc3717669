from django.db import migrations


def seed(apps, schema_editor):
    from kefu.triage.rules import DEFAULT_RULES

    Rule = apps.get_model("triage", "TriageRule")
    for position, (name, pattern, kind, severity, flag, description) in enumerate(DEFAULT_RULES, start=1):
        Rule.objects.get_or_create(name=name, defaults={"pattern": pattern, "set_kind": kind, "raise_severity": severity,
                                                        "flag_coordinator": flag, "description": description,
                                                        "position": position})


class Migration(migrations.Migration):
    dependencies = [("triage", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
