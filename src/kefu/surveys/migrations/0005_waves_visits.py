"""Quarterly relationship survey waves (SurveyWave, Invitation.wave) and mystery shopper visits
(ShopperVisit, whose score sheet is an invitation of channel "shopper" without a customer), and
the default questionnaires of both purposes, version 1, active: what a new installation asks until
the operator publishes its own (surveys.services.create_draft, publish)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.utils import timezone

# (purpose, title, introduction, [(type, text, dimension, options, required), …])
DEFAULTS = [
    ("relationship", "客户满意度季度调查",
     "感谢您一直以来使用我们的服务。本问卷约需两分钟，您的意见将帮助我们改进网络和服务。", [
         ("score", "总体而言，您对我们的服务是否满意？（1–10 分）", "overall", [], True),
         ("score", "您对网络质量（信号覆盖、网速、通话质量）是否满意？（1–10 分）", "", [], True),
         ("score", "您对资费（套餐价格、收费透明度）是否满意？（1–10 分）", "", [], True),
         ("score", "您对客户服务（热线、营业厅、线上渠道）是否满意？（1–10 分）", "", [], True),
         ("recommend", "您有多大可能向亲友推荐我们的服务？（0–10 分）", "", [], True),
         ("text", "您对我们还有什么意见或建议？", "", [], False),
     ]),
    ("visit", "神秘顾客评分表",
     "暗访营业厅或致电热线后如实填写。每一项按实际表现评分，不因个别环节影响其他项目。", [
         ("single", "是否使用规范的问候语？", "", ["是", "否"], True),
         ("single", "办理业务前是否按规定核验身份？", "", ["是", "否", "不适用"], True),
         ("score", "业务解答是否准确、完整？（1–10 分）", "result", [], True),
         ("score", "服务态度（1–10 分）", "attitude", [], True),
         ("score", "总体评价（1–10 分）", "overall", [], True),
         ("text", "评分说明（扣分原因、亮点）", "", [], False),
     ]),
]


def seed(apps, schema_editor):
    Instrument, Question = apps.get_model("surveys", "Instrument"), apps.get_model("surveys", "Question")
    now = timezone.now()
    for purpose, title, intro, questions in DEFAULTS:
        if Instrument.objects.filter(purpose=purpose).exists():
            continue
        instrument = Instrument.objects.create(purpose=purpose, version=1, title=title, intro=intro, status="active",
                                               created_at=now, published_at=now)
        Question.objects.bulk_create([
            Question(instrument=instrument, position=n, type=kind, text=text, dimension=dimension, options=options,
                     required=required)
            for n, (kind, text, dimension, options, required) in enumerate(questions, start=1)])


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0005_provisional_callers'),
        ('surveys', '0004_overall_question_and_feedback'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='invitation',
            name='channel',
            field=models.CharField(choices=[('portal', 'Customer portal'), ('sms_link', 'SMS with a link'), ('sms_reply', 'SMS reply'), ('phone', 'Follow-up call'), ('ivr', 'Post-call IVR'), ('shopper', 'Mystery shopper')], max_length=10, verbose_name='channel'),
        ),
        migrations.AlterField(
            model_name='invitation',
            name='customer',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='customers.customer', verbose_name='customer'),
        ),
        migrations.AlterField(
            model_name='optout',
            name='channel',
            field=models.CharField(choices=[('portal', 'Customer portal'), ('sms_link', 'SMS with a link'), ('sms_reply', 'SMS reply'), ('phone', 'Follow-up call'), ('ivr', 'Post-call IVR'), ('shopper', 'Mystery shopper')], max_length=10, verbose_name='channel'),
        ),
        migrations.CreateModel(
            name='ShopperVisit',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('target_kind', models.CharField(choices=[('store', 'Store'), ('hotline', 'Hotline'), ('agent', 'Agent')], max_length=10, verbose_name='visited')),
                ('target_name', models.CharField(blank=True, max_length=100, verbose_name='store or hotline')),
                ('visited_at', models.DateTimeField(verbose_name='visited at')),
                ('note', models.TextField(blank=True, verbose_name='note')),
                ('created_at', models.DateTimeField(verbose_name='recorded at')),
                ('agent', models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='agent')),
                ('evaluator', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='evaluator')),
                ('invitation', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='visit', to='surveys.invitation', verbose_name='score sheet')),
            ],
            options={
                'verbose_name': 'mystery shopper visit',
                'verbose_name_plural': 'mystery shopper visits',
                'ordering': ['-visited_at', '-pk'],
            },
        ),
        migrations.CreateModel(
            name='SurveyWave',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('quarter', models.CharField(max_length=6, verbose_name='quarter')),
                ('size', models.PositiveIntegerField(verbose_name='sample size asked for')),
                ('seed', models.BigIntegerField(verbose_name='seed')),
                ('population', models.PositiveIntegerField(default=0, verbose_name='subscribers who could be asked')),
                ('strata', models.JSONField(default=list, verbose_name='strata')),
                ('sample', models.JSONField(default=list, verbose_name='sampled customers')),
                ('invited', models.PositiveIntegerField(default=0, verbose_name='invited')),
                ('skipped', models.PositiveIntegerField(default=0, help_text='Sampled, but refused since, asked meanwhile or without a phone.', verbose_name='not invited')),
                ('expiry_days', models.PositiveSmallIntegerField(default=14, verbose_name='days to answer')),
                ('created_at', models.DateTimeField(verbose_name='created at')),
                ('sent_at', models.DateTimeField(blank=True, null=True, verbose_name='sent at')),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='created by')),
                ('instrument', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='surveys.instrument', verbose_name='questionnaire')),
            ],
            options={
                'verbose_name': 'relationship survey wave',
                'verbose_name_plural': 'relationship survey waves',
                'ordering': ['-created_at', '-pk'],
            },
        ),
        migrations.AddField(
            model_name='invitation',
            name='wave',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='invitations', to='surveys.surveywave', verbose_name='survey wave'),
        ),
        migrations.AddIndex(
            model_name='invitation',
            index=models.Index(fields=['instrument', 'status'], name='surveys_invitation_instrument'),
        ),
        migrations.AddIndex(
            model_name='invitation',
            index=models.Index(fields=['wave', 'status'], name='surveys_invitation_wave'),
        ),
        migrations.AddIndex(
            model_name='shoppervisit',
            index=models.Index(fields=['visited_at'], name='surveys_visit_at'),
        ),
        migrations.AddIndex(
            model_name='shoppervisit',
            index=models.Index(fields=['agent', 'visited_at'], name='surveys_visit_agent'),
        ),
        migrations.AddConstraint(
            model_name='shoppervisit',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('target_kind', 'agent'), _negated=True), ('agent__isnull', False), _connector='OR'), name='surveys_visit_agent_named'),
        ),
        migrations.AddConstraint(
            model_name='shoppervisit',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('target_kind', 'store'), _negated=True), models.Q(('target_name', ''), _negated=True), _connector='OR'), name='surveys_visit_store_named'),
        ),
        migrations.AddIndex(
            model_name='surveywave',
            index=models.Index(fields=['quarter'], name='surveys_wave_quarter'),
        ),
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
