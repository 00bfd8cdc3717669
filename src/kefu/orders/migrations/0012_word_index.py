import django.db.models.deletion
from django.db import migrations, models


def index_existing_orders(apps, schema_editor):
    """The orders written before the index existed get their words (orders.services.words_of)."""
    from kefu.orders.services import words_of

    WorkOrder, OrderWord = apps.get_model("orders", "WorkOrder"), apps.get_model("orders", "OrderWord")
    after = 0
    while rows := list(WorkOrder.objects.filter(pk__gt=after).order_by("id").values_list("id", "number", "title", "description")[:2000]):
        OrderWord.objects.bulk_create([OrderWord(order_id=pk, word=w) for pk, number, title, description in rows
                                       for w in words_of(number, title, description)], batch_size=5000)
        after = rows[-1][0]


class Migration(migrations.Migration):

    dependencies = [
        ('orders', '0011_cancel_permission'),
    ]

    operations = [
        migrations.CreateModel(
            name='OrderWord',
            fields=[
                ('pk', models.CompositePrimaryKey('word', 'order', blank=True, editable=False, primary_key=True, serialize=False)),
                ('word', models.CharField(max_length=50)),
                ('order', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='words', to='orders.workorder')),
            ],
        ),
        migrations.RunPython(index_existing_orders, migrations.RunPython.noop, elidable=True),
    ]
