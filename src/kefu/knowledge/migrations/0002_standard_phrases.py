from django.db import migrations

# The operators' standard service phrases (服务用语): content, edited in the admin.
PHRASES = [
    ("greeting", "您好，很高兴为您服务，请问有什么可以帮您？"),
    ("verify", "为了保障您的账户安全，需要先核实一下您的身份，请提供服务密码。"),
    ("verify", "请您提供机主的证件号码，我帮您核实一下。"),
    ("wait", "请您稍等，我马上为您查询。"),
    ("wait", "感谢您的耐心等待。"),
    ("apology", "非常抱歉给您带来了不便，我们会尽快为您处理。"),
    ("apology", "给您添麻烦了，真的很抱歉。"),
    ("other", "您反映的问题我已经记录，我们会在规定时限内给您答复。"),
    ("closing", "请问还有其他可以帮您的吗？"),
    ("closing", "感谢您的来电，稍后可能会邀请您对本次服务进行评价，祝您生活愉快，再见！"),
]


def add(apps, schema_editor):
    Phrase = apps.get_model("knowledge", "Phrase")
    if not Phrase.objects.exists():
        Phrase.objects.bulk_create([Phrase(use=use, text=text, sort_order=i) for i, (use, text) in enumerate(PHRASES)])


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0001_initial")]
    operations = [migrations.RunPython(add, migrations.RunPython.noop)]
