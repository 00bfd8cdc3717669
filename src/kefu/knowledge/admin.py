from django.contrib import admin

from . import services
from .models import Article, Phrase


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["title", "category", "tags", "is_published", "updated_at"]
    list_filter = ["is_published", "category"]
    search_fields = ["title", "tags"]
    exclude = ["updated_by"]

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)
        services.index(obj)  # the search words follow every edit


@admin.register(Phrase)
class PhraseAdmin(admin.ModelAdmin):
    list_display = ["text", "use", "sort_order"]
    list_filter = ["use"]
