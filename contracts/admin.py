from django.contrib import admin

from .models import Company


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ["name", "nip_display", "updated_at"]
    search_fields = ["name", "nip"]
