from django.contrib import admin

from kefu.core.masking import mask_id_number, mask_phone

from .models import Account, Customer, Subscription


class SubscriptionInline(admin.TabularInline):
    model = Subscription
    fields = ["service_number", "product", "plan", "status", "opened_on"]
    extra = 0
    show_change_link = True


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["customer_no", "name", "type", "segment", "masked_phone", "masked_id", "province", "city"]
    list_filter = ["type", "segment", "province", "status"]
    search_fields = ["customer_no", "=phone", "=id_number", "name"]
    exclude = ["service_password_hash"]
    inlines = [SubscriptionInline]

    @admin.display(description="phone")
    def masked_phone(self, obj):
        return mask_phone(obj.phone)

    @admin.display(description="ID number")
    def masked_id(self, obj):
        return mask_id_number(obj.id_number)


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ["account_no", "customer", "billing", "status"]
    search_fields = ["account_no"]
    raw_id_fields = ["customer"]


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["service_number", "customer", "product", "plan", "status", "opened_on", "province", "city"]
    list_filter = ["product", "status", "province"]
    search_fields = ["=service_number"]
    raw_id_fields = ["customer", "account"]
